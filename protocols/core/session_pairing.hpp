// One session-pairing engine for every protocol. Parsers emit Messages; this turns them into
// l7_flow_log records:
//  - a response closes the oldest pending request of the opposite direction with the same
//    pair_class (and the same id when the protocol has one) → `session`;
//  - a one-way message → `session` at once;
//  - a request still unanswered after the request timeout → `request` with status `timeout`;
//    one pending when its flow ends → `request` with status `unknown`;
//  - a response with no pending request → `response`.
// Pending requests live in a per-worker pool allocated once (no allocation per message); each
// flow chains its own, and a worker-wide list in arrival order makes timeout expiry O(expired).
#pragma once

#include <cstdint>
#include <vector>

#include "protocols/core/parser.hpp"

namespace l7tap {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void on_record(FlowRecord& record) = 0;
};

// Per-flow pairing state; lives inside the flow's state and must outlive its pending requests
// (call SessionPairing::end_flow before the flow is reused).
struct FlowSessions {
  static constexpr uint32_t kNil = 0xffffffffu;
  ProtocolId protocol = ProtocolId::kUnknown;
  NetTuple net;
  uint32_t head = kNil;  // oldest pending request of this flow
  uint32_t tail = kNil;
  uint32_t count = 0;
};

struct PairingStats {
  uint64_t sessions = 0;
  uint64_t one_way = 0;
  uint64_t timeouts = 0;
  uint64_t unanswered_at_end = 0;
  uint64_t orphan_responses = 0;
  uint64_t pending_overflow = 0;  // per-flow cap or pool exhausted: oldest request emitted early
};

class SessionPairing {
 public:
  SessionPairing(uint32_t pool_size, uint32_t max_pending_per_flow, uint64_t request_timeout_us,
                 RecordSink& out);

  void on_message(FlowSessions& flow, Message& msg);
  // The flow ends: its pending requests become `request` records (status unknown).
  void end_flow(FlowSessions& flow);
  // Emits requests older than the timeout (status timeout). At most `budget` per call.
  uint32_t expire(uint64_t now_us, uint32_t budget = 1024);

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
  struct Slot {
    Message msg;
    FlowSessions* flow = nullptr;
    uint32_t flow_prev = kNil, flow_next = kNil;  // the flow's chain
    uint32_t age_prev = kNil, age_next = kNil;    // the worker-wide arrival-order chain
  };

  uint32_t alloc_slot();
  void release(uint32_t idx);  // unlinks from both chains
  void emit_request_only(Slot& s, ResponseStatus status);
  void emit(FlowSessions& flow, RecordType type, const Message* req, const Message* resp);

  std::vector<Slot> slots_;
  uint32_t free_head_ = kNil;
  uint32_t age_head_ = kNil, age_tail_ = kNil;
  uint32_t in_use_ = 0;
  uint32_t max_per_flow_;
  uint64_t timeout_us_;
  RecordSink& out_;
  PairingStats stats_;
  FlowRecord scratch_;
};

}  // namespace l7tap
