// The l7_flow_log record as it travels from a worker to the control thread: fixed size, no
// pointers, so it can be copied into a lock-free ring without allocation.
// Field meanings: ../shared/spec/l7-flow-log-schema.md.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "protocols/core/fixed_string.hpp"

namespace l7tap {

enum class ProtocolId : uint8_t {
  kUnknown = 0,
  kKafka,
  kMqtt,
  kAmqp,
  kOpenwire,
  kNats,
  kPulsar,
  kZmtp,
  kRocketmq,
  kDubbo,
  kGrpc,
  kSofarpc,
  kFastcgi,
  kBrpc,
  kTars,
  kHttp1,
  kHttp2,
  kCount
};

// Name as written in the flow log's `protocol` field and in metric labels.
std::string_view protocol_name(ProtocolId p);

enum class RecordType : uint8_t { kSession, kRequest, kResponse };
std::string_view record_type_name(RecordType t);

enum class ResponseStatus : uint8_t { kUnset, kOk, kClientError, kServerError, kTimeout, kUnknown };
std::string_view response_status_name(ResponseStatus s);

// Caps on string fields (bytes). Longer values are truncated, never rejected.
struct FieldCaps {
  static constexpr std::size_t kVersion = 16;
  static constexpr std::size_t kRequestType = 48;
  static constexpr std::size_t kDomain = 128;
  static constexpr std::size_t kResource = 256;
  static constexpr std::size_t kEndpoint = 128;
  static constexpr std::size_t kRequestId = 64;
  static constexpr std::size_t kException = 256;
  static constexpr std::size_t kResult = 256;
  static constexpr std::size_t kTraceId = 128;
  static constexpr std::size_t kSpanId = 128;
  static constexpr std::size_t kXRequestId = 128;
  static constexpr std::size_t kProxyClient = 64;
  static constexpr std::size_t kAttrKey = 32;
  static constexpr std::size_t kAttrValue = 128;
  static constexpr std::size_t kAttrCount = 4;
};

struct Attribute {
  FixedString<FieldCaps::kAttrKey> key;
  FixedString<FieldCaps::kAttrValue> value;
};

// The L7 part of a record: what parsers fill in. A field left empty (or with its has_ flag
// false) is omitted from the flow log.
struct L7Fields {
  FixedString<FieldCaps::kVersion> version;
  FixedString<FieldCaps::kRequestType> request_type;
  FixedString<FieldCaps::kDomain> request_domain;
  FixedString<FieldCaps::kResource> request_resource;
  FixedString<FieldCaps::kEndpoint> endpoint;
  // request_id is written as a JSON integer when request_id_is_int, else as a string.
  FixedString<FieldCaps::kRequestId> request_id;
  bool request_id_is_int = false;
  bool has_response_code = false;
  int64_t response_code = 0;
  ResponseStatus response_status = ResponseStatus::kUnset;
  FixedString<FieldCaps::kException> response_exception;
  FixedString<FieldCaps::kResult> response_result;
  FixedString<FieldCaps::kTraceId> trace_id;
  FixedString<FieldCaps::kSpanId> span_id;
  FixedString<FieldCaps::kXRequestId> x_request_id;
  FixedString<FieldCaps::kProxyClient> http_proxy_client;
  std::array<Attribute, FieldCaps::kAttrCount> attributes;
  uint8_t attribute_count = 0;
  bool has_request_length = false;
  bool has_response_length = false;
  uint32_t request_length = 0;
  uint32_t response_length = 0;

  void set_request_id(uint64_t id);
  void set_request_id(std::string_view id) {
    request_id = id;
    request_id_is_int = false;
  }
  void set_response_code(int64_t code) {
    has_response_code = true;
    response_code = code;
  }
  void set_request_length(uint32_t n) {
    has_request_length = true;
    request_length = n;
  }
  void set_response_length(uint32_t n) {
    has_response_length = true;
    response_length = n;
  }
  // Sets (or replaces) an attribute; silently ignored when all slots are taken.
  void set_attribute(std::string_view key, std::string_view value);
  std::string_view attribute(std::string_view key) const;

  // Fills every field that is empty here from `other` (used to merge a response into its request).
  void fill_missing_from(const L7Fields& other);
};

// Network identity of a record, filled by the dataplane.
struct NetTuple {
  // IPv4 addresses are stored as IPv4-mapped IPv6 (::ffff:a.b.c.d).
  std::array<uint8_t, 16> client_ip{};
  std::array<uint8_t, 16> server_ip{};
  uint16_t client_port = 0;
  uint16_t server_port = 0;
  bool is_ipv6 = false;
  uint8_t l4_proto = 6;  // IPPROTO_TCP / IPPROTO_UDP
  uint16_t vlan = 0;     // 0 = none
  bool has_vlan = false;
  bool has_tunnel_id = false;
  uint32_t tunnel_id = 0;  // VXLAN VNI, GRE key or ERSPAN session id
};

// One l7_flow_log record, complete.
struct FlowRecord {
  RecordType type = RecordType::kSession;
  ProtocolId protocol = ProtocolId::kUnknown;
  uint16_t worker = 0;
  bool has_rrt = false;
  uint64_t rrt_us = 0;
  uint64_t start_time_us = 0;
  uint64_t end_time_us = 0;
  NetTuple net;
  L7Fields l7;
};

}  // namespace l7tap
