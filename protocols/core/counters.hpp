// Counters shared by the dataplane, the protocol framework and the control thread, declared with
// the code that counts (VPP style): a component declares its counter families in a CounterBlock
// (Prometheus name, help, kind, one label and its values) and bumps them by index; the control
// thread renders any block at scrape time without knowing what the counters mean. This header is
// the neutral place both sides include, so control/ never needs dataplane/ headers.
//
// Each block has exactly one writer (a worker, the dispatcher, the flow-log writer); readers (the
// scrape) load with relaxed order. Writers publish with relaxed load+store, no locked instruction.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace l7tap {

class Counter {
 public:
  void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

enum class MetricKind : uint8_t { kCounter, kGauge };

// One family of a block: `values.size()` series told apart by `label` (one unlabelled series when
// `label` is empty). A series whose `always` bit is false is left out of the scrape while zero.
struct CounterFamily {
  std::string name;
  std::string help;
  MetricKind kind = MetricKind::kCounter;
  std::string label;
  std::vector<std::string> values;
  std::vector<bool> always;
  uint32_t first = 0;  // index of the family's first counter in the block
};

class CounterBlock {
 public:
  CounterBlock() = default;
  CounterBlock(const CounterBlock&) = delete;
  CounterBlock& operator=(const CounterBlock&) = delete;

  // Declares a family and returns the index of its first counter (series i is first + i). Only
  // while the block is being built, before any reader or writer uses it.
  uint32_t declare(std::string_view name, std::string_view help, MetricKind kind = MetricKind::kCounter,
                   std::string_view label = {}, std::vector<std::string> values = {},
                   std::vector<bool> always = {});
  // Allocates the counters (all zero). Call once, after the last declare().
  void seal();

  Counter& operator[](uint32_t i) { return counters_[i]; }
  const Counter& operator[](uint32_t i) const { return counters_[i]; }
  uint32_t size() const { return size_; }
  const std::vector<CounterFamily>& families() const { return families_; }

 private:
  std::vector<CounterFamily> families_;
  std::unique_ptr<Counter[]> counters_;
  uint32_t size_ = 0;
};

}  // namespace l7tap
