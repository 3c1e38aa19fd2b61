// Code tables of the RocketMQ remoting protocol (rocketmq_codes.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocols/core/record.hpp"

namespace l7tap::rocketmq {

// RequestCode name ("SEND_MESSAGE_V2"); empty for a code the tables do not know.
std::string_view request_code_name(int32_t code);
// ResponseCode name ("PULL_NOT_FOUND"); empty when unknown.
std::string_view response_code_name(int32_t code);
// What a response code means for response_status; kUnknown for codes the tables do not know.
ResponseStatus response_code_status(int32_t code);
// MQVersion name of a header `version` ("V4_9_4"); empty for a negative number.
std::string_view version_name(int32_t version);

// The request code table, for tests and the traffic generator.
std::size_t request_code_count();
int32_t request_code_at(std::size_t i);

}  // namespace l7tap::rocketmq
