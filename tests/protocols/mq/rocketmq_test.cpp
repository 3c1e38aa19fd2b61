// RocketMQ parser tests (being written).
#include "protocols/mq/rocketmq.hpp"

#include <gtest/gtest.h>

namespace l7tap {
namespace {
TEST(RocketMqProbe, Placeholder) { EXPECT_EQ(rocketmq::probe(Dir::kToServer, {}), ProbeVerdict::kMaybe); }
}  // namespace
}  // namespace l7tap
