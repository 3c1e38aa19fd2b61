// The l7_flow_log record as parsers fill it and as it travels from a worker to the control thread.
// Field meanings: ../shared/spec/l7-flow-log-schema.md.
//
// Compact by construction: the string fields and attributes of a record share one byte area and
// only the bytes a record uses are ever copied (copy constructor, wire form). Building a record
// touches its small header and the bytes it writes, nothing else: no zero-filling or copying of
// kilobyte structs per message. A typical MQ record (a dozen short strings) is 4–5 cache lines.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace l7tap {

// Index of a protocol in the registry (protocols/registry.hpp): 1..N; 0 = unknown.
using ProtocolId = uint16_t;
inline constexpr ProtocolId kUnknownProtocol = 0;

enum class RecordType : uint8_t { kSession, kRequest, kResponse };
std::string_view record_type_name(RecordType t);

enum class ResponseStatus : uint8_t { kUnset, kOk, kClientError, kServerError, kTimeout, kUnknown };
std::string_view response_status_name(ResponseStatus s);

// The string fields of the schema, in its order.
enum class Field : uint8_t {
  kVersion,
  kRequestType,
  kRequestDomain,
  kRequestResource,
  kRequestId,
  kEndpoint,
  kResponseException,
  kResponseResult,
  kTraceId,
  kSpanId,
  kXRequestId,
  kHttpProxyClient,
  kCount
};
inline constexpr std::size_t kFieldCount = static_cast<std::size_t>(Field::kCount);
// The JSON key of a field ("request_type").
std::string_view field_name(Field f);

// Caps (bytes). Longer values are truncated, never rejected. All strings of one record share
// kStringBytes; what does not fit is truncated too (documented in README "Records and their caps").
struct FieldCaps {
  static constexpr std::array<uint16_t, kFieldCount> kField = {
      16,   // version
      48,   // request_type
      128,  // request_domain
      256,  // request_resource
      64,   // request_id
      128,  // endpoint
      256,  // response_exception
      256,  // response_result
      128,  // trace_id
      128,  // span_id
      128,  // x_request_id
      64,   // http_proxy_client
  };
  static constexpr std::size_t kAttrKey = 64;
  static constexpr std::size_t kAttrValue = 256;
  static constexpr std::size_t kAttrCount = 32;
  static constexpr std::size_t kStringBytes = 2048;
  static constexpr std::size_t cap(Field f) { return kField[static_cast<std::size_t>(f)]; }
};

// The L7 part of a record: what parsers fill in. A field left empty (or with its has_ flag false)
// is omitted from the flow log.
class L7Fields {
 public:
  // Deliberately leaves the byte area uninitialised: only the header is written.
  L7Fields() noexcept {}  // NOLINT(modernize-use-equals-default): = default would zero-fill on {}
  L7Fields(const L7Fields& o) noexcept { copy_from(o); }
  L7Fields& operator=(const L7Fields& o) noexcept {
    if (this != &o) copy_from(o);
    return *this;
  }
  void clear();

  // --- strings (truncated to the field's cap; set replaces, an empty value removes) ---
  void set(Field f, std::string_view v);
  // Appends to the field's value (what fits under its cap).
  void append(Field f, std::string_view v);
  std::string_view get(Field f) const {
    const Ref r = str_[static_cast<std::size_t>(f)];
    return {bytes_ + r.off, r.len};
  }
  bool has(Field f) const { return str_[static_cast<std::size_t>(f)].len != 0; }

  // --- attributes (key → value; set_attribute replaces; ignored when all slots are taken; an
  // empty key or value carries nothing) ---
  void set_attribute(std::string_view key, std::string_view value);
  std::string_view attribute(std::string_view key) const;
  std::size_t attribute_count() const { return n_attr_; }
  std::string_view attribute_key(std::size_t i) const { return {bytes_ + attr_[i].off, attr_[i].klen}; }
  std::string_view attribute_value(std::size_t i) const {
    return {bytes_ + attr_[i].off + attr_[i].klen, attr_[i].vlen};
  }

  // --- scalars ---
  // request_id is written as a JSON integer when it was set from an integer, else as a string.
  void set_request_id(uint64_t id);
  void set_request_id(std::string_view id) {
    set(Field::kRequestId, id);
    request_id_is_int_ = false;
  }
  // As given (for tests of the writer's integer check).
  void set_request_id_raw(std::string_view text, bool is_int) {
    set(Field::kRequestId, text);
    request_id_is_int_ = is_int;
  }
  bool request_id_is_int() const { return request_id_is_int_; }

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

  // Fills every field that is empty here from `other`.
  void fill_missing_from(const L7Fields& other);
  // A response closes this request: its code, status, exception, result and length win; every
  // other field it has fills what this one lacks.
  void merge_response(const L7Fields& response);

  // Bytes of string data in use (for tests and the wire form).
  std::size_t string_bytes() const { return used_; }

  // --- wire form: header, attribute refs and used bytes, nothing else ---
  std::size_t wire_size() const;
  static std::size_t max_wire_size();  // every attribute and the whole string area used
  uint8_t* write(uint8_t* out) const;
  // Reads a wire form written by write(); false when `in` is too short or inconsistent.
  // Advances `in` past what it read.
  bool read(std::span<const uint8_t>& in);

  int64_t response_code = 0;
  uint32_t request_length = 0;
  uint32_t response_length = 0;
  ResponseStatus response_status = ResponseStatus::kUnset;
  bool has_response_code = false;
  bool has_request_length = false;
  bool has_response_length = false;

 private:
  struct Ref {
    uint16_t off;
    uint16_t len;
  };
  struct AttrRef {
    uint16_t off;  // key at off, value right after it
    uint16_t vlen;
    uint8_t klen;
    uint8_t pad;
  };
  // Room for `n` more bytes at the end of the area, compacting dead bytes away when needed; returns
  // how many of them fit.
  // Room for n more bytes at the end of the area (compacting first when short), up to n.
  std::size_t room(std::size_t n) {
    if (FieldCaps::kStringBytes - used_ < n) [[unlikely]] compact();
    return n < FieldCaps::kStringBytes - used_ ? n : FieldCaps::kStringBytes - used_;
  }
  [[gnu::noinline]] void set_copied(Field f, std::string_view v);
  [[gnu::noinline]] void append_joined(Field f, std::string_view v);
  [[gnu::noinline]] void compact();
  void copy_from(const L7Fields& o);

  // Header: everything up to bytes_ except the unused attribute refs is copied as a block.
  bool request_id_is_int_ = false;
  uint8_t n_attr_ = 0;
  uint16_t used_ = 0;
  std::array<Ref, kFieldCount> str_{};
  std::array<AttrRef, FieldCaps::kAttrCount> attr_;
  char bytes_[FieldCaps::kStringBytes];
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
  ProtocolId protocol = kUnknownProtocol;
  uint16_t worker = 0;
  bool has_rrt = false;
  uint64_t rrt_us = 0;
  uint64_t start_time_us = 0;
  uint64_t end_time_us = 0;
  NetTuple net;
  L7Fields l7;

  // Wire form for the worker → control ring: the fixed part, then l7's wire form.
  std::size_t wire_size() const;
  uint8_t* write(uint8_t* out) const;
  bool read(std::span<const uint8_t> in);
  // Upper bound of wire_size() for any record.
  static std::size_t max_wire_size();
};

}  // namespace l7tap
