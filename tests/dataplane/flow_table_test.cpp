// FlowTable: lookup from both directions, LRU eviction, idle and closing expiry (order, budget),
// clear(), entry reuse, and a randomised stress test against a reference model.
#include "dataplane/flow_table.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "dataplane/flow_key.hpp"

namespace l7tap {
namespace {

struct Value {
  int payload = 0;
  int resets = 0;  // survives reset(): counts how often the slot was recycled
  void reset() {
    payload = 0;
    ++resets;
  }
};

using Table = FlowTable<Value>;

// A distinct key per id (ports carry the id).
FlowKey key_of(uint32_t id) {
  FlowKey k;
  k.ip_lo[15] = 1;
  k.ip_hi[15] = 2;
  k.port_lo = static_cast<uint16_t>(id & 0xffff);
  k.port_hi = static_cast<uint16_t>(id >> 16);
  k.l4_proto = 6;
  return k;
}

// The table takes the hash from the caller: tests use flow_hash, or a constant to force chains.
uint32_t hash_of(uint32_t id) { return flow_hash(key_of(id)); }

struct EndLog {
  std::vector<std::pair<uint32_t, FlowEndReason>> ended;  // (port_lo as id, reason)
  Table::EndFn fn() {
    return [this](Table::Entry& e, FlowEndReason r) {
      EXPECT_TRUE(e.used);  // called before the entry is freed
      ended.emplace_back(e.key.port_lo, r);
    };
  }
  std::vector<uint32_t> ids(FlowEndReason r) const {
    std::vector<uint32_t> v;
    for (const auto& [id, why] : ended)
      if (why == r) v.push_back(id);
    return v;
  }
};

Table::Entry* insert(Table& t, uint32_t id, uint64_t now, bool expect_created = true) {
  bool created = false;
  Table::Entry* e = t.find_or_insert(key_of(id), hash_of(id), now, created);
  EXPECT_NE(e, nullptr);
  EXPECT_EQ(created, expect_created) << "id " << id;
  return e;
}

std::vector<uint32_t> lru_order(Table& t) {
  std::vector<uint32_t> v;
  t.for_each([&](Table::Entry& e) { v.push_back(e.key.port_lo); });
  return v;
}

TEST(FlowTable, BothDirectionsFindTheSameEntry) {
  EndLog log;
  Table t(16, 1'000'000, log.fn());
  DecodedPacket a2b;
  a2b.src_ip = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
  a2b.dst_ip = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2};
  a2b.src_port = 40000;
  a2b.dst_port = 9092;
  a2b.l4_proto = 6;
  DecodedPacket b2a = a2b;
  std::swap(b2a.src_ip, b2a.dst_ip);
  std::swap(b2a.src_port, b2a.dst_port);

  bool sw1 = false, sw2 = false, created = false;
  const FlowKey k1 = make_flow_key(a2b, sw1), k2 = make_flow_key(b2a, sw2);
  Table::Entry* e1 = t.find_or_insert(k1, flow_hash(k1), 10, created);
  ASSERT_NE(e1, nullptr);
  EXPECT_TRUE(created);
  e1->value.payload = 7;
  Table::Entry* e2 = t.find_or_insert(k2, flow_hash(k2), 20, created);
  EXPECT_FALSE(created);
  EXPECT_EQ(e1, e2);
  EXPECT_EQ(e2->value.payload, 7);
  EXPECT_EQ(e2->last_seen_us, 20u);
  EXPECT_EQ(t.find(k1, flow_hash(k1)), e1);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.stats().inserted, 1u);

  // A different VLAN is a different flow.
  a2b.has_vlan = true;
  a2b.vlan = 100;
  const FlowKey k3 = make_flow_key(a2b, sw1);
  EXPECT_EQ(t.find(k3, flow_hash(k3)), nullptr);
}

TEST(FlowTable, CollidingHashesStayApart) {
  EndLog log;
  Table t(8, 1'000'000, log.fn());
  bool created = false;
  std::vector<Table::Entry*> es;
  for (uint32_t id = 1; id <= 5; ++id) {
    es.push_back(t.find_or_insert(key_of(id), 0x1234, 0, created));  // same hash for all
    ASSERT_TRUE(created);
    es.back()->value.payload = static_cast<int>(id);
  }
  for (uint32_t id = 1; id <= 5; ++id) EXPECT_EQ(t.find(key_of(id), 0x1234), es[id - 1]);
  EXPECT_EQ(t.find(key_of(6), 0x1234), nullptr);
  // Removing one from the middle of the chain keeps the others reachable.
  t.mark_closing(*es[2], 5);
  EXPECT_EQ(t.expire(5, 10), 1u);
  EXPECT_EQ(t.find(key_of(3), 0x1234), nullptr);
  for (uint32_t id : {1u, 2u, 4u, 5u}) EXPECT_EQ(t.find(key_of(id), 0x1234), es[id - 1]);
}

TEST(FlowTable, LruEvictionWhenFull) {
  EndLog log;
  Table t(3, 1'000'000, log.fn());
  EXPECT_EQ(t.capacity(), 3u);
  insert(t, 1, 1);
  insert(t, 2, 2);
  insert(t, 3, 3);
  EXPECT_EQ(lru_order(t), (std::vector<uint32_t>{1, 2, 3}));
  insert(t, 1, 4, /*expect_created=*/false);  // touch 1: now 2 is the coldest
  EXPECT_EQ(lru_order(t), (std::vector<uint32_t>{2, 3, 1}));
  insert(t, 4, 5);
  ASSERT_EQ(log.ended.size(), 1u);
  EXPECT_EQ(log.ended[0], std::make_pair(2u, FlowEndReason::kEvicted));
  insert(t, 5, 6);
  ASSERT_EQ(log.ended.size(), 2u);
  EXPECT_EQ(log.ended[1], std::make_pair(3u, FlowEndReason::kEvicted));
  EXPECT_EQ(lru_order(t), (std::vector<uint32_t>{1, 4, 5}));
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.stats().evicted, 2u);
  EXPECT_EQ(t.stats().inserted, 5u);
  EXPECT_EQ(t.find(key_of(2), hash_of(2)), nullptr);
  EXPECT_EQ(t.find(key_of(3), hash_of(3)), nullptr);
  EXPECT_NE(t.find(key_of(1), hash_of(1)), nullptr);
}

TEST(FlowTable, FindDoesNotTouchLru) {
  EndLog log;
  Table t(2, 1'000'000, log.fn());
  insert(t, 1, 1);
  insert(t, 2, 2);
  ASSERT_NE(t.find(key_of(1), hash_of(1)), nullptr);
  insert(t, 3, 3);  // 1 is still the coldest
  ASSERT_EQ(log.ended.size(), 1u);
  EXPECT_EQ(log.ended[0].first, 1u);
}

TEST(FlowTable, ZeroCapacity) {
  EndLog log;
  Table t(0, 1'000'000, log.fn());
  bool created = true;
  EXPECT_EQ(t.find_or_insert(key_of(1), hash_of(1), 0, created), nullptr);
  EXPECT_FALSE(created);
  EXPECT_EQ(t.find(key_of(1), hash_of(1)), nullptr);
  EXPECT_EQ(t.stats().insert_failures, 1u);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.expire(1'000'000'000, 10), 0u);
  t.clear();
  EXPECT_TRUE(log.ended.empty());
}

TEST(FlowTable, IdleExpiryColdFirstWithBudget) {
  EndLog log;
  Table t(10, 100, log.fn());
  for (uint32_t id = 1; id <= 5; ++id) insert(t, id, id * 10);  // last seen 10..50
  insert(t, 2, 60, false);                                        // 2 becomes the hottest
  EXPECT_EQ(t.expire(109, 100), 0u);   // 1 was last seen at 10: idle until 110
  EXPECT_EQ(t.expire(140, 2), 2u);     // 1, 3, 4 are idle; the budget allows two
  EXPECT_EQ(log.ids(FlowEndReason::kIdle), (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(t.expire(140, 2), 1u);     // 4 (last seen 40); 5 (50) is not idle yet
  EXPECT_EQ(log.ids(FlowEndReason::kIdle), (std::vector<uint32_t>{1, 3, 4}));
  EXPECT_EQ(t.expire(140, 0), 0u);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.expire(1000, 100), 2u);
  EXPECT_EQ(log.ids(FlowEndReason::kIdle), (std::vector<uint32_t>{1, 3, 4, 5, 2}));
  EXPECT_EQ(t.stats().expired_idle, 5u);
  EXPECT_EQ(t.size(), 0u);
}

TEST(FlowTable, ClosingDeadline) {
  EndLog log;
  Table t(10, 1'000'000, log.fn());
  for (uint32_t id = 1; id <= 5; ++id) insert(t, id, id);
  // Closing flows anywhere in the LRU list, deadlines not in LRU order.
  t.mark_closing(*t.find(key_of(4), hash_of(4)), 300);
  t.mark_closing(*t.find(key_of(2), hash_of(2)), 100);
  t.mark_closing(*t.find(key_of(5), hash_of(5)), 200);
  t.mark_closing(*t.find(key_of(2), hash_of(2)), 500);  // later: the earlier deadline stays
  Table::Entry* e4 = t.find(key_of(4), hash_of(4));
  t.mark_closing(*e4, 150);  // earlier: replaces 300
  EXPECT_EQ(t.find(key_of(2), hash_of(2))->close_deadline_us, 100u);
  EXPECT_EQ(e4->close_deadline_us, 150u);

  EXPECT_EQ(t.expire(99, 10), 0u);
  EXPECT_EQ(t.expire(160, 1), 1u);  // budget 1: the earliest deadline first
  EXPECT_EQ(log.ids(FlowEndReason::kClosed), (std::vector<uint32_t>{2}));
  EXPECT_EQ(t.expire(160, 10), 1u);
  EXPECT_EQ(log.ids(FlowEndReason::kClosed), (std::vector<uint32_t>{2, 4}));
  // Traffic on a closing flow keeps it closing (the deadline is the owner's decision).
  insert(t, 5, 170, false);
  EXPECT_EQ(t.expire(199, 10), 0u);
  EXPECT_EQ(t.expire(200, 10), 1u);
  EXPECT_EQ(log.ids(FlowEndReason::kClosed), (std::vector<uint32_t>{2, 4, 5}));
  EXPECT_EQ(t.stats().expired_closed, 3u);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_TRUE(log.ids(FlowEndReason::kIdle).empty());
}

TEST(FlowTable, ClosingFlowThatIsEvictedLeavesTheClosingList) {
  EndLog log;
  Table t(2, 1'000'000, log.fn());
  t.mark_closing(*insert(t, 1, 1), 1000);
  insert(t, 2, 2);
  insert(t, 3, 3);  // evicts 1
  EXPECT_EQ(log.ended.back(), std::make_pair(1u, FlowEndReason::kEvicted));
  Table::Entry* e4 = insert(t, 4, 4);  // evicts 2, reuses 1's entry
  EXPECT_EQ(e4->close_deadline_us, 0u);
  EXPECT_EQ(t.expire(2000, 10), 0u);  // nothing closing any more
  EXPECT_EQ(t.stats().expired_closed, 0u);
}

TEST(FlowTable, ClearEndsEverythingColdFirst) {
  EndLog log;
  Table t(8, 1'000'000, log.fn());
  for (uint32_t id = 1; id <= 4; ++id) insert(t, id, id);
  t.mark_closing(*t.find(key_of(3), hash_of(3)), 50);
  t.clear();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(log.ids(FlowEndReason::kShutdown), (std::vector<uint32_t>{1, 2, 3, 4}));
  EXPECT_EQ(log.ended.size(), 4u);
  EXPECT_EQ(t.expire(100, 10), 0u);  // the closing list was emptied too
  for (uint32_t id = 1; id <= 4; ++id) EXPECT_EQ(t.find(key_of(id), hash_of(id)), nullptr);
  insert(t, 9, 200);  // still usable
  EXPECT_EQ(t.size(), 1u);
}

TEST(FlowTable, ReuseAfterExpiryResetsTheValue) {
  EndLog log;
  Table t(1, 10, log.fn());
  Table::Entry* e = insert(t, 1, 0);
  EXPECT_EQ(e->value.resets, 1);
  e->value.payload = 42;
  EXPECT_EQ(t.expire(10, 1), 1u);
  Table::Entry* e2 = insert(t, 2, 20);
  EXPECT_EQ(e2, e);  // the only slot, recycled
  EXPECT_EQ(e2->value.payload, 0);
  EXPECT_EQ(e2->value.resets, 2);
  EXPECT_EQ(e2->key.port_lo, 2u);
  EXPECT_EQ(e2->last_seen_us, 20u);
  EXPECT_EQ(e2->close_deadline_us, 0u);
}

TEST(FlowTable, HugeIdleTimeoutNeverOverflows) {
  EndLog log;
  Table t(4, UINT64_MAX, log.fn());
  insert(t, 1, 1000);
  EXPECT_EQ(t.expire(UINT64_MAX - 1, 10), 0u);
}

TEST(FlowTable, StressAgainstModel) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    std::mt19937 rng(seed);
    const uint32_t cap = 1000;
    std::set<uint32_t> live;  // ids the table should hold
    std::map<FlowEndReason, uint64_t> ends;
    uint64_t now = 0;
    Table t(cap, 5000, [&](Table::Entry& e, FlowEndReason r) {
      const uint32_t id = e.key.port_lo | (uint32_t{e.key.port_hi} << 16);
      EXPECT_EQ(live.erase(id), 1u) << "ended a flow the model does not have";
      EXPECT_EQ(e.value.payload, static_cast<int>(id));
      if (r == FlowEndReason::kClosed) {
        EXPECT_NE(e.close_deadline_us, 0u);
        EXPECT_LE(e.close_deadline_us, now);
      }
      if (r == FlowEndReason::kIdle) {
        EXPECT_GE(now - e.last_seen_us, 5000u);
      }
      ++ends[r];
    });
    std::uniform_int_distribution<uint32_t> pick(1, 3 * cap);  // repeats, so hits happen too
    uint64_t hits = 0;
    for (uint32_t i = 0; i < 10 * cap; ++i) {
      now += rng() % 4;
      const uint32_t id = (rng() % 4 == 0) ? pick(rng) : 3 * cap + i;  // mix of new and repeat keys
      bool created = false;
      Table::Entry* e = t.find_or_insert(key_of(id), hash_of(id), now, created);
      ASSERT_NE(e, nullptr);
      ASSERT_EQ(created, live.count(id) == 0);
      if (created) {
        EXPECT_EQ(e->value.payload, 0);
        e->value.payload = static_cast<int>(id);
        live.insert(id);
      } else {
        ++hits;
      }
      if (rng() % 16 == 0) t.mark_closing(*e, now + rng() % 3000);
      if (rng() % 8 == 0) t.expire(now, rng() % 20);
      ASSERT_LE(t.size(), cap);
      ASSERT_EQ(t.size(), live.size());
    }
    for (uint32_t id : live) ASSERT_NE(t.find(key_of(id), hash_of(id)), nullptr);
    // With no budget limit nothing due may survive.
    t.expire(now, UINT32_MAX);
    t.for_each([&](Table::Entry& e) {
      EXPECT_TRUE(e.close_deadline_us == 0 || e.close_deadline_us > now);
      EXPECT_LT(now - e.last_seen_us, 5000u);
    });
    const FlowTableStats& s = t.stats();
    EXPECT_GT(hits, 0u);
    EXPECT_GT(s.evicted, 0u);
    EXPECT_GT(s.expired_idle + s.expired_closed, 0u);
    EXPECT_EQ(s.evicted, ends[FlowEndReason::kEvicted]);
    EXPECT_EQ(s.expired_idle, ends[FlowEndReason::kIdle]);
    EXPECT_EQ(s.expired_closed, ends[FlowEndReason::kClosed]);
    EXPECT_EQ(s.inserted, t.size() + s.evicted + s.expired_idle + s.expired_closed);
    EXPECT_EQ(s.inserted + hits, 10u * cap);
    uint32_t visited = 0;
    uint64_t prev_seen = 0;
    t.for_each([&](Table::Entry& e) {
      ++visited;
      EXPECT_GE(e.last_seen_us, prev_seen);  // time only moves forward here, so cold->hot is sorted
      prev_seen = e.last_seen_us;
    });
    EXPECT_EQ(visited, t.size());
    const uint32_t before = t.size();
    t.clear();
    EXPECT_EQ(ends[FlowEndReason::kShutdown], before);
    EXPECT_TRUE(live.empty());
  }
}

}  // namespace
}  // namespace l7tap
