// Kafka protocol tables (API keys, error codes), kept apart from the parser so the parser reads
// as protocol logic.
#pragma once

#include <cstdint>
#include <string_view>

namespace l7tap {

struct KafkaApiInfo {
  std::string_view name;   // e.g. "Produce", "ApiVersions"
  int16_t max_version;     // newest api_version the protocol defines
  int16_t first_flexible;  // first api_version using the flexible encoding; -1: none
};

// The API with this key, or nullptr when the key is not defined.
const KafkaApiInfo* kafka_api(int api_key);

// Where the top-level error code of `api_key`'s response body (after the response header) is at
// `version`: its byte offset, or -1 when that version has none at a fixed place.
int kafka_top_error_offset(int api_key, int version);

// The protocol's English description of an error code; empty for 0 (NONE) and unknown codes.
std::string_view kafka_error_description(int error_code);

}  // namespace l7tap
