// The l7tap configuration: everything tunable lives here, loaded from YAML (conf/l7tap.yaml documents
// every key). Loading is strict: an unknown key or a bad value throws ConfigError naming the key's
// path (e.g. "flows.idle_timeout") and the reason; nothing starts with a half-valid conf.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace l7tap {

class ConfigError : public std::runtime_error {
 public:
  // `path`: the key ("flows.idle_timeout", "service_map.rules[2].cidr"), or "" for a problem with
  // the conf as a whole (the file cannot be read, is empty, YAML syntax). `source`: the conf file
  // the error comes from ("" when not known, e.g. a Config built in code or loaded from text).
  ConfigError(const std::string& path, const std::string& reason, const std::string& source = "")
      : std::runtime_error(message(source, path, reason)), path_(path), reason_(reason), source_(source) {}
  const std::string& path() const { return path_; }
  const std::string& reason() const { return reason_; }
  const std::string& source() const { return source_; }
  // The same error, saying which file it comes from: what() = "<file>: <key>: <reason>", so every
  // caller prints what() alone and no path appears twice.
  ConfigError in_file(const std::string& file) const { return ConfigError(path_, reason_, file); }

 private:
  static std::string message(const std::string& source, const std::string& path, const std::string& reason) {
    std::string m;
    if (!source.empty()) m += source + ": ";
    if (!path.empty()) m += path + ": ";
    return m + reason;
  }
  std::string path_, reason_, source_;
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
  // flow_log.clickhouse: the same lines inserted into ClickHouse (control/clickhouse_sink.hpp).
  std::string clickhouse_url;                          // url: http://host:port ("" = off)
  std::string clickhouse_database = "default";         // database
  std::string clickhouse_table = "l7_flow_log";        // table
  std::string clickhouse_user = "default";             // user
  std::string clickhouse_password;                     // password
  std::string clickhouse_password_file;                // password_file (read at start)
  uint32_t clickhouse_batch_rows = 10000;              // batch_rows: records per insert
  uint64_t clickhouse_flush_interval_us = 1'000'000;   // flush_interval: oldest record's wait at most
  uint64_t clickhouse_timeout_us = 10'000'000;         // timeout: a whole insert (connect, send, answer)
  uint32_t clickhouse_queue_batches = 16;              // queue_batches: control thread → sink thread
  uint64_t clickhouse_max_backoff_us = 30'000'000;     // max_backoff: retry delay cap
  std::string clickhouse_spool_dir;                    // spool_dir ("" = no spool)
  uint64_t clickhouse_spool_max_bytes = 1ull << 30;    // spool_max_bytes
  std::string clickhouse_compression = "gzip";         // compression: gzip | none

  // --- metrics ---
  std::string metrics_listen = "127.0.0.1:9464";  // metrics.listen ("" = off)
  std::vector<double> latency_buckets;            // metrics.latency_buckets (seconds, ascending)
  bool client_labels = false;                     // metrics.client_labels (client_* labels)
  uint32_t max_series_per_metric = 10000;         // metrics.max_series_per_metric (0 = no cap)
  uint32_t max_endpoints_per_service = 100;       // metrics.max_endpoints_per_service (0 = no cap)
  bool normalize_endpoints = true;                // metrics.normalize_endpoints (built-in {} rules)
  std::vector<EndpointRule> endpoint_rules;       // metrics.endpoint_rules (applied in order)
  // The /metrics listener's own limits (control/metrics_server.hpp), so idle or slow clients
  // cannot starve scrapes nor hold memory.
  uint32_t metrics_max_connections = 128;            // metrics.max_connections (open at once)
  uint64_t metrics_request_timeout_us = 5'000'000;   // metrics.request_timeout (accept → end of head)
  uint64_t metrics_send_timeout_us = 30'000'000;     // metrics.send_timeout (head → response sent)
  uint32_t metrics_max_request_bytes = 8192;         // metrics.max_request_bytes (request head)

  // --- service map (reloaded on SIGHUP together with the endpoint rules) ---
  std::vector<ServiceRule> service_rules;                  // service_map.rules (first match wins)
  UnmatchedServers unmatched = UnmatchedServers::kName;    // service_map.unmatched: name | drop

  friend bool operator==(const Config&, const Config&) = default;
};

// Loads and validates a YAML file / text. Keys absent keep the defaults above. An empty conf, or one
// whose top level is not a map of sections, is refused ("{}" is the conf with every default).
// load_config_file reads a regular file of at most kMaxConfigFileBytes, completely (a file that
// changes size while it is read is refused: a reload during a rewrite must not half-apply it); its
// errors name the file (ConfigError::source()). load_config_text parses a buffer (tests, fuzzing).
Config load_config_file(const std::string& path);
Config load_config_text(const std::string& yaml_text);
// The bytes of a conf file, with the checks above (throws ConfigError("", reason, path)).
std::string read_config_file(const std::string& path);
inline constexpr uint64_t kMaxConfigFileBytes = 16u << 20;
// Validates cross-field constraints (also called by the loaders).
void validate_config(const Config& c);
// Default latency buckets: 100 µs … 10 s.
std::vector<double> default_latency_buckets();
// Every protocol name the conf accepts (protocols.enabled, protocols.port_hints): the registered
// protocols (protocols/registry.hpp), sorted.
const std::vector<std::string>& known_protocol_names();
// metrics.max_connections: each open connection holds a file descriptor.
inline constexpr uint32_t kMaxMetricsConnections = 65536;
// metrics.max_request_bytes: room for a request line with a few headers .. far above any scraper's.
inline constexpr uint32_t kMinMetricsRequestBytes = 256;
inline constexpr uint32_t kMaxMetricsRequestBytes = 1u << 20;
// Smallest records.ring_size.
inline constexpr uint64_t kMinRecordRingBytes = 64u << 10;
// Smallest protocols.max_message_size accepted (a handshake message must fit).
inline constexpr uint64_t kMinMaxMessageBytes = 1024;
// Parses "250ms", "30s", "5m", "1h", "100us" or a bare number of seconds into µs; throws
// ConfigError(path, ...) on garbage.
uint64_t parse_duration_us(const std::string& path, const std::string& text);
// Parses "64KiB", "100MiB", "1GiB", "4096" into bytes.
uint64_t parse_size_bytes(const std::string& path, const std::string& text);

// Command-line settings that replace conf keys (-o, -m, -w; offline mode turns /metrics off unless
// -m is given). Applied at start and to every reloaded conf, so a reload compares like with like.
struct ConfigOverrides {
  std::optional<std::string> flow_log_path;   // flow_log.path
  std::optional<std::string> metrics_listen;  // metrics.listen
  std::optional<uint16_t> workers;            // workers.count
  void apply(Config& c) const;
  // The command-line option that set `key` (e.g. "--metrics-listen"), or "" when none did.
  std::string option_for(const std::string& key) const;
};

// SIGHUP reload. The keys a running l7tap takes from a new conf: the service map (rules and
// unmatched), the endpoint rules and normalisation, the cardinality caps and the trace header
// names (handed to the workers, see protocols/core/live_trace_headers.hpp). Every other key is
// read once at start (sizes of what is allocated, listeners, workers, timeouts, protocols).
inline constexpr const char* kLiveKeys[] = {"service_map.rules",
                                            "service_map.unmatched",
                                            "metrics.endpoint_rules",
                                            "metrics.normalize_endpoints",
                                            "metrics.max_series_per_metric",
                                            "metrics.max_endpoints_per_service",
                                            "protocols.trace_headers.trace_id",
                                            "protocols.trace_headers.span_id",
                                            "protocols.trace_headers.x_request_id"};
// The keys whose value differs between `running` and `fresh` and that need a restart to change
// (conf paths such as "flows.capacity", in the Config's order). Empty when a reload applies all of
// `fresh`.
std::vector<std::string> restart_only_changes(const Config& running, const Config& fresh);
// `running` with the live keys of `fresh`: the conf in force after a reload.
Config with_live_keys(const Config& running, const Config& fresh);

// Memory a conf's sizes make l7tap allocate at start, per key. control/ does not know the data
// structures' sizes: the application computes these (dataplane/app/memory_estimate.*).
struct MemoryNeed {
  std::string key;     // e.g. "flows.capacity"
  uint64_t bytes = 0;  // what the key's value makes l7tap allocate, all workers together
  std::string how;     // how that follows from the value, e.g. "1 worker x 100000000 flows x 600 bytes"
};
// The memory l7tap may use: physical memory, or less when a cgroup limit (v2 memory.max, v1
// memory.limit_in_bytes) says so; `what` is set to where the figure comes from. 0 if unknown.
uint64_t available_memory_bytes(std::string* what = nullptr);
// Throws ConfigError naming the key when one need, or all of them together, exceed `available`
// bytes (`available_what` says where that figure comes from). available = 0: no check.
void check_memory(const std::vector<MemoryNeed>& needs, uint64_t available, const std::string& available_what);
// "1.5 GiB" style, for messages.
std::string format_bytes(uint64_t bytes);

}  // namespace l7tap
