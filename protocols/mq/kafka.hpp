// Kafka wire protocol parser (https://kafka.apache.org/protocol): size-prefixed requests and
// responses over TCP. Requests carry api_key/api_version/correlation_id; responses carry only the
// correlation_id, so the parser remembers each pending request's key and version (per flow,
// bounded by ParserOptions::max_pending) to decode its response.
//
// Decoded in depth: Produce, Fetch (first topic/partition/offset, trace context from the first
// record's headers), JoinGroup/LeaveGroup/SyncGroup (group_id, error_code), ApiVersions
// (error_code). Every other API key is named and paired; its response gets code -2.
#pragma once

#include <cstdint>
#include <span>

#include "protocols/core/parser.hpp"

namespace l7tap {

extern const ProtocolDescriptor kKafkaDescriptor;

// Strict check of a flow's first bytes (exposed for tests). Kafka has no magic: the request header
// structure is checked (size, api key, api version, client id). Responses cannot be recognised
// without their request, so a flow seen response-first gets kNo.
ProbeVerdict kafka_probe(Dir dir, std::span<const uint8_t> data);

}  // namespace l7tap
