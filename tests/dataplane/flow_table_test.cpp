// FlowTable: lookup from both directions, the cuckoo index (colliding hashes, a full table of
// random keys), eviction of the least recently active flow when full, idle / no-payload / closing
// expiry on the timer wheel (never early, at most one tick late, budgeted), clock jumps, clear(),
// entry reuse, and a randomised run against a reference model.
#include "dataplane/flow_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
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
constexpr uint64_t kSeed = 42;

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
uint64_t hash_of(uint32_t id) { return flow_hash(key_of(id), kSeed); }
uint32_t id_of(const Table::Entry& e) { return e.key.port_lo | uint32_t{e.key.port_hi} << 16; }

FlowTimeouts timeouts(uint64_t idle, uint64_t no_payload, uint64_t close = 1'000'000) {
  return FlowTimeouts{idle, no_payload, close};
}

struct EndLog {
  std::vector<std::pair<uint32_t, FlowEndReason>> ended;
  Table::EndFn fn() {
    return [this](Table::Entry& e, FlowEndReason r) {
      EXPECT_TRUE(e.used);  // called before the entry is freed
      ended.emplace_back(id_of(e), r);
    };
  }
  std::vector<uint32_t> ids(FlowEndReason r) const {
    std::vector<uint32_t> v;
    for (const auto& [id, why] : ended)
      if (why == r) v.push_back(id);
    return v;
  }
};

uint32_t insert(Table& t, uint32_t id, uint64_t now) {
  const uint32_t i = t.insert(key_of(id), hash_of(id), now);
  EXPECT_NE(i, Table::kNil) << "id " << id;
  return i;
}

TEST(FlowTable, BothDirectionsFindTheSameEntry) {
  EndLog log;
  Table t(16, timeouts(1'000'000, 1'000'000), log.fn());
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
  Table::Entry* e1 = t.find_or_insert(k1, flow_hash(k1, kSeed), 10, created);
  ASSERT_NE(e1, nullptr);
  EXPECT_TRUE(created);
  e1->value.payload = 7;
  Table::Entry* e2 = t.find_or_insert(k2, flow_hash(k2, kSeed), 20, created);
  EXPECT_FALSE(created);
  EXPECT_EQ(e1, e2);
  EXPECT_EQ(e2->value.payload, 7);
  EXPECT_EQ(e2->last_seen_us, 20u);
  EXPECT_EQ(t.find(k1, flow_hash(k1, kSeed)), e1);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.stats().inserted, 1u);

  // A different VLAN is a different flow.
  a2b.has_vlan = true;
  a2b.vlan = 100;
  const FlowKey k3 = make_flow_key(a2b, sw1);
  EXPECT_EQ(t.find(k3, flow_hash(k3, kSeed)), nullptr);
}

// Keys with one and the same hash share two buckets of 8 slots: 16 fit, the 17th is refused
// (counted), and the keys stay apart by their full comparison. With the seeded hash nobody
// outside can make keys collide like this.
TEST(FlowTable, CollidingHashesStayApart) {
  EndLog log;
  Table t(64, timeouts(1'000'000, 1'000'000), log.fn());
  constexpr uint64_t kSame = 0x123456789abcdefULL;
  std::vector<uint32_t> idx;
  for (uint32_t id = 1; id <= 16; ++id) {
    idx.push_back(t.insert(key_of(id), kSame, 0));
    ASSERT_NE(idx.back(), Table::kNil) << id;
    t.entry(idx.back()).value.payload = static_cast<int>(id);
  }
  EXPECT_EQ(t.insert(key_of(17), kSame, 0), Table::kNil);
  EXPECT_EQ(t.stats().insert_failures, 1u);
  for (uint32_t id = 1; id <= 16; ++id) EXPECT_EQ(t.lookup(key_of(id), kSame), idx[id - 1]);
  EXPECT_EQ(t.lookup(key_of(17), kSame), Table::kNil);
  // Ending one frees its slot: another colliding key fits again.
  t.mark_closing(idx[4], 1);
  EXPECT_EQ(t.expire(1'000'000, 100), 1u);
  EXPECT_EQ(t.lookup(key_of(5), kSame), Table::kNil);
  EXPECT_EQ(t.lookup(key_of(6), kSame), idx[5]);
  EXPECT_NE(t.insert(key_of(17), kSame, 0), Table::kNil);
}

// A table filled to capacity with random keys: the index (two 8-way buckets per key, at most half
// full) places every one of them.
TEST(FlowTable, FullTableOfRandomKeys) {
  constexpr uint32_t kCap = 200'000;
  Table t(kCap, timeouts(60'000'000, 10'000'000), nullptr);
  std::mt19937_64 rng(7);
  std::vector<std::pair<FlowKey, uint64_t>> keys;
  for (uint32_t i = 0; i < kCap; ++i) {
    FlowKey k;
    for (auto& b : k.ip_lo) b = static_cast<uint8_t>(rng());
    for (auto& b : k.ip_hi) b = static_cast<uint8_t>(rng());
    k.port_lo = static_cast<uint16_t>(rng());
    k.port_hi = static_cast<uint16_t>(rng());
    k.l4_proto = 6;
    const uint64_t h = flow_hash(k, kSeed);
    if (t.lookup(k, h) != Table::kNil) continue;
    ASSERT_NE(t.insert(k, h, 1), Table::kNil) << i;
    keys.emplace_back(k, h);
  }
  EXPECT_EQ(t.size(), keys.size());
  EXPECT_EQ(t.stats().insert_failures, 0u);
  EXPECT_EQ(t.stats().evicted, 0u);
  for (const auto& [k, h] : keys) ASSERT_NE(t.lookup(k, h), Table::kNil);
  // The index adds at most 32 bytes per entry (two 8-byte slots per entry, the bucket count rounded
  // up to a power of two), the timer records 12.
  EXPECT_LE(t.memory_bytes(), uint64_t{kCap} * (sizeof(Table::Entry) + 32 + 12) + 4096 * 4);
}

TEST(FlowTable, EvictsTheLeastRecentlyActiveWhenFull) {
  EndLog log;
  Table t(4, timeouts(60'000'000, 60'000'000), log.fn());
  for (uint32_t id = 1; id <= 4; ++id) insert(t, id, id);
  t.touch(t.lookup(key_of(1), hash_of(1)), 5);  // 1 is active again: 2 is now the coldest
  insert(t, 5, 6);
  EXPECT_EQ(log.ids(FlowEndReason::kEvicted), std::vector<uint32_t>{2});
  EXPECT_EQ(t.stats().evicted, 1u);
  EXPECT_EQ(t.size(), 4u);
  EXPECT_NE(t.lookup(key_of(1), hash_of(1)), Table::kNil);
  EXPECT_EQ(t.lookup(key_of(2), hash_of(2)), Table::kNil);
  insert(t, 6, 7);
  EXPECT_EQ(log.ids(FlowEndReason::kEvicted), (std::vector<uint32_t>{2, 3}));
}

// Evictions find the earliest flows through the wheel's occupancy bits: with a 60 s idle timeout
// on 65 ms ticks the flows sit ~915 slots past the cursor, here across the end of the slot array
// (the cursor starts 6 slots before it), and a flow touched since it was scheduled is moved, not
// evicted.
TEST(FlowTable, EvictionFindsTheEarliestFlowsAcrossTheWheel) {
  EndLog log;
  Table t(3, timeouts(60'000'000, 60'000'000, 2'000'000), log.fn());
  const uint64_t tick = t.tick_us();
  ASSERT_EQ(tick, 65'536u);
  const uint64_t t0 = tick * (4096 * 10 + 4090);
  insert(t, 1, t0);
  insert(t, 2, t0 + 5 * tick);
  insert(t, 3, t0 + 10 * tick);
  insert(t, 4, t0 + 11 * tick);
  EXPECT_EQ(log.ids(FlowEndReason::kEvicted), std::vector<uint32_t>{1});
  t.touch(t.lookup(key_of(2), hash_of(2)), t0 + 12 * tick);  // 2 is due after 3 and 4 now
  insert(t, 5, t0 + 13 * tick);
  EXPECT_EQ(log.ids(FlowEndReason::kEvicted), (std::vector<uint32_t>{1, 3}));
  insert(t, 6, t0 + 14 * tick);
  EXPECT_EQ(log.ids(FlowEndReason::kEvicted), (std::vector<uint32_t>{1, 3, 4}));
  // What is left still expires on time after the wrap: 2, 5 and 6, in that order.
  t.expire(t0 + 12 * tick + 60'000'000 + tick, 100);
  EXPECT_EQ(log.ids(FlowEndReason::kIdle), std::vector<uint32_t>{2});
  t.expire(t0 + 14 * tick + 60'000'000 + tick, 100);
  EXPECT_EQ(log.ids(FlowEndReason::kIdle), (std::vector<uint32_t>{2, 5, 6}));
  EXPECT_EQ(t.size(), 0u);
  // An empty table evicts nothing and finds nothing: the bits were all cleared.
  insert(t, 7, t0 + 15 * tick + 60'000'000 + tick);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.stats().evicted, 3u);
}

TEST(FlowTable, ZeroCapacity) {
  EndLog log;
  Table t(0, timeouts(1'000'000, 1'000'000), log.fn());
  EXPECT_EQ(t.insert(key_of(1), hash_of(1), 0), Table::kNil);
  EXPECT_EQ(t.stats().insert_failures, 1u);
  EXPECT_EQ(t.lookup(key_of(1), hash_of(1)), Table::kNil);
  EXPECT_EQ(t.expire(1'000'000'000, 10), 0u);
  t.clear();
  EXPECT_TRUE(log.ended.empty());
}

// Flows that carried payload get the idle timeout; flows that never did (SYN scans, half-open
// connections) the shorter no-payload timeout. Nothing ends early; nothing more than a tick late.
TEST(FlowTable, IdleAndNoPayloadTimeouts) {
  EndLog log;
  const uint64_t idle = 8'000'000, no_payload = 1'000'000;
  Table t(16, timeouts(idle, no_payload), log.fn());
  const uint64_t tick = t.tick_us();
  EXPECT_LE(tick, no_payload / 8);
  insert(t, 1, 0);                          // a SYN and nothing more
  t.set_active(insert(t, 2, 0));            // carried payload
  const uint32_t i3 = insert(t, 3, 0);      // payload later, and active until 5 s
  t.set_active(i3);
  t.touch(i3, 5'000'000);
  t.expire(no_payload - 1, 100);
  EXPECT_TRUE(log.ended.empty());
  t.expire(no_payload + tick, 100);
  EXPECT_EQ(log.ids(FlowEndReason::kIdle), std::vector<uint32_t>{1});
  t.expire(idle - 1, 100);
  EXPECT_EQ(log.ended.size(), 1u);
  t.expire(idle + tick, 100);
  EXPECT_EQ(log.ids(FlowEndReason::kIdle), (std::vector<uint32_t>{1, 2}));
  t.expire(5'000'000 + idle + tick, 100);
  EXPECT_EQ(log.ids(FlowEndReason::kIdle), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.stats().expired_idle, 3u);
}

TEST(FlowTable, ExpiryIsBudgeted) {
  EndLog log;
  Table t(64, timeouts(1'000'000, 1'000'000), log.fn());
  for (uint32_t id = 1; id <= 10; ++id) insert(t, id, 100);
  EXPECT_EQ(t.expire(5'000'000, 3), 3u);
  EXPECT_EQ(t.size(), 7u);
  EXPECT_EQ(t.expire(5'000'000, 100), 7u);
  EXPECT_EQ(t.size(), 0u);
}

TEST(FlowTable, ClosingDeadline) {
  EndLog log;
  Table t(16, timeouts(60'000'000, 60'000'000, 1'000'000), log.fn());
  const uint64_t tick = t.tick_us();
  const uint32_t a = insert(t, 1, 0), b = insert(t, 2, 0);
  insert(t, 3, 0);
  t.mark_closing(a, 2'000'000);
  t.mark_closing(b, 3'000'000);
  t.mark_closing(b, 1'000'000);  // an earlier deadline wins
  t.mark_closing(b, 9'000'000);  // a later one does not
  t.expire(999'999, 100);
  EXPECT_TRUE(log.ended.empty());
  t.expire(1'000'000 + tick, 100);
  EXPECT_EQ(log.ids(FlowEndReason::kClosed), std::vector<uint32_t>{2});
  t.expire(2'000'000 + tick, 100);
  EXPECT_EQ(log.ids(FlowEndReason::kClosed), (std::vector<uint32_t>{2, 1}));
  EXPECT_EQ(t.size(), 1u);  // 3 is still open
  EXPECT_EQ(t.stats().expired_closed, 2u);
  // A closing flow that goes idle first ends as idle (the idle timeout is shorter here).
  Table u(16, timeouts(500'000, 500'000, 100'000), log.fn());
  u.mark_closing(insert(u, 4, 0), 10'000'000);
  u.expire(600'000 + u.tick_us(), 100);
  EXPECT_EQ(log.ids(FlowEndReason::kIdle), std::vector<uint32_t>{4});
}

TEST(FlowTable, EvictedClosingFlowLeavesTheWheel) {
  EndLog log;
  Table t(2, timeouts(60'000'000, 60'000'000), log.fn());
  const uint32_t a = insert(t, 1, 1);
  insert(t, 2, 2);
  t.mark_closing(a, 100);  // due first: the eviction victim
  insert(t, 3, 3);
  EXPECT_EQ(log.ids(FlowEndReason::kEvicted), std::vector<uint32_t>{1});
  t.expire(10'000'000, 100);  // the wheel no longer holds it: nothing ends twice
  EXPECT_EQ(log.ended.size(), 1u);
  EXPECT_EQ(t.size(), 2u);
}

TEST(FlowTable, ClearEndsEverything) {
  EndLog log;
  Table t(16, timeouts(1'000'000, 1'000'000), log.fn());
  for (uint32_t id = 1; id <= 5; ++id) insert(t, id, id * 1000);
  t.clear();
  std::vector<uint32_t> ids = log.ids(FlowEndReason::kShutdown);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<uint32_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(t.size(), 0u);
  for (uint32_t id = 1; id <= 5; ++id) EXPECT_EQ(t.lookup(key_of(id), hash_of(id)), Table::kNil);
}

TEST(FlowTable, ReuseAfterExpiryResetsTheValue) {
  EndLog log;
  Table t(1, timeouts(1'000, 1'000), log.fn());
  const uint32_t a = insert(t, 1, 0);
  t.entry(a).value.payload = 5;
  t.expire(1'000'000, 10);
  const uint32_t b = insert(t, 2, 1'000'000);
  EXPECT_EQ(a, b);  // the one entry is reused
  EXPECT_EQ(t.entry(b).value.payload, 0);
  EXPECT_GE(t.entry(b).value.resets, 2);
}

TEST(FlowTable, HugeTimeoutsNeverOverflow) {
  EndLog log;
  Table t(4, timeouts(UINT64_MAX, UINT64_MAX, UINT64_MAX), log.fn());
  insert(t, 1, UINT64_MAX - 10);
  t.expire(UINT64_MAX, 10);
  EXPECT_TRUE(log.ended.empty());
}

// Replays jump in time (a capture with quiet hours, or one bad timestamp): the wheel catches up
// without walking every tick forever, and ends what is due.
TEST(FlowTable, ClockJumps) {
  EndLog log;
  Table t(64, timeouts(1'000'000, 1'000'000), log.fn());
  for (uint32_t id = 1; id <= 8; ++id) insert(t, id, 1'000);
  const uint64_t far = 1'000'000'000'000ull;  // 11 days later
  t.expire(far, 100);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(log.ended.size(), 8u);
  // A flow created after the jump, then time goes on normally.
  insert(t, 20, far + 5);
  t.expire(far + 500'000, 100);
  EXPECT_EQ(t.size(), 1u);
  t.expire(far + 2'000'000, 100);
  EXPECT_EQ(t.size(), 0u);
  // Timestamps going backwards end nothing.
  insert(t, 21, far);
  t.expire(10, 100);
  EXPECT_EQ(t.size(), 1u);
}

// Random inserts, touches, payload marks, closings and expiries against a reference model: a
// flow ends exactly when the model says it is due (never before its due time, and by one tick
// after it), lookups agree, and eviction only happens when full.
TEST(FlowTable, StressAgainstModel) {
  struct Model {
    uint64_t last = 0, close = 0;
    bool active = false;
  };
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    std::mt19937 rng(seed);
    const uint64_t idle = 40'000, no_payload = 10'000;
    std::map<uint32_t, Model> model;
    std::vector<std::pair<uint32_t, FlowEndReason>> ended;
    Table t(32, timeouts(idle, no_payload, 5'000), [&](Table::Entry& e, FlowEndReason r) {
      ended.emplace_back(id_of(e), r);
    });
    const uint64_t tick = t.tick_us();
    auto due = [&](const Model& m) {
      uint64_t d = m.last + (m.active ? idle : no_payload);
      if (m.close != 0) d = std::min(d, m.close);
      return d;
    };
    uint64_t now = 1'000;
    for (int step = 0; step < 20000; ++step) {
      now += rng() % 50;
      const uint32_t id = 1 + rng() % 60;
      const uint32_t op = rng() % 10;
      const uint32_t i = t.lookup(key_of(id), hash_of(id));
      ASSERT_EQ(i != Table::kNil, model.count(id) == 1) << "step " << step << " id " << id;
      if (op < 6) {
        if (i == Table::kNil) {
          const bool full = model.size() == 32;
          ended.clear();
          ASSERT_NE(t.insert(key_of(id), hash_of(id), now), Table::kNil);
          if (full) {
            ASSERT_EQ(ended.size(), 1u);
            ASSERT_EQ(ended[0].second, FlowEndReason::kEvicted);
            model.erase(ended[0].first);
          } else {
            ASSERT_TRUE(ended.empty());
          }
          model[id] = Model{now, 0, false};
        } else {
          t.touch(i, now);
          model[id].last = now;
        }
      } else if (op < 8 && i != Table::kNil) {
        t.set_active(i);
        model[id].active = true;
      } else if (op == 8 && i != Table::kNil) {
        t.mark_closing(i, now + 5'000);
        Model& m = model[id];
        if (m.close == 0 || m.close > now + 5'000) m.close = now + 5'000;
      } else {
        ended.clear();
        t.expire(now, 1000);
        for (const auto& [eid, why] : ended) {
          ASSERT_EQ(model.count(eid), 1u);
          ASSERT_LE(due(model[eid]), now) << "ended early";
          model.erase(eid);
        }
        for (const auto& [mid, m] : model) ASSERT_GT(due(m) + tick, now) << "not ended one tick after its due time";
      }
      ASSERT_EQ(t.size(), model.size());
    }
  }
}

}  // namespace
}  // namespace l7tap

namespace l7tap {
namespace {

// Entries are built when a flow first needs one, and destroyed with the table: start-up does not
// build the whole capacity, and freed entries are reused before new ones are built.
struct Counted {
  static inline int built = 0, destroyed = 0;
  Counted() { ++built; }
  ~Counted() { ++destroyed; }
  void reset() {}
};

TEST(FlowTableLazy, EntriesAreBuiltOnFirstUseAndReusedFirst) {
  Counted::built = Counted::destroyed = 0;
  {
    FlowTable<Counted> t(100'000, timeouts(1'000'000, 1'000'000), nullptr);
    EXPECT_EQ(Counted::built, 0);
    uint32_t idx[3];
    for (uint32_t i = 0; i < 3; ++i) idx[i] = t.insert(key_of(i), hash_of(i), 1);
    EXPECT_EQ(Counted::built, 3);
    EXPECT_EQ(idx[0], 0u);
    EXPECT_EQ(idx[2], 2u);
    t.expire(10'000'000, 10);  // all three end
    EXPECT_EQ(t.size(), 0u);
    const uint32_t again = t.insert(key_of(7), hash_of(7), 20'000'000);
    EXPECT_TRUE(again == idx[0] || again == idx[1] || again == idx[2]) << again;  // a freed one, not a new one
    EXPECT_EQ(Counted::built, 3);
    EXPECT_NE(t.find(key_of(7), hash_of(7)), nullptr);
  }
  EXPECT_EQ(Counted::destroyed, 3);
}

TEST(FlowTableLazy, FullOnlyWhenEveryEntryIsBuiltAndUsed) {
  Counted::built = 0;
  FlowTable<Counted> t(4, timeouts(1'000'000, 1'000'000), nullptr);
  for (uint32_t i = 0; i < 4; ++i) ASSERT_NE(t.insert(key_of(i), hash_of(i), 1 + i), Table::kNil);
  EXPECT_EQ(t.stats().evicted, 0u);
  EXPECT_NE(t.insert(key_of(9), hash_of(9), 10), Table::kNil);  // evicts the oldest
  EXPECT_EQ(t.stats().evicted, 1u);
  EXPECT_EQ(Counted::built, 4);
  EXPECT_EQ(t.find(key_of(0), hash_of(0)), nullptr);
}

}  // namespace
}  // namespace l7tap
