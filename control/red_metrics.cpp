#include "control/red_metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <charconv>
#include <functional>

#include "control/flow_log_writer.hpp"

namespace l7tap {

std::size_t RedLabelHash::operator()(const RedLabelValues& v) const noexcept {
  std::size_t h = 0;
  for (const std::string& s : v.values)
    h ^= std::hash<std::string_view>{}(s) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

void red_series_labels(const FlowRecord& rec, RedLabelValues& out) {
  auto& v = out.values;
  v[0].assign(protocol_name(rec.protocol));

  IpTextBuffer ip;
  std::string_view ip_text = format_ip(rec.net.server_ip, ip);
  std::string& server = v[1];
  server.clear();
  // A colon in the text means IPv6 (IPv4-mapped addresses are printed dotted): bracket it.
  const bool v6 = ip_text.find(':') != std::string_view::npos;
  if (v6) server.push_back('[');
  server.append(ip_text);
  if (v6) server.push_back(']');
  server.push_back(':');
  char port[8];
  auto r = std::to_chars(port, port + sizeof port, rec.net.server_port);
  server.append(port, static_cast<std::size_t>(r.ptr - port));

  v[2].clear();
  append_utf8_sanitized(v[2], rec.l7.endpoint);
  v[3].clear();
  append_utf8_sanitized(v[3], rec.l7.request_type);
}

bool red_has_response(const FlowRecord& rec) {
  return rec.type == RecordType::kResponse || (rec.type == RecordType::kSession && rec.has_rrt);
}

RedMetrics::RedMetrics(std::vector<double> latency_buckets, std::size_t max_series)
    : buckets_(std::move(latency_buckets)),
      max_series_(max_series),
      registry_(std::make_shared<prometheus::Registry>()) {
  auto counter = [this](const char* name, const char* help) {
    return &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
  };
  requests_ = counter("l7tap_requests_total",
                      "L7 requests seen (flow records of type session or request).");
  responses_ = counter("l7tap_responses_total",
                       "L7 responses seen (paired sessions and unpaired responses).");
  client_errors_ = counter("l7tap_client_errors_total",
                           "Records whose response_status is client_error.");
  server_errors_ = counter("l7tap_server_errors_total",
                           "Records whose response_status is server_error.");
  timeouts_ = counter("l7tap_timeouts_total", "Records whose response_status is timeout.");
  request_bytes_ = counter("l7tap_request_bytes_total",
                           "Sum of request_length of the records, in bytes.");
  response_bytes_ = counter("l7tap_response_bytes_total",
                            "Sum of response_length of the records, in bytes.");
  duration_ = &prometheus::BuildHistogram()
                   .Name("l7tap_request_duration_seconds")
                   .Help("Response time (last request byte to first response byte), in seconds.")
                   .Register(*registry_);
  records_ = counter("l7tap_records_total", "Flow records aggregated, by protocol and type.");
  overflow_ = &counter("l7tap_red_series_overflow_total",
                       "Records aggregated into an _overflow series because the RED label-set "
                       "limit was reached.")
                   ->Add({});
  series_.reserve(1024);
}

RedMetrics::~RedMetrics() = default;

RedMetrics::Series RedMetrics::make_series(const RedLabelValues& values) {
  prometheus::Labels labels;
  for (std::size_t i = 0; i < RedLabelValues::kNames.size(); ++i)
    labels.emplace(std::string(RedLabelValues::kNames[i]), values.values[i]);
  return Series{
      &requests_->Add(labels),       &responses_->Add(labels),     &client_errors_->Add(labels),
      &server_errors_->Add(labels),  &timeouts_->Add(labels),      &request_bytes_->Add(labels),
      &response_bytes_->Add(labels), &duration_->Add(labels, buckets_),
  };
}

RedMetrics::Series& RedMetrics::series_for(const FlowRecord& rec) {
  red_series_labels(rec, scratch_);
  if (auto it = series_.find(scratch_); it != series_.end()) return it->second;
  if (series_.size() >= max_series_) {
    overflow_->Increment();
    for (std::size_t i = 1; i < scratch_.values.size(); ++i) scratch_.values[i].assign(kOverflowLabel);
    if (auto it = series_.find(scratch_); it != series_.end()) return it->second;
  }
  Series s = make_series(scratch_);
  return series_.emplace(scratch_, s).first->second;
}

prometheus::Counter& RedMetrics::records_counter(ProtocolId p, RecordType t) {
  auto pi = static_cast<std::size_t>(p);
  if (pi >= records_by_type_.size()) pi = 0;
  auto ti = static_cast<std::size_t>(t);
  if (ti >= kTypeCount) ti = 0;
  prometheus::Counter*& c = records_by_type_[pi][ti];
  if (c == nullptr)
    c = &records_->Add({{"protocol", std::string(protocol_name(static_cast<ProtocolId>(pi)))},
                        {"type", std::string(record_type_name(static_cast<RecordType>(ti)))}});
  return *c;
}

void RedMetrics::observe(const FlowRecord& rec) {
  records_counter(rec.protocol, rec.type).Increment();
  Series& s = series_for(rec);
  if (rec.type == RecordType::kSession || rec.type == RecordType::kRequest) s.requests->Increment();
  if (red_has_response(rec)) s.responses->Increment();
  switch (rec.l7.response_status) {
    case ResponseStatus::kClientError: s.client_errors->Increment(); break;
    case ResponseStatus::kServerError: s.server_errors->Increment(); break;
    case ResponseStatus::kTimeout: s.timeouts->Increment(); break;
    default: break;
  }
  if (rec.l7.has_request_length) s.request_bytes->Increment(rec.l7.request_length);
  if (rec.l7.has_response_length) s.response_bytes->Increment(rec.l7.response_length);
  if (rec.has_rrt) s.duration->Observe(static_cast<double>(rec.rrt_us) / 1e6);
}

}  // namespace l7tap
