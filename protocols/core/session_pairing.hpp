// One session-pairing engine for every protocol. Parsers emit Messages; this turns them into
// l7_flow_log records:
//  - a response closes the oldest pending request of the opposite direction with the same
//    pair_class (and the same id when the protocol has one) → `session`;
//  - a one-way message → `session` at once;
//  - a request still unanswered after the request timeout → `request` with status `timeout`;
//    one pending when its flow ends → `request` with status `unknown`;
//  - a response with no pending request → `response`.
// Pending requests live in a per-worker slot pool allocated once; a request's fields are kept in
// their compact wire form in a block from the worker's BufferPool (a few hundred bytes, not a whole
// record). Each flow chains its own requests, and a worker-wide list in arrival order makes timeout
// expiry O(expired).
#pragma once

#include <cstdint>
#include <vector>

#include "protocols/core/buffer_pool.hpp"
#include "protocols/core/parser.hpp"

namespace l7tap {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void on_record(FlowRecord& record) = 0;
  // Sinks that batch (the record ring) publish what they hold; called once per burst.
  virtual void flush() {}
};

// Per-flow pairing state; lives inside the flow's state and must outlive its pending requests
// (call SessionPairing::end_flow before the flow is reused).
struct FlowSessions {
  static constexpr uint32_t kNil = 0xffffffffu;
  NetTuple net;
  ProtocolId protocol = kUnknownProtocol;
  uint32_t head = kNil;  // oldest pending request of this flow
  uint32_t tail = kNil;
  uint32_t count = 0;
  uint32_t paired = 0;  // requests answered so far (evidence that the protocol guess is right)
};

struct PairingStats {
  uint64_t sessions = 0;
  uint64_t one_way = 0;
  uint64_t timeouts = 0;
  uint64_t unanswered_at_end = 0;
  uint64_t orphan_responses = 0;
  uint64_t pending_overflow = 0;  // per-flow cap, slot pool or buffer budget: request emitted early
};

class SessionPairing {
 public:
  SessionPairing(uint32_t pool_size, uint32_t max_pending_per_flow, uint64_t request_timeout_us,
                 RecordSink& out, BufferPool& buffers);
  ~SessionPairing();
  SessionPairing(const SessionPairing&) = delete;
  SessionPairing& operator=(const SessionPairing&) = delete;

  void on_message(FlowSessions& flow, Message& msg);
  // The flow ends: its pending requests become `request` records (status unknown).
  void end_flow(FlowSessions& flow);
  // Emits requests older than the timeout (status timeout). At most `budget` per call.
  uint32_t expire(uint64_t now_us, uint32_t budget = 1024);

  // The flow's oldest pending request (the one a response most likely closes): for prefetching a
  // burst ahead.
  void prefetch(const FlowSessions& flow) const {
    if (flow.head != kNil) __builtin_prefetch(&slots_[flow.head]);
  }

  const PairingStats& stats() const { return stats_; }
  uint32_t pending() const { return in_use_; }

  // A MessageSink bound to one flow, for ParseContext::sink.
  class FlowSink final : public MessageSink {
   public:
    FlowSink(SessionPairing& p, FlowSessions& f) : p_(p), f_(f) {}
    void on_message(Message& m) override { p_.on_message(f_, m); }

   private:
    SessionPairing& p_;
    FlowSessions& f_;
  };

 private:
  static constexpr uint32_t kNil = FlowSessions::kNil;
  // What pairing needs without decoding the fields, plus where the fields are kept.
  struct Slot {
    PoolBlock fields;  // the request's L7Fields in wire form
    uint64_t id = 0;
    uint64_t ts_first_us = 0;
    uint64_t ts_last_us = 0;
    uint32_t pair_class = 0;
    Dir dir = Dir::kToServer;
    bool has_id = false;
    FlowSessions* flow = nullptr;
    uint32_t flow_prev = kNil, flow_next = kNil;  // the flow's chain
    uint32_t age_prev = kNil, age_next = kNil;    // the worker-wide arrival-order chain
  };

  uint32_t alloc_slot();
  void release(uint32_t idx);  // unlinks from both chains, frees the fields block
  // Emits a pending request alone (`request` record), then releases its slot.
  void emit_pending(uint32_t idx, ResponseStatus status);
  // Emits the stored request `idx` answered by `resp`, then releases the slot.
  void emit_pair(uint32_t idx, const Message& resp);
  void emit_message(FlowSessions& flow, RecordType type, const Message& m);
  void start_record(FlowSessions& flow, RecordType type);
  void finish_record();

  std::vector<Slot> slots_;
  uint32_t free_head_ = kNil;
  uint32_t age_head_ = kNil, age_tail_ = kNil;
  uint32_t in_use_ = 0;
  uint32_t max_per_flow_;
  uint64_t timeout_us_;
  RecordSink& out_;
  BufferPool& buffers_;
  PairingStats stats_;
  FlowRecord scratch_;
};

}  // namespace l7tap
