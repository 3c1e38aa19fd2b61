// The live workers' record sink: drops (counted) while capturing, waits for the control thread at
// shutdown so the final flush of every open session is whole, and gives up at its deadline.
#include "dataplane/ring_sink.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace l7tap {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr uint16_t kRecords = 5000;  // ~100 bytes each on the wire: far more than a 64 KiB ring holds

FlowRecord numbered(uint16_t i) {
  FlowRecord r;
  r.net.client_port = i;
  r.net.server_port = 1883;
  return r;
}

void push_all(DroppingRingSink& sink) {
  for (uint16_t i = 0; i < kRecords; ++i) {
    FlowRecord r = numbered(i);
    sink.on_record(r);
  }
  sink.flush();
}

std::vector<uint16_t> pop_all(RecordRing& ring) {
  std::vector<uint16_t> got;
  FlowRecord r;
  while (ring.pop(r)) got.push_back(r.net.client_port);
  return got;
}

TEST(DroppingRingSink, LiveCaptureDropsAndCountsWhenTheRingIsFull) {
  RecordRing ring(64 << 10);
  Counter drops;
  DroppingRingSink sink(ring, drops);
  push_all(sink);
  const std::vector<uint16_t> got = pop_all(ring);
  EXPECT_GT(drops.get(), 0u);
  EXPECT_LT(got.size(), kRecords);
  // What was not delivered is counted (the rest is still staged, published by a later flush).
  EXPECT_EQ(got.size() + drops.get() + ring.staged(), kRecords);
}

// The shutdown flush: the consumer only starts after a while, every record still arrives, in order.
TEST(DroppingRingSink, FinalFlushWaitsForTheConsumerInsteadOfDropping) {
  RecordRing ring(64 << 10);
  Counter drops;
  DroppingRingSink sink(ring, drops);
  std::atomic<bool> done{false};
  std::vector<uint16_t> got;
  std::thread consumer([&] {
    std::this_thread::sleep_for(milliseconds(100));  // the ring is full long before this
    FlowRecord r;
    while (!done.load() || !ring.empty())
      if (ring.pop(r)) got.push_back(r.net.client_port);
  });
  sink.wait_for_room_until(steady_clock::now() + std::chrono::seconds(60));
  push_all(sink);
  done.store(true);
  consumer.join();
  EXPECT_EQ(drops.get(), 0u);
  ASSERT_EQ(got.size(), kRecords);
  for (uint16_t i = 0; i < kRecords; ++i) ASSERT_EQ(got[i], i);
}

// A stalled control thread cannot hold the exit: past the deadline records are dropped, and every
// record is either delivered or counted.
TEST(DroppingRingSink, FinalFlushGivesUpAtTheDeadlineAndCountsTheRest) {
  RecordRing ring(64 << 10);
  Counter drops;
  DroppingRingSink sink(ring, drops);
  const auto start = steady_clock::now();
  sink.wait_for_room_until(start + milliseconds(50));
  push_all(sink);
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(30));  // bounded (generously: slow CI)
  const std::vector<uint16_t> got = pop_all(ring);
  EXPECT_GT(drops.get(), 0u);
  EXPECT_EQ(got.size() + drops.get(), kRecords);
}

}  // namespace
}  // namespace l7tap
