// Strict YAML conf loading. Every map is checked against the keys it may hold (unknown keys are an
// error, with a "did you mean" hint), every scalar is parsed by our own strict parsers (yaml-cpp's
// as<T>() accepts things like "1.9" for an int or wraps negatives for unsigned), and cross-field rules
// live in validate_config so that a Config built in code is held to the same rules.
#include "control/config.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>
#include <type_traits>

#include <yaml-cpp/yaml.h>

#include "control/endpoint_normalizer.hpp"
#include "control/http_post.hpp"
#include "control/service_map.hpp"
#include "protocols/core/record.hpp"
#include "protocols/registry.hpp"

namespace l7tap {

namespace {

using Node = YAML::Node;
using Keys = std::initializer_list<std::string_view>;

// ---------------------------------------------------------------------------------------------
// small helpers

std::string quote(std::string_view s) {
  std::string out = "\"";
  out.append(s);
  out += '"';
  return out;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// " (did you mean "x"?)" when a candidate is within edit distance 2, else "".
template <typename Range>
std::string suggestion(std::string_view word, const Range& candidates) {
  size_t best = 3;
  std::string_view best_name;
  for (const auto& c : candidates) {
    size_t d = edit_distance(lower(word), lower(std::string_view(c)));
    if (d < best) best = d, best_name = c;
  }
  if (best_name.empty()) return "";
  return " (did you mean " + quote(best_name) + "?)";
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out.append(sep);
    out += v[i];
  }
  return out;
}

// What a node is, for "expected X, got Y" messages.
std::string describe(const Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing (null)";
    case YAML::NodeType::Scalar: return quote(n.Scalar());
    default: return "an undefined value";
  }
}

[[noreturn]] void type_error(const std::string& path, std::string_view expected, const Node& n) {
  throw ConfigError(path, "expected " + std::string(expected) + ", got " + describe(n));
}

std::string index_path(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string child_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// A map section: checks it is a map (null = empty section), that every key is a known scalar and
// appears once. Values are then fetched with get(); absent keys return an undefined node.
class Section {
 public:
  Section(const Node& node, std::string path, Keys known) : node_(node), path_(std::move(path)) {
    if (node.IsNull() || !node.IsDefined()) return;
    if (!node.IsMap()) type_error(path_.empty() ? std::string("(top level)") : path_, "a map", node);
    std::set<std::string> seen;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) type_error(path_.empty() ? "(top level)" : path_, "scalar keys", kv.first);
      const std::string key = kv.first.Scalar();
      if (std::find(known.begin(), known.end(), key) == known.end())
        throw ConfigError(child_path(path_, key), "unknown key" + suggestion(key, known));
      if (!seen.insert(key).second) throw ConfigError(child_path(path_, key), "duplicate key");
    }
  }

  Node get(std::string_view key) const {
    if (!node_.IsMap()) return Node(YAML::NodeType::Undefined);
    for (const auto& kv : node_)
      if (kv.first.Scalar() == key) return kv.second;
    return Node(YAML::NodeType::Undefined);
  }
  bool has(std::string_view key) const { return get(key).IsDefined(); }
  std::string path(std::string_view key) const { return child_path(path_, key); }

 private:
  Node node_;
  std::string path_;
};

// ---------------------------------------------------------------------------------------------
// scalar parsers

std::string scalar_text(const Node& n, const std::string& path, std::string_view expected) {
  if (!n.IsScalar()) type_error(path, expected, n);
  return n.Scalar();
}

// The valid values of an integer key; the loader and validate_config use the same ones, so every
// message states the range that really applies.
struct Range {
  uint64_t lo, hi;
};
constexpr Range kRxQueues{1, 64};
constexpr Range kRxDescriptors{1, 65535};
constexpr Range kWorkers{1, 64};
constexpr Range kMetricsConnections{1, kMaxMetricsConnections};
constexpr Range kMetricsRequestBytes{kMinMetricsRequestBytes, kMaxMetricsRequestBytes};
constexpr Range kBurst{1, 512};
constexpr Range kRing{64, 1u << 30};  // and a power of two (rte_ring's largest is 2^30)
constexpr Range kMbufPool{1, UINT32_MAX};
constexpr Range kFlowCapacity{1, UINT32_MAX - 1};  // UINT32_MAX is the flow table's "no entry"
constexpr Range kPendingPerFlow{1, UINT32_MAX};
constexpr Range kMaxFiles{1, UINT32_MAX};
constexpr Range kCap{0, UINT32_MAX};  // 0 = no cap
constexpr Range kPort{1, 65535};
constexpr Range kVlan{0, 4095};
constexpr Range kTunnelId{0, UINT32_MAX};
constexpr Range kBatchRows{1, 1'000'000};
constexpr Range kQueueBatches{1, 4096};

std::string range_text(Range r) {
  return "an integer in " + std::to_string(r.lo) + ".." + std::to_string(r.hi);
}

uint64_t parse_uint(const std::string& path, const std::string& raw, Range r) {
  const std::string text = trim(raw);
  std::string_view digits = text;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  const std::string range = range_text(r);
  if (!text.empty() && text[0] == '-') {
    bool numeric = text.size() > 1 && std::all_of(text.begin() + 1, text.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) != 0;
    });
    if (numeric) throw ConfigError(path, "out of range: expected " + range + ", got " + text);
  }
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }))
    throw ConfigError(path, "expected " + range + ", got " + quote(raw));
  uint64_t v = 0;
  for (char c : digits) {
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10)
      throw ConfigError(path, "out of range: expected " + range + ", got " + text);
    v = v * 10 + d;
  }
  if (v < r.lo || v > r.hi) throw ConfigError(path, "out of range: expected " + range + ", got " + text);
  return v;
}

uint64_t get_uint(const Node& n, const std::string& path, Range r) {
  return parse_uint(path, scalar_text(n, path, range_text(r)), r);
}

template <typename T>
void read_uint(const Section& s, std::string_view key, T& out, Range r) {
  static_assert(std::is_unsigned_v<T>);
  Node n = s.get(key);
  if (!n.IsDefined()) return;
  if (r.hi > std::numeric_limits<T>::max()) r.hi = std::numeric_limits<T>::max();
  out = static_cast<T>(get_uint(n, s.path(key), r));
}

void read_string(const Section& s, std::string_view key, std::string& out) {
  Node n = s.get(key);
  if (!n.IsDefined()) return;
  const std::string path = s.path(key);
  if (n.IsNull()) throw ConfigError(path, "expected a string, got nothing (null); write \"\" for an empty string");
  out = scalar_text(n, path, "a string");
}

void read_bool(const Section& s, std::string_view key, bool& out) {
  Node n = s.get(key);
  if (!n.IsDefined()) return;
  const std::string path = s.path(key);
  const std::string v = lower(trim(scalar_text(n, path, "true or false")));
  if (v == "true" || v == "yes" || v == "on") out = true;
  else if (v == "false" || v == "no" || v == "off") out = false;
  else type_error(path, "true or false", n);
}

void read_duration(const Section& s, std::string_view key, uint64_t& out) {
  Node n = s.get(key);
  if (!n.IsDefined()) return;
  const std::string path = s.path(key);
  out = parse_duration_us(path, scalar_text(n, path, "a duration such as \"250ms\" or \"30s\""));
}

template <typename T>
void read_size(const Section& s, std::string_view key, T& out) {
  Node n = s.get(key);
  if (!n.IsDefined()) return;
  const std::string path = s.path(key);
  uint64_t v = parse_size_bytes(path, scalar_text(n, path, "a size such as \"64KiB\" or \"4096\""));
  if (v > std::numeric_limits<T>::max())
    throw ConfigError(path, "out of range: at most " + std::to_string(std::numeric_limits<T>::max()) +
                                " bytes, got " + std::to_string(v));
  out = static_cast<T>(v);
}

double parse_double(const std::string& path, const Node& n) {
  const std::string text = trim(scalar_text(n, path, "a number"));
  if (text.empty()) type_error(path, "a number", n);
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v)) type_error(path, "a finite number", n);
  return v;
}

// A list node (null = empty list); calls item(node, path) for each element.
template <typename F>
void for_each_item(const Node& n, const std::string& path, std::string_view expected, F item) {
  if (!n.IsDefined() || n.IsNull()) return;
  if (!n.IsSequence()) type_error(path, expected, n);
  for (size_t i = 0; i < n.size(); ++i) item(n[i], index_path(path, i));
}

std::vector<std::string> get_string_list(const Node& n, const std::string& path) {
  std::vector<std::string> out;
  for_each_item(n, path, "a list of strings", [&](const Node& item, const std::string& p) {
    out.push_back(scalar_text(item, p, "a string"));
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// decimal numbers with units (durations, sizes)

// 128-bit intermediate so value * unit factor cannot overflow before we range-check it.
__extension__ typedef unsigned __int128 u128;

struct UnitDef {
  std::string_view name;
  uint64_t factor;
};

// "<digits>[.<digits>][ ]<unit>" → value * factor, exact (a result with a fraction left over is
// rejected rather than rounded: "0.1KiB" is not a byte count). Returns false on any syntax problem;
// throws for overflow / fractions so the message can say so.
bool parse_with_unit(const std::string& path, const std::string& raw, std::initializer_list<UnitDef> units,
                     bool case_insensitive, std::string_view default_unit, std::string_view what,
                     uint64_t& result) {
  const std::string text = trim(raw);
  size_t i = 0;
  u128 mantissa = 0;
  unsigned scale = 0;
  size_t int_digits = 0, frac_digits = 0;
  const u128 cap = static_cast<u128>(1) << 100;  // far above any sane value
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (mantissa < cap) mantissa = mantissa * 10 + static_cast<unsigned>(text[i] - '0');
    else return false;
    ++i, ++int_digits;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      // Trailing digits beyond 30 places cannot change an integral result except by making it
      // fractional; keep them only while they fit.
      if (scale >= 30) return false;
      mantissa = mantissa * 10 + static_cast<unsigned>(text[i] - '0');
      ++scale, ++i, ++frac_digits;
    }
  }
  if (int_digits + frac_digits == 0) return false;
  while (i < text.size() && text[i] == ' ') ++i;
  std::string unit = text.substr(i);
  if (unit.empty()) unit = std::string(default_unit);
  const UnitDef* found = nullptr;
  for (const auto& u : units) {
    if (case_insensitive ? lower(unit) == lower(u.name) : unit == u.name) {
      found = &u;
      break;
    }
  }
  if (!found) return false;
  u128 v = mantissa * found->factor;
  u128 pow10 = 1;
  for (unsigned k = 0; k < scale; ++k) pow10 *= 10;
  if (v % pow10 != 0)
    throw ConfigError(path, quote(raw) + " is not a whole number of " + std::string(what));
  v /= pow10;
  if (v > std::numeric_limits<uint64_t>::max()) throw ConfigError(path, quote(raw) + " is too large");
  result = static_cast<uint64_t>(v);
  return true;
}

}  // namespace

// -------------------------------------------------------------------------------------------------
// public parsers and defaults

uint64_t parse_duration_us(const std::string& path, const std::string& text) {
  uint64_t v = 0;
  if (parse_with_unit(path, text,
                      {{"us", 1}, {"\xC2\xB5s", 1}, {"ms", 1000}, {"s", 1'000'000}, {"m", 60'000'000},
                       {"h", 3'600'000'000ULL}},
                      false, "s", "microseconds", v))
    return v;
  throw ConfigError(path, "bad duration " + quote(text) +
                              ": expected a non-negative number with a unit us, ms, s, m or h (a bare number "
                              "is seconds), e.g. \"250ms\", \"30s\", \"1.5\"");
}

uint64_t parse_size_bytes(const std::string& path, const std::string& text) {
  uint64_t v = 0;
  if (parse_with_unit(path, text,
                      {{"B", 1},
                       {"KB", 1000ULL},
                       {"MB", 1000ULL * 1000},
                       {"GB", 1000ULL * 1000 * 1000},
                       {"TB", 1000ULL * 1000 * 1000 * 1000},
                       {"KiB", 1ULL << 10},
                       {"MiB", 1ULL << 20},
                       {"GiB", 1ULL << 30},
                       {"TiB", 1ULL << 40}},
                      true, "B", "bytes", v))
    return v;
  throw ConfigError(path, "bad size " + quote(text) +
                              ": expected a non-negative number of bytes with an optional unit B, KB, MB, GB, "
                              "TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), e.g. \"64KiB\", \"4096\"");
}

std::vector<double> default_latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,    5,     10};
}

const std::vector<std::string>& known_protocol_names() {
  // The protocol registry is the single source of truth: a name is known when it is implemented.
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (std::string_view n : protocol_names()) v.emplace_back(n);
    return v;
  }();
  return names;
}

// -------------------------------------------------------------------------------------------------
// validation

namespace {

bool is_power_of_two(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

void check_range(const std::string& path, uint64_t v, Range r) {
  if (v < r.lo || v > r.hi) throw ConfigError(path, "out of range: expected " + range_text(r) + ", got " + std::to_string(v));
}

void check_ring(const std::string& path, uint32_t v) {
  if (v < kRing.lo || v > kRing.hi || !is_power_of_two(v))
    throw ConfigError(path, "must be a power of two from " + std::to_string(kRing.lo) + " to " +
                                std::to_string(kRing.hi) + " (e.g. 4096), got " + std::to_string(v));
}

void check_protocol(const std::string& path, const std::string& name) {
  const auto& known = known_protocol_names();
  if (std::find(known.begin(), known.end(), name) == known.end())
    throw ConfigError(path, "unknown protocol " + quote(name) + suggestion(name, known) + "; known: " +
                                join(known, ", "));
}

bool valid_hostname(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

void check_listen(const std::string& path, const std::string& listen) {
  if (listen.empty()) return;  // metrics off
  const std::string hint = "expected \"host:port\" (e.g. \"127.0.0.1:9464\", \"0.0.0.0:9464\", \"[::1]:9464\"; "
                           "port 0 = any free port) or \"\" to disable, got " + quote(listen);
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) throw ConfigError(path, hint);
  const std::string host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (!std::all_of(port.begin(), port.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }) ||
      port.size() > 5 || std::stoul(port) > 65535)
    throw ConfigError(path, "bad port " + quote(port) + ": " + hint);
  unsigned char buf[16];
  if (host.front() == '[') {
    if (host.back() != ']' || inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), buf) != 1)
      throw ConfigError(path, "bad IPv6 address " + quote(host) + ": " + hint);
    return;
  }
  const bool ipv4_like = std::all_of(host.begin(), host.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
  if (ipv4_like) {
    if (inet_pton(AF_INET, host.c_str(), buf) != 1)
      throw ConfigError(path, "bad IPv4 address " + quote(host) + ": " + hint);
    return;
  }
  if (host.find(':') != std::string::npos)
    throw ConfigError(path, "an IPv6 address must be in brackets, e.g. \"[::1]:9464\"; got " + quote(listen));
  if (!valid_hostname(host)) throw ConfigError(path, "bad host " + quote(host) + ": " + hint);
}

void check_header_names(const std::string& path, const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    const auto& n = names[i];
    if (n.empty()) throw ConfigError(index_path(path, i), "header name must not be empty");
    for (char c : n)
      if (std::isspace(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c)) || c == ':')
        throw ConfigError(index_path(path, i), "header name " + quote(n) +
                                                   " must be lower-case with no spaces or ':'");
  }
}

}  // namespace

// A database or table name goes into the INSERT as it is: plain identifiers only, so the query
// cannot be changed by the conf and needs no quoting.
bool plain_identifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])) != 0) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_'; });
}

void validate_clickhouse(const Config& c) {
  if (c.clickhouse_url.empty()) return;  // off: the other keys are not used
  const std::string base = "flow_log.clickhouse.";
  HttpEndpoint ep;
  if (std::string err = parse_http_url(c.clickhouse_url, ep); !err.empty())
    throw ConfigError(base + "url", err + "; got " + quote(c.clickhouse_url));
  for (auto [key, value] : {std::pair<const char*, const std::string*>{"database", &c.clickhouse_database},
                            {"table", &c.clickhouse_table}})
    if (!plain_identifier(*value))
      throw ConfigError(base + key, "expected a plain identifier (letters, digits, _; not starting with a digit), got " +
                                        quote(*value));
  if (c.clickhouse_user.empty()) throw ConfigError(base + "user", "must not be empty (ClickHouse's own is \"default\")");
  if (!c.clickhouse_password.empty() && !c.clickhouse_password_file.empty())
    throw ConfigError(base + "password_file", "give password or password_file, not both");
  check_range(base + "batch_rows", c.clickhouse_batch_rows, kBatchRows);
  check_range(base + "queue_batches", c.clickhouse_queue_batches, kQueueBatches);
  if (c.clickhouse_flush_interval_us == 0) throw ConfigError(base + "flush_interval", "must be greater than 0");
  if (c.clickhouse_timeout_us == 0) throw ConfigError(base + "timeout", "must be greater than 0");
  if (c.clickhouse_max_backoff_us == 0) throw ConfigError(base + "max_backoff", "must be greater than 0");
  if (!c.clickhouse_spool_dir.empty() && c.clickhouse_spool_max_bytes == 0)
    throw ConfigError(base + "spool_max_bytes", "must be greater than 0 when spool_dir is set (remove spool_dir for no spool)");
  if (c.clickhouse_compression != "gzip" && c.clickhouse_compression != "none")
    throw ConfigError(base + "compression", "expected gzip or none, got " + quote(c.clickhouse_compression));
}

void validate_config(const Config& c) {
  for (size_t i = 0; i < c.ports.size(); ++i) {
    const auto& p = c.ports[i];
    const std::string base = index_path("ports", i);
    if (p.name.empty()) throw ConfigError(base + ".name", "must not be empty (the name labels the port's metrics)");
    for (size_t j = 0; j < i; ++j)
      if (c.ports[j].name == p.name)
        throw ConfigError(base + ".name", "duplicate port name " + quote(p.name) + " (also ports[" +
                                              std::to_string(j) + "].name)");
    if (p.device.empty())
      throw ConfigError(base + ".device", "must not be empty (a PCI address or a vdev string such as "
                                          "\"net_pcap0,rx_pcap=x.pcap\")");
    check_range(base + ".rx_queues", p.rx_queues, kRxQueues);
    check_range(base + ".rx_descriptors", p.rx_descriptors, kRxDescriptors);
  }

  check_range("workers.count", c.workers, kWorkers);
  if (c.dispatcher != "auto" && c.dispatcher != "always" && c.dispatcher != "never")
    throw ConfigError("workers.dispatcher", "expected one of auto, always, never; got " + quote(c.dispatcher));
  check_range("workers.burst_size", c.burst_size, kBurst);
  check_ring("workers.dispatch_ring_size", c.dispatch_ring_size);
  check_range("workers.mbuf_pool_size", c.mbuf_pool_size, kMbufPool);

  check_range("flows.capacity", c.flow_capacity, kFlowCapacity);
  if (c.flow_idle_timeout_us == 0) throw ConfigError("flows.idle_timeout", "must be greater than 0");
  if (c.no_payload_timeout_us == 0) throw ConfigError("flows.no_payload_timeout", "must be greater than 0");
  if (c.tcp_close_timeout_us == 0) throw ConfigError("flows.tcp_close_timeout", "must be greater than 0");
  if (c.max_buffered_bytes == 0) throw ConfigError("flows.max_buffered_bytes", "must be at least 1 byte");
  if (c.max_buffered_total < c.max_buffered_bytes + c.max_out_of_order_bytes)
    throw ConfigError("flows.max_buffered_total",
                      "must hold at least one flow's buffers (max_buffered_bytes + max_out_of_order_bytes = " +
                          std::to_string(c.max_buffered_bytes + uint64_t{c.max_out_of_order_bytes}) + " bytes)");

  if (c.request_timeout_us == 0) throw ConfigError("sessions.request_timeout", "must be greater than 0");
  check_range("sessions.max_pending_per_flow", c.max_pending_per_flow, kPendingPerFlow);

  std::set<std::string> enabled;
  for (size_t i = 0; i < c.enabled_protocols.size(); ++i) {
    const std::string path = index_path("protocols.enabled", i);
    check_protocol(path, c.enabled_protocols[i]);
    if (!enabled.insert(c.enabled_protocols[i]).second)
      throw ConfigError(path, quote(c.enabled_protocols[i]) + " is listed twice");
  }
  for (const auto& [name, ports] : c.port_hints) {
    const std::string path = "protocols.port_hints." + name;
    check_protocol(path, name);
    for (size_t i = 0; i < ports.size(); ++i)
      check_range(index_path(path, i), ports[i], kPort);
  }
  for (const auto& [name, bytes] : c.max_message_sizes) {
    const std::string path = "protocols.max_message_size." + name;
    check_protocol(path, name);
    // Below this every real message of these protocols' handshakes would be refused as garbage.
    if (bytes < kMinMaxMessageBytes)
      throw ConfigError(path, "must be at least " + std::to_string(kMinMaxMessageBytes) + " bytes, got " +
                                  std::to_string(bytes));
  }
  check_header_names("protocols.trace_headers.trace_id", c.trace_id_headers);
  check_header_names("protocols.trace_headers.span_id", c.span_id_headers);
  check_header_names("protocols.trace_headers.x_request_id", c.x_request_id_headers);

  if (c.record_ring_size < kMinRecordRingBytes)
    throw ConfigError("records.ring_size", "must be at least 64KiB (it holds records of up to " +
                                               std::to_string(FlowRecord::max_wire_size()) + " bytes), got " +
                                               std::to_string(c.record_ring_size));

  check_range("flow_log.max_files", c.flow_log_max_files, kMaxFiles);
  validate_clickhouse(c);

  check_listen("metrics.listen", c.metrics_listen);
  check_range("metrics.max_connections", c.metrics_max_connections, kMetricsConnections);
  if (c.metrics_request_timeout_us == 0) throw ConfigError("metrics.request_timeout", "must be greater than 0");
  if (c.metrics_send_timeout_us == 0) throw ConfigError("metrics.send_timeout", "must be greater than 0");
  check_range("metrics.max_request_bytes", c.metrics_max_request_bytes, kMetricsRequestBytes);
  for (size_t i = 0; i < c.endpoint_rules.size(); ++i) {
    const std::string base = index_path("metrics.endpoint_rules", i);
    if (c.endpoint_rules[i].match.empty()) throw ConfigError(base + ".match", "must not be empty");
    if (std::string err = endpoint_pattern_error(c.endpoint_rules[i].match); !err.empty())
      throw ConfigError(base + ".match", err);
  }

  for (size_t i = 0; i < c.service_rules.size(); ++i) {
    const ServiceRule& r = c.service_rules[i];
    const std::string base = index_path("service_map.rules", i);
    Cidr cidr;
    if (std::string err = parse_cidr(r.cidr, cidr); !err.empty()) throw ConfigError(base + ".cidr", err);
    for (size_t j = 0; j < r.ports.size(); ++j) {
      const std::string pp = index_path(base + ".ports", j);
      check_range(pp, r.ports[j].first, kPort);
      if (r.ports[j].first > r.ports[j].last)
        throw ConfigError(pp, "range " + std::to_string(r.ports[j].first) + "-" + std::to_string(r.ports[j].last) +
                                  " ends before it starts");
    }
    if (r.has_vlan) check_range(base + ".vlan", r.vlan, kVlan);
    if (r.service.empty()) throw ConfigError(base + ".service", "must not be empty");
  }
  for (size_t i = 0; i < c.latency_buckets.size(); ++i) {
    const double b = c.latency_buckets[i];
    const std::string path = index_path("metrics.latency_buckets", i);
    if (!(b > 0) || !std::isfinite(b)) throw ConfigError(path, "bucket bounds must be positive finite seconds");
    if (i > 0 && !(b > c.latency_buckets[i - 1]))
      throw ConfigError(path, "buckets must be strictly ascending, but this one is not greater than the one before");
  }
}

// -------------------------------------------------------------------------------------------------
// loading

namespace {

void load_ports(const Node& n, Config& c) {
  c.ports.clear();
  for_each_item(n, "ports", "a list of ports", [&](const Node& item, const std::string& path) {
    if (!item.IsMap()) type_error(path, "a map with name, device, rx_queues, rx_descriptors, promiscuous", item);
    Section s(item, path, {"name", "device", "rx_queues", "rx_descriptors", "promiscuous"});
    PortConfig p;
    read_string(s, "name", p.name);
    read_string(s, "device", p.device);
    read_uint(s, "rx_queues", p.rx_queues, kRxQueues);
    read_uint(s, "rx_descriptors", p.rx_descriptors, kRxDescriptors);
    read_bool(s, "promiscuous", p.promiscuous);
    c.ports.push_back(std::move(p));
  });
}

void load_protocols(const Node& n, Config& c) {
  Section s(n, "protocols", {"enabled", "port_hints", "max_message_size", "trace_headers"});
  if (s.has("enabled")) c.enabled_protocols = get_string_list(s.get("enabled"), s.path("enabled"));

  Node hints = s.get("port_hints");
  if (hints.IsDefined() && !hints.IsNull()) {
    const std::string path = s.path("port_hints");
    if (!hints.IsMap()) type_error(path, "a map of protocol name to a list of ports", hints);
    std::set<std::string> seen;
    for (const auto& kv : hints) {
      if (!kv.first.IsScalar()) type_error(path, "protocol names as keys", kv.first);
      const std::string name = kv.first.Scalar();
      const std::string ppath = path + "." + name;
      check_protocol(ppath, name);
      if (!seen.insert(name).second) throw ConfigError(ppath, "duplicate key");
      std::vector<uint16_t> ports;
      for_each_item(kv.second, ppath, "a list of ports", [&](const Node& item, const std::string& ip) {
        uint64_t port = get_uint(item, ip, kPort);
        ports.push_back(static_cast<uint16_t>(port));
      });
      c.port_hints[name] = std::move(ports);  // replaces only this protocol's default ports
    }
  }

  Node sizes = s.get("max_message_size");
  if (sizes.IsDefined() && !sizes.IsNull()) {
    const std::string path = s.path("max_message_size");
    if (!sizes.IsMap()) type_error(path, "a map of protocol name to a size", sizes);
    for (const auto& kv : sizes) {
      if (!kv.first.IsScalar()) type_error(path, "protocol names as keys", kv.first);
      const std::string name = kv.first.Scalar();
      const std::string ppath = path + "." + name;
      check_protocol(ppath, name);
      if (c.max_message_sizes.count(name) != 0) throw ConfigError(ppath, "duplicate key");
      c.max_message_sizes[name] =
          parse_size_bytes(ppath, scalar_text(kv.second, ppath, "a size such as \"16MiB\" or \"4096\""));
    }
  }

  Section th(s.get("trace_headers"), s.path("trace_headers"), {"trace_id", "span_id", "x_request_id"});
  auto headers = [&](std::string_view key, std::vector<std::string>& out) {
    if (!th.has(key)) return;
    out = get_string_list(th.get(key), th.path(key));
    for (auto& h : out) h = lower(trim(h));  // HTTP/2 and most MQ header lookups are case-insensitive
  };
  headers("trace_id", c.trace_id_headers);
  headers("span_id", c.span_id_headers);
  headers("x_request_id", c.x_request_id_headers);
}

// A required, non-null string key of a list item.
void read_required_string(const Section& s, std::string_view key, std::string& out, std::string_view what) {
  if (!s.has(key)) throw ConfigError(s.path(key), "required (" + std::string(what) + ")");
  read_string(s, key, out);
}

// service_map.rules[i].ports[j]: 1883 or "8000-8010".
PortRange parse_port_item(const Node& item, const std::string& path) {
  const std::string text = trim(scalar_text(item, path, "a port or a range \"first-last\""));
  const std::size_t dash = text.find('-', 1);
  PortRange r;
  if (dash == std::string::npos) {
    r.first = r.last = static_cast<uint16_t>(parse_uint(path, text, kPort));
  } else {
    const std::string a = trim(text.substr(0, dash)), b = trim(text.substr(dash + 1));
    const std::string hint = "expected a port or a range \"first-last\" such as \"8000-8010\", got " + quote(text);
    if (a.empty() || b.empty() || a.find_first_not_of("0123456789") != std::string::npos ||
        b.find_first_not_of("0123456789") != std::string::npos)
      throw ConfigError(path, hint);
    r.first = static_cast<uint16_t>(parse_uint(path, a, kPort));
    r.last = static_cast<uint16_t>(parse_uint(path, b, kPort));
  }
  return r;
}

void load_service_map(const Node& n, Config& c) {
  Section s(n, "service_map", {"rules", "unmatched"});
  if (s.has("unmatched")) {
    std::string v;
    read_string(s, "unmatched", v);
    const std::string t = lower(trim(v));
    if (t == "name") c.unmatched = UnmatchedServers::kName;
    else if (t == "drop") c.unmatched = UnmatchedServers::kDrop;
    else throw ConfigError(s.path("unmatched"), "expected name or drop, got " + quote(v));
  }
  c.service_rules.clear();
  for_each_item(s.get("rules"), s.path("rules"), "a list of rules", [&](const Node& item, const std::string& path) {
    if (!item.IsMap()) type_error(path, "a map with cidr, service and optional ports, vlan, tunnel_id, namespace, "
                                        "workload, env, site", item);
    Section r(item, path, {"cidr", "ports", "vlan", "tunnel_id", "service", "namespace", "workload", "env", "site"});
    ServiceRule rule;
    read_required_string(r, "cidr", rule.cidr, "an IPv4 or IPv6 network such as \"10.0.0.0/8\"");
    read_required_string(r, "service", rule.service, "the service name");
    for_each_item(r.get("ports"), r.path("ports"), "a list of ports or \"first-last\" ranges",
                  [&](const Node& p, const std::string& pp) { rule.ports.push_back(parse_port_item(p, pp)); });
    if (r.has("vlan")) {
      rule.has_vlan = true;
      rule.vlan = static_cast<uint16_t>(get_uint(r.get("vlan"), r.path("vlan"), kVlan));
    }
    if (r.has("tunnel_id")) {
      rule.has_tunnel_id = true;
      rule.tunnel_id = static_cast<uint32_t>(get_uint(r.get("tunnel_id"), r.path("tunnel_id"), kTunnelId));
    }
    read_string(r, "namespace", rule.namespace_name);
    read_string(r, "workload", rule.workload);
    read_string(r, "env", rule.env);
    read_string(r, "site", rule.site);
    c.service_rules.push_back(std::move(rule));
  });
}

void load_endpoint_rules(const Node& n, const std::string& path, Config& c) {
  if (!n.IsDefined()) return;
  c.endpoint_rules.clear();
  for_each_item(n, path, "a list of {match, replace} rules", [&](const Node& item, const std::string& ip) {
    if (!item.IsMap()) type_error(ip, "a map with match and replace", item);
    Section r(item, ip, {"match", "replace"});
    EndpointRule rule;
    read_required_string(r, "match", rule.match, "a regular expression (PCRE syntax, as Hyperscan accepts it)");
    read_required_string(r, "replace", rule.replace, "the replacement text; \"\" deletes the match");
    c.endpoint_rules.push_back(std::move(rule));
  });
}

void load_clickhouse(const Node& n, Config& c) {
  Section s(n, "flow_log.clickhouse",
            {"url", "database", "table", "user", "password", "password_file", "batch_rows", "flush_interval", "timeout",
             "queue_batches", "max_backoff", "spool_dir", "spool_max_bytes", "compression"});
  read_string(s, "url", c.clickhouse_url);
  read_string(s, "database", c.clickhouse_database);
  read_string(s, "table", c.clickhouse_table);
  read_string(s, "user", c.clickhouse_user);
  read_string(s, "password", c.clickhouse_password);
  read_string(s, "password_file", c.clickhouse_password_file);
  read_uint(s, "batch_rows", c.clickhouse_batch_rows, kBatchRows);
  read_duration(s, "flush_interval", c.clickhouse_flush_interval_us);
  read_duration(s, "timeout", c.clickhouse_timeout_us);
  read_uint(s, "queue_batches", c.clickhouse_queue_batches, kQueueBatches);
  read_duration(s, "max_backoff", c.clickhouse_max_backoff_us);
  read_string(s, "spool_dir", c.clickhouse_spool_dir);
  read_size(s, "spool_max_bytes", c.clickhouse_spool_max_bytes);
  read_string(s, "compression", c.clickhouse_compression);
  c.clickhouse_compression = lower(trim(c.clickhouse_compression));
}

Config load_root(const Node& root) {
  Config c;
  c.latency_buckets = default_latency_buckets();

  Section top(root, "", {"eal", "ports", "workers", "flows", "sessions", "protocols", "records", "flow_log", "metrics",
                         "service_map"});

  Section eal(top.get("eal"), "eal", {"args"});
  if (eal.has("args")) c.eal_args = get_string_list(eal.get("args"), eal.path("args"));

  load_ports(top.get("ports"), c);

  Section w(top.get("workers"), "workers",
            {"count", "dispatcher", "burst_size", "dispatch_ring_size", "mbuf_pool_size", "exit_when_idle"});
  read_uint(w, "count", c.workers, kWorkers);
  read_string(w, "dispatcher", c.dispatcher);
  read_uint(w, "burst_size", c.burst_size, kBurst);
  read_uint(w, "dispatch_ring_size", c.dispatch_ring_size, kRing);
  read_uint(w, "mbuf_pool_size", c.mbuf_pool_size, kMbufPool);
  read_duration(w, "exit_when_idle", c.exit_when_idle_us);

  Section f(top.get("flows"), "flows",
            {"capacity", "idle_timeout", "no_payload_timeout", "tcp_close_timeout", "max_out_of_order_bytes",
             "max_buffered_bytes", "max_buffered_total"});
  read_uint(f, "capacity", c.flow_capacity, kFlowCapacity);
  read_duration(f, "idle_timeout", c.flow_idle_timeout_us);
  read_duration(f, "no_payload_timeout", c.no_payload_timeout_us);
  read_duration(f, "tcp_close_timeout", c.tcp_close_timeout_us);
  read_size(f, "max_out_of_order_bytes", c.max_out_of_order_bytes);
  read_size(f, "max_buffered_bytes", c.max_buffered_bytes);
  read_size(f, "max_buffered_total", c.max_buffered_total);

  Section se(top.get("sessions"), "sessions", {"request_timeout", "max_pending_per_flow"});
  read_duration(se, "request_timeout", c.request_timeout_us);
  read_uint(se, "max_pending_per_flow", c.max_pending_per_flow, kPendingPerFlow);

  load_protocols(top.get("protocols"), c);

  Section r(top.get("records"), "records", {"ring_size"});
  read_size(r, "ring_size", c.record_ring_size);

  Section fl(top.get("flow_log"), "flow_log", {"path", "max_bytes", "max_files", "clickhouse"});
  read_string(fl, "path", c.flow_log_path);
  read_size(fl, "max_bytes", c.flow_log_max_bytes);
  read_uint(fl, "max_files", c.flow_log_max_files, kMaxFiles);
  load_clickhouse(fl.get("clickhouse"), c);

  Section m(top.get("metrics"), "metrics",
            {"listen", "latency_buckets", "client_labels", "max_series_per_metric", "max_endpoints_per_service",
             "normalize_endpoints", "endpoint_rules", "max_connections", "request_timeout", "send_timeout",
             "max_request_bytes"});
  read_string(m, "listen", c.metrics_listen);
  read_uint(m, "max_connections", c.metrics_max_connections, kMetricsConnections);
  read_duration(m, "request_timeout", c.metrics_request_timeout_us);
  read_duration(m, "send_timeout", c.metrics_send_timeout_us);
  read_size(m, "max_request_bytes", c.metrics_max_request_bytes);
  read_bool(m, "client_labels", c.client_labels);
  read_uint(m, "max_series_per_metric", c.max_series_per_metric, kCap);
  read_uint(m, "max_endpoints_per_service", c.max_endpoints_per_service, kCap);
  read_bool(m, "normalize_endpoints", c.normalize_endpoints);
  load_endpoint_rules(m.get("endpoint_rules"), m.path("endpoint_rules"), c);
  if (m.has("latency_buckets")) {
    const std::string path = m.path("latency_buckets");
    Node b = m.get("latency_buckets");
    if (!b.IsSequence()) type_error(path, "a list of bucket bounds in seconds", b);
    if (b.size() == 0) throw ConfigError(path, "give at least one bucket bound, or remove the key for the defaults");
    c.latency_buckets.clear();
    for_each_item(b, path, "a list of numbers", [&](const Node& item, const std::string& ip) {
      c.latency_buckets.push_back(parse_double(ip, item));
    });
  }

  load_service_map(top.get("service_map"), c);

  validate_config(c);
  return c;
}

// A conf with no keys at all (an empty file, only comments) is refused rather than taken as "every
// default": that is what a file caught mid-rewrite (truncated, not yet written) looks like, and
// taking it would silently replace the service map and every other setting with the defaults.
Config load_source(const std::string& text) {
  Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    // yaml-cpp marks are 0-based.
    throw ConfigError("", "YAML syntax error at line " + std::to_string(e.mark.line + 1) + ", column " +
                              std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull())
    throw ConfigError("", "the conf is empty (no keys); write {} for a conf with every default");
  if (!root.IsMap())
    throw ConfigError("", "expected a map of sections (eal, ports, workers, flows, ...) at the top level, got " +
                              describe(root));
  return load_root(root);
}

std::string file_type(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a pipe";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

Config load_config_text(const std::string& yaml_text) { return load_source(yaml_text); }

std::string read_config_file(const std::string& path) {
  auto fail = [&](const std::string& reason) { return ConfigError("", reason, path); };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // a FIFO must not block the open
  if (fd < 0) throw fail(std::string("cannot open the conf file: ") + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat before {};
  if (::fstat(fd, &before) != 0) throw fail(std::string("cannot stat the conf file: ") + std::strerror(errno));
  if (!S_ISREG(before.st_mode)) throw fail("is " + file_type(before.st_mode) + ", not a conf file");
  if (before.st_size == 0)
    throw fail("the conf file is empty (0 bytes; a file being rewritten looks like this); write {} for a conf "
               "with every default");
  if (static_cast<uint64_t>(before.st_size) > kMaxConfigFileBytes)
    throw fail("the conf file is " + std::to_string(before.st_size) + " bytes; at most " +
               std::to_string(kMaxConfigFileBytes) + " (16 MiB) are read");
  // Read one byte more than stat said: a file that grew while being read is caught here, one that
  // shrank by the short count, one rewritten in place by the second stat.
  std::string text(static_cast<std::size_t>(before.st_size) + 1, '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw fail(std::string("cannot read the conf file: ") + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  struct stat after {};
  const bool changed = ::fstat(fd, &after) != 0 || after.st_size != before.st_size ||
                       after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
                       after.st_mtim.tv_nsec != before.st_mtim.tv_nsec;
  if (got != static_cast<std::size_t>(before.st_size) || changed)
    throw fail("the conf file changed while it was read (" + std::to_string(before.st_size) + " bytes by stat, " +
               std::to_string(got) + " read); write it elsewhere and rename it into place, then try again");
  text.resize(got);
  return text;
}

Config load_config_file(const std::string& path) {
  const std::string text = read_config_file(path);
  try {
    return load_source(text);
  } catch (const ConfigError& e) {
    throw e.in_file(path);
  }
}

// -------------------------------------------------------------------------------------------------
// command-line overrides and reloads

void ConfigOverrides::apply(Config& c) const {
  if (flow_log_path) c.flow_log_path = *flow_log_path;
  if (metrics_listen) c.metrics_listen = *metrics_listen;
  if (workers) c.workers = *workers;
}

std::string ConfigOverrides::option_for(const std::string& key) const {
  if (key == "flow_log.path" && flow_log_path) return "--flow-log";
  if (key == "metrics.listen" && metrics_listen) return "--metrics-listen";
  if (key == "workers.count" && workers) return "--workers";
  return "";
}

Config with_live_keys(const Config& running, const Config& fresh) {
  Config c = running;
  c.service_rules = fresh.service_rules;
  c.unmatched = fresh.unmatched;
  c.endpoint_rules = fresh.endpoint_rules;
  c.normalize_endpoints = fresh.normalize_endpoints;
  c.max_series_per_metric = fresh.max_series_per_metric;
  c.max_endpoints_per_service = fresh.max_endpoints_per_service;
  c.trace_id_headers = fresh.trace_id_headers;
  c.span_id_headers = fresh.span_id_headers;
  c.x_request_id_headers = fresh.x_request_id_headers;
  return c;
}

std::vector<std::string> restart_only_changes(const Config& running, const Config& fresh) {
  std::vector<std::string> out;
  const Config& a = running;
  const Config b = with_live_keys(fresh, running);  // `fresh` with the running live keys
  auto diff = [&](const char* key, const auto& x, const auto& y) {
    if (!(x == y)) out.emplace_back(key);
  };
  diff("eal.args", a.eal_args, b.eal_args);
  diff("ports", a.ports, b.ports);
  diff("workers.count", a.workers, b.workers);
  diff("workers.dispatcher", a.dispatcher, b.dispatcher);
  diff("workers.burst_size", a.burst_size, b.burst_size);
  diff("workers.dispatch_ring_size", a.dispatch_ring_size, b.dispatch_ring_size);
  diff("workers.mbuf_pool_size", a.mbuf_pool_size, b.mbuf_pool_size);
  diff("workers.exit_when_idle", a.exit_when_idle_us, b.exit_when_idle_us);
  diff("flows.capacity", a.flow_capacity, b.flow_capacity);
  diff("flows.idle_timeout", a.flow_idle_timeout_us, b.flow_idle_timeout_us);
  diff("flows.no_payload_timeout", a.no_payload_timeout_us, b.no_payload_timeout_us);
  diff("flows.tcp_close_timeout", a.tcp_close_timeout_us, b.tcp_close_timeout_us);
  diff("flows.max_out_of_order_bytes", a.max_out_of_order_bytes, b.max_out_of_order_bytes);
  diff("flows.max_buffered_bytes", a.max_buffered_bytes, b.max_buffered_bytes);
  diff("flows.max_buffered_total", a.max_buffered_total, b.max_buffered_total);
  diff("sessions.request_timeout", a.request_timeout_us, b.request_timeout_us);
  diff("sessions.max_pending_per_flow", a.max_pending_per_flow, b.max_pending_per_flow);
  diff("protocols.enabled", a.enabled_protocols, b.enabled_protocols);
  diff("protocols.port_hints", a.port_hints, b.port_hints);
  diff("records.ring_size", a.record_ring_size, b.record_ring_size);
  diff("flow_log.path", a.flow_log_path, b.flow_log_path);
  diff("flow_log.max_bytes", a.flow_log_max_bytes, b.flow_log_max_bytes);
  diff("flow_log.max_files", a.flow_log_max_files, b.flow_log_max_files);
  diff("flow_log.clickhouse.url", a.clickhouse_url, b.clickhouse_url);
  diff("flow_log.clickhouse.database", a.clickhouse_database, b.clickhouse_database);
  diff("flow_log.clickhouse.table", a.clickhouse_table, b.clickhouse_table);
  diff("flow_log.clickhouse.user", a.clickhouse_user, b.clickhouse_user);
  diff("flow_log.clickhouse.password", a.clickhouse_password, b.clickhouse_password);
  diff("flow_log.clickhouse.password_file", a.clickhouse_password_file, b.clickhouse_password_file);
  diff("flow_log.clickhouse.batch_rows", a.clickhouse_batch_rows, b.clickhouse_batch_rows);
  diff("flow_log.clickhouse.flush_interval", a.clickhouse_flush_interval_us, b.clickhouse_flush_interval_us);
  diff("flow_log.clickhouse.timeout", a.clickhouse_timeout_us, b.clickhouse_timeout_us);
  diff("flow_log.clickhouse.queue_batches", a.clickhouse_queue_batches, b.clickhouse_queue_batches);
  diff("flow_log.clickhouse.max_backoff", a.clickhouse_max_backoff_us, b.clickhouse_max_backoff_us);
  diff("flow_log.clickhouse.spool_dir", a.clickhouse_spool_dir, b.clickhouse_spool_dir);
  diff("flow_log.clickhouse.spool_max_bytes", a.clickhouse_spool_max_bytes, b.clickhouse_spool_max_bytes);
  diff("flow_log.clickhouse.compression", a.clickhouse_compression, b.clickhouse_compression);
  diff("metrics.listen", a.metrics_listen, b.metrics_listen);
  diff("metrics.latency_buckets", a.latency_buckets, b.latency_buckets);
  diff("metrics.client_labels", a.client_labels, b.client_labels);
  diff("metrics.max_connections", a.metrics_max_connections, b.metrics_max_connections);
  diff("metrics.request_timeout", a.metrics_request_timeout_us, b.metrics_request_timeout_us);
  diff("metrics.send_timeout", a.metrics_send_timeout_us, b.metrics_send_timeout_us);
  diff("metrics.max_request_bytes", a.metrics_max_request_bytes, b.metrics_max_request_bytes);
  // A key added to Config but not to the list above still shows up, unnamed.
  if (out.empty() && !(a == b)) out.emplace_back("(a key not listed in restart_only_changes)");
  return out;
}

// -------------------------------------------------------------------------------------------------
// memory

std::string format_bytes(uint64_t bytes) {
  static const char* const kUnits[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 6) v /= 1024, ++u;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  return buf;
}

namespace {

// The first line of a small file, "" when it cannot be read.
std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  return trim(line);
}

// A cgroup memory limit in bytes ("max" or unreadable: 0).
uint64_t cgroup_limit(const std::string& file) {
  const std::string v = first_line(file);
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return 0;
  errno = 0;
  const unsigned long long n = std::strtoull(v.c_str(), nullptr, 10);
  return errno == 0 ? n : 0;
}

}  // namespace

uint64_t available_memory_bytes(std::string* what) {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  // UINT64_MAX while nothing is known; 0 is returned for that.
  uint64_t best = pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : UINT64_MAX;
  std::string from = "physical memory";
  auto consider = [&](uint64_t limit, const std::string& name) {
    if (limit != 0 && limit < best) best = limit, from = "the cgroup memory limit (" + name + ")";
  };
  // cgroup v2: this process's group ("0::/path" in /proc/self/cgroup), v1: the memory controller's.
  std::ifstream groups("/proc/self/cgroup");
  for (std::string line; std::getline(groups, line);) {
    if (line.rfind("0::", 0) == 0) {
      const std::string file = "/sys/fs/cgroup" + (line.size() > 4 ? line.substr(3) : std::string()) + "/memory.max";
      consider(cgroup_limit(file), file);
    }
  }
  consider(cgroup_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes"), "/sys/fs/cgroup/memory/memory.limit_in_bytes");
  // The process's own limits (ulimit -v / -d): allocations fail past them whatever the machine has.
  rlimit rl{};
  if (::getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < best)
    best = rl.rlim_cur, from = "the address-space limit (ulimit -v)";
  if (::getrlimit(RLIMIT_DATA, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < best)
    best = rl.rlim_cur, from = "the data-size limit (ulimit -d)";
  if (best == UINT64_MAX) best = 0;
  if (what != nullptr) *what = best == 0 ? "unknown" : from;
  return best;
}

void check_memory(const std::vector<MemoryNeed>& needs, uint64_t available, const std::string& available_what) {
  if (available == 0 || needs.empty()) return;
  const std::string have = format_bytes(available) + " (" + std::to_string(available) + " bytes, " + available_what + ")";
  uint64_t total = 0;
  const MemoryNeed* largest = &needs.front();
  for (const MemoryNeed& n : needs) {
    if (n.bytes > available)
      throw ConfigError(n.key, "needs " + format_bytes(n.bytes) + " (" + std::to_string(n.bytes) + " bytes: " + n.how +
                                   ") but only " + have + " is available");
    total = total + n.bytes < total ? UINT64_MAX : total + n.bytes;
    if (n.bytes > largest->bytes) largest = &n;
  }
  if (total > available) {
    std::string parts;
    for (const MemoryNeed& n : needs) parts += (parts.empty() ? "" : ", ") + n.key + " " + format_bytes(n.bytes);
    throw ConfigError(largest->key, "the sizes together need " + format_bytes(total) + " (" + parts + ") but only " +
                                        have + " is available");
  }
}

}  // namespace l7tap
