// SessionPairing: by-id and FIFO pairing, the direction rule, one-way messages, orphans, timeouts,
// flow end, the per-flow cap and pool exhaustion, timing fields and the merge rule; a randomised
// run against a simple reference model checks slot reuse with many interleaved flows. Also covers
// the L7Fields helpers the merge relies on (set_attribute, fill_missing_from, set_request_id).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "protocols/core/session_pairing.hpp"

namespace l7tap {
namespace {

class Collect final : public RecordSink {
 public:
  void on_record(FlowRecord& r) override { records.push_back(r); }
  std::vector<FlowRecord> records;
};

// A message whose identity travels in request_resource (requests) or response_result (responses).
Message req(Dir dir, std::string_view tag, uint64_t ts_first, uint64_t ts_last, uint32_t pair_class = 0) {
  Message m;
  m.role = MsgRole::kRequest;
  m.dir = dir;
  m.pair_class = pair_class;
  m.ts_first_us = ts_first;
  m.ts_last_us = ts_last;
  m.fields.set(Field::kRequestResource, tag);
  return m;
}
Message resp(Dir dir, std::string_view tag, uint64_t ts_first, uint64_t ts_last, uint32_t pair_class = 0) {
  Message m;
  m.role = MsgRole::kResponse;
  m.dir = dir;
  m.pair_class = pair_class;
  m.ts_first_us = ts_first;
  m.ts_last_us = ts_last;
  m.fields.set(Field::kResponseResult, tag);
  return m;
}
Message with_id(Message m, uint64_t id) {
  m.has_id = true;
  m.id = id;
  return m;
}

struct Fixture {
  explicit Fixture(uint32_t pool = 64, uint32_t per_flow = 16, uint64_t timeout = 1000)
      : pairing(pool, per_flow, timeout, out, buffers) {}
  void send(FlowSessions& f, Message m) { pairing.on_message(f, m); }
  Collect out;
  BufferPool buffers;
  SessionPairing pairing;
};

std::string tags(const FlowRecord& r) {
  return std::string(r.l7.get(Field::kRequestResource)) + "/" + std::string(r.l7.get(Field::kResponseResult));
}

TEST(SessionPairing, ByIdPairsOutOfOrderResponses) {
  Fixture fx;
  FlowSessions f;
  f.protocol = ProtocolId{3};
  f.net.client_port = 40000;
  f.net.server_port = 9092;
  for (uint64_t id = 1; id <= 3; ++id)
    fx.send(f, with_id(req(Dir::kToServer, "q" + std::to_string(id), id * 10, id * 10), id));
  EXPECT_EQ(fx.pairing.pending(), 3u);
  for (uint64_t id : {3, 1, 2}) fx.send(f, with_id(resp(Dir::kToClient, "p" + std::to_string(id), 100, 100), id));
  ASSERT_EQ(fx.out.records.size(), 3u);
  EXPECT_EQ(tags(fx.out.records[0]), "q3/p3");
  EXPECT_EQ(tags(fx.out.records[1]), "q1/p1");
  EXPECT_EQ(tags(fx.out.records[2]), "q2/p2");
  for (const auto& r : fx.out.records) {
    EXPECT_EQ(r.type, RecordType::kSession);
    EXPECT_EQ(r.protocol, ProtocolId{3});
    EXPECT_EQ(r.net.server_port, 9092);
    EXPECT_EQ(r.net.client_port, 40000);
  }
  EXPECT_EQ(fx.pairing.pending(), 0u);
  EXPECT_EQ(fx.pairing.stats().sessions, 3u);
  // A response with an id no request has is an orphan, even with a request pending.
  fx.send(f, with_id(req(Dir::kToServer, "q9", 200, 200), 9));
  fx.send(f, with_id(resp(Dir::kToClient, "p8", 210, 210), 8));
  ASSERT_EQ(fx.out.records.size(), 4u);
  EXPECT_EQ(fx.out.records[3].type, RecordType::kResponse);
  EXPECT_EQ(fx.pairing.pending(), 1u);
}

TEST(SessionPairing, FifoWithinPairClass) {
  Fixture fx;
  FlowSessions f;
  fx.send(f, req(Dir::kToServer, "a1", 1, 1, 7));
  fx.send(f, req(Dir::kToServer, "b1", 2, 2, 8));
  fx.send(f, req(Dir::kToServer, "a2", 3, 3, 7));
  fx.send(f, resp(Dir::kToClient, "B", 4, 4, 8));
  fx.send(f, resp(Dir::kToClient, "A", 5, 5, 7));
  fx.send(f, resp(Dir::kToClient, "A'", 6, 6, 7));
  fx.send(f, resp(Dir::kToClient, "A''", 7, 7, 7));  // nothing left in class 7
  ASSERT_EQ(fx.out.records.size(), 4u);
  EXPECT_EQ(tags(fx.out.records[0]), "b1/B");
  EXPECT_EQ(tags(fx.out.records[1]), "a1/A");
  EXPECT_EQ(tags(fx.out.records[2]), "a2/A'");
  EXPECT_EQ(fx.out.records[3].type, RecordType::kResponse);
  EXPECT_EQ(tags(fx.out.records[3]), "/A''");
  EXPECT_EQ(fx.pairing.stats().orphan_responses, 1u);
}

TEST(SessionPairing, IdAndFifoMessagesDoNotMix) {
  Fixture fx;
  FlowSessions f;
  fx.send(f, req(Dir::kToServer, "fifo", 1, 1));
  fx.send(f, with_id(resp(Dir::kToClient, "byid", 2, 2), 0));  // has_id differs: no pairing
  ASSERT_EQ(fx.out.records.size(), 1u);
  EXPECT_EQ(fx.out.records[0].type, RecordType::kResponse);
  fx.send(f, resp(Dir::kToClient, "fifo-resp", 3, 3));
  ASSERT_EQ(fx.out.records.size(), 2u);
  EXPECT_EQ(tags(fx.out.records[1]), "fifo/fifo-resp");
}

TEST(SessionPairing, ResponseMustComeFromTheOppositeDirection) {
  Fixture fx;
  FlowSessions f;
  fx.send(f, req(Dir::kToServer, "q", 1, 1));
  fx.send(f, resp(Dir::kToServer, "same-dir", 2, 2));
  ASSERT_EQ(fx.out.records.size(), 1u);
  EXPECT_EQ(fx.out.records[0].type, RecordType::kResponse);
  EXPECT_EQ(fx.pairing.pending(), 1u);
  fx.send(f, resp(Dir::kToClient, "right-dir", 3, 3));
  ASSERT_EQ(fx.out.records.size(), 2u);
  EXPECT_EQ(fx.out.records[1].type, RecordType::kSession);
  EXPECT_EQ(tags(fx.out.records[1]), "q/right-dir");
}

TEST(SessionPairing, RequestsFromTheServerSide) {
  Fixture fx;
  FlowSessions f;
  // e.g. NATS: the server's INFO is answered by the client's CONNECT.
  fx.send(f, req(Dir::kToClient, "INFO", 1, 1, 3));
  fx.send(f, req(Dir::kToServer, "PING", 2, 2, 4));
  fx.send(f, resp(Dir::kToServer, "CONNECT", 5, 6, 3));
  fx.send(f, resp(Dir::kToClient, "PONG", 7, 7, 4));
  ASSERT_EQ(fx.out.records.size(), 2u);
  EXPECT_EQ(tags(fx.out.records[0]), "INFO/CONNECT");
  EXPECT_EQ(fx.out.records[0].rrt_us, 4u);
  EXPECT_EQ(tags(fx.out.records[1]), "PING/PONG");
}

TEST(SessionPairing, OneWayIsASessionAtOnce) {
  Fixture fx;
  FlowSessions f;
  Message m = req(Dir::kToClient, "publish", 100, 130);
  m.role = MsgRole::kOneWay;
  m.fields.set_request_length(42);
  fx.send(f, m);
  ASSERT_EQ(fx.out.records.size(), 1u);
  const FlowRecord& r = fx.out.records[0];
  EXPECT_EQ(r.type, RecordType::kSession);
  EXPECT_EQ(r.l7.response_status, ResponseStatus::kOk);
  EXPECT_EQ(r.start_time_us, 100u);
  EXPECT_EQ(r.end_time_us, 130u);
  EXPECT_FALSE(r.has_rrt);
  EXPECT_EQ(r.l7.request_length, 42u);
  EXPECT_EQ(fx.pairing.pending(), 0u);
  EXPECT_EQ(fx.pairing.stats().one_way, 1u);
  // A one-way message does not answer a pending request.
  fx.send(f, req(Dir::kToServer, "q", 200, 200));
  fx.send(f, m);
  EXPECT_EQ(fx.pairing.pending(), 1u);
  // A one-way message keeps a status the parser set.
  m.fields.response_status = ResponseStatus::kServerError;
  fx.send(f, m);
  EXPECT_EQ(fx.out.records.back().l7.response_status, ResponseStatus::kServerError);
}

TEST(SessionPairing, OrphanResponse) {
  Fixture fx;
  FlowSessions f;
  Message m = resp(Dir::kToClient, "late", 500, 520);
  m.fields.set_response_code(404);
  m.fields.response_status = ResponseStatus::kClientError;
  m.fields.set_response_length(9);
  fx.send(f, m);
  ASSERT_EQ(fx.out.records.size(), 1u);
  const FlowRecord& r = fx.out.records[0];
  EXPECT_EQ(r.type, RecordType::kResponse);
  EXPECT_EQ(r.l7.response_code, 404);
  EXPECT_EQ(r.l7.response_status, ResponseStatus::kClientError);
  EXPECT_EQ(r.l7.response_length, 9u);
  EXPECT_EQ(r.start_time_us, 500u);
  EXPECT_EQ(r.end_time_us, 520u);
  EXPECT_FALSE(r.has_rrt);
  EXPECT_EQ(fx.pairing.stats().orphan_responses, 1u);
}

TEST(SessionPairing, TimeoutOnlyAfterTheTimeout) {
  Fixture fx(64, 16, 1000);
  FlowSessions f;
  fx.send(f, req(Dir::kToServer, "slow", 4000, 5000));
  EXPECT_EQ(fx.pairing.expire(5000), 0u);
  EXPECT_EQ(fx.pairing.expire(5999), 0u);
  EXPECT_TRUE(fx.out.records.empty());
  EXPECT_EQ(fx.pairing.pending(), 1u);
  EXPECT_EQ(fx.pairing.expire(6001), 1u);
  ASSERT_EQ(fx.out.records.size(), 1u);
  const FlowRecord& r = fx.out.records[0];
  EXPECT_EQ(r.type, RecordType::kRequest);
  EXPECT_EQ(r.l7.response_status, ResponseStatus::kTimeout);
  EXPECT_EQ(r.l7.get(Field::kRequestResource), "slow");
  EXPECT_EQ(r.start_time_us, 4000u);
  EXPECT_EQ(r.end_time_us, 5000u);
  EXPECT_FALSE(r.has_rrt);
  EXPECT_EQ(fx.pairing.stats().timeouts, 1u);
  EXPECT_EQ(fx.pairing.pending(), 0u);
  // The late response is now an orphan.
  fx.send(f, resp(Dir::kToClient, "late", 7000, 7000));
  EXPECT_EQ(fx.out.records.back().type, RecordType::kResponse);
}

TEST(SessionPairing, ExpireInArrivalOrderWithBudget) {
  Fixture fx(64, 16, 100);
  FlowSessions a, b;
  fx.send(a, req(Dir::kToServer, "a1", 10, 10));
  fx.send(b, req(Dir::kToServer, "b1", 20, 20));
  fx.send(a, req(Dir::kToServer, "a2", 30, 30));
  fx.send(b, req(Dir::kToServer, "b2", 40, 40));
  fx.send(a, resp(Dir::kToClient, "A", 45, 45));  // closes a1: it must not time out
  EXPECT_EQ(fx.pairing.expire(1000, 2), 2u);
  EXPECT_EQ(fx.pairing.expire(1000, 2), 1u);
  EXPECT_EQ(fx.pairing.expire(1000, 2), 0u);
  ASSERT_EQ(fx.out.records.size(), 4u);
  EXPECT_EQ(tags(fx.out.records[1]), "b1/");
  EXPECT_EQ(tags(fx.out.records[2]), "a2/");
  EXPECT_EQ(tags(fx.out.records[3]), "b2/");
  // Only those older than the timeout go.
  fx.send(a, req(Dir::kToServer, "x", 2000, 2000));
  fx.send(b, req(Dir::kToServer, "y", 2100, 2100));
  EXPECT_EQ(fx.pairing.expire(2150), 1u);
  EXPECT_EQ(tags(fx.out.records.back()), "x/");
  EXPECT_EQ(fx.pairing.pending(), 1u);
}

TEST(SessionPairing, EndFlowEmitsPendingAsUnknown) {
  Fixture fx;
  FlowSessions a, b;
  fx.send(a, req(Dir::kToServer, "a1", 1, 1));
  fx.send(b, req(Dir::kToServer, "b1", 2, 2));
  fx.send(a, req(Dir::kToClient, "a2", 3, 3));
  fx.pairing.end_flow(a);
  ASSERT_EQ(fx.out.records.size(), 2u);
  EXPECT_EQ(tags(fx.out.records[0]), "a1/");
  EXPECT_EQ(tags(fx.out.records[1]), "a2/");
  for (const auto& r : fx.out.records) {
    EXPECT_EQ(r.type, RecordType::kRequest);
    EXPECT_EQ(r.l7.response_status, ResponseStatus::kUnknown);
  }
  EXPECT_EQ(fx.pairing.stats().unanswered_at_end, 2u);
  EXPECT_EQ(a.count, 0u);
  EXPECT_EQ(a.head, FlowSessions::kNil);
  EXPECT_EQ(fx.pairing.pending(), 1u);
  // The other flow is untouched and still pairs.
  fx.send(b, resp(Dir::kToClient, "B", 5, 5));
  EXPECT_EQ(tags(fx.out.records.back()), "b1/B");
  fx.pairing.end_flow(a);  // nothing pending: no records
  EXPECT_EQ(fx.out.records.size(), 3u);
}

TEST(SessionPairing, PerFlowCapEmitsOldestEarly) {
  Fixture fx(64, 2, 1000);
  FlowSessions f, other;
  fx.send(other, req(Dir::kToServer, "o1", 0, 0));
  fx.send(f, req(Dir::kToServer, "q1", 1, 1));
  fx.send(f, req(Dir::kToServer, "q2", 2, 2));
  EXPECT_TRUE(fx.out.records.empty());
  fx.send(f, req(Dir::kToServer, "q3", 3, 3));
  ASSERT_EQ(fx.out.records.size(), 1u);
  EXPECT_EQ(fx.out.records[0].type, RecordType::kRequest);
  EXPECT_EQ(tags(fx.out.records[0]), "q1/");
  EXPECT_EQ(fx.out.records[0].l7.response_status, ResponseStatus::kUnknown);
  EXPECT_EQ(fx.pairing.stats().pending_overflow, 1u);
  EXPECT_EQ(f.count, 2u);
  fx.send(f, resp(Dir::kToClient, "P", 4, 4));
  fx.send(f, resp(Dir::kToClient, "P'", 5, 5));
  EXPECT_EQ(tags(fx.out.records[1]), "q2/P");
  EXPECT_EQ(tags(fx.out.records[2]), "q3/P'");
  EXPECT_EQ(fx.pairing.pending(), 1u);  // o1
}

TEST(SessionPairing, PoolExhaustionEmitsOldestAnywhere) {
  Fixture fx(2, 10, 1000);
  FlowSessions a, b;
  fx.send(a, req(Dir::kToServer, "a1", 1, 1));
  fx.send(b, req(Dir::kToServer, "b1", 2, 2));
  fx.send(a, req(Dir::kToServer, "a2", 3, 3));  // pool full: a1 (the oldest) makes room
  ASSERT_EQ(fx.out.records.size(), 1u);
  EXPECT_EQ(tags(fx.out.records[0]), "a1/");
  EXPECT_EQ(fx.out.records[0].type, RecordType::kRequest);
  EXPECT_EQ(fx.out.records[0].l7.response_status, ResponseStatus::kUnknown);
  EXPECT_EQ(fx.pairing.stats().pending_overflow, 1u);
  fx.send(b, req(Dir::kToServer, "b2", 4, 4));  // b1 is now the oldest
  EXPECT_EQ(tags(fx.out.records[1]), "b1/");
  EXPECT_EQ(fx.pairing.stats().pending_overflow, 2u);
  fx.send(a, resp(Dir::kToClient, "A", 5, 5));
  fx.send(b, resp(Dir::kToClient, "B", 6, 6));
  EXPECT_EQ(tags(fx.out.records[2]), "a2/A");
  EXPECT_EQ(tags(fx.out.records[3]), "b2/B");
  EXPECT_EQ(fx.pairing.pending(), 0u);
  EXPECT_EQ(a.count, 0u);
  EXPECT_EQ(b.count, 0u);
}

TEST(SessionPairing, EmptyPoolEmitsRequestsAtOnce) {
  Fixture fx(0, 10, 1000);
  FlowSessions f;
  fx.send(f, req(Dir::kToServer, "q", 1, 1));
  ASSERT_EQ(fx.out.records.size(), 1u);
  EXPECT_EQ(fx.out.records[0].type, RecordType::kRequest);
  EXPECT_EQ(fx.out.records[0].l7.response_status, ResponseStatus::kUnknown);
  fx.send(f, resp(Dir::kToClient, "p", 2, 2));
  EXPECT_EQ(fx.out.records[1].type, RecordType::kResponse);
  EXPECT_EQ(fx.pairing.pending(), 0u);
}

TEST(SessionPairing, TimesAndRrt) {
  Fixture fx;
  FlowSessions f;
  fx.send(f, req(Dir::kToServer, "q", 100, 150));
  fx.send(f, resp(Dir::kToClient, "p", 400, 420));
  ASSERT_EQ(fx.out.records.size(), 1u);
  const FlowRecord& r = fx.out.records[0];
  EXPECT_TRUE(r.has_rrt);
  EXPECT_EQ(r.rrt_us, 250u);  // response first byte − request last byte
  EXPECT_EQ(r.start_time_us, 100u);
  EXPECT_EQ(r.end_time_us, 420u);
  // A response whose first byte is stamped before the request's last byte: rrt 0, not a wrap.
  fx.send(f, req(Dir::kToServer, "q2", 500, 600));
  fx.send(f, resp(Dir::kToClient, "p2", 590, 610));
  EXPECT_TRUE(fx.out.records[1].has_rrt);
  EXPECT_EQ(fx.out.records[1].rrt_us, 0u);
  // The scratch record is reused: an orphan after a session has no rrt.
  fx.send(f, resp(Dir::kToClient, "p3", 700, 700));
  EXPECT_FALSE(fx.out.records[2].has_rrt);
  EXPECT_EQ(fx.out.records[2].rrt_us, 0u);
}

// A response stamped before its request started (held behind a lost segment, it keeps the time it
// arrived; or the capture's clock went backwards): the session ends when it starts, with rrt 0 —
// never a duration that wraps.
TEST(SessionPairing, ResponseStampedBeforeTheRequestEndsAtItsStart) {
  Fixture fx;
  FlowSessions f;
  fx.send(f, req(Dir::kToServer, "q", 500, 520));
  fx.send(f, resp(Dir::kToClient, "p", 300, 310));
  ASSERT_EQ(fx.out.records.size(), 1u);
  const FlowRecord& r = fx.out.records[0];
  EXPECT_EQ(r.start_time_us, 500u);
  EXPECT_EQ(r.end_time_us, 500u);
  EXPECT_TRUE(r.has_rrt);
  EXPECT_EQ(r.rrt_us, 0u);
}

TEST(SessionPairing, MergeRule) {
  Fixture fx;
  FlowSessions f;
  Message q = req(Dir::kToServer, "topic-a", 1, 1);
  q.fields.set(Field::kVersion, "7");
  q.fields.set(Field::kRequestType, "Produce");
  q.fields.set_request_id(uint64_t{77});
  q.fields.set(Field::kTraceId, "req-trace");
  q.fields.set(Field::kResponseException, "from-request");  // the response's value wins
  q.fields.set_request_length(300);
  q.fields.set_attribute("group_id", "g-req");
  Message p = resp(Dir::kToClient, "res", 2, 2);
  p.fields.set(Field::kVersion, "9");                 // the request's value wins
  p.fields.set(Field::kRequestDomain, "resp-domain");  // empty in the request: filled
  p.fields.set(Field::kEndpoint, "resp-endpoint");
  p.fields.set_response_code(3);
  p.fields.response_status = ResponseStatus::kServerError;
  p.fields.set(Field::kResponseException, "UNKNOWN_TOPIC");
  p.fields.set_response_length(65);
  p.fields.set(Field::kTraceId, "resp-trace");
  p.fields.set(Field::kSpanId, "resp-span");
  p.fields.set_attribute("group_id", "g-resp");
  p.fields.set_attribute("partition", "4");
  fx.send(f, q);
  fx.send(f, p);
  ASSERT_EQ(fx.out.records.size(), 1u);
  const L7Fields& r = fx.out.records[0].l7;
  EXPECT_EQ(r.get(Field::kVersion), "7");
  EXPECT_EQ(r.get(Field::kRequestType), "Produce");
  EXPECT_EQ(r.get(Field::kRequestResource), "topic-a");
  EXPECT_EQ(r.get(Field::kRequestDomain), "resp-domain");
  EXPECT_EQ(r.get(Field::kEndpoint), "resp-endpoint");
  EXPECT_EQ(r.get(Field::kRequestId), "77");
  EXPECT_TRUE(r.request_id_is_int());
  EXPECT_TRUE(r.has_response_code);
  EXPECT_EQ(r.response_code, 3);
  EXPECT_EQ(r.response_status, ResponseStatus::kServerError);
  EXPECT_EQ(r.get(Field::kResponseException), "UNKNOWN_TOPIC");
  EXPECT_EQ(r.get(Field::kResponseResult), "res");
  EXPECT_EQ(r.get(Field::kTraceId), "req-trace");
  EXPECT_EQ(r.get(Field::kSpanId), "resp-span");
  EXPECT_TRUE(r.has_request_length);
  EXPECT_EQ(r.request_length, 300u);
  EXPECT_TRUE(r.has_response_length);
  EXPECT_EQ(r.response_length, 65u);
  EXPECT_EQ(r.attribute("group_id"), "g-req");
  EXPECT_EQ(r.attribute("partition"), "4");
  EXPECT_EQ(r.attribute_count(), 2);
}

TEST(SessionPairing, ResponseFieldsOverrideRequestValues) {
  // A request that carries response_* values (e.g. set by a parser's connection state) loses
  // them to the response's; unset response fields keep the request's.
  Fixture fx;
  FlowSessions f;
  Message q = req(Dir::kToServer, "q", 1, 1);
  q.fields.set_response_code(1);
  q.fields.response_status = ResponseStatus::kClientError;
  q.fields.set(Field::kResponseResult, "req-result");
  q.fields.set_response_length(5);
  Message p = resp(Dir::kToClient, "", 2, 2);
  p.fields.set_response_code(0);
  p.fields.response_status = ResponseStatus::kOk;
  p.fields.set_response_length(6);
  fx.send(f, q);
  fx.send(f, p);
  const L7Fields& r = fx.out.records[0].l7;
  EXPECT_EQ(r.response_code, 0);
  EXPECT_EQ(r.response_status, ResponseStatus::kOk);
  EXPECT_EQ(r.response_length, 6u);
  EXPECT_EQ(r.get(Field::kResponseResult), "req-result");  // the response had none
}

TEST(SessionPairing, DefaultStatusOkOnSessions) {
  Fixture fx;
  FlowSessions f;
  fx.send(f, req(Dir::kToServer, "q", 1, 1));
  fx.send(f, resp(Dir::kToClient, "p", 2, 2));
  EXPECT_EQ(fx.out.records[0].l7.response_status, ResponseStatus::kOk);
  Message q = req(Dir::kToServer, "q", 3, 3);
  q.fields.response_status = ResponseStatus::kServerError;  // request's own status, response has none
  fx.send(f, q);
  fx.send(f, resp(Dir::kToClient, "p", 4, 4));
  EXPECT_EQ(fx.out.records[1].l7.response_status, ResponseStatus::kServerError);
}

// ---- randomised: many flows, small pool, against a reference model ------------------------

struct ModelReq {
  uint64_t seq;
  int flow;
  Dir dir;
  uint32_t pair_class;
  bool has_id;
  uint64_t id;
  uint64_t ts;
};

struct Expected {
  RecordType type;
  std::string tags;
  ResponseStatus status;
  bool operator==(const Expected&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Expected& e) {
  return os << record_type_name(e.type) << ":" << e.tags << ":" << response_status_name(e.status);
}

class Model {
 public:
  Model(uint32_t pool, uint32_t per_flow, uint64_t timeout, int flows)
      : pool_(pool), per_flow_(per_flow), timeout_(timeout), flows_(static_cast<std::size_t>(flows)) {}

  void request(const ModelReq& r) {
    auto& q = flows_[static_cast<std::size_t>(r.flow)];
    if (q.size() >= per_flow_ && !q.empty()) {
      out.push_back({RecordType::kRequest, tag(q.front()) + "/", ResponseStatus::kUnknown});
      q.pop_front();
    }
    if (total() >= pool_) {
      // The globally oldest request (smallest seq) makes room.
      std::deque<ModelReq>* oldest = nullptr;
      for (auto& fq : flows_)
        if (!fq.empty() && (oldest == nullptr || fq.front().seq < oldest->front().seq)) oldest = &fq;
      out.push_back({RecordType::kRequest, tag(oldest->front()) + "/", ResponseStatus::kUnknown});
      oldest->pop_front();
    }
    q.push_back(r);
  }
  void response(int flow, Dir dir, uint32_t pair_class, bool has_id, uint64_t id, const std::string& rtag) {
    auto& q = flows_[static_cast<std::size_t>(flow)];
    for (auto it = q.begin(); it != q.end(); ++it) {
      if (it->dir == dir || it->pair_class != pair_class || it->has_id != has_id) continue;
      if (has_id && it->id != id) continue;
      out.push_back({RecordType::kSession, tag(*it) + "/" + rtag, ResponseStatus::kOk});
      q.erase(it);
      return;
    }
    out.push_back({RecordType::kResponse, "/" + rtag, ResponseStatus::kOk});
  }
  void expire(uint64_t now, uint32_t budget) {
    for (uint32_t n = 0; n < budget; ++n) {
      std::deque<ModelReq>* oldest = nullptr;
      for (auto& fq : flows_)
        if (!fq.empty() && (oldest == nullptr || fq.front().seq < oldest->front().seq)) oldest = &fq;
      if (oldest == nullptr || oldest->front().ts + timeout_ > now) return;
      out.push_back({RecordType::kRequest, tag(oldest->front()) + "/", ResponseStatus::kTimeout});
      oldest->pop_front();
    }
  }
  void end_flow(int flow) {
    auto& q = flows_[static_cast<std::size_t>(flow)];
    for (const auto& r : q) out.push_back({RecordType::kRequest, tag(r) + "/", ResponseStatus::kUnknown});
    q.clear();
  }
  std::size_t total() const {
    std::size_t n = 0;
    for (const auto& q : flows_) n += q.size();
    return n;
  }
  std::size_t flow_count(int flow) const { return flows_[static_cast<std::size_t>(flow)].size(); }
  static std::string tag(const ModelReq& r) { return "q" + std::to_string(r.seq); }

  std::vector<Expected> out;

 private:
  uint32_t pool_, per_flow_;
  uint64_t timeout_;
  std::vector<std::deque<ModelReq>> flows_;
};

TEST(SessionPairing, RandomisedAgainstReferenceModel) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    const int kFlows = 8;
    const uint32_t pool = 6 + seed % 5, per_flow = 2 + seed % 3;
    const uint64_t timeout = 50;
    Collect out;
    BufferPool buffers;
    SessionPairing engine(pool, per_flow, timeout, out, buffers);
    Model model(pool, per_flow, timeout, kFlows);
    std::vector<FlowSessions> flows(kFlows);
    // Half the flows use ids, half FIFO (as one protocol would).
    auto uses_id = [](int flow) { return flow % 2 == 0; };
    uint64_t now = 1000, seq = 0;
    for (int step = 0; step < 4000; ++step) {
      now += rng() % 4;
      const int flow = static_cast<int>(rng() % kFlows);
      const Dir dir = rng() % 4 == 0 ? Dir::kToClient : Dir::kToServer;
      const uint32_t pair_class = rng() % 2;
      const uint64_t id = rng() % 4;
      const int op = static_cast<int>(rng() % 100);
      if (op < 45) {
        ModelReq r{++seq, flow, dir, pair_class, uses_id(flow), id, now};
        Message m = req(dir, Model::tag(r), now, now, pair_class);
        if (r.has_id) m = with_id(m, id);
        model.request(r);
        engine.on_message(flows[static_cast<std::size_t>(flow)], m);
      } else if (op < 90) {
        const std::string rtag = "p" + std::to_string(++seq);
        Message m = resp(opposite(dir), rtag, now, now, pair_class);
        if (uses_id(flow)) m = with_id(m, id);
        model.response(flow, opposite(dir), pair_class, uses_id(flow), id, rtag);
        engine.on_message(flows[static_cast<std::size_t>(flow)], m);
      } else if (op < 97) {
        const uint32_t budget = 1 + rng() % 3;
        model.expire(now, budget);
        engine.expire(now, budget);
      } else {
        model.end_flow(flow);
        engine.end_flow(flows[static_cast<std::size_t>(flow)]);
      }
      ASSERT_EQ(engine.pending(), model.total()) << "seed " << seed << " step " << step;
      for (int i = 0; i < kFlows; ++i)
        ASSERT_EQ(flows[static_cast<std::size_t>(i)].count, model.flow_count(i)) << "seed " << seed;
    }
    for (int i = 0; i < kFlows; ++i) {
      model.end_flow(i);
      engine.end_flow(flows[static_cast<std::size_t>(i)]);
    }
    EXPECT_EQ(engine.pending(), 0u);
    std::vector<Expected> got;
    for (const auto& r : out.records) got.push_back({r.type, tags(r), r.l7.response_status});
    ASSERT_EQ(got.size(), model.out.size()) << "seed " << seed;
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], model.out[i]) << "seed " << seed << " #" << i;
    EXPECT_GT(engine.stats().pending_overflow, 0u) << "seed " << seed;  // the small pool was exercised
    EXPECT_GT(engine.stats().sessions, 0u) << "seed " << seed;
  }
}

// ---- L7Fields helpers ---------------------------------------------------------------------

TEST(L7Fields, Attributes) {
  L7Fields f;
  f.set_attribute("a", "1");
  f.set_attribute("b", "2");
  f.set_attribute("a", "3");  // replaces
  EXPECT_EQ(f.attribute_count(), 2);
  EXPECT_EQ(f.attribute("a"), "3");
  EXPECT_EQ(f.attribute("b"), "2");
  EXPECT_EQ(f.attribute("missing"), "");
  for (int i = 0; i < 40; ++i) f.set_attribute("k" + std::to_string(i), "v");
  EXPECT_EQ(f.attribute_count(), FieldCaps::kAttrCount);  // extra keys silently dropped
  EXPECT_EQ(f.attribute("k29"), "v");  // a, b and k0..k29 fill the 32 slots
  EXPECT_EQ(f.attribute("k30"), "");
  f.set_attribute("a", "replaced-when-full");
  EXPECT_EQ(f.attribute("a"), "replaced-when-full");
  // Keys and values are truncated to their caps: exactly their first bytes, nothing else.
  std::string key, value;
  for (int i = 0; i < 100; ++i) key += static_cast<char>('a' + i % 26);
  for (int i = 0; i < 1000; ++i) value += static_cast<char>('0' + i % 10);
  L7Fields g;
  g.set_attribute(key, value);
  EXPECT_EQ(g.attribute_key(0), key.substr(0, FieldCaps::kAttrKey));
  EXPECT_EQ(g.attribute_value(0), value.substr(0, FieldCaps::kAttrValue));
  EXPECT_EQ(g.attribute(key.substr(0, FieldCaps::kAttrKey)), value.substr(0, FieldCaps::kAttrValue));
}

// Empty views with a null data() (what a decoder returns for a null string) are ordinary empty
// values; under UBSan (the fuzz build) a memcpy from null would be reported.
TEST(L7Fields, EmptyViewsWithNullData) {
  L7Fields f;
  f.set_attribute("group_id", std::string_view());
  EXPECT_EQ(f.attribute_count(), 1);
  EXPECT_EQ(f.attribute("group_id"), "");
  f.set_attribute("group_id", "g1");
  f.set_attribute("group_id", std::string_view());  // shrinks in place
  EXPECT_EQ(f.attribute("group_id"), "");
  f.set_attribute(std::string_view(), "v");
  EXPECT_EQ(f.attribute(""), "v");
}

TEST(L7Fields, RequestIdAndTruncation) {
  L7Fields f;
  f.set_request_id(uint64_t{18446744073709551615ull});
  EXPECT_EQ(f.get(Field::kRequestId), "18446744073709551615");
  EXPECT_TRUE(f.request_id_is_int());
  f.set_request_id(std::string_view("abc"));
  EXPECT_EQ(f.get(Field::kRequestId), "abc");
  EXPECT_FALSE(f.request_id_is_int());
  std::string long_value;
  for (int i = 0; i < 1000; ++i) long_value += static_cast<char>('a' + i % 26);
  f.set(Field::kRequestResource, long_value);
  EXPECT_EQ(f.get(Field::kRequestResource), long_value.substr(0, FieldCaps::cap(Field::kRequestResource)));
  f.set(Field::kVersion, "1234567890");
  f.append(Field::kVersion, "abcdefghij");
  EXPECT_EQ(f.get(Field::kVersion), "1234567890abcdef");
}

TEST(L7Fields, FillMissingFrom) {
  L7Fields a, b;
  a.set(Field::kRequestType, "A-type");
  a.set_request_id(std::string_view("a-id"));
  a.set_attribute("x", "ax");
  b.set(Field::kRequestType, "B-type");
  b.set(Field::kRequestDomain, "B-domain");
  b.set_request_id(uint64_t{5});
  b.set_response_code(7);
  b.response_status = ResponseStatus::kClientError;
  b.set(Field::kTraceId, "t");
  b.set(Field::kSpanId, "s");
  b.set(Field::kXRequestId, "x");
  b.set(Field::kHttpProxyClient, "1.2.3.4");
  b.set_attribute("x", "bx");
  b.set_attribute("y", "by");
  b.set_request_length(10);
  b.set_response_length(20);
  a.fill_missing_from(b);
  EXPECT_EQ(a.get(Field::kRequestType), "A-type");
  EXPECT_EQ(a.get(Field::kRequestDomain), "B-domain");
  EXPECT_EQ(a.get(Field::kRequestId), "a-id");
  EXPECT_FALSE(a.request_id_is_int());
  EXPECT_TRUE(a.has_response_code);
  EXPECT_EQ(a.response_code, 7);
  EXPECT_EQ(a.response_status, ResponseStatus::kClientError);
  EXPECT_EQ(a.get(Field::kTraceId), "t");
  EXPECT_EQ(a.get(Field::kSpanId), "s");
  EXPECT_EQ(a.get(Field::kXRequestId), "x");
  EXPECT_EQ(a.get(Field::kHttpProxyClient), "1.2.3.4");
  EXPECT_EQ(a.attribute("x"), "ax");
  EXPECT_EQ(a.attribute("y"), "by");
  EXPECT_EQ(a.request_length, 10u);
  EXPECT_EQ(a.response_length, 20u);
  // The integer flag travels with a filled request_id; set fields are never replaced.
  L7Fields c;
  c.set_response_code(0);  // 0 is a value, not "missing"
  c.set_request_length(1);
  c.fill_missing_from(b);
  EXPECT_EQ(c.get(Field::kRequestId), "5");
  EXPECT_TRUE(c.request_id_is_int());
  EXPECT_EQ(c.response_code, 0);
  EXPECT_EQ(c.request_length, 1u);
}

}  // namespace
}  // namespace l7tap
