#include "control/red_metrics.hpp"

#include <cstring>
#include <utility>

#include "control/flow_log_writer.hpp"
#include "protocols/registry.hpp"

namespace l7tap {

namespace {

// Request types are a few dozen names per protocol; unmatched addresses as many as the service
// map's own cache remembers.
constexpr std::size_t kRequestTypeCacheEntries = 256;
constexpr std::size_t kAddressCacheEntries = ServiceMap::kDefaultCacheSlots;

// The entry for `raw`, made with make(raw, text) on a miss.
template <typename Make>
LabelCache::Entry& cached(LabelCache& cache, std::string_view raw, Make&& make) {
  const uint64_t h = hash_string(raw);
  if (LabelCache::Entry* e = cache.find(raw, h)) return *e;
  LabelCache::Entry& e = cache.insert(raw, h);
  make(raw, e.text);
  return e;
}

// The id of the entry's text in `table` (find(text)), or kNone. Looked up again only when the
// table has grown since the last look: strings are interned only for new series, which stop
// coming in a steady state, so a label no series has costs nothing per record either.
template <typename Find>
uint32_t interned_id(LabelCache::Entry& e, const StringTable& table, Find&& find) {
  if (e.id == StringTable::kNone && e.checked != table.size()) {
    e.id = find(e.text);
    e.checked = table.size();
  }
  return e.id;
}

void make_request_type(std::string_view raw, std::string& text) {
  text.clear();
  append_utf8_sanitized(text, raw);
}

uint64_t pair_key(uint32_t name, uint32_t endpoint) { return static_cast<uint64_t>(name) << 32 | endpoint; }

// Unregistered ids all get protocol="unknown": one series, as their labels are the same.
ProtocolId label_protocol(ProtocolId p) { return protocol_by_id(p) != nullptr ? p : kUnknownProtocol; }

RedRules default_rules() {
  RedRules r;
  r.service_map = std::make_unique<ServiceMap>(std::vector<ServiceRule>{});
  r.normalizer = std::make_unique<EndpointNormalizer>(std::vector<EndpointRule>{}, true);
  return r;
}

RedOptions options_with(std::vector<double> buckets) {
  RedOptions o;
  o.latency_buckets = std::move(buckets);
  return o;
}

RedOptions with_default_buckets(RedOptions o) {
  if (o.latency_buckets.empty()) o.latency_buckets = default_latency_buckets();
  return o;
}

}  // namespace

RedOptions RedOptions::from_config(const Config& c) {
  RedOptions o;
  o.latency_buckets = c.latency_buckets.empty() ? default_latency_buckets() : c.latency_buckets;
  o.max_series_per_metric = c.max_series_per_metric;
  o.max_endpoints_per_service = c.max_endpoints_per_service;
  o.client_labels = c.client_labels;
  return o;
}

RedRules RedRules::from_config(const Config& c) {
  RedRules r;
  r.service_map = std::make_unique<ServiceMap>(c.service_rules, c.unmatched);
  r.normalizer = std::make_unique<EndpointNormalizer>(c.endpoint_rules, c.normalize_endpoints);
  return r;
}

RedMetrics::RedMetrics(std::vector<double> latency_buckets)
    : RedMetrics(options_with(std::move(latency_buckets)), default_rules()) {}

RedMetrics::RedMetrics(RedOptions options, RedRules rules)
    : opt_(with_default_buckets(std::move(options))),
      rules_(std::move(rules)),
      collector_(std::make_shared<RedCollector>(opt_.latency_buckets, opt_.client_labels)),
      t_(collector_->tables()),
      endpoint_cache_(opt_.endpoint_cache_entries),
      request_type_cache_(kRequestTypeCacheEntries),
      server_cache_(kAddressCacheEntries),
      client_cache_(kAddressCacheEntries) {
  std::lock_guard<std::mutex> lock(collector_->mutex());
  empty_tuple_ = intern_tuple("");
  overflow_tuple_ = intern_tuple(kOverflow);
  overflow_endpoint_ = t_.endpoints.add(kOverflow);
  overflow_request_type_ = t_.request_types.add(kOverflow);
  intern_rules();
}

RedMetrics::~RedMetrics() = default;

std::shared_ptr<prometheus::Collectable> RedMetrics::collectable() const { return collector_; }

void RedMetrics::set_rules(RedRules rules) {
  RedRules old;
  {
    std::lock_guard<std::mutex> lock(collector_->mutex());
    old = std::exchange(rules_, std::move(rules));
    intern_rules();
  }
  // Their labels came from the old rules (the client cache only has addresses: still right).
  endpoint_cache_.clear();
  server_cache_.clear();
}

void RedMetrics::set_caps(std::size_t max_series_per_metric, std::size_t max_endpoints_per_service) {
  std::lock_guard<std::mutex> lock(collector_->mutex());
  opt_.max_series_per_metric = max_series_per_metric;
  opt_.max_endpoints_per_service = max_endpoints_per_service;
}

void RedMetrics::intern_rules() {
  const ServiceMap& map = *rules_.service_map;
  rule_tuple_.resize(map.size());
  for (std::size_t i = 0; i < map.size(); ++i) {
    const ServiceRule& r = map.rule(static_cast<int>(i));
    rule_tuple_[i] = intern_tuple(r.service, r.namespace_name, r.workload, r.env, r.site);
  }
}

uint32_t RedMetrics::intern_tuple(std::string_view service, std::string_view ns, std::string_view workload,
                                  std::string_view env, std::string_view site) {
  encode_label_tuple(scratch_, service, ns, workload, env, site);
  const uint32_t id = t_.tuples.add(scratch_);
  if (id == t_.tuple_name.size()) {
    const uint32_t name = t_.names.add(service);
    t_.tuple_name.push_back(name);
    if (name >= endpoints_per_name_.size()) {
      endpoints_per_name_.resize(name + 1, 0);
      t_.endpoint_overflow.resize(name + 1, 0);
    }
  }
  return id;
}

void RedMetrics::make_endpoint(std::string_view raw, std::string& text) {
  sanitized_.clear();
  append_utf8_sanitized(sanitized_, raw);
  EndpointNormalizer& n = *rules_.normalizer;
  if (n.rule_count() == 0) {
    // Built-in rule only (or nothing): it replaces whole segments, so UTF-8 stays valid.
    n.normalize(sanitized_, text);
  } else {
    // A pattern may match part of a multi-byte character: sanitise the result again.
    n.normalize(sanitized_, normalized_);
    text.clear();
    append_utf8_sanitized(text, normalized_);
  }
}

uint32_t RedMetrics::tuple_of_text(LabelCache::Entry& e) {
  return interned_id(e, t_.tuples, [this](const std::string& s) {
    encode_label_tuple(scratch_, s, {}, {}, {}, {});
    return t_.tuples.find(scratch_);
  });
}

bool RedMetrics::resolve_server(const ServiceKey& key, Resolved& r) {
  // The whole lookup key is the cache key: the entry remembers the rule's tuple, "drop", or the
  // unmatched server's "ip:port" (the cache is emptied when the rules change).
  char raw[25];
  std::memcpy(raw, key.ip.data(), 16);
  std::memcpy(raw + 16, &key.port, 2);
  std::memcpy(raw + 18, &key.vlan, 2);
  std::memcpy(raw + 20, &key.tunnel_id, 4);
  raw[24] = static_cast<char>(key.has_vlan | key.has_tunnel_id << 1);
  const std::string_view k(raw, sizeof raw);
  const uint64_t h = hash_bytes(raw, sizeof raw);
  LabelCache::Entry* e = server_cache_.find(k, h);
  if (e == nullptr) {
    e = &server_cache_.insert(k, h);
    e->text.clear();
    ServiceMap& map = *rules_.service_map;
    if (const int rule = map.lookup(key); rule != ServiceMap::kNoMatch)
      e->id = rule_tuple_[static_cast<std::size_t>(rule)];
    else if (map.unmatched() == UnmatchedServers::kDrop)
      e->id = kDropped;
    else
      format_address_port(key.ip, key.port, e->text);  // id: interned or not, see below
  }
  if (e->id == kDropped) return false;
  r.server = tuple_of_text(*e);
  r.server_text = e->text.empty() ? nullptr : &e->text;
  return true;
}

uint32_t RedMetrics::resolve_client(const FlowRecord& rec, ServiceKey key, const std::string*& text) {
  key.ip = rec.net.client_ip;
  key.port = rec.net.client_port;  // only rules that list ports look at it
  const int rule = rules_.service_map->lookup(key);
  text = nullptr;
  if (rule != ServiceMap::kNoMatch) return rule_tuple_[static_cast<std::size_t>(rule)];
  // Unmatched: the address alone (client ports are ephemeral), cached by address.
  const std::array<uint8_t, 16>& ip = rec.net.client_ip;
  LabelCache::Entry& e =
      cached(client_cache_, std::string_view(reinterpret_cast<const char*>(ip.data()), ip.size()),
             [&ip](std::string_view, std::string& out) { format_address(ip, out); });
  text = &e.text;
  return tuple_of_text(e);
}

bool RedMetrics::resolve(const FlowRecord& rec, Resolved& r) {
  r.protocol = label_protocol(rec.protocol);
  ServiceKey key;
  key.ip = rec.net.server_ip;
  key.port = rec.net.server_port;
  key.has_vlan = rec.net.has_vlan;
  key.vlan = rec.net.vlan;
  key.has_tunnel_id = rec.net.has_tunnel_id;
  key.tunnel_id = rec.net.tunnel_id;
  if (!resolve_server(key, r)) return false;
  r.client = opt_.client_labels ? resolve_client(rec, key, r.client_text) : empty_tuple_;

  LabelCache::Entry& e = cached(endpoint_cache_, rec.l7.get(Field::kEndpoint),
                                [this](std::string_view raw, std::string& text) { make_endpoint(raw, text); });
  r.endpoint = interned_id(e, t_.endpoints, [this](const std::string& s) { return t_.endpoints.find(s); });
  r.endpoint_text = &e.text;
  LabelCache::Entry& t = cached(request_type_cache_, rec.l7.get(Field::kRequestType), make_request_type);
  r.request_type = interned_id(t, t_.request_types, [this](const std::string& s) { return t_.request_types.find(s); });
  r.request_type_text = &t.text;
  return true;
}

bool RedMetrics::series_labels(const FlowRecord& rec, RedLabelValues& out) {
  using V = RedLabelValues;
  Resolved r;
  if (!resolve(rec, r)) return false;
  auto tuple = [this](uint32_t id, const std::string* text) {
    return id != kNone ? decode_label_tuple(t_.tuples[id]) : LabelTuple{*text, "", "", "", ""};
  };
  auto& v = out.values;
  v[V::kProtocol].assign(protocol_name(r.protocol));
  const LabelTuple server = tuple(r.server, r.server_text);
  const LabelTuple client = tuple(r.client, r.client_text);
  for (std::size_t i = 0; i < 5; ++i) {
    v[V::kService + i] = server[i];
    v[V::kClientService + i] = client[i];
  }
  v[V::kEndpoint] = *r.endpoint_text;
  v[V::kRequestType] = *r.request_type_text;
  return true;
}

uint32_t RedMetrics::service_name(const Resolved& r) const {
  return r.server != kNone ? t_.tuple_name[r.server] : t_.names.find(*r.server_text);
}

void RedMetrics::observe(const FlowRecord& rec) {
  Batch batch(*this);
  batch.observe(rec);
}

void RedMetrics::observe_locked(const FlowRecord& rec) {
  auto type = static_cast<std::size_t>(rec.type);
  if (type >= RedTables::kRecordTypes) type = 0;
  ++t_.records[label_protocol(rec.protocol) * RedTables::kRecordTypes + type];
  Resolved r;
  if (!resolve(rec, r)) {
    ++t_.dropped_unmatched;
    return;
  }
  t_.series.count(series_for(r), rec);
}

uint32_t RedMetrics::series_for(Resolved& r) {
  SeriesKey key{r.server, r.client, r.endpoint, r.request_type, r.protocol};
  auto interned = [&key] {
    return key.server != kNone && key.client != kNone && key.endpoint != kNone && key.request_type != kNone;
  };
  // The steady state: the series exists. Its endpoint is already counted for its service (only
  // series with "__overflow__" are made without), so the endpoint cap has nothing to say.
  if (interned() && key.endpoint != overflow_endpoint_)
    if (const uint32_t i = t_.series.find(key); i != SeriesTable::kNone) return i;

  const std::size_t max_endpoints = opt_.max_endpoints_per_service;
  if (max_endpoints != 0) {
    const uint32_t name = service_name(r);  // kNone: no series has this service
    const bool known = name != kNone && key.endpoint != kNone && name_endpoints_.count(pair_key(name, key.endpoint)) != 0;
    const std::size_t have = name == kNone ? 0 : endpoints_per_name_[name];
    if (!known && have >= max_endpoints) {
      ++t_.endpoint_overflow[name];
      key.endpoint = overflow_endpoint_;
    }
  }
  if (interned())
    if (const uint32_t i = t_.series.find(key); i != SeriesTable::kNone) return i;
  // The overflow series counts in the cap: the regular ones stop one short of it.
  if (opt_.max_series_per_metric != 0 && regular_series_ + 1 >= opt_.max_series_per_metric) return overflow_series();

  if (key.server == kNone) key.server = intern_tuple(*r.server_text);
  if (key.client == kNone) key.client = intern_tuple(*r.client_text);
  if (key.endpoint == kNone) key.endpoint = t_.endpoints.add(*r.endpoint_text);
  if (key.request_type == kNone) key.request_type = t_.request_types.add(*r.request_type_text);
  const uint32_t i = t_.series.add(key);
  ++regular_series_;
  if (max_endpoints != 0 && key.endpoint != overflow_endpoint_) {
    const uint32_t name = t_.tuple_name[key.server];
    if (name_endpoints_.insert(pair_key(name, key.endpoint)).second) ++endpoints_per_name_[name];
  }
  return i;
}

uint32_t RedMetrics::overflow_series() {
  ++t_.series_overflow;
  if (overflow_series_ == SeriesTable::kNone)
    overflow_series_ = t_.series.add(
        {overflow_tuple_, empty_tuple_, overflow_endpoint_, overflow_request_type_, kOverflowProtocol});
  return overflow_series_;
}

}  // namespace l7tap
