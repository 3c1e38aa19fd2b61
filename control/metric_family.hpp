// Building prometheus-cpp families by hand at scrape time (self-metrics and RED collectors):
// a family, and one sample added to it with its value as counter or gauge, as the family's type.
#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/metric_type.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace l7tap {

inline prometheus::MetricFamily make_family(const char* name, const char* help, prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

inline void add_sample(prometheus::MetricFamily& f, std::vector<prometheus::ClientMetric::Label> labels,
                       uint64_t value) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  if (f.type == prometheus::MetricType::Gauge)
    m.gauge.value = static_cast<double>(value);
  else
    m.counter.value = static_cast<double>(value);
  f.metric.push_back(std::move(m));
}

}  // namespace l7tap
