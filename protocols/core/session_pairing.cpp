#include "protocols/core/session_pairing.hpp"

#include <algorithm>

namespace l7tap {

SessionPairing::SessionPairing(uint32_t pool_size, uint32_t max_pending_per_flow, uint64_t request_timeout_us,
                               RecordSink& out, BufferPool& buffers)
    : slots_(pool_size), max_per_flow_(max_pending_per_flow), timeout_us_(request_timeout_us), out_(out),
      buffers_(buffers) {
  // Free list threaded through flow_next.
  for (uint32_t i = 0; i < pool_size; ++i) slots_[i].flow_next = i + 1 < pool_size ? i + 1 : kNil;
  free_head_ = pool_size != 0 ? 0 : kNil;
}

SessionPairing::~SessionPairing() {
  for (Slot& s : slots_) s.fields.free(buffers_);
}

uint32_t SessionPairing::alloc_slot() {
  if (free_head_ == kNil) return kNil;
  const uint32_t i = free_head_;
  free_head_ = slots_[i].flow_next;
  ++in_use_;
  return i;
}

void SessionPairing::release(uint32_t i) {
  Slot& s = slots_[i];
  FlowSessions& f = *s.flow;
  (s.flow_prev != kNil ? slots_[s.flow_prev].flow_next : f.head) = s.flow_next;
  (s.flow_next != kNil ? slots_[s.flow_next].flow_prev : f.tail) = s.flow_prev;
  --f.count;
  (s.age_prev != kNil ? slots_[s.age_prev].age_next : age_head_) = s.age_next;
  (s.age_next != kNil ? slots_[s.age_next].age_prev : age_tail_) = s.age_prev;
  s.fields.free(buffers_);
  s.flow = nullptr;
  s.flow_prev = s.age_prev = s.age_next = kNil;
  s.flow_next = free_head_;
  free_head_ = i;
  --in_use_;
}

void SessionPairing::start_record(FlowSessions& flow, RecordType type) {
  FlowRecord& r = scratch_;
  r.type = type;
  r.protocol = flow.protocol;
  r.net = flow.net;
  r.has_rrt = false;
  r.rrt_us = 0;
}

void SessionPairing::finish_record() {
  FlowRecord& r = scratch_;
  if (r.l7.response_status == ResponseStatus::kUnset && r.type != RecordType::kRequest)
    r.l7.response_status = ResponseStatus::kOk;
  out_.on_record(r);
}

void SessionPairing::emit_message(FlowSessions& flow, RecordType type, const Message& m) {
  start_record(flow, type);
  scratch_.l7 = m.fields;
  scratch_.start_time_us = m.ts_first_us;
  scratch_.end_time_us = m.ts_last_us;
  finish_record();
}

void SessionPairing::emit_pending(uint32_t idx, ResponseStatus status) {
  Slot& s = slots_[idx];
  start_record(*s.flow, RecordType::kRequest);
  std::span<const uint8_t> wire(s.fields.data, s.fields.capacity);
  if (!scratch_.l7.read(wire)) scratch_.l7.clear();  // cannot happen: written by write()
  scratch_.l7.response_status = status;
  scratch_.start_time_us = s.ts_first_us;
  scratch_.end_time_us = s.ts_last_us;
  release(idx);
  finish_record();
}

void SessionPairing::emit_pair(uint32_t idx, const Message& resp) {
  Slot& s = slots_[idx];
  start_record(*s.flow, RecordType::kSession);
  std::span<const uint8_t> wire(s.fields.data, s.fields.capacity);
  if (!scratch_.l7.read(wire)) scratch_.l7.clear();
  scratch_.l7.merge_response(resp.fields);
  scratch_.start_time_us = s.ts_first_us;
  // Never before the start: a response held behind a lost segment keeps the time it arrived,
  // which can be earlier than the retransmitted request it answers (as can backward timestamps).
  scratch_.end_time_us = std::max(resp.ts_last_us, s.ts_first_us);
  scratch_.has_rrt = true;
  scratch_.rrt_us = resp.ts_first_us > s.ts_last_us ? resp.ts_first_us - s.ts_last_us : 0;
  ++s.flow->paired;
  release(idx);
  finish_record();
}

void SessionPairing::on_message(FlowSessions& flow, Message& m) {
  switch (m.role) {
    case MsgRole::kOneWay:
      ++stats_.one_way;
      emit_message(flow, RecordType::kSession, m);
      return;
    case MsgRole::kResponse: {
      for (uint32_t i = flow.head; i != kNil; i = slots_[i].flow_next) {
        const Slot& q = slots_[i];
        if (q.dir == m.dir || q.pair_class != m.pair_class || q.has_id != m.has_id) continue;
        if (q.has_id && q.id != m.id) continue;
        ++stats_.sessions;
        emit_pair(i, m);
        return;
      }
      ++stats_.orphan_responses;
      emit_message(flow, RecordType::kResponse, m);
      return;
    }
    case MsgRole::kRequest: {
      if (flow.count >= max_per_flow_ && flow.head != kNil) {
        ++stats_.pending_overflow;
        emit_pending(flow.head, ResponseStatus::kUnknown);
      }
      uint32_t i = alloc_slot();
      if (i == kNil && age_head_ != kNil) {
        // Pool exhausted: the oldest pending request anywhere makes room.
        ++stats_.pending_overflow;
        emit_pending(age_head_, ResponseStatus::kUnknown);
        i = alloc_slot();
      }
      Slot* s = i != kNil ? &slots_[i] : nullptr;
      if (s != nullptr && !s->fields.reserve(buffers_, m.fields.wire_size(), 0)) {
        // Out of buffer memory: the slot goes back (it is on no chain yet).
        s->flow_next = free_head_;
        free_head_ = i;
        --in_use_;
        s = nullptr;
      }
      if (s == nullptr) {  // no slot or no memory: the request is logged at once, unanswered
        ++stats_.pending_overflow;
        m.fields.response_status = ResponseStatus::kUnknown;
        emit_message(flow, RecordType::kRequest, m);
        return;
      }
      m.fields.write(s->fields.data);
      s->id = m.id;
      s->ts_first_us = m.ts_first_us;
      s->ts_last_us = m.ts_last_us;
      s->pair_class = m.pair_class;
      s->dir = m.dir;
      s->has_id = m.has_id;
      s->flow = &flow;
      s->flow_prev = flow.tail;
      s->flow_next = kNil;
      (flow.tail != kNil ? slots_[flow.tail].flow_next : flow.head) = i;
      flow.tail = i;
      ++flow.count;
      s->age_prev = age_tail_;
      s->age_next = kNil;
      (age_tail_ != kNil ? slots_[age_tail_].age_next : age_head_) = i;
      age_tail_ = i;
      return;
    }
  }
}

void SessionPairing::end_flow(FlowSessions& flow) {
  while (flow.head != kNil) {
    ++stats_.unanswered_at_end;
    emit_pending(flow.head, ResponseStatus::kUnknown);
  }
}

uint32_t SessionPairing::expire(uint64_t now_us, uint32_t budget) {
  uint32_t n = 0;
  // Arrival order is timestamp order within a worker (packets are processed in order), so the
  // oldest request is at the head.
  while (age_head_ != kNil && n < budget) {
    const Slot& s = slots_[age_head_];
    if (s.ts_last_us + timeout_us_ > now_us) break;
    ++stats_.timeouts;
    emit_pending(age_head_, ResponseStatus::kTimeout);
    ++n;
  }
  return n;
}

}  // namespace l7tap
