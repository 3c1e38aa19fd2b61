#include "protocols/core/record.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace l7tap {

std::string_view record_type_name(RecordType t) {
  switch (t) {
    case RecordType::kSession: return "session";
    case RecordType::kRequest: return "request";
    case RecordType::kResponse: return "response";
  }
  return "session";
}

std::string_view response_status_name(ResponseStatus s) {
  switch (s) {
    case ResponseStatus::kOk: return "ok";
    case ResponseStatus::kClientError: return "client_error";
    case ResponseStatus::kServerError: return "server_error";
    case ResponseStatus::kTimeout: return "timeout";
    case ResponseStatus::kUnknown: return "unknown";
    case ResponseStatus::kUnset: break;
  }
  return "";
}

std::string_view field_name(Field f) {
  static constexpr std::array<std::string_view, kFieldCount> kNames = {
      "version",  "request_type",       "request_domain",  "request_resource", "request_id", "endpoint",
      "response_exception", "response_result", "trace_id", "span_id", "x_request_id", "http_proxy_client"};
  const auto i = static_cast<std::size_t>(f);
  return i < kNames.size() ? kNames[i] : std::string_view();
}

// ---------------------------------------------------------------------------------------------
// L7Fields: strings live back to back in bytes_[0, used_). A value replaced by a longer one is
// appended and its old bytes become dead; compact() squeezes dead bytes out when the area fills.

namespace {
inline bool inside(const char* p, const char* base, std::size_t n) {
  return p >= base && p < base + n;
}

// Most field values are a few to a few dozen bytes: copied inline with overlapping word moves
// (no library call), longer ones with memcpy. Reads and writes stay within [0, n).
inline void copy_small(char* to, const char* from, std::size_t n) {
  uint64_t a, b;
  if (n >= 8 && n <= 16) {
    std::memcpy(&a, from, 8);
    std::memcpy(&b, from + n - 8, 8);
    std::memcpy(to, &a, 8);
    std::memcpy(to + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t x, y;
    std::memcpy(&x, from, 4);
    std::memcpy(&y, from + n - 4, 4);
    std::memcpy(to, &x, 4);
    std::memcpy(to + n - 4, &y, 4);
  } else if (n < 4) {
    for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
  } else {
    std::memcpy(to, from, n);
  }
}
}  // namespace

void L7Fields::clear() {
  response_code = 0;
  request_length = response_length = 0;
  response_status = ResponseStatus::kUnset;
  has_response_code = has_request_length = has_response_length = false;
  request_id_is_int_ = false;
  n_attr_ = 0;
  used_ = 0;
  str_ = {};
}

void L7Fields::copy_from(const L7Fields& o) {
  response_code = o.response_code;
  request_length = o.request_length;
  response_length = o.response_length;
  response_status = o.response_status;
  has_response_code = o.has_response_code;
  has_request_length = o.has_request_length;
  has_response_length = o.has_response_length;
  request_id_is_int_ = o.request_id_is_int_;
  n_attr_ = o.n_attr_;
  used_ = o.used_;
  str_ = o.str_;
  std::memcpy(attr_.data(), o.attr_.data(), n_attr_ * sizeof(AttrRef));
  std::memcpy(bytes_, o.bytes_, used_);
}

void L7Fields::compact() {
  char tmp[FieldCaps::kStringBytes];
  uint16_t at = 0;
  for (Ref& r : str_) {
    if (r.len == 0) continue;
    std::memcpy(tmp + at, bytes_ + r.off, r.len);
    r.off = at;
    at = static_cast<uint16_t>(at + r.len);
  }
  for (uint8_t i = 0; i < n_attr_; ++i) {
    AttrRef& a = attr_[i];
    const uint16_t n = static_cast<uint16_t>(a.klen + a.vlen);
    std::memcpy(tmp + at, bytes_ + a.off, n);
    a.off = at;
    at = static_cast<uint16_t>(at + n);
  }
  std::memcpy(bytes_, tmp, at);
  used_ = at;
}


// Parsers set several fields per message: the common case (a value from the packet, room at the
// end of the area) stays a short function without a stack buffer; a value taken from this very
// area (which compaction could move) goes through set_copied().
void L7Fields::set(Field f, std::string_view v) {
  Ref& r = str_[static_cast<std::size_t>(f)];
  v = v.substr(0, FieldCaps::cap(f));
  if (v.size() <= r.len) {  // fits where the old value was (also covers removal)
    if (!v.empty()) std::memmove(bytes_ + r.off, v.data(), v.size());
    r.len = static_cast<uint16_t>(v.size());
    if (r.len == 0) r.off = 0;
    return;
  }
  if (inside(v.data(), bytes_, used_)) [[unlikely]] {
    set_copied(f, v);
    return;
  }
  r = {};  // before room(): compaction must not keep the old value
  const std::size_t n = room(v.size());
  copy_small(bytes_ + used_, v.data(), n);
  r = {used_, static_cast<uint16_t>(n)};
  used_ = static_cast<uint16_t>(used_ + n);
}

void L7Fields::set_copied(Field f, std::string_view v) {
  char copy[256];  // every field cap is at most 256
  std::memcpy(copy, v.data(), v.size());
  Ref& r = str_[static_cast<std::size_t>(f)];
  r = {};
  const std::size_t n = room(v.size());
  std::memcpy(bytes_ + used_, copy, n);
  r = {used_, static_cast<uint16_t>(n)};
  used_ = static_cast<uint16_t>(used_ + n);
}

void L7Fields::append(Field f, std::string_view v) {
  Ref& r = str_[static_cast<std::size_t>(f)];
  const std::size_t add = std::min(v.size(), FieldCaps::cap(f) - std::min<std::size_t>(r.len, FieldCaps::cap(f)));
  if (add == 0) return;
  v = v.substr(0, add);
  if (r.len != 0 && r.off + r.len == used_ && FieldCaps::kStringBytes - used_ >= add &&
      !inside(v.data(), bytes_, used_)) {
    std::memcpy(bytes_ + used_, v.data(), add);  // the field is last: grow it in place
    r.len = static_cast<uint16_t>(r.len + add);
    used_ = static_cast<uint16_t>(used_ + add);
    return;
  }
  append_joined(f, v);
}

void L7Fields::append_joined(Field f, std::string_view v) {
  Ref& r = str_[static_cast<std::size_t>(f)];
  char joined[256];  // old + v is within the field's cap, at most 256
  const std::size_t old = r.len;
  std::memcpy(joined, bytes_ + r.off, old);
  std::memcpy(joined + old, v.data(), v.size());
  r = {};
  set(f, std::string_view(joined, old + v.size()));
}

void L7Fields::set_attribute(std::string_view key, std::string_view value) {
  key = key.substr(0, FieldCaps::kAttrKey);
  value = value.substr(0, FieldCaps::kAttrValue);
  // An empty view may have a null data(): memcpy/memmove from null is undefined even for 0 bytes
  // (found by fuzz_parsers: a Kafka group request with a null group id).
  static constexpr char kNothing[1] = {0};
  if (key.empty()) key = std::string_view(kNothing, 0);
  if (value.empty()) value = std::string_view(kNothing, 0);
  char copy[FieldCaps::kAttrKey + FieldCaps::kAttrValue];
  if (inside(key.data(), bytes_, used_) || inside(value.data(), bytes_, used_)) {
    std::memcpy(copy, key.data(), key.size());
    std::memcpy(copy + key.size(), value.data(), value.size());
    key = {copy, key.size()};
    value = {copy + key.size(), value.size()};
  }
  for (uint8_t i = 0; i < n_attr_; ++i) {
    if (attribute_key(i) != key) continue;
    if (value.size() <= attr_[i].vlen) {
      std::memmove(bytes_ + attr_[i].off + attr_[i].klen, value.data(), value.size());
      attr_[i].vlen = static_cast<uint16_t>(value.size());
      return;
    }
    std::memmove(&attr_[i], &attr_[i + 1], (n_attr_ - i - 1) * sizeof(AttrRef));  // re-added below
    --n_attr_;
    break;
  }
  if (n_attr_ == FieldCaps::kAttrCount) return;
  const std::size_t want = key.size() + value.size();
  const std::size_t n = room(want);
  if (n < key.size() + (value.empty() ? 0 : 1)) return;  // not even the key and one byte fit
  std::memcpy(bytes_ + used_, key.data(), key.size());
  if (n > key.size()) std::memcpy(bytes_ + used_ + key.size(), value.data(), n - key.size());
  attr_[n_attr_++] = AttrRef{used_, static_cast<uint16_t>(n - key.size()), static_cast<uint8_t>(key.size()), 0};
  used_ = static_cast<uint16_t>(used_ + n);
}

std::string_view L7Fields::attribute(std::string_view key) const {
  for (uint8_t i = 0; i < n_attr_; ++i)
    if (attribute_key(i) == key) return attribute_value(i);
  return {};
}

void L7Fields::set_request_id(uint64_t id) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, id);
  set(Field::kRequestId, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
  request_id_is_int_ = true;
}

void L7Fields::fill_missing_from(const L7Fields& o) {
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    const auto f = static_cast<Field>(i);
    if (!has(f) && o.has(f)) {
      set(f, o.get(f));
      if (f == Field::kRequestId) request_id_is_int_ = o.request_id_is_int_;
    }
  }
  if (!has_response_code && o.has_response_code) set_response_code(o.response_code);
  if (response_status == ResponseStatus::kUnset) response_status = o.response_status;
  for (std::size_t i = 0; i < o.n_attr_; ++i)
    if (attribute(o.attribute_key(i)).empty()) set_attribute(o.attribute_key(i), o.attribute_value(i));
  if (!has_request_length && o.has_request_length) set_request_length(o.request_length);
  if (!has_response_length && o.has_response_length) set_response_length(o.response_length);
}

void L7Fields::merge_response(const L7Fields& rf) {
  if (rf.has_response_code) set_response_code(rf.response_code);
  if (rf.response_status != ResponseStatus::kUnset) response_status = rf.response_status;
  if (rf.has(Field::kResponseException)) set(Field::kResponseException, rf.get(Field::kResponseException));
  if (rf.has(Field::kResponseResult)) set(Field::kResponseResult, rf.get(Field::kResponseResult));
  if (rf.has_response_length) set_response_length(rf.response_length);
  fill_missing_from(rf);
}

// ---------------------------------------------------------------------------------------------
// Wire forms. Worker and control thread are the same binary, so the fixed parts are plain structs.

namespace {

struct L7Head {
  int64_t response_code;
  uint32_t request_length;
  uint32_t response_length;
  uint8_t status;
  uint8_t flags;
  uint8_t n_attr;
  uint8_t pad;
  uint16_t used;
  uint16_t pad2;
};
enum : uint8_t { kHasCode = 1, kHasReqLen = 2, kHasRespLen = 4, kIdIsInt = 8 };

struct RecordHead {
  uint64_t rrt_us;
  uint64_t start_time_us;
  uint64_t end_time_us;
  NetTuple net;
  ProtocolId protocol;
  uint16_t worker;
  uint8_t type;
  uint8_t has_rrt;
};

}  // namespace

std::size_t L7Fields::wire_size() const {
  return sizeof(L7Head) + sizeof(str_) + n_attr_ * sizeof(AttrRef) + used_;
}

uint8_t* L7Fields::write(uint8_t* out) const {
  L7Head h{};
  h.response_code = response_code;
  h.request_length = request_length;
  h.response_length = response_length;
  h.status = static_cast<uint8_t>(response_status);
  h.flags = static_cast<uint8_t>((has_response_code ? kHasCode : 0) | (has_request_length ? kHasReqLen : 0) |
                                 (has_response_length ? kHasRespLen : 0) | (request_id_is_int_ ? kIdIsInt : 0));
  h.n_attr = n_attr_;
  h.used = used_;
  std::memcpy(out, &h, sizeof h);
  out += sizeof h;
  std::memcpy(out, str_.data(), sizeof(str_));
  out += sizeof(str_);
  std::memcpy(out, attr_.data(), n_attr_ * sizeof(AttrRef));
  out += n_attr_ * sizeof(AttrRef);
  std::memcpy(out, bytes_, used_);
  return out + used_;
}

bool L7Fields::read(std::span<const uint8_t>& in) {
  L7Head h;
  if (in.size() < sizeof h + sizeof(str_)) return false;
  std::memcpy(&h, in.data(), sizeof h);
  const std::size_t need = sizeof h + sizeof(str_) + h.n_attr * sizeof(AttrRef) + h.used;
  if (h.n_attr > FieldCaps::kAttrCount || h.used > FieldCaps::kStringBytes ||
      h.status > static_cast<uint8_t>(ResponseStatus::kUnknown) || in.size() < need)
    return false;
  const uint8_t* p = in.data() + sizeof h;
  std::memcpy(str_.data(), p, sizeof(str_));
  p += sizeof(str_);
  std::memcpy(attr_.data(), p, h.n_attr * sizeof(AttrRef));
  p += h.n_attr * sizeof(AttrRef);
  for (const Ref& r : str_)
    if (r.off + r.len > h.used) return false;
  for (uint8_t i = 0; i < h.n_attr; ++i)
    if (attr_[i].off + attr_[i].klen + attr_[i].vlen > h.used) return false;
  std::memcpy(bytes_, p, h.used);
  response_code = h.response_code;
  request_length = h.request_length;
  response_length = h.response_length;
  response_status = static_cast<ResponseStatus>(h.status);
  has_response_code = (h.flags & kHasCode) != 0;
  has_request_length = (h.flags & kHasReqLen) != 0;
  has_response_length = (h.flags & kHasRespLen) != 0;
  request_id_is_int_ = (h.flags & kIdIsInt) != 0;
  n_attr_ = h.n_attr;
  used_ = h.used;
  in = in.subspan(need);
  return true;
}

std::size_t FlowRecord::wire_size() const { return sizeof(RecordHead) + l7.wire_size(); }

std::size_t L7Fields::max_wire_size() {
  return sizeof(L7Head) + sizeof(str_) + sizeof(attr_) + FieldCaps::kStringBytes;
}

std::size_t FlowRecord::max_wire_size() { return sizeof(RecordHead) + L7Fields::max_wire_size(); }

uint8_t* FlowRecord::write(uint8_t* out) const {
  RecordHead h{};
  h.rrt_us = rrt_us;
  h.start_time_us = start_time_us;
  h.end_time_us = end_time_us;
  h.net = net;
  h.protocol = protocol;
  h.worker = worker;
  h.type = static_cast<uint8_t>(type);
  h.has_rrt = has_rrt ? 1 : 0;
  std::memcpy(out, &h, sizeof h);
  return l7.write(out + sizeof h);
}

bool FlowRecord::read(std::span<const uint8_t> in) {
  RecordHead h;
  if (in.size() < sizeof h) return false;
  std::memcpy(&h, in.data(), sizeof h);
  if (h.type > static_cast<uint8_t>(RecordType::kResponse)) return false;
  in = in.subspan(sizeof h);
  if (!l7.read(in)) return false;
  rrt_us = h.rrt_us;
  start_time_us = h.start_time_us;
  end_time_us = h.end_time_us;
  net = h.net;
  protocol = h.protocol;
  worker = h.worker;
  type = static_cast<RecordType>(h.type);
  has_rrt = h.has_rrt != 0;
  return true;
}

}  // namespace l7tap
