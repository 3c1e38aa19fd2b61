#include "protocols/mq/zmtp.hpp"

#include <gtest/gtest.h>

namespace l7tap {
namespace {
TEST(ZmtpProbe, Placeholder) { EXPECT_EQ(kZmtpDescriptor.name, "zmtp"); }
}  // namespace
}  // namespace l7tap
