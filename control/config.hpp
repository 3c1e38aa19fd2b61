// The l7tap configuration: everything tunable lives here, loaded from YAML (conf/l7tap.yaml documents
// every key). Loading is strict: an unknown key or a bad value throws ConfigError naming the key's
// path (e.g. "flows.idle_timeout") and the reason; nothing starts with a half-valid conf.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace l7tap {

class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& path, const std::string& reason)
      : std::runtime_error(path + ": " + reason), path_(path) {}
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct PortConfig {
  std::string name;            // label used in metrics
  std::string device;          // PCI address ("0000:3b:00.0") or vdev string ("net_pcap0,rx_pcap=x.pcap")
  uint16_t rx_queues = 1;      // >1 enables RSS with a symmetric key (where the PMD supports it)
  uint16_t rx_descriptors = 1024;
  bool promiscuous = true;

  friend bool operator==(const PortConfig&, const PortConfig&) = default;
};

// One service_map rule: traffic whose address falls in `cidr` (and, when given, whose port is in
// `ports`, whose VLAN id is `vlan`, whose tunnel id is `tunnel_id`) belongs to `service`.
struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;  // inclusive; first == last for a single port
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

struct ServiceRule {
  std::string cidr;               // "10.0.0.0/8", "2001:db8::/32"; a bare address is /32 or /128
  std::vector<PortRange> ports;   // empty = any port
  bool has_vlan = false;
  uint16_t vlan = 0;              // 0..4095
  bool has_tunnel_id = false;
  uint32_t tunnel_id = 0;         // VXLAN VNI, GRE key or ERSPAN session id
  std::string service;            // required
  std::string namespace_name;     // conf key "namespace"
  std::string workload;
  std::string env;
  std::string site;
  friend bool operator==(const ServiceRule&, const ServiceRule&) = default;
};

// What the RED aggregation does with records whose server matches no rule.
enum class UnmatchedServers : uint8_t {
  kName,  // service="<ip>:<port>"
  kDrop,  // not aggregated (the flow log still has them)
};

// metrics.endpoint_rules item: every match of the PCRE `match` in an endpoint becomes `replace`.
struct EndpointRule {
  std::string match;
  std::string replace;
  friend bool operator==(const EndpointRule&, const EndpointRule&) = default;
};

struct Config {
  // --- live mode (DPDK) ---
  std::vector<std::string> eal_args;  // eal.args
  std::vector<PortConfig> ports;      // ports
  uint16_t workers = 1;               // workers.count: worker lcores
  std::string dispatcher = "auto";    // workers.dispatcher: auto | always | never
  uint16_t burst_size = 32;           // workers.burst_size
  uint32_t dispatch_ring_size = 1024; // workers.dispatch_ring_size (power of two)
  uint32_t mbuf_pool_size = 8191;     // workers.mbuf_pool_size
  // Live mode with net_pcap vdevs: stop once every port has been idle this long (0 = never).
  uint64_t exit_when_idle_us = 0;     // workers.exit_when_idle

  // --- flows ---
  uint32_t flow_capacity = 65536;         // flows.capacity (per worker)
  uint64_t flow_idle_timeout_us = 60'000'000;   // flows.idle_timeout
  uint64_t no_payload_timeout_us = 10'000'000;  // flows.no_payload_timeout (flows that carried no payload)
  uint64_t tcp_close_timeout_us = 2'000'000;    // flows.tcp_close_timeout
  uint32_t max_out_of_order_bytes = 65536;      // flows.max_out_of_order_bytes (per direction)
  uint32_t max_buffered_bytes = 65536;          // flows.max_buffered_bytes (parser tail per direction)
  uint64_t max_buffered_total = 256ull << 20;   // flows.max_buffered_total (all flows of a worker)

  // --- sessions ---
  uint64_t request_timeout_us = 30'000'000;  // sessions.request_timeout
  uint32_t max_pending_per_flow = 256;       // sessions.max_pending_per_flow

  // --- protocols ---
  std::vector<std::string> enabled_protocols;                 // protocols.enabled (empty = all)
  // protocols.port_hints.<name>: replaces that protocol's default ports (its descriptor's)
  std::map<std::string, std::vector<uint16_t>> port_hints;
  // protocols.max_message_size.<name>: largest declared message length accepted (else the
  // protocol's default); a longer one is garbage and the parser resynchronises.
  std::map<std::string, uint64_t> max_message_sizes;
  std::vector<std::string> trace_id_headers;                  // protocols.trace_headers.trace_id
  std::vector<std::string> span_id_headers;                   // protocols.trace_headers.span_id
  std::vector<std::string> x_request_id_headers;              // protocols.trace_headers.x_request_id

  // --- records (worker → control thread) ---
  uint64_t record_ring_size = 4u << 20;  // records.ring_size: bytes per worker

  // --- flow log ---
  std::string flow_log_path = "-";          // flow_log.path ("-" = stdout, "" = off)
  uint64_t flow_log_max_bytes = 100u << 20; // flow_log.max_bytes (rotate when exceeded; 0 = never)
  uint32_t flow_log_max_files = 5;          // flow_log.max_files (rotated files kept)

  // --- metrics ---
  std::string metrics_listen = "127.0.0.1:9464";  // metrics.listen ("" = off)
  std::vector<double> latency_buckets;            // metrics.latency_buckets (seconds, ascending)
  bool client_labels = false;                     // metrics.client_labels (client_* labels)
  uint32_t max_series_per_metric = 10000;         // metrics.max_series_per_metric (0 = no cap)
  uint32_t max_endpoints_per_service = 100;       // metrics.max_endpoints_per_service (0 = no cap)
  bool normalize_endpoints = true;                // metrics.normalize_endpoints (built-in {} rules)
  std::vector<EndpointRule> endpoint_rules;       // metrics.endpoint_rules (applied in order)

  // --- service map (reloaded on SIGHUP together with the endpoint rules) ---
  std::vector<ServiceRule> service_rules;                  // service_map.rules (first match wins)
  UnmatchedServers unmatched = UnmatchedServers::kName;    // service_map.unmatched: name | drop

  friend bool operator==(const Config&, const Config&) = default;
};

// Loads and validates a YAML file / text. Keys absent keep the defaults above.
Config load_config_file(const std::string& path);
Config load_config_text(const std::string& yaml_text);
// Validates cross-field constraints (also called by the loaders).
void validate_config(const Config& c);
// Default latency buckets: 100 µs … 10 s.
std::vector<double> default_latency_buckets();
// Every protocol name the conf accepts (protocols.enabled, protocols.port_hints): the registered
// protocols (protocols/registry.hpp), sorted.
const std::vector<std::string>& known_protocol_names();
// Smallest records.ring_size.
inline constexpr uint64_t kMinRecordRingBytes = 64u << 10;
// Smallest protocols.max_message_size accepted (a handshake message must fit).
inline constexpr uint64_t kMinMaxMessageBytes = 1024;
// Parses "250ms", "30s", "5m", "1h", "100us" or a bare number of seconds into µs; throws
// ConfigError(path, ...) on garbage.
uint64_t parse_duration_us(const std::string& path, const std::string& text);
// Parses "64KiB", "100MiB", "1GiB", "4096" into bytes.
uint64_t parse_size_bytes(const std::string& path, const std::string& text);

}  // namespace l7tap
