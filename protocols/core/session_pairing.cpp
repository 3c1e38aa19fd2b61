#include "protocols/core/session_pairing.hpp"

namespace l7tap {

SessionPairing::SessionPairing(uint32_t pool_size, uint32_t max_pending_per_flow, uint64_t request_timeout_us,
                               RecordSink& out)
    : slots_(pool_size), max_per_flow_(max_pending_per_flow), timeout_us_(request_timeout_us), out_(out) {
  // Free list threaded through flow_next.
  for (uint32_t i = 0; i < pool_size; ++i) slots_[i].flow_next = i + 1 < pool_size ? i + 1 : kNil;
  free_head_ = pool_size != 0 ? 0 : kNil;
}

uint32_t SessionPairing::alloc_slot() {
  if (free_head_ == kNil) return kNil;
  uint32_t i = free_head_;
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
  s.flow = nullptr;
  s.flow_prev = s.age_prev = s.age_next = kNil;
  s.flow_next = free_head_;
  free_head_ = i;
  --in_use_;
}

void SessionPairing::emit(FlowSessions& flow, RecordType type, const Message* req, const Message* resp) {
  FlowRecord& r = scratch_;
  r.type = type;
  r.protocol = flow.protocol;
  r.net = flow.net;
  r.has_rrt = false;
  r.rrt_us = 0;
  if (req != nullptr) {
    r.l7 = req->fields;
    r.start_time_us = req->ts_first_us;
    r.end_time_us = req->ts_last_us;
  } else {
    r.l7 = resp->fields;
    r.start_time_us = resp->ts_first_us;
    r.end_time_us = resp->ts_last_us;
  }
  if (req != nullptr && resp != nullptr) {
    const L7Fields& rf = resp->fields;
    if (rf.has_response_code) r.l7.set_response_code(rf.response_code);
    if (rf.response_status != ResponseStatus::kUnset) r.l7.response_status = rf.response_status;
    if (!rf.response_exception.empty()) r.l7.response_exception = rf.response_exception;
    if (!rf.response_result.empty()) r.l7.response_result = rf.response_result;
    if (rf.has_response_length) r.l7.set_response_length(rf.response_length);
    r.l7.fill_missing_from(rf);
    r.end_time_us = resp->ts_last_us;
    r.has_rrt = true;
    r.rrt_us = resp->ts_first_us > req->ts_last_us ? resp->ts_first_us - req->ts_last_us : 0;
  }
  if (r.l7.response_status == ResponseStatus::kUnset && type != RecordType::kRequest)
    r.l7.response_status = ResponseStatus::kOk;
  out_.on_record(r);
}

void SessionPairing::emit_request_only(Slot& s, ResponseStatus status) {
  s.msg.fields.response_status = status;
  emit(*s.flow, RecordType::kRequest, &s.msg, nullptr);
}

void SessionPairing::on_message(FlowSessions& flow, Message& m) {
  switch (m.role) {
    case MsgRole::kOneWay:
      ++stats_.one_way;
      emit(flow, RecordType::kSession, &m, nullptr);
      return;
    case MsgRole::kResponse: {
      for (uint32_t i = flow.head; i != kNil; i = slots_[i].flow_next) {
        const Message& q = slots_[i].msg;
        if (q.dir == m.dir || q.pair_class != m.pair_class || q.has_id != m.has_id) continue;
        if (q.has_id && q.id != m.id) continue;
        ++stats_.sessions;
        emit(flow, RecordType::kSession, &slots_[i].msg, &m);
        release(i);
        return;
      }
      ++stats_.orphan_responses;
      emit(flow, RecordType::kResponse, nullptr, &m);
      return;
    }
    case MsgRole::kRequest: {
      if (flow.count >= max_per_flow_ && flow.head != kNil) {
        ++stats_.pending_overflow;
        emit_request_only(slots_[flow.head], ResponseStatus::kUnknown);
        release(flow.head);
      }
      uint32_t i = alloc_slot();
      if (i == kNil && age_head_ != kNil) {
        // Pool exhausted: the oldest pending request anywhere makes room.
        ++stats_.pending_overflow;
        emit_request_only(slots_[age_head_], ResponseStatus::kUnknown);
        release(age_head_);
        i = alloc_slot();
      }
      if (i == kNil) {  // pool of size 0
        ++stats_.pending_overflow;
        m.fields.response_status = ResponseStatus::kUnknown;
        emit(flow, RecordType::kRequest, &m, nullptr);
        return;
      }
      Slot& s = slots_[i];
      s.msg = m;
      s.flow = &flow;
      s.flow_prev = flow.tail;
      s.flow_next = kNil;
      (flow.tail != kNil ? slots_[flow.tail].flow_next : flow.head) = i;
      flow.tail = i;
      ++flow.count;
      s.age_prev = age_tail_;
      s.age_next = kNil;
      (age_tail_ != kNil ? slots_[age_tail_].age_next : age_head_) = i;
      age_tail_ = i;
      return;
    }
  }
}

void SessionPairing::end_flow(FlowSessions& flow) {
  while (flow.head != kNil) {
    ++stats_.unanswered_at_end;
    emit_request_only(slots_[flow.head], ResponseStatus::kUnknown);
    release(flow.head);
  }
}

uint32_t SessionPairing::expire(uint64_t now_us, uint32_t budget) {
  uint32_t n = 0;
  // Arrival order is timestamp order within a worker (packets are processed in order), so the
  // oldest request is at the head.
  while (age_head_ != kNil && n < budget) {
    Slot& s = slots_[age_head_];
    if (s.msg.ts_last_us + timeout_us_ > now_us) break;
    ++stats_.timeouts;
    emit_request_only(s, ResponseStatus::kTimeout);
    release(age_head_);
    ++n;
  }
  return n;
}

}  // namespace l7tap
