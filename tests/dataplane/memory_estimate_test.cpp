// The start-up memory check's figures are the ones the structures really allocate: the flow table's
// formula before it exists equals what a built table reports, and the needs scale with workers.
#include "dataplane/app/memory_estimate.hpp"

#include <gtest/gtest.h>

#include "control/record_ring.hpp"
#include "dataplane/flow_processor.hpp"

namespace l7tap {
namespace {

TEST(MemoryEstimate, FlowTableFormulaMatchesABuiltTable) {
  for (uint32_t cap : {1u, 7u, 1000u, 65536u, 100001u}) {
    FlowProcessor::Table t(cap, FlowTimeouts{}, [](FlowProcessor::Table::Entry&, FlowEndReason) {});
    EXPECT_EQ(FlowProcessor::Table::memory_bytes_for(cap), t.memory_bytes()) << cap;
  }
}

TEST(MemoryEstimate, NeedsNameTheKeysAndScaleWithWorkers) {
  Config c = load_config_text("{ flows: { capacity: 100000000 }, records: { ring_size: 1GiB } }");
  const auto one = memory_needs(c, 1);
  ASSERT_EQ(one.size(), 2u);
  EXPECT_EQ(one[0].key, "flows.capacity");
  EXPECT_EQ(one[0].bytes, FlowProcessor::Table::memory_bytes_for(100000000));
  EXPECT_GT(one[0].bytes, 100000000ull * sizeof(FlowProcessor::Table::Entry));
  EXPECT_EQ(one[1].key, "records.ring_size");
  EXPECT_EQ(one[1].bytes, RecordRing::memory_bytes_for(1ull << 30));
  EXPECT_GT(one[1].bytes, 2ull << 30);  // the ring and the consumer's buffer
  const auto four = memory_needs(c, 4);
  EXPECT_EQ(four[0].bytes, 4 * one[0].bytes);
  EXPECT_EQ(four[1].bytes, 4 * one[1].bytes);
  EXPECT_NE(four[0].how.find("4 workers x 100000000 flows"), std::string::npos) << four[0].how;
  // 100 M flows on a machine with 8 GiB: refused, naming the key.
  EXPECT_THROW(check_memory(one, 8ull << 30, "test"), ConfigError);
}

}  // namespace
}  // namespace l7tap
