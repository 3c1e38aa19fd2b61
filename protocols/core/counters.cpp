#include "protocols/core/counters.hpp"

namespace l7tap {

uint32_t CounterBlock::declare(std::string_view name, std::string_view help, MetricKind kind, std::string_view label,
                               std::vector<std::string> values, std::vector<bool> always) {
  CounterFamily f;
  f.name = name;
  f.help = help;
  f.kind = kind;
  f.label = label;
  f.values = std::move(values);
  if (f.label.empty() || f.values.empty()) f.values.assign(1, std::string());
  f.always = std::move(always);
  f.always.resize(f.values.size(), true);
  f.first = size_;
  size_ += static_cast<uint32_t>(f.values.size());
  families_.push_back(std::move(f));
  return families_.back().first;
}

void CounterBlock::seal() { counters_ = std::make_unique<Counter[]>(size_); }

}  // namespace l7tap
