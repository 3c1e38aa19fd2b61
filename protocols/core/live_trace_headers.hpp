// The conf's extra trace header names (protocols.trace_headers), changeable while workers parse:
// SIGHUP publishes a new immutable set, each worker switches to it between bursts. A set is freed
// only when no worker can still be reading it.
//
// The handoff is a hazard pointer per worker: a worker announces the set it is about to use in its
// own slot and then checks the set is still the current one (else it retries with the newer one);
// the control thread publishes a new set and then frees only the older sets no slot names. With
// sequentially consistent stores and loads on both sides, a set a worker announced before the
// publisher's scan is seen by that scan, and a worker that announced after the publish finds the
// new set on its re-check. Workers never wait and never allocate; one acquire load per check when
// nothing changed.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/core/parser.hpp"

namespace l7tap {

// One immutable set of names (lower case) with the views ParserOptions points to.
class TraceHeaderNames {
 public:
  TraceHeaderNames(const std::vector<std::string>& trace_id, const std::vector<std::string>& span_id,
                   const std::vector<std::string>& x_request_id) {
    storage_.reserve(trace_id.size() + span_id.size() + x_request_id.size());  // views must not move
    keep(trace_id, trace_id_);
    keep(span_id, span_id_);
    keep(x_request_id, x_request_id_);
  }
  TraceHeaderNames(const TraceHeaderNames&) = delete;
  TraceHeaderNames& operator=(const TraceHeaderNames&) = delete;

  // Points `o`'s header lists at this set.
  void apply(ParserOptions& o) const {
    o.trace_id_headers = trace_id_;
    o.span_id_headers = span_id_;
    o.x_request_id_headers = x_request_id_;
  }
  bool same_names(const std::vector<std::string>& t, const std::vector<std::string>& s,
                  const std::vector<std::string>& x) const {
    return equal(trace_id_, t) && equal(span_id_, s) && equal(x_request_id_, x);
  }

 private:
  void keep(const std::vector<std::string>& names, std::vector<std::string_view>& views) {
    for (const std::string& n : names) views.emplace_back(storage_.emplace_back(n));
  }
  static bool equal(const std::vector<std::string_view>& a, const std::vector<std::string>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i] != b[i]) return false;
    return true;
  }
  std::vector<std::string> storage_;
  std::vector<std::string_view> trace_id_, span_id_, x_request_id_;
};

class LiveTraceHeaders {
 public:
  // `readers`: the workers that parse (each passes its index to use()).
  LiveTraceHeaders(std::size_t readers, const std::vector<std::string>& trace_id,
                   const std::vector<std::string>& span_id, const std::vector<std::string>& x_request_id)
      : readers_(readers), slots_(std::make_unique<std::atomic<const TraceHeaderNames*>[]>(readers)) {
    sets_.push_back(std::make_unique<TraceHeaderNames>(trace_id, span_id, x_request_id));
    current_.store(sets_.back().get());
    for (std::size_t i = 0; i < readers_; ++i) slots_[i].store(nullptr);
  }
  LiveTraceHeaders(const LiveTraceHeaders&) = delete;
  LiveTraceHeaders& operator=(const LiveTraceHeaders&) = delete;

  std::size_t readers() const { return readers_; }

  // --- a worker (reader `i` < readers()), between bursts ---
  // Points `o` at the current set when it is not the one `held` already (the one this reader
  // announced last); returns the set now held. Call with held = nullptr the first time.
  const TraceHeaderNames* use(std::size_t i, const TraceHeaderNames* held, ParserOptions& o) {
    const TraceHeaderNames* p = current_.load(std::memory_order_acquire);
    if (p == held) return held;
    for (;;) {
      slots_[i].store(p, std::memory_order_seq_cst);
      const TraceHeaderNames* again = current_.load(std::memory_order_seq_cst);
      if (again == p) break;
      p = again;
    }
    p->apply(o);
    return p;
  }

  // --- the control thread (one publisher) ---
  // Makes the names current unless they already are; frees the sets no reader holds any more.
  // Returns false when nothing changed.
  bool publish(const std::vector<std::string>& trace_id, const std::vector<std::string>& span_id,
               const std::vector<std::string>& x_request_id) {
    if (sets_.back()->same_names(trace_id, span_id, x_request_id)) return false;
    sets_.push_back(std::make_unique<TraceHeaderNames>(trace_id, span_id, x_request_id));
    current_.store(sets_.back().get(), std::memory_order_seq_cst);
    reclaim();
    return true;
  }
  // Sets kept (the current one and those a reader may still use): for tests and the bound.
  std::size_t sets_kept() {
    reclaim();
    return sets_.size();
  }

 private:
  void reclaim() {
    for (std::size_t k = 0; k + 1 < sets_.size();) {
      bool held = false;
      for (std::size_t i = 0; i < readers_ && !held; ++i)
        held = slots_[i].load(std::memory_order_seq_cst) == sets_[k].get();
      if (held) {
        ++k;
      } else {
        sets_.erase(sets_.begin() + static_cast<std::ptrdiff_t>(k));
      }
    }
  }

  std::size_t readers_;
  std::unique_ptr<std::atomic<const TraceHeaderNames*>[]> slots_;  // per reader: the set it uses
  std::atomic<const TraceHeaderNames*> current_{nullptr};
  std::vector<std::unique_ptr<TraceHeaderNames>> sets_;  // publisher only; back() is current
};

}  // namespace l7tap
