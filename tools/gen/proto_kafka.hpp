// Kafka requests and responses, written from the Kafka protocol guide
// (https://kafka.apache.org/protocol) and the message definitions
// (clients/src/main/resources/common/message/*.json): size-prefixed messages, request header v1
// (api_key, api_version, correlation_id, client_id) or v2 (+ tagged fields) for flexible versions
// (KIP-482: compact strings/arrays, tagged fields), response header v0 or v1, and record batches
// v2 (magic 2, CRC-32C) with record headers.
//
// Versions written: ApiVersions 0-3, Metadata 1-9, Produce 3-9, Fetch 4-11. Each function appends
// one complete message (with its 4-byte size) to a Writer.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "tools/gen/writer.hpp"

namespace gen::kafka {

enum ApiKey : int16_t { kProduce = 0, kFetch = 1, kMetadata = 3, kApiVersions = 18 };

// Error codes used by the generator (protocol guide, "Error Codes").
namespace err {
inline constexpr int16_t kNone = 0, kOffsetOutOfRange = 1, kUnknownTopicOrPartition = 3, kNotLeaderOrFollower = 6,
                         kRequestTimedOut = 7, kMessageTooLarge = 10, kNotEnoughReplicas = 19,
                         kUnsupportedVersion = 35;
}

// Whether `version` of `api_key` uses the flexible encoding (request header v2).
bool flexible(int16_t api_key, int16_t version);

struct RecordHeader {
  std::string_view key{};
  std::span<const uint8_t> value{};
};
struct Record {
  bool null_key = true;
  std::span<const uint8_t> key{};
  std::span<const uint8_t> value{};
  std::span<const RecordHeader> headers{};
  int64_t timestamp_delta = 0;
};
struct RecordBatch {
  int64_t base_offset = 0;
  int32_t partition_leader_epoch = -1;
  int64_t base_timestamp = 0;  // ms since the epoch
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  std::span<const Record> records{};
};
// A record batch (magic 2) without a size prefix, as the `records` field carries it.
void record_batch(Writer& w, const RecordBatch& b);

struct ApiVersionRange {
  int16_t api_key = 0;
  int16_t min_version = 0;
  int16_t max_version = 0;
};
void api_versions_request(Writer& w, int16_t version, int32_t correlation_id, std::string_view client_id,
                          std::string_view software_name = "l7tap-gen", std::string_view software_version = "1.0");
// Response header v0 in every version (so a client can read the error of a version the broker
// does not support).
void api_versions_response(Writer& w, int16_t version, int32_t correlation_id, int16_t error_code,
                           std::span<const ApiVersionRange> apis);

struct MetadataRequest {
  int16_t version = 8;
  int32_t correlation_id = 0;
  std::string_view client_id{};
  std::span<const std::string_view> topics{};
  bool allow_auto_topic_creation = true;
};
void metadata_request(Writer& w, const MetadataRequest& r);

struct Broker {
  int32_t node_id = 0;
  std::string_view host{};
  int32_t port = 9092;
  std::string_view rack{};  // empty = null
};
struct MetadataResponse {
  int16_t version = 8;
  int32_t correlation_id = 0;
  std::span<const Broker> brokers{};
  std::string_view cluster_id{};
  int32_t controller_id = 0;
  std::span<const std::string_view> topics{};
  int32_t partitions = 1;  // per topic; partition i is led by brokers[i % brokers.size()]
  int16_t topic_error = 0;
};
void metadata_response(Writer& w, const MetadataResponse& r);

struct ProduceRequest {
  int16_t version = 7;
  int32_t correlation_id = 0;
  std::string_view client_id{};
  std::string_view transactional_id{};  // empty = null
  int16_t acks = -1;
  int32_t timeout_ms = 30000;
  std::string_view topic{};
  int32_t partition = 0;
  RecordBatch batch{};
};
void produce_request(Writer& w, const ProduceRequest& r);

struct ProduceResponse {
  int16_t version = 7;
  int32_t correlation_id = 0;
  std::string_view topic{};
  int32_t partition = 0;
  int16_t error_code = 0;
  int64_t base_offset = 0;
  int64_t log_append_time_ms = -1;
  int64_t log_start_offset = 0;
  std::string_view error_message{};  // v8+; empty = null
  int32_t throttle_time_ms = 0;
};
void produce_response(Writer& w, const ProduceResponse& r);

struct FetchRequest {
  int16_t version = 11;
  int32_t correlation_id = 0;
  std::string_view client_id{};
  int32_t max_wait_ms = 500;
  int32_t min_bytes = 1;
  int32_t max_bytes = 52428800;
  int8_t isolation_level = 0;
  int32_t session_id = 0;
  int32_t session_epoch = -1;
  std::string_view topic{};
  int32_t partition = 0;
  int32_t current_leader_epoch = -1;
  int64_t fetch_offset = 0;
  int64_t log_start_offset = -1;
  int32_t partition_max_bytes = 1048576;
  std::string_view rack_id{};
};
void fetch_request(Writer& w, const FetchRequest& r);

struct FetchResponse {
  int16_t version = 11;
  int32_t correlation_id = 0;
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;  // v7+: the whole request
  int32_t session_id = 0;
  std::string_view topic{};
  int32_t partition = 0;
  int16_t partition_error = 0;
  int64_t high_watermark = 0;
  int64_t last_stable_offset = 0;
  int64_t log_start_offset = 0;
  const RecordBatch* records = nullptr;  // null = no records (empty records field)
};
void fetch_response(Writer& w, const FetchResponse& r);

}  // namespace gen::kafka
