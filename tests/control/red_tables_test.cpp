// The RED aggregation's own tables: interned strings, the series hash table (many series, keys
// that differ in one field, growth, the histogram semantics), the bounded label cache (capacity,
// least-recently-used replacement within a set, keys too long to cache).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <tuple>
#include <string>
#include <vector>

#include "control/label_cache.hpp"
#include "control/series_table.hpp"
#include "control/string_table.hpp"

namespace l7tap {
namespace {

// ---- hashing and StringTable ------------------------------------------------------------------

TEST(HashBytes, EveryByteAndTheLengthCount) {
  std::set<uint64_t> seen;
  std::string s;
  // Lengths 0..40 (whole words and every tail size), each byte position flipped once.
  for (std::size_t n = 0; n <= 40; ++n) {
    s.assign(n, 'a');
    EXPECT_TRUE(seen.insert(hash_string(s)).second) << n;
    for (std::size_t i = 0; i < n; ++i) {
      std::string t = s;
      t[i] = 'b';
      EXPECT_TRUE(seen.insert(hash_string(t)).second) << n << " " << i;
    }
  }
  // A trailing NUL is not the same string.
  EXPECT_NE(hash_string(std::string_view("a", 1)), hash_string(std::string_view("a\0", 2)));
}

TEST(StringTable, IdsAreDenseStableAndFound) {
  StringTable t;
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.find("x"), StringTable::kNone);
  constexpr uint32_t kN = 100000;  // the index doubles many times on the way
  for (uint32_t i = 0; i < kN; ++i) ASSERT_EQ(t.add("endpoint/" + std::to_string(i)), i);
  EXPECT_EQ(t.size(), kN);
  for (uint32_t i = 0; i < kN; ++i) {
    const std::string s = "endpoint/" + std::to_string(i);
    ASSERT_EQ(t.find(s), i);
    ASSERT_EQ(t.add(s), i);  // adding again changes nothing
    ASSERT_EQ(t[i], s);
  }
  EXPECT_EQ(t.size(), kN);
  EXPECT_EQ(t.find("endpoint/"), StringTable::kNone);
  EXPECT_EQ(t.find("endpoint/100000"), StringTable::kNone);
}

TEST(StringTable, EmptyAndBinaryStrings) {
  StringTable t;
  const uint32_t empty = t.add("");
  const uint32_t nul = t.add(std::string_view("\0", 1));
  const uint32_t nul2 = t.add(std::string_view("\0\0", 2));
  EXPECT_NE(empty, nul);
  EXPECT_NE(nul, nul2);
  EXPECT_EQ(t.find(""), empty);
  EXPECT_EQ(t.find(std::string_view("\0\0", 2)), nul2);
  EXPECT_EQ(t[nul].size(), 1u);
}

// ---- SeriesTable --------------------------------------------------------------------------------

TEST(SeriesTable, ManySeriesDifferingInOneFieldEach) {
  SeriesTable t({0.01});
  std::vector<SeriesKey> keys;
  // Sequential ids in every position: the patterns a weak hash would pile up.
  for (uint32_t i = 0; i < 40000; ++i) {
    SeriesKey k;
    switch (i % 5) {
      case 0: k.server = i; break;
      case 1: k.client = i; break;
      case 2: k.endpoint = i; break;
      case 3: k.request_type = i; break;
      default:
        k.protocol = static_cast<uint16_t>(i);  // i < 65536
        k.server = 1;
        break;
    }
    keys.push_back(k);
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    ASSERT_EQ(t.find(keys[i]), SeriesTable::kNone);
    ASSERT_EQ(t.add(keys[i]), i);
  }
  std::set<uint32_t> indices;
  for (const SeriesKey& k : keys) {
    const uint32_t i = t.find(k);
    ASSERT_NE(i, SeriesTable::kNone);
    ASSERT_EQ(t.keys()[i], k);
    indices.insert(i);
  }
  EXPECT_EQ(indices.size(), t.size());
  EXPECT_EQ(t.counts().size(), t.size());
  EXPECT_EQ(t.buckets().size(), t.size() * t.bucket_count());
  SeriesKey absent;
  absent.server = absent.client = absent.endpoint = absent.request_type = 7;
  EXPECT_EQ(t.find(absent), SeriesTable::kNone);
}

TEST(SeriesTable, RandomKeysAgainstASet) {
  SeriesTable t({1.0});
  std::mt19937 rng(99);
  std::set<std::tuple<uint32_t, uint32_t, uint32_t, uint32_t, uint16_t>> model;
  for (int i = 0; i < 50000; ++i) {
    SeriesKey k;
    k.server = rng() % 50;
    k.client = rng() % 3;
    k.endpoint = rng() % 200;
    k.request_type = rng() % 5;
    k.protocol = static_cast<uint16_t>(rng() % 4);
    const bool fresh = model.insert({k.server, k.client, k.endpoint, k.request_type, k.protocol}).second;
    ASSERT_EQ(t.find(k) == SeriesTable::kNone, fresh);
    if (fresh) t.add(k);
  }
  EXPECT_EQ(t.size(), model.size());
}

FlowRecord counted(RecordType type, bool rrt, uint64_t rrt_us, ResponseStatus status) {
  FlowRecord r;
  r.type = type;
  r.has_rrt = rrt;
  r.rrt_us = rrt_us;
  r.l7.response_status = status;
  return r;
}

TEST(SeriesTable, CountsTheRedSemantics) {
  SeriesTable t({0.001, 0.01});
  const uint32_t i = t.add(SeriesKey{});
  t.count(i, counted(RecordType::kSession, true, 1000, ResponseStatus::kOk));        // le 0.001 (inclusive)
  t.count(i, counted(RecordType::kSession, false, 0, ResponseStatus::kUnset));       // one-way: no response
  t.count(i, counted(RecordType::kRequest, false, 0, ResponseStatus::kTimeout));     // unanswered
  t.count(i, counted(RecordType::kResponse, true, 1001, ResponseStatus::kServerError));  // lone response
  t.count(i, counted(RecordType::kSession, true, 20000, ResponseStatus::kClientError));  // +Inf
  FlowRecord bytes = counted(RecordType::kSession, false, 0, ResponseStatus::kOk);
  bytes.l7.set_request_length(100);
  bytes.l7.set_response_length(7);
  t.count(i, bytes);
  const SeriesCounts& c = t.counts()[i];
  EXPECT_EQ(c.requests, 5u);
  EXPECT_EQ(c.responses, 3u);
  EXPECT_EQ(c.client_errors, 1u);
  EXPECT_EQ(c.server_errors, 1u);
  EXPECT_EQ(c.timeouts, 1u);
  EXPECT_EQ(c.request_bytes, 100u);
  EXPECT_EQ(c.response_bytes, 7u);
  EXPECT_EQ(t.buckets()[0], 1u);
  EXPECT_EQ(t.buckets()[1], 1u);
  EXPECT_EQ(t.buckets()[2], 1u);
  EXPECT_DOUBLE_EQ(c.duration_sum, 0.001 + 0.001001 + 0.02);
}

// ---- LabelCache ---------------------------------------------------------------------------------

LabelCache::Entry& fill(LabelCache& c, const std::string& key) {
  LabelCache::Entry& e = c.insert(key, hash_string(key));
  e.text = "label:" + key;
  return e;
}

TEST(LabelCache, StaysWithinItsCapacityAndCounts) {
  LabelCache c(100);  // rounded up to 128
  EXPECT_EQ(c.capacity(), 128u);
  constexpr int kKeys = 5000;
  for (int i = 0; i < kKeys; ++i) {
    const std::string k = "e" + std::to_string(i);
    ASSERT_EQ(c.find(k, hash_string(k)), nullptr);
    fill(c, k);
    ASSERT_LE(c.size(), c.capacity());
  }
  EXPECT_EQ(c.misses(), static_cast<uint64_t>(kKeys));
  EXPECT_EQ(c.size() + c.evictions(), static_cast<uint64_t>(kKeys));
  EXPECT_GT(c.size(), c.capacity() * 3 / 4);  // sets fill up evenly
  // What is still cached is found with its label.
  int found = 0;
  for (int i = 0; i < kKeys; ++i) {
    const std::string k = "e" + std::to_string(i);
    if (const LabelCache::Entry* e = c.find(k, hash_string(k))) {
      EXPECT_EQ(e->text, "label:" + k);
      ++found;
    }
  }
  EXPECT_EQ(static_cast<std::size_t>(found), c.size());
  EXPECT_EQ(c.hits(), static_cast<uint64_t>(found));
  c.clear();
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.find("e4999", hash_string("e4999")), nullptr);
}

TEST(LabelCache, ReplacesTheLeastRecentlyUsedEntryOfASet) {
  LabelCache c(64);
  // Keys that land in the same set as "k0".
  const std::size_t set_of = hash_string("k0") & (c.capacity() - 1) & ~(LabelCache::kWays - 1);
  std::vector<std::string> same;
  for (int i = 0; same.size() < LabelCache::kWays + 1; ++i) {
    const std::string k = "k" + std::to_string(i);
    if ((hash_string(k) & (c.capacity() - 1) & ~(LabelCache::kWays - 1)) == set_of) same.push_back(k);
  }
  for (std::size_t i = 0; i < LabelCache::kWays; ++i) fill(c, same[i]);
  ASSERT_NE(c.find(same[0], hash_string(same[0])), nullptr);  // now the most recent
  fill(c, same[LabelCache::kWays]);                            // evicts same[1], the oldest
  EXPECT_EQ(c.evictions(), 1u);
  EXPECT_EQ(c.find(same[1], hash_string(same[1])), nullptr);
  for (std::size_t i : {std::size_t{0}, std::size_t{2}, std::size_t{3}, LabelCache::kWays})
    EXPECT_NE(c.find(same[i], hash_string(same[i])), nullptr) << i;
}

TEST(LabelCache, KeysLongerThanTheSlotAreNotCached) {
  LabelCache c(16);
  const std::string long_key(LabelCache::kMaxKey + 1, 'x');
  LabelCache::Entry& e = fill(c, long_key);
  EXPECT_EQ(e.text, "label:" + long_key);  // usable for this lookup
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.find(long_key, hash_string(long_key)), nullptr);
  const std::string max_key(LabelCache::kMaxKey, 'y');
  fill(c, max_key);
  EXPECT_NE(c.find(max_key, hash_string(max_key)), nullptr);
}

TEST(LabelCache, EntriesStartUninterned) {
  LabelCache c(16);
  LabelCache::Entry& e = fill(c, "a");
  EXPECT_EQ(e.id, LabelCache::kNone);
  e.id = 3;
  e.checked = 9;
  fill(c, "b");
  for (int i = 0; i < 100; ++i) fill(c, "x" + std::to_string(i));  // about 25 per set: "a" goes
  ASSERT_EQ(c.find("a", hash_string("a")), nullptr);
  LabelCache::Entry& again = fill(c, "a");
  EXPECT_EQ(again.id, LabelCache::kNone);
  EXPECT_EQ(again.checked, 0u);
}

}  // namespace
}  // namespace l7tap
