// Kafka parser tests. The messages are built here from the Kafka protocol specification
// (https://kafka.apache.org/protocol and the message definitions in the Kafka sources) with a small
// writer; real client traffic (kcat/librdkafka against tools/kafka_responder.py) is captured by
// tests/e2e/kafka_capture.sh.
#include "protocols/mq/kafka.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "protocols/mq/kafka_tables.hpp"
#include "protocols/registry.hpp"
#include "tests/protocols/parser_harness.hpp"

namespace l7tap {
namespace {

using test::ParserHarness;

// Writes Kafka primitive types (big endian; classic and compact encodings; zig-zag varints).
struct W {
  std::vector<uint8_t> b;
  W& i8(int v) { return put(static_cast<uint64_t>(v), 1); }
  W& i16(int v) { return put(static_cast<uint64_t>(v), 2); }
  W& i32(int64_t v) { return put(static_cast<uint64_t>(v), 4); }
  W& i64(int64_t v) { return put(static_cast<uint64_t>(v), 8); }
  W& str(std::string_view s) {  // classic string: int16 length
    i16(static_cast<int>(s.size()));
    return raw(s);
  }
  W& null_str() { return i16(-1); }
  W& cstr(std::string_view s) {  // compact string: uvarint length + 1
    uv(s.size() + 1);
    return raw(s);
  }
  W& arr(int n) { return i32(n); }
  W& carr(int n) { return uv(static_cast<uint64_t>(n) + 1); }
  W& uv(uint64_t v) {
    do {
      uint8_t c = v & 0x7f;
      v >>= 7;
      b.push_back(v != 0 ? (c | 0x80) : c);
    } while (v != 0);
    return *this;
  }
  W& sv(int64_t v) { return uv((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  W& tags() { return uv(0); }
  W& raw(std::string_view s) {
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  W& raw(const std::vector<uint8_t>& v) {
    b.insert(b.end(), v.begin(), v.end());
    return *this;
  }
  W& bytes32(const std::vector<uint8_t>& v) {
    i32(static_cast<int64_t>(v.size()));
    return raw(v);
  }
  W& cbytes(const std::vector<uint8_t>& v) {
    uv(v.size() + 1);
    return raw(v);
  }

 private:
  W& put(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
};

std::vector<uint8_t> frame(const W& body) {
  W f;
  f.i32(static_cast<int64_t>(body.b.size())).raw(body.b);
  return f.b;
}

// Request header v1 (classic) or v2 (flexible: tagged fields after the classic client_id).
W request_header(int key, int version, int32_t corr, bool flexible, std::string_view client = "client-1") {
  W w;
  w.i16(key).i16(version).i32(corr).str(client);
  if (flexible) w.tags();
  return w;
}
W response_header(int32_t corr, bool flexible) {
  W w;
  w.i32(corr);
  if (flexible) w.tags();
  return w;
}

using Headers = std::vector<std::pair<std::string, std::string>>;

// Record batch v2 with one record per value; the first record carries `headers`.
std::vector<uint8_t> record_batch(const Headers& headers, const std::vector<std::string>& values,
                                  int attributes = 0) {
  W recs;
  for (std::size_t i = 0; i < values.size(); ++i) {
    W r;
    r.i8(0).sv(0).sv(static_cast<int64_t>(i)).sv(-1);  // attributes, ts delta, offset delta, null key
    r.sv(static_cast<int64_t>(values[i].size())).raw(values[i]);
    const Headers none;
    const Headers& h = i == 0 ? headers : none;
    r.sv(static_cast<int64_t>(h.size()));
    for (auto& [k, v] : h) r.sv(static_cast<int64_t>(k.size())).raw(k).sv(static_cast<int64_t>(v.size())).raw(v);
    recs.sv(static_cast<int64_t>(r.b.size())).raw(r.b);
  }
  W after_len;  // everything after batch_length
  after_len.i32(0).i8(2).i32(0x12345678).i16(attributes);  // leader epoch, magic, crc, attributes
  after_len.i32(static_cast<int64_t>(values.size()) - 1).i64(1700000000000).i64(1700000000000);
  after_len.i64(-1).i16(-1).i32(-1).i32(static_cast<int64_t>(values.size())).raw(recs.b);
  W batch;
  batch.i64(0).i32(static_cast<int64_t>(after_len.b.size())).raw(after_len.b);
  return batch.b;
}

// Message set v1 (magic 1) with one message.
std::vector<uint8_t> message_set_v1(std::string_view value) {
  W m;
  m.i32(0).i8(1).i8(0).i64(1700000000000).i32(-1).i32(static_cast<int64_t>(value.size())).raw(value);
  W set;
  set.i64(0).i32(static_cast<int64_t>(m.b.size())).raw(m.b);
  return set.b;
}

constexpr std::string_view kTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
constexpr std::string_view kSw8 =
    "1-MWYyZDRiZjQ3YmY3MTFlYWI3OTRhY2RlNDgwMDExMjI=-MWU3YzIwNGE3YmY3MTFlYWI4NThhY2RlNDgwMDExMjI=-3-"
    "c2VydmljZQ==-aW5zdGFuY2U=-L2FwaQ==-MTI3LjAuMC4xOjgwODA=";

// ---- message builders ------------------------------------------------------------------------

std::vector<uint8_t> produce_request(int version, int32_t corr, std::string_view topic, int partition,
                                     const std::vector<uint8_t>& records, int acks = -1) {
  const bool flex = version >= 9;
  W w = request_header(0, version, corr, flex, "producer-1");
  if (version >= 3) flex ? w.uv(0) : w.null_str();  // transactional_id = null
  w.i16(acks).i32(30000);
  if (flex) {
    w.carr(1).cstr(topic).carr(1).i32(partition).cbytes(records).tags().tags().tags();
  } else {
    w.arr(1).str(topic).arr(1).i32(partition).bytes32(records);
  }
  return frame(w);
}

std::vector<uint8_t> produce_response(int version, int32_t corr, std::string_view topic, int partition, int error,
                                      int64_t base_offset) {
  const bool flex = version >= 9;
  W w = response_header(corr, flex);
  flex ? w.carr(1).cstr(topic).carr(1) : w.arr(1).str(topic).arr(1);
  w.i32(partition).i16(error).i64(base_offset);
  if (version >= 2) w.i64(-1);  // log_append_time_ms
  if (version >= 5) w.i64(0);   // log_start_offset
  if (version >= 8) flex ? w.carr(0).uv(0) : w.arr(0).null_str();  // record_errors, error_message
  if (flex) w.tags().tags();
  w.i32(0);  // throttle_time_ms
  if (flex) w.tags();
  return frame(w);
}

std::vector<uint8_t> fetch_request(int version, int32_t corr, std::string_view topic, int partition,
                                   int64_t offset) {
  const bool flex = version >= 12;
  W w = request_header(1, version, corr, flex, "consumer-1");
  if (version <= 14) w.i32(-1);  // replica_id
  w.i32(500).i32(1);
  if (version >= 3) w.i32(52428800);
  if (version >= 4) w.i8(0);
  if (version >= 7) w.i32(0).i32(-1);
  flex ? w.carr(1) : w.arr(1);
  if (version >= 13) {
    w.raw(std::string(16, '\x42'));  // topic_id
  } else {
    flex ? w.cstr(topic) : w.str(topic);
  }
  flex ? w.carr(1) : w.arr(1);
  w.i32(partition);
  if (version >= 9) w.i32(-1);
  w.i64(offset);
  if (version >= 12) w.i32(-1);
  if (version >= 5) w.i64(-1);
  w.i32(1048576);
  if (flex) w.tags().tags();
  if (version >= 7) flex ? w.carr(0) : w.arr(0);  // forgotten topics
  if (version >= 11) flex ? w.cstr("") : w.str("");
  if (flex) w.tags();
  return frame(w);
}

std::vector<uint8_t> fetch_response(int version, int32_t corr, int top_error, std::string_view topic, int partition,
                                    int part_error, const std::vector<uint8_t>& records, bool with_partition = true) {
  const bool flex = version >= 12;
  W w = response_header(corr, flex);
  if (version >= 1) w.i32(0);
  if (version >= 7) w.i16(top_error).i32(7);
  if (!with_partition) {
    flex ? w.carr(0).tags() : w.arr(0);
    return frame(w);
  }
  flex ? w.carr(1) : w.arr(1);
  if (version >= 13) {
    w.raw(std::string(16, '\x42'));
  } else {
    flex ? w.cstr(topic) : w.str(topic);
  }
  flex ? w.carr(1) : w.arr(1);
  w.i32(partition).i16(part_error).i64(100);
  if (version >= 4) w.i64(100);
  if (version >= 5) w.i64(0);
  if (version >= 4) {  // one aborted transaction, to walk over it
    flex ? w.carr(1) : w.arr(1);
    w.i64(5).i64(6);
    if (flex) w.tags();
  }
  if (version >= 11) w.i32(-1);
  flex ? w.cbytes(records) : w.bytes32(records);
  if (flex) w.tags().tags().tags();
  return frame(w);
}

// JoinGroup/SyncGroup/LeaveGroup requests start with group_id; the rest is not read.
std::vector<uint8_t> group_request(int key, int version, int32_t corr, bool flex, std::string_view group) {
  W w = request_header(key, version, corr, flex);
  flex ? w.cstr(group) : w.str(group);
  w.i32(45000);
  flex ? w.cstr("member-1").tags() : w.str("member-1");
  return frame(w);
}
std::vector<uint8_t> group_response(int32_t corr, bool flex, bool throttle, int error) {
  W w = response_header(corr, flex);
  if (throttle) w.i32(0);
  w.i16(error).i32(-1);
  if (flex) w.tags();
  return frame(w);
}

std::string describe(const Message& m) {
  const L7Fields& f = m.fields;
  std::string s = std::to_string(static_cast<int>(m.role)) + "|" + std::to_string(m.id) + "|" + std::string(f.get(Field::kRequestType)) +
                  "|" + std::string(f.get(Field::kVersion)) + "|" + std::string(f.get(Field::kRequestDomain)) + "|" + std::string(f.get(Field::kRequestResource)) + "|" +
                  std::string(f.get(Field::kEndpoint)) + "|" + std::string(f.get(Field::kRequestId)) + "|" + std::string(f.get(Field::kXRequestId)) + "|" +
                  (f.has_response_code ? std::to_string(f.response_code) : "-") + "|" +
                  std::to_string(static_cast<int>(f.response_status)) + "|" + std::string(f.get(Field::kResponseException)) + "|" +
                  std::string(f.get(Field::kTraceId)) + "|" + std::string(f.get(Field::kSpanId)) + "|" + std::string(f.attribute("group_id")) + "|" +
                  (f.has_request_length ? std::to_string(f.request_length) : "-") + "|" +
                  (f.has_response_length ? std::to_string(f.response_length) : "-");
  return s;
}

std::vector<uint8_t> concat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

ParserHarness make() { return ParserHarness(kKafkaDescriptor); }

// ---- Produce ---------------------------------------------------------------------------------

TEST(Kafka, ProduceV3RecordBatchWithTraceparent) {
  auto h = make();
  auto req = produce_request(3, 7, "orders", 2, record_batch({{"app", "x"}, {"traceparent", std::string(kTraceparent)}}, {"v1", "v2"}));
  h.feed(Dir::kToServer, req);
  h.feed(Dir::kToClient, produce_response(3, 7, "orders", 2, 0, 41));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.errors(), 0u);
  const Message& q = h.messages()[0];
  EXPECT_EQ(q.role, MsgRole::kRequest);
  EXPECT_TRUE(q.has_id);
  EXPECT_EQ(q.id, 7u);
  EXPECT_EQ(q.fields.get(Field::kRequestType), "Produce");
  EXPECT_EQ(q.fields.get(Field::kVersion), "3");
  EXPECT_EQ(q.fields.get(Field::kRequestDomain), "orders");
  EXPECT_EQ(q.fields.get(Field::kEndpoint), "orders-2");
  EXPECT_TRUE(q.fields.get(Field::kRequestResource).empty());  // the offset comes with the response
  EXPECT_EQ(q.fields.get(Field::kRequestId), "7");
  EXPECT_TRUE(q.fields.request_id_is_int());
  EXPECT_EQ(q.fields.get(Field::kXRequestId), "7");
  EXPECT_EQ(q.fields.get(Field::kTraceId), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(q.fields.get(Field::kSpanId), "b7ad6b7169203331");
  EXPECT_EQ(q.fields.request_length, req.size() - 4);
  const Message& r = h.messages()[1];
  EXPECT_EQ(r.role, MsgRole::kResponse);
  EXPECT_EQ(r.id, 7u);
  EXPECT_EQ(r.fields.get(Field::kRequestType), "Produce");
  EXPECT_EQ(r.fields.get(Field::kRequestResource), "orders-2:41");
  EXPECT_EQ(r.fields.get(Field::kEndpoint), "orders-2");
  EXPECT_EQ(r.fields.response_code, 0);
  EXPECT_EQ(r.fields.response_status, ResponseStatus::kOk);
  EXPECT_TRUE(r.fields.get(Field::kResponseException).empty());
  EXPECT_EQ(r.fields.response_length, produce_response(3, 7, "orders", 2, 0, 41).size() - 4);
}

TEST(Kafka, ProduceV9FlexibleWithSw8AndError) {
  auto h = make();
  h.feed(Dir::kToServer, produce_request(9, 1000, "events", 0, record_batch({{"sw8", std::string(kSw8)}}, {"payload"})));
  h.feed(Dir::kToClient, produce_response(9, 1000, "events", 0, 6, -1));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.errors(), 0u);
  const L7Fields& q = h.messages()[0].fields;
  EXPECT_EQ(q.get(Field::kVersion), "9");
  EXPECT_EQ(q.get(Field::kRequestDomain), "events");
  EXPECT_EQ(q.get(Field::kEndpoint), "events-0");
  EXPECT_EQ(q.get(Field::kTraceId), "1f2d4bf47bf711eab794acde48001122");
  EXPECT_EQ(q.get(Field::kSpanId), "1e7c204a7bf711eab858acde48001122-3");
  const L7Fields& r = h.messages()[1].fields;
  EXPECT_EQ(r.response_code, 6);
  EXPECT_EQ(r.response_status, ResponseStatus::kServerError);
  // NOT_LEADER_OR_FOLLOWER's text in Apache Kafka's Errors.java (a literal: not our table again).
  EXPECT_EQ(r.get(Field::kResponseException).substr(0, 60),
            std::string_view("For requests intended only for the leader, this error indicates that the broker "
                             "is not the current leader.").substr(0, 60));
  EXPECT_EQ(r.get(Field::kRequestResource), "events-0:-1");
}

TEST(Kafka, ProduceV11FlexibleResponseHeaderTaggedFields) {
  auto h = make();
  h.feed(Dir::kToServer, produce_request(11, 5, "t", 1, record_batch({}, {"a"})));
  // Response header v1 with one tagged field: it must be skipped before the body.
  W w;
  w.i32(5).uv(1).uv(0).uv(3).raw("abc");
  w.carr(1).cstr("t").carr(1).i32(1).i16(0).i64(9).i64(-1).i64(0).carr(0).uv(0).tags().tags().i32(0).tags();
  h.feed(Dir::kToClient, frame(w));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestResource), "t-1:9");
  EXPECT_EQ(h.messages()[1].fields.response_code, 0);
}

TEST(Kafka, ProduceV2MessageSetV1) {
  auto h = make();
  h.feed(Dir::kToServer, produce_request(2, 1, "topic2", 0, message_set_v1("Message without compression")));
  h.feed(Dir::kToClient, produce_response(2, 1, "topic2", 0, 0, 0));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.errors(), 0u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestDomain), "topic2");
  EXPECT_TRUE(h.messages()[0].fields.get(Field::kTraceId).empty());
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestResource), "topic2-0:0");
}

TEST(Kafka, ProduceCompressedBatchHeadersNotRead) {
  auto h = make();
  // attributes & 7 = 1 (gzip): the records are compressed, so no header can be read.
  h.feed(Dir::kToServer, produce_request(7, 1, "z", 0, record_batch({{"traceparent", std::string(kTraceparent)}}, {"a"}, 1)));
  ASSERT_EQ(h.messages().size(), 1u);
  EXPECT_TRUE(h.messages()[0].fields.get(Field::kTraceId).empty());
  EXPECT_EQ(h.messages()[0].fields.get(Field::kEndpoint), "z-0");
}

TEST(Kafka, ProduceAcksZeroIsOneWay) {
  auto h = make();
  h.feed(Dir::kToServer, produce_request(7, 3, "fire", 0, record_batch({}, {"x"}), 0));
  ASSERT_EQ(h.messages().size(), 1u);
  EXPECT_EQ(h.messages()[0].role, MsgRole::kOneWay);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestDomain), "fire");
}

// ---- Fetch -----------------------------------------------------------------------------------

TEST(Kafka, FetchV4WithRecordsAndPartitionError) {
  auto h = make();
  h.feed(Dir::kToServer, fetch_request(4, 11, "logs", 3, 1234));
  h.feed(Dir::kToClient, fetch_response(4, 11, 0, "logs", 3, 1, record_batch({{"traceparent", std::string(kTraceparent)}}, {"m"})));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.errors(), 0u);
  const L7Fields& q = h.messages()[0].fields;
  EXPECT_EQ(q.get(Field::kRequestType), "Fetch");
  EXPECT_EQ(q.get(Field::kVersion), "4");
  EXPECT_EQ(q.get(Field::kRequestDomain), "logs");
  EXPECT_EQ(q.get(Field::kRequestResource), "logs-3:1234");
  EXPECT_EQ(q.get(Field::kEndpoint), "logs-3");
  const L7Fields& r = h.messages()[1].fields;
  EXPECT_EQ(r.response_code, 1);  // before v7 the partition's error is the error
  EXPECT_EQ(r.response_status, ResponseStatus::kServerError);
  EXPECT_EQ(r.get(Field::kResponseException), "The requested offset is not within the range of offsets maintained by the server.");
  EXPECT_EQ(r.get(Field::kTraceId), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(r.get(Field::kEndpoint), "logs-3");
}

TEST(Kafka, FetchV12Flexible) {
  auto h = make();
  h.feed(Dir::kToServer, fetch_request(12, 15603, "zqy-test", 0, 36));
  h.feed(Dir::kToClient, fetch_response(12, 15603, 0, "", 0, 0, {}, false));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.errors(), 0u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestResource), "zqy-test-0:36");
  EXPECT_EQ(h.messages()[0].fields.get(Field::kEndpoint), "zqy-test-0");
  EXPECT_EQ(h.messages()[1].fields.response_code, 0);
  EXPECT_EQ(h.messages()[1].fields.response_status, ResponseStatus::kOk);
}

TEST(Kafka, FetchV12ResponseWithRecords) {
  auto h = make();
  h.feed(Dir::kToServer, fetch_request(12, 2, "a", 1, 0));
  h.feed(Dir::kToClient, fetch_response(12, 2, 0, "a", 1, 0, record_batch({{"sw8", std::string(kSw8)}}, {"x", "y"})));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kTraceId), "1f2d4bf47bf711eab794acde48001122");
  EXPECT_EQ(h.messages()[1].fields.response_code, 0);
}

TEST(Kafka, FetchV13TopicIdHasNoTopicName) {
  auto h = make();
  h.feed(Dir::kToServer, fetch_request(13, 15551976, "", 0, 36));
  h.feed(Dir::kToClient, fetch_response(13, 15551976, 0, "", 0, 3, {}));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.errors(), 0u);
  const L7Fields& q = h.messages()[0].fields;
  EXPECT_EQ(q.get(Field::kVersion), "13");
  EXPECT_TRUE(q.get(Field::kRequestDomain).empty());
  EXPECT_TRUE(q.get(Field::kRequestResource).empty());
  EXPECT_TRUE(q.get(Field::kEndpoint).empty());
  EXPECT_EQ(h.messages()[1].fields.response_code, 3);
  EXPECT_TRUE(h.messages()[1].fields.get(Field::kEndpoint).empty());
}

TEST(Kafka, FetchV7TopLevelErrorWins) {
  auto h = make();
  h.feed(Dir::kToServer, fetch_request(7, 8, "t", 0, 1));
  h.feed(Dir::kToClient, fetch_response(7, 8, 70, "", 0, 0, {}, false));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[1].fields.response_code, 70);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kResponseException), "The fetch session ID was not found.");
}

// ---- groups ----------------------------------------------------------------------------------

struct GroupCase {
  int key;
  int version;
  bool flexible;
  bool throttle;
  const char* name;
};

TEST(Kafka, GroupApis) {
  const GroupCase cases[] = {
      {11, 5, false, true, "JoinGroup"}, {11, 7, true, true, "JoinGroup"}, {11, 0, false, false, "JoinGroup"},
      {14, 3, false, true, "SyncGroup"}, {14, 4, true, true, "SyncGroup"}, {14, 0, false, false, "SyncGroup"},
      {13, 3, false, true, "LeaveGroup"}, {13, 5, true, true, "LeaveGroup"}, {13, 0, false, false, "LeaveGroup"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.name) + " v" + std::to_string(c.version));
    for (int error : {0, -1, 25}) {
      auto h = make();
      h.feed(Dir::kToServer, group_request(c.key, c.version, 120, c.flexible, "zzzz12"));
      h.feed(Dir::kToClient, group_response(120, c.flexible, c.throttle, error));
      ASSERT_EQ(h.messages().size(), 2u);
      EXPECT_EQ(h.errors(), 0u);
      EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestType), c.name);
      EXPECT_EQ(h.messages()[0].fields.attribute("group_id"), "zzzz12");
      EXPECT_EQ(h.messages()[0].fields.get(Field::kVersion), std::to_string(c.version));
      const L7Fields& r = h.messages()[1].fields;
      EXPECT_EQ(r.response_code, error);
      EXPECT_EQ(r.response_status, error == 0 ? ResponseStatus::kOk : ResponseStatus::kServerError);
      // Errors.java texts of UNKNOWN_SERVER_ERROR and UNKNOWN_MEMBER_ID; none for success.
      const std::string_view text = error == 0    ? ""
                                    : error == -1 ? "The server experienced an unexpected error when processing the request."
                                                  : "The coordinator is not aware of this member.";
      EXPECT_EQ(r.get(Field::kResponseException), text);
    }
  }
}

// ---- ApiVersions and other keys --------------------------------------------------------------

TEST(Kafka, ApiVersionsV3ResponseUsesHeaderV0) {
  auto h = make();
  W q = request_header(18, 3, 2, true, "adminclient-1");
  q.cstr("apache-kafka-java").cstr("3.0.0").tags();
  h.feed(Dir::kToServer, frame(q));
  // Body is flexible, header is v0: the error code (35 = 0x0023) follows the correlation id at once.
  // Misreading a tagged-field count there would give a different code.
  W r;
  r.i32(2).i16(35).carr(1).i16(18).i16(0).i16(3).tags().i32(0).tags();
  h.feed(Dir::kToClient, frame(r));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.errors(), 0u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestType), "ApiVersions");
  EXPECT_EQ(h.messages()[0].fields.get(Field::kVersion), "3");
  EXPECT_EQ(h.messages()[0].fields.request_length, 49u);
  EXPECT_EQ(h.messages()[1].fields.response_code, 35);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kResponseException), "The version of API is not supported.");
}

TEST(Kafka, UninspectedKeysGetMinusTwo) {
  struct K {
    int key, version;
    bool flex;
    const char* name;
  };
  // Responses without a top-level error code (per-topic errors only, or FindCoordinator v4+'s list).
  for (K k : {K{8, 8, true, "OffsetCommit"}, K{3, 4, false, "Metadata"}, K{3, 12, true, "Metadata"},
              K{2, 5, false, "ListOffsets"}, K{75, 0, true, "DescribeTopicPartitions"},
              K{10, 4, true, "FindCoordinator"}}) {
    SCOPED_TRACE(k.name);
    auto h = make();
    W q = request_header(k.key, k.version, 15551977, k.flex);
    q.i32(0);
    h.feed(Dir::kToServer, frame(q));
    W r = response_header(15551977, k.flex);
    r.i32(0).i16(0);
    h.feed(Dir::kToClient, frame(r));
    ASSERT_EQ(h.messages().size(), 2u);
    EXPECT_EQ(h.errors(), 0u);
    EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestType), k.name);
    const L7Fields& f = h.messages()[1].fields;
    EXPECT_EQ(f.response_code, -2);
    EXPECT_EQ(f.response_status, ResponseStatus::kOk);
    EXPECT_EQ(f.get(Field::kResponseException), "Type not yet inspected by l7tap");
    EXPECT_EQ(f.get(Field::kRequestId), "15551977");
  }
}

TEST(Kafka, TopLevelErrorCodeOfResponsesNotDecodedInDepth) {
  struct K {
    int key, version;
    bool flex;
    bool throttle_first;  // throttle_time_ms precedes the error code in this version
    int16_t error;
    const char* exception;
  };
  for (K k : {K{12, 0, false, false, 27, "The group is rebalancing, so a rejoin is needed."},
              K{12, 4, true, true, 25, "The coordinator is not aware of this member."},
              K{10, 0, false, false, 15, "The coordinator is not available."},
              K{10, 2, false, true, 15, "The coordinator is not available."},
              K{17, 1, false, false, 33, "The broker does not support the requested SASL mechanism."},
              K{22, 4, true, true, 0, ""}, K{47, 0, false, false, 68, "The group is not empty."}}) {
    SCOPED_TRACE(std::to_string(k.key) + " v" + std::to_string(k.version));
    auto h = make();
    W q = request_header(k.key, k.version, 77, k.flex);
    q.i32(0);
    h.feed(Dir::kToServer, frame(q));
    W r = response_header(77, k.flex);
    if (k.throttle_first) r.i32(250);
    r.i16(k.error).i32(-1);
    h.feed(Dir::kToClient, frame(r));
    ASSERT_EQ(h.messages().size(), 2u);
    EXPECT_EQ(h.errors(), 0u);
    const L7Fields& f = h.messages()[1].fields;
    EXPECT_EQ(f.response_code, k.error);
    EXPECT_EQ(f.response_status, k.error == 0 ? ResponseStatus::kOk : ResponseStatus::kServerError);
    EXPECT_EQ(f.get(Field::kResponseException), k.exception);
  }
  // A body too short to hold the error code: not inspected, as before.
  auto h = make();
  W q = request_header(12, 3, 78, false);
  q.i32(0);
  h.feed(Dir::kToServer, frame(q));
  W r = response_header(78, false);
  r.i32(0);
  h.feed(Dir::kToClient, frame(r));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[1].fields.response_code, -2);
}

TEST(Kafka, ControlledShutdownV0HasNoClientId) {
  auto h = make();
  W q;
  q.i16(7).i16(0).i32(4).i32(1);  // header v0, broker_id
  h.feed(Dir::kToServer, frame(q));
  ASSERT_EQ(h.messages().size(), 1u);
  EXPECT_EQ(h.errors(), 0u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestType), "ControlledShutdown");
}

TEST(Kafka, NewerVersionNamedButBodyNotDecoded) {
  auto h = make();
  const int v = kafka_api(0)->max_version + 1;
  W q = request_header(0, v, 9, true);
  q.uv(0).i16(-1).i32(1000).carr(1).cstr("t");
  h.feed(Dir::kToServer, frame(q));
  ASSERT_EQ(h.messages().size(), 1u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestType), "Produce");
  EXPECT_EQ(h.messages()[0].fields.get(Field::kVersion), std::to_string(v));
  EXPECT_TRUE(h.messages()[0].fields.get(Field::kRequestDomain).empty());
  // Far beyond any known version: not Kafka.
  auto h2 = make();
  h2.feed(Dir::kToServer, frame(request_header(0, 40, 9, true)));
  EXPECT_TRUE(h2.messages().empty());
  EXPECT_EQ(h2.errors(), 1u);
}

TEST(Kafka, ApiTableAndErrorTable) {
  EXPECT_EQ(kafka_api(0)->name, "Produce");
  EXPECT_EQ(kafka_api(1)->name, "Fetch");
  EXPECT_EQ(kafka_api(18)->name, "ApiVersions");
  EXPECT_EQ(kafka_api(18)->first_flexible, 3);
  EXPECT_EQ(kafka_api(0)->first_flexible, 9);
  EXPECT_EQ(kafka_api(1)->first_flexible, 12);
  EXPECT_EQ(kafka_api(17)->first_flexible, -1);  // SaslHandshake: never flexible
  for (int k = 0; k <= 75; ++k) {
    ASSERT_NE(kafka_api(k), nullptr) << k;
    EXPECT_FALSE(kafka_api(k)->name.empty()) << k;
  }
  EXPECT_EQ(kafka_api(-1), nullptr);
  EXPECT_EQ(kafka_api(1000), nullptr);
  EXPECT_EQ(kafka_error_description(-1), "The server experienced an unexpected error when processing the request.");
  EXPECT_TRUE(kafka_error_description(0).empty());
  EXPECT_EQ(kafka_error_description(3), "This server does not host this topic-partition.");
  EXPECT_EQ(kafka_error_description(25), "The coordinator is not aware of this member.");
  for (int c = 1; c <= 128; ++c) EXPECT_FALSE(kafka_error_description(c).empty()) << c;
  EXPECT_TRUE(kafka_error_description(-2).empty());
  EXPECT_TRUE(kafka_error_description(5000).empty());
}

// ---- pairing state ---------------------------------------------------------------------------

TEST(Kafka, ResponsesDecodedByCorrelationIdOutOfOrder) {
  auto h = make();
  h.feed(Dir::kToServer, concat({produce_request(3, 1, "p", 0, record_batch({}, {"a"})), fetch_request(4, 2, "f", 1, 5),
                                 group_request(11, 5, 3, false, "g")}));
  h.feed(Dir::kToClient, concat({group_response(3, false, true, 22), fetch_response(4, 2, 0, "f", 1, 0, {}),
                                 produce_response(3, 1, "p", 0, 0, 77)}));
  ASSERT_EQ(h.messages().size(), 6u);
  EXPECT_EQ(h.messages()[3].fields.get(Field::kRequestType), "JoinGroup");
  EXPECT_EQ(h.messages()[3].fields.response_code, 22);
  EXPECT_EQ(h.messages()[4].fields.get(Field::kRequestType), "Fetch");
  EXPECT_EQ(h.messages()[5].fields.get(Field::kRequestResource), "p-0:77");
}

TEST(Kafka, RequestsSeenInToClientTurnRolesAround) {
  // A flow picked up mid-connection whose client has the higher port: Dir is the reverse of the
  // real roles. The first message (a request) is in kToClient.
  auto h = make();
  h.feed(Dir::kToClient, group_request(11, 7, 120, true, "zzzz12"));
  h.feed(Dir::kToServer, group_response(120, true, true, -1));
  h.feed(Dir::kToClient, fetch_request(12, 121, "t", 0, 3));
  h.feed(Dir::kToServer, fetch_response(12, 121, 0, "t", 0, 0, {}));
  ASSERT_EQ(h.messages().size(), 4u);
  EXPECT_EQ(h.errors(), 0u);
  EXPECT_EQ(h.messages()[0].role, MsgRole::kRequest);
  EXPECT_EQ(h.messages()[0].dir, Dir::kToClient);
  EXPECT_EQ(h.messages()[1].role, MsgRole::kResponse);
  EXPECT_EQ(h.messages()[1].fields.response_code, -1);
  EXPECT_EQ(h.messages()[3].fields.get(Field::kRequestType), "Fetch");
}

TEST(Kafka, ResponseFirstKeepsNormalRoles) {
  auto h = make();
  h.feed(Dir::kToClient, fetch_response(4, 5, 0, "t", 0, 0, {}));  // its request was not captured
  h.feed(Dir::kToServer, fetch_request(4, 6, "t", 0, 9));
  h.feed(Dir::kToClient, fetch_response(4, 6, 0, "t", 0, 0, {}));
  ASSERT_EQ(h.messages().size(), 3u);
  EXPECT_EQ(h.errors(), 0u);
  EXPECT_EQ(h.messages()[0].role, MsgRole::kResponse);
  EXPECT_EQ(h.messages()[1].role, MsgRole::kRequest);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestResource), "t-0:9");
  EXPECT_EQ(h.messages()[2].fields.get(Field::kRequestType), "Fetch");
  EXPECT_FALSE(h.reversed());  // a response first in kToClient is the right orientation
}

TEST(Kafka, UnknownCorrelationIdLoggedUndecoded) {
  auto h = make();
  h.feed(Dir::kToClient, produce_response(3, 99, "p", 0, 0, 1));
  ASSERT_EQ(h.messages().size(), 1u);
  EXPECT_EQ(h.errors(), 0u);
  const Message& m = h.messages()[0];
  EXPECT_EQ(m.role, MsgRole::kResponse);
  EXPECT_EQ(m.id, 99u);
  EXPECT_TRUE(m.fields.get(Field::kRequestType).empty());
  EXPECT_FALSE(m.fields.has_response_code);
  EXPECT_TRUE(m.fields.has_response_length);
}

TEST(Kafka, PendingBoundedOldestDropped) {
  ParserOptions opts;
  opts.max_pending = 2;
  test::ParserHarness h(kKafkaDescriptor, opts);
  for (int c = 1; c <= 3; ++c) h.feed(Dir::kToServer, fetch_request(4, c, "t", 0, c));
  for (int c = 1; c <= 3; ++c) h.feed(Dir::kToClient, fetch_response(4, c, 0, "t", 0, 0, {}));
  ASSERT_EQ(h.messages().size(), 6u);
  EXPECT_TRUE(h.messages()[3].fields.get(Field::kRequestType).empty());  // correlation id 1 was dropped
  EXPECT_EQ(h.messages()[4].fields.get(Field::kRequestType), "Fetch");
  EXPECT_EQ(h.messages()[5].fields.get(Field::kRequestType), "Fetch");
}

// The correlation table starts small inside the parser and grows into pool blocks: 100 requests in
// flight (more than the inline table, less than max_pending) are all answered and decoded, in the
// order the broker answers them.
TEST(Kafka, ManyRequestsInFlightGrowTheTable) {
  auto h = make();
  for (int c = 1; c <= 100; ++c) h.feed(Dir::kToServer, fetch_request(4, c, "t", 0, c));
  for (int c = 100; c >= 1; --c) h.feed(Dir::kToClient, fetch_response(4, c, 0, "t", 0, 0, {}));
  ASSERT_EQ(h.messages().size(), 200u);
  for (std::size_t i = 100; i < 200; ++i) {
    EXPECT_EQ(h.messages()[i].fields.get(Field::kRequestType), "Fetch") << i;
    EXPECT_EQ(h.messages()[i].id, 200 - i) << i;
  }
}

// A pool that cannot grow the table keeps the newest requests it has room for (the oldest are
// forgotten, as at max_pending); nothing else breaks.
TEST(Kafka, TableThatCannotGrowForgetsTheOldest) {
  ParserOptions opts;
  BufferPool pool(BufferPool::block_size(kKafkaDescriptor.factory.state_size(opts)));  // the state, nothing more
  StreamDriver driver;
  ParserEnv env{&opts, &pool};
  ASSERT_TRUE(driver.attach(kKafkaDescriptor, env));
  test::CollectingSink sink;
  ParseContext ctx;
  ctx.sink = &sink;
  ctx.options = &opts;
  for (int c = 1; c <= 20; ++c) {
    auto b = fetch_request(4, c, "t", 0, c);
    driver.on_stream_data(Dir::kToServer, b, ctx);
  }
  for (int c = 1; c <= 20; ++c) {
    auto b = fetch_response(4, c, 0, "t", 0, 0, {});
    driver.on_stream_data(Dir::kToClient, b, ctx);
  }
  ASSERT_EQ(sink.messages.size(), 40u);
  int decoded = 0;
  for (std::size_t i = 20; i < 40; ++i) decoded += sink.messages[i].fields.get(Field::kRequestType) == "Fetch";
  EXPECT_GE(decoded, 8);  // at least the inline table's worth: the newest ones
  EXPECT_LT(decoded, 20);
  EXPECT_EQ(sink.messages[39].fields.get(Field::kRequestType), "Fetch");
  EXPECT_TRUE(sink.messages[20].fields.get(Field::kRequestType).empty());
  EXPECT_GT(pool.refused(), 0u);
  driver.reset();
  EXPECT_EQ(pool.in_use(), 0u);
}

// ---- framing ---------------------------------------------------------------------------------

std::vector<uint8_t> client_stream() {
  return concat({produce_request(3, 1, "orders", 2, record_batch({{"traceparent", std::string(kTraceparent)}}, {"v"})),
                 fetch_request(12, 2, "zqy", 0, 36), group_request(11, 7, 3, true, "grp"),
                 produce_request(9, 4, "ev", 0, record_batch({{"sw8", std::string(kSw8)}}, {"p"}))});
}
std::vector<uint8_t> server_stream() {
  return concat({produce_response(3, 1, "orders", 2, 0, 5), fetch_response(12, 2, 0, "zqy", 0, 0, record_batch({}, {"r"})),
                 group_response(3, true, true, -1), produce_response(9, 4, "ev", 0, 0, 6)});
}

std::vector<std::string> run_split(std::size_t chunk) {
  auto h = make();
  auto c = client_stream();
  auto s = server_stream();
  if (chunk == 0) {
    h.feed(Dir::kToServer, c);
    h.feed(Dir::kToClient, s);
  } else {
    h.feed_split(Dir::kToServer, c, chunk);
    h.feed_split(Dir::kToClient, s, chunk);
  }
  EXPECT_EQ(h.errors(), 0u);
  std::vector<std::string> out;
  for (auto& m : h.messages()) out.push_back(describe(m));
  return out;
}

// Kafka requests only come from clients: requests found travelling kToClient prove the flow's
// guessed orientation wrong; a normal conversation must not be reported.
TEST(Kafka, RequestsInToClientReportReversedOrientation) {
  for (bool swapped : {false, true}) {
    SCOPED_TRACE(swapped);
    const Dir client_dir = swapped ? Dir::kToClient : Dir::kToServer;
    auto h = make();
    h.feed(client_dir, client_stream());
    h.feed(opposite(client_dir), server_stream());
    EXPECT_EQ(h.errors(), 0u);
    EXPECT_EQ(h.messages().size(), 8u);
    EXPECT_EQ(h.reversed(), swapped);
  }
}

TEST(Kafka, SplitSegmentsGiveIdenticalMessages) {
  const auto whole = run_split(0);
  ASSERT_EQ(whole.size(), 8u);
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 100u}) {
    SCOPED_TRACE(chunk);
    EXPECT_EQ(run_split(chunk), whole);
  }
}

TEST(Kafka, LargeProduceDecodedFromPrefixAndSkipped) {
  // The first record's headers follow its value: they are in the decoded prefix when the first
  // record is small (a batch of many messages), not when it alone is larger than the buffer.
  std::string big(200000, 'x');
  auto req = produce_request(7, 1, "big", 0, record_batch({{"traceparent", std::string(kTraceparent)}}, {"small", big}));
  auto next = fetch_request(4, 2, "after", 0, 1);
  auto stream = concat({req, next});
  for (std::size_t chunk : {0u, 1448u, 65536u, 70000u}) {
    SCOPED_TRACE(chunk);
    auto h = make();
    if (chunk == 0) {
      h.feed(Dir::kToServer, stream);
    } else {
      h.feed_split(Dir::kToServer, stream, chunk);
    }
    EXPECT_EQ(h.errors(), 0u);
    ASSERT_EQ(h.messages().size(), 2u);
    const L7Fields& f = h.messages()[0].fields;
    EXPECT_EQ(f.request_length, req.size() - 4);
    EXPECT_EQ(f.get(Field::kEndpoint), "big-0");
    EXPECT_EQ(f.get(Field::kTraceId), "0af7651916cd43dd8448eb211c80319c");
    EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestResource), "after-0:1");
  }
}

TEST(Kafka, LargeFetchResponseDecodedFromPrefix) {
  std::string big(150000, 'y');
  auto h = make();
  h.feed(Dir::kToServer, fetch_request(11, 5, "t", 0, 0));
  auto rsp = fetch_response(11, 5, 0, "t", 0, 0, record_batch({{"traceparent", std::string(kTraceparent)}}, {"s", big}));
  h.feed_split(Dir::kToClient, concat({rsp, group_response(6, false, true, 0)}), 1448);
  ASSERT_EQ(h.messages().size(), 3u);
  EXPECT_EQ(h.errors(), 0u);
  EXPECT_EQ(h.messages()[1].fields.response_length, rsp.size() - 4);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kTraceId), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(h.messages()[2].id, 6u);
}

TEST(Kafka, GarbageIsAnErrorAndResyncWorks) {
  auto h = make();
  h.feed(Dir::kToServer, test::bytes_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(h.errors(), 1u);
  EXPECT_TRUE(h.messages().empty());
  EXPECT_FALSE(h.stopped());
  // Unknown api key 0x0300 with a plausible size.
  h.feed(Dir::kToServer, std::vector<uint8_t>{0, 0, 0, 20, 3, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(h.errors(), 2u);
  // Client id longer than the message.
  W bad;
  bad.i16(0).i16(3).i32(1).i16(500);
  h.feed(Dir::kToServer, frame(bad));
  EXPECT_EQ(h.errors(), 3u);
  // After a gap the next message boundary parses again.
  h.feed(Dir::kToServer, std::vector<uint8_t>{0, 0, 0, 40, 0, 1});  // truncated request
  h.gap(Dir::kToServer);
  h.feed(Dir::kToServer, fetch_request(4, 1, "ok", 0, 0));
  ASSERT_EQ(h.messages().size(), 1u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kEndpoint), "ok-0");
  // A response size below the correlation id is an error too.
  h.feed(Dir::kToClient, std::vector<uint8_t>{0, 0, 0, 2, 0, 0});
  EXPECT_EQ(h.errors(), 4u);
}

TEST(Kafka, TruncatedBodiesDoNotCrash) {
  // Every prefix of each message, framed as if it were complete: decoders stop where bytes end.
  const std::vector<std::vector<uint8_t>> reqs = {
      produce_request(3, 1, "o", 2, record_batch({{"traceparent", std::string(kTraceparent)}}, {"v"})),
      produce_request(9, 1, "e", 0, record_batch({{"sw8", std::string(kSw8)}}, {"p"})), fetch_request(12, 1, "z", 0, 3),
      fetch_request(13, 1, "", 0, 3), group_request(11, 7, 1, true, "g")};
  const std::vector<std::vector<uint8_t>> rsps = {
      produce_response(3, 1, "o", 2, 0, 5), produce_response(9, 1, "e", 0, 0, 5),
      fetch_response(12, 1, 0, "z", 0, 0, record_batch({{"traceparent", std::string(kTraceparent)}}, {"r"})),
      fetch_response(13, 1, 0, "", 0, 0, {}), group_response(1, true, true, 0)};
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    for (std::size_t cut = 12; cut <= reqs[i].size(); ++cut) {
      auto h = make();
      W q;
      q.raw(std::vector<uint8_t>(reqs[i].begin() + 4, reqs[i].begin() + static_cast<std::ptrdiff_t>(cut)));
      h.feed(Dir::kToServer, frame(q));
      if (h.messages().empty()) {  // header cut: a counted framing error
        EXPECT_EQ(h.errors(), 1u) << i << " cut " << cut;
        continue;
      }
      for (std::size_t rcut = 4; rcut <= rsps[i].size() - 4; ++rcut) {
        auto h2 = make();
        h2.feed(Dir::kToServer, frame(q));
        W r;
        r.raw(std::vector<uint8_t>(rsps[i].begin() + 4, rsps[i].begin() + 4 + static_cast<std::ptrdiff_t>(rcut)));
        h2.feed(Dir::kToClient, frame(r));
        EXPECT_EQ(h2.messages().size(), 2u);
      }
    }
  }
}

// Mutated streams and noise: no crash, the tail stays within its bound, every request parsed
// before the first damaged byte is as in the intact stream, and after a gap valid requests parse.
TEST(Kafka, RandomBytesNeverCrash) {
  std::mt19937 rng(12345);
  const auto good = client_stream();
  auto clean = make();
  clean.feed(Dir::kToServer, good);
  ASSERT_EQ(clean.errors(), 0u);
  std::vector<std::size_t> ends;  // where each request of the intact stream ends
  for (std::size_t off = 0; off < good.size();) {
    off += 4 + ((std::size_t{good[off]} << 24) | (std::size_t{good[off + 1]} << 16) | (std::size_t{good[off + 2]} << 8) |
                good[off + 3]);
    ends.push_back(off);
  }
  ASSERT_EQ(ends.size(), clean.messages().size());
  uint32_t noise_refused = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    auto h = make();
    std::vector<uint8_t> data = good;
    std::size_t first_bad = data.size();
    // Mutate a few bytes of a valid stream, or use pure noise.
    if (iter % 2 == 0) {
      for (int k = 0; k < 4; ++k) {
        const std::size_t at = rng() % data.size();
        const auto v = static_cast<uint8_t>(rng());
        if (v != data[at]) first_bad = std::min(first_bad, at);
        data[at] = v;
      }
    } else {
      data.resize(1 + rng() % 300);
      for (auto& b : data) b = static_cast<uint8_t>(rng());
      first_bad = 0;
    }
    h.feed_split(Dir::kToServer, data, 1 + rng() % 64);
    EXPECT_LE(h.driver().buffered(Dir::kToServer), h.options().max_buffered);
    const std::string context = "iter " + std::to_string(iter);
    const std::size_t intact = static_cast<std::size_t>(std::upper_bound(ends.begin(), ends.end(), first_bad) - ends.begin());
    ASSERT_GE(h.messages().size(), intact) << context;
    for (std::size_t i = 0; i < intact; ++i)
      EXPECT_EQ(describe(h.messages()[i]), describe(clean.messages()[i])) << context << " request " << i;
    if (iter % 2 == 1) noise_refused += h.errors() + h.oversize() != 0 ? 1 : 0;
    h.feed_split(Dir::kToClient, data, 1 + rng() % 64);
    h.gap(Dir::kToServer);
    h.feed(Dir::kToServer, fetch_request(4, 77, "valid", 0, 9));
    ASSERT_FALSE(h.messages().empty()) << context;
    EXPECT_EQ(h.messages().back().fields.get(Field::kRequestResource), "valid-0:9") << context;
  }
  // Noise is almost never a request (size, api key, version and client id must all fit); each
  // stream that is not is counted. Some noise only waits for bytes that never come.
  EXPECT_GE(noise_refused, 900u);
}

// ---- length bombs ----------------------------------------------------------------------------

// A request header declaring ~2 GiB (beyond the 128 MiB maximum message size): counted as garbage,
// nothing logged for it, and the requests after it parse, in the same segment or the next.
TEST(Kafka, SizeBombResyncs) {
  EXPECT_EQ(kKafkaDescriptor.default_max_message, 128u << 20);
  W bomb;
  bomb.i32(0x7ffffff0).raw(request_header(0, 7, 99, false, "evil").b).i16(-1).i16(1);
  for (const bool same_segment : {false, true}) {
    auto h = make();
    h.feed(Dir::kToServer, fetch_request(4, 1, "before", 0, 1));
    const auto after = concat({fetch_request(4, 2, "after", 0, 2), fetch_request(4, 3, "last", 0, 3)});
    if (same_segment) {
      h.feed(Dir::kToServer, concat({bomb.b, after}));
    } else {
      h.feed(Dir::kToServer, bomb.b);
      h.feed(Dir::kToServer, after);
    }
    ASSERT_EQ(h.messages().size(), 3u) << same_segment;
    EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestResource), "after-0:2") << same_segment;
    EXPECT_EQ(h.messages()[2].fields.get(Field::kRequestResource), "last-0:3") << same_segment;
    EXPECT_EQ(h.oversize(), 1u) << same_segment;
    EXPECT_EQ(h.resyncs(), 1u) << same_segment;
    EXPECT_EQ(h.errors(), 0u) << same_segment;
    EXPECT_EQ(h.skipped_bytes(), 0u) << same_segment;
  }
  // Responses: a size bomb between two responses; the one after it is found by its correlation id.
  auto h = make();
  h.feed(Dir::kToServer, concat({fetch_request(4, 5, "a", 0, 1), fetch_request(4, 6, "b", 0, 1)}));
  W rbomb;
  rbomb.i32(0x7ffffff0).i32(5).raw(std::string(30, '\0'));
  h.feed(Dir::kToClient, concat({rbomb.b, fetch_response(4, 6, 0, "b", 0, 0, {})}));
  ASSERT_EQ(h.messages().size(), 3u);
  EXPECT_EQ(h.messages()[2].id, 6u);
  EXPECT_EQ(h.messages()[2].fields.get(Field::kRequestType), "Fetch");
  EXPECT_EQ(h.oversize(), 1u);
}

// A 100 MiB Produce (within the maximum) whose bytes never come: the next segment, whole
// requests, proves the size wrong and they parse. While its prefix is short the bogus request is
// only waited for (never logged); once the buffer bound is reached it is logged from its prefix
// and the rest skipped, and the next segment stops the skip.
TEST(Kafka, SkipContradictedByTheNextSegment) {
  W head;
  head.i32(100 << 20).raw(request_header(0, 7, 9, false, "producer-1").b).null_str().i16(1).i32(30000);
  head.arr(1).str("bogus");
  const auto next = concat({fetch_request(4, 10, "next", 0, 1), fetch_request(4, 11, "more", 0, 1)});
  {
    auto h = make();
    h.feed(Dir::kToServer, head.b);
    h.feed(Dir::kToServer, next);
    ASSERT_EQ(h.messages().size(), 2u);
    EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestResource), "next-0:1");
    EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestResource), "more-0:1");
    EXPECT_EQ(h.resyncs(), 1u);
    EXPECT_EQ(h.oversize(), 0u);
    EXPECT_EQ(h.driver().buffered(Dir::kToServer), 0u);
  }
  {
    ParserOptions opts;
    opts.max_buffered = 64;
    ParserHarness h(kKafkaDescriptor, opts);
    W full = head;
    full.raw(std::string(100, 'x'));  // more than the buffer bound: logged from its prefix, skipped
    h.feed(Dir::kToServer, full.b);
    h.feed(Dir::kToServer, next);
    ASSERT_EQ(h.messages().size(), 3u);
    EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestDomain), "bogus");
    EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestResource), "next-0:1");
    EXPECT_EQ(h.resyncs(), 1u);
    EXPECT_EQ(h.skipped_bytes(), 0u);  // the skip started after the first segment's bytes
  }
}

// Nested lengths at their maxima inside small requests and responses: array counts of 2^31-1,
// string and bytes lengths of 32767 / 2^31-1, a record batch claiming 2^31-1 records and headers,
// tagged fields claiming 2^32 entries. Each is bounded by its message (no allocation, one pass),
// and the message after it parses.
TEST(Kafka, NestedLengthBombs) {
  std::vector<std::vector<uint8_t>> requests;
  {  // Produce v7: topics array of 2^31-1
    W w = request_header(0, 7, 1, false, "p");
    w.null_str().i16(1).i32(30000).arr(0x7fffffff).str("t");
    requests.push_back(frame(w));
  }
  {  // Produce v7: topic name length 32767
    W w = request_header(0, 7, 1, false, "p");
    w.null_str().i16(1).i32(30000).arr(1).i16(0x7fff).raw("abc");
    requests.push_back(frame(w));
  }
  {  // Produce v7: records bytes length 2^31-1 and a batch claiming 2^31-1 records with headers
    std::vector<uint8_t> batch = record_batch({{"traceparent", std::string(kTraceparent)}}, {"v"});
    batch[57] = 0x7f;  // record count (bytes 57..60 of the batch)
    batch[58] = batch[59] = batch[60] = 0xff;
    W w = request_header(0, 7, 1, false, "p");
    w.null_str().i16(1).i32(30000).arr(1).str("t").arr(1).i32(0).i32(0x7fffffff).raw(batch);
    requests.push_back(frame(w));
  }
  {  // Produce v9 (flexible): tagged fields count 2^32 in the header, compact array of 2^31-2
    W w;
    w.i16(0).i16(9).i32(1).str("p").uv(0xffffffffu);
    w.uv(0).i16(1).i32(30000).carr(0x7ffffffe);
    requests.push_back(frame(w));
  }
  for (std::size_t i = 0; i < requests.size(); ++i) {
    auto h = make();
    h.feed(Dir::kToServer, fetch_request(4, 1, "first", 0, 1));  // the flow is known to be Kafka
    const uint64_t in_use = h.pool().in_use();
    h.feed(Dir::kToServer, concat({requests[i], fetch_request(4, 2, "next", 0, 1)}));
    ASSERT_EQ(h.messages().size(), 3u) << i;
    EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestType), "Produce") << i;
    EXPECT_EQ(h.messages()[2].fields.get(Field::kRequestResource), "next-0:1") << i;
    EXPECT_EQ(h.errors(), 0u) << i;
    EXPECT_LE(h.pool().in_use(), in_use + 64) << i;  // at most the pending table's first block
  }
  // Fetch response v4 whose aborted-transactions array claims 2^31-1 entries.
  auto h = make();
  h.feed(Dir::kToServer, fetch_request(4, 5, "t", 0, 0));
  W w = response_header(5, false);
  w.i32(0).arr(1).str("t").arr(1).i32(0).i16(0).i64(1).i64(1).arr(0x7fffffff).i64(1);
  h.feed(Dir::kToClient, concat({frame(w), group_response(6, false, true, 0)}));
  ASSERT_EQ(h.messages().size(), 3u);
  EXPECT_EQ(h.messages()[1].id, 5u);
  EXPECT_EQ(h.messages()[2].id, 6u);
  EXPECT_EQ(h.errors(), 0u);
}

// ---- probe and signatures --------------------------------------------------------------------

TEST(Kafka, ProbeAcceptsRequests) {
  for (auto& req : {produce_request(3, 1, "o", 0, record_batch({}, {"v"})), fetch_request(12, 2, "z", 0, 0),
                    fetch_request(13, 2, "", 0, 0), group_request(11, 7, 3, true, "g")}) {
    EXPECT_EQ(kafka_probe(Dir::kToServer, req), ProbeVerdict::kYes);
    EXPECT_EQ(kafka_probe(Dir::kToServer, std::span<const uint8_t>(req).first(6)), ProbeVerdict::kMaybe);
    // kToClient may be a wrong guess for a flow picked up mid-connection: requests are accepted.
    EXPECT_EQ(kafka_probe(Dir::kToClient, req), ProbeVerdict::kYes);
  }
  // An empty or null client id is legal; it is accepted where requests are expected only.
  W anon = request_header(3, 1, 1, false, "");
  anon.arr(0);
  EXPECT_EQ(kafka_probe(Dir::kToServer, frame(anon)), ProbeVerdict::kYes);
  EXPECT_EQ(kafka_probe(Dir::kToClient, frame(anon)), ProbeVerdict::kNo);
  // Responses (mostly zero fields after the correlation id) are not taken for requests. Only a
  // correlation id whose low 16 bits are a valid api_version (e.g. 0..14 for "Produce") followed by
  // a short printable string could pass, e.g. a Produce response to one of the first requests of
  // a connection: a response-first capture starting there may be misread.
  W api_rsp;
  api_rsp.i32(1).i16(0).carr(1).i16(18).i16(0).i16(3).tags().i32(0).tags();
  for (auto& rsp : {produce_response(3, 1000, "o", 0, 0, 5), produce_response(9, 3, "o", 0, 0, 5),
                    fetch_response(4, 5, 0, "t", 0, 0, {}), fetch_response(12, 2, 0, "", 0, 0, {}, false),
                    group_response(3, false, true, 0), group_response(4, true, true, 0), frame(api_rsp)}) {
    EXPECT_NE(kafka_probe(Dir::kToClient, rsp), ProbeVerdict::kYes) << ::testing::PrintToString(rsp);
  }
  W q = request_header(18, 3, 2, true, "adminclient-1");
  q.cstr("apache-kafka-java").cstr("3.0.0").tags();
  EXPECT_EQ(kafka_probe(Dir::kToServer, frame(q)), ProbeVerdict::kYes);
}

TEST(Kafka, ProbeRejectsOtherProtocols) {
  const std::vector<std::vector<uint8_t>> others = {
      test::bytes_of("GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n"),
      test::bytes_of("POST /api HTTP/1.1\r\n"),
      test::bytes_of("HTTP/1.1 200 OK\r\n"),
      {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x11, 0x22, 0x33, 0x44},  // TLS ClientHello
      {0x10, 0x16, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x0a},           // MQTT CONNECT
      test::bytes_of(std::string("AMQP\x00\x00\x09\x01", 8)),
      test::bytes_of("INFO {\"server_id\":\"x\"}\r\n"),
      test::bytes_of("CONNECT {\"verbose\":false}\r\n"),
      // DNS query over TCP: length 0x001d, id 0xabcd, flags 0x0100 (RD), 1 question.
      {0x00, 0x1d, 0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 'e', 'x'},
      {0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x7f},  // ZMTP greeting
      test::bytes_of("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
  };
  for (const auto& o : others) EXPECT_EQ(kafka_probe(Dir::kToServer, o), ProbeVerdict::kNo) << o.size();
  // Plausible header but a control character in the client id.
  W q;
  q.i16(3).i16(4).i32(1).i16(4).raw(std::string("ab\x01\x02", 4)).i32(0);
  EXPECT_EQ(kafka_probe(Dir::kToServer, frame(q)), ProbeVerdict::kNo);
  // Random bytes: essentially never accepted.
  std::mt19937 rng(7);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> d(64);
    for (auto& b : d) b = static_cast<uint8_t>(rng());
    accepted += kafka_probe(Dir::kToServer, d) == ProbeVerdict::kYes;
  }
  EXPECT_EQ(accepted, 0);
}

TEST(Kafka, SignaturesCompileAndMatchRequests) {
  const test::SignatureMatcher sigs(kKafkaDescriptor);
  ASSERT_TRUE(sigs.ok()) << sigs.error();
  EXPECT_TRUE(sigs.matches(produce_request(9, 1, "o", 0, record_batch({}, {"v"}))));
  EXPECT_TRUE(sigs.matches(fetch_request(13, 1, "", 0, 0)));
  EXPECT_TRUE(sigs.matches(group_request(14, 5, 1, true, "g")));
  EXPECT_FALSE(sigs.matches(test::bytes_of("GET / HTTP/1.1\r\n\r\n")));
  EXPECT_FALSE(sigs.matches({0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc}));
  EXPECT_EQ(kKafkaDescriptor.name, "kafka");
  EXPECT_EQ(protocol_by_id(protocol_id("kafka")), &kKafkaDescriptor);
  EXPECT_EQ(kKafkaDescriptor.transports, kTcp);
  EXPECT_EQ(kKafkaDescriptor.default_ports[0], 9092);
}

}  // namespace
}  // namespace l7tap
