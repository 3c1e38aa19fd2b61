// RocketMQ remoting protocol parser tests. Frames are built here from the protocol definition
// (RemotingCommand.java / RocketMQSerializable.java / MessageDecoder.java) and follow what the
// conformance captures show (RocketMQ 4.4 - 4.9 Java clients, fastjson headers).
#include "protocols/mq/rocketmq.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "protocols/core/session_pairing.hpp"
#include "protocols/mq/rocketmq_codes.hpp"
#include "protocols/registry.hpp"
#include "tests/protocols/parser_harness.hpp"

namespace l7tap {
namespace {

using test::bytes_of;
using test::ParserHarness;
using test::describe_all;
using test::pair_all;
using Ext = std::vector<std::pair<std::string, std::string>>;

std::string be(uint64_t v, int n) {
  std::string s;
  for (int i = n - 1; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}

std::string frame(int type, const std::string& header, const std::string& body = "") {
  return be(4 + header.size() + body.size(), 4) + be((uint32_t{static_cast<uint8_t>(type)} << 24) | header.size(), 4) +
         header + body;
}

// A fastjson-style header (members in alphabetical order, no blanks). `ext` values are written
// as given (already escaped).
std::string json_header(int32_t code, uint32_t flag, int64_t opaque, int version, const Ext& ext = {},
                        const std::string& remark = "") {
  std::string h = "{\"code\":" + std::to_string(code);
  if (!ext.empty()) {
    h += ",\"extFields\":{";
    for (std::size_t i = 0; i < ext.size(); ++i)
      h += (i ? "," : "") + ("\"" + ext[i].first + "\":\"" + ext[i].second + "\"");
    h += "}";
  }
  h += ",\"flag\":" + std::to_string(flag) + ",\"language\":\"JAVA\",\"opaque\":" + std::to_string(opaque);
  if (!remark.empty()) h += ",\"remark\":\"" + remark + "\"";
  h += ",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":" + std::to_string(version) + "}";
  return h;
}

std::string json_frame(int32_t code, uint32_t flag, int64_t opaque, int version, const Ext& ext = {},
                       const std::string& remark = "", const std::string& body = "") {
  return frame(0, json_header(code, flag, opaque, version, ext, remark), body);
}

// RocketMQSerializable.rocketMQProtocolEncode.
std::string binary_frame(int16_t code, int16_t version, uint32_t opaque, uint32_t flag, const Ext& ext = {},
                         const std::string& remark = "", const std::string& body = "", uint8_t language = 0) {
  std::string map;
  for (const auto& [k, v] : ext) map += be(k.size(), 2) + k + be(v.size(), 4) + v;
  std::string h = be(static_cast<uint16_t>(code), 2) + std::string(1, static_cast<char>(language)) +
                  be(static_cast<uint16_t>(version), 2) + be(opaque, 4) + be(flag, 4) + be(remark.size(), 4) +
                  remark + be(map.size(), 4) + map;
  return frame(1, h, body);
}

// MessageDecoder's stored-message layout (pull / query responses).
std::string stored_message(const std::string& topic, const std::string& body, const std::string& props,
                           bool v2 = false, bool ipv6 = false) {
  const uint32_t sys_flag = ipv6 ? (1u << 4) | (1u << 5) : 0;
  const std::size_t host = ipv6 ? 16 : 4;
  std::string m = be(v2 ? 0xdaa320abu : 0xdaa320a7u, 4) + be(0x1234, 4) + be(2, 4) + be(0, 4) + be(7, 8) +
                  be(99, 8) + be(sys_flag, 4) + be(1700000000000ull, 8) + std::string(host, '\x0a') + be(40000, 4) +
                  be(1700000000001ull, 8) + std::string(host, '\x0b') + be(10911, 4) + be(0, 4) + be(0, 8) +
                  be(body.size(), 4) + body + (v2 ? be(topic.size(), 2) : be(topic.size(), 1)) + topic +
                  be(props.size(), 2) + props;
  return be(m.size() + 4, 4) + m;
}

// MessageDecoder.encodeMessage (one message of a SEND_BATCH_MESSAGE body).
std::string batch_message(const std::string& body, const std::string& props) {
  const std::size_t total = 4 * 5 + body.size() + 2 + props.size();
  return be(total, 4) + be(0, 4) + be(0, 4) + be(0, 4) + be(body.size(), 4) + body + be(props.size(), 2) + props;
}

std::string props(const Ext& kv) {
  std::string s;
  for (const auto& [k, v] : kv) s += k + '\x01' + v + '\x02';
  return s;
}

const std::string kTraceparent = "00-7240bb0a67d82172a5527edbe80a4823-08c57e1e4bc4f7d0-01";



// A producer conversation in JSON: SEND_MESSAGE_V2 with short field names and properties.
std::string send_v2_request(uint32_t opaque, const std::string& queue = "3") {
  const std::string p = "traceparent\\u0001" + kTraceparent + "\\u0002UNIQ_KEY\\u00017F000001000155D9B8F01F92D316006F" +
                        "\\u0002WAIT\\u0001true";
  return json_frame(310, 0, opaque, 401,
                    {{"a", "otel-producer-group"}, {"b", "otel-demo-topic"}, {"c", "TBW102"}, {"d", "4"}, {"e", queue},
                     {"f", "0"}, {"g", "1741316915990"}, {"h", "0"}, {"i", p}, {"j", "0"}, {"k", "false"}, {"m", "false"}},
                    "", "Hello from OpenTelemetry");
}
std::string send_response(uint32_t opaque) {
  return json_frame(0, 1, opaque, 399,
                    {{"queueId", "3"}, {"TRACE_ON", "true"}, {"MSG_REGION", "DefaultRegion"},
                     {"msgId", "0A6038D800002A9F00000000000FFE02"}, {"queueOffset", "27"}});
}
std::string pull_request(uint32_t opaque, const std::string& queue) {
  return json_frame(11, 0, opaque, 293,
                    {{"queueId", queue}, {"maxMsgNums", "32"}, {"sysFlag", "3"}, {"suspendTimeoutMillis", "15000"},
                     {"commitOffset", "1154"}, {"topic", "TopicTest"}, {"queueOffset", "1154"},
                     {"expressionType", "TAG"}, {"subVersion", "1733815731448"},
                     {"consumerGroup", "please_rename_unique_group_name_4"}});
}

TEST(RocketMqParser, SendMessageV2WithShortNamesAndProperties) {
  ParserHarness h(kRocketMqDescriptor);
  const std::string req = send_v2_request(338), resp = send_response(338);
  h.feed(Dir::kToServer, bytes_of(req));
  h.feed(Dir::kToClient, bytes_of(resp));
  ASSERT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 2u);
  const Message& q = h.messages()[0];
  EXPECT_EQ(q.role, MsgRole::kRequest);
  EXPECT_TRUE(q.has_id);
  EXPECT_EQ(q.id, 338u);
  EXPECT_EQ(q.fields.get(Field::kRequestType), "SEND_MESSAGE_V2");
  EXPECT_EQ(q.fields.get(Field::kVersion), "V4_9_4");
  EXPECT_EQ(q.fields.get(Field::kRequestDomain), "otel-producer-group");
  EXPECT_EQ(q.fields.get(Field::kRequestResource), "otel-demo-topic");
  EXPECT_EQ(q.fields.get(Field::kEndpoint), "otel-demo-topic-3");
  EXPECT_EQ(q.fields.get(Field::kRequestId), "338");
  EXPECT_TRUE(q.fields.request_id_is_int());
  EXPECT_EQ(q.fields.get(Field::kTraceId), "7240bb0a67d82172a5527edbe80a4823");
  EXPECT_EQ(q.fields.get(Field::kSpanId), "08c57e1e4bc4f7d0");
  EXPECT_EQ(q.fields.get(Field::kXRequestId), "7F000001000155D9B8F01F92D316006F");
  EXPECT_EQ(q.fields.request_length, req.size() - 4);
  EXPECT_FALSE(q.fields.has_response_code);
  const Message& a = h.messages()[1];
  EXPECT_EQ(a.role, MsgRole::kResponse);
  EXPECT_EQ(a.id, 338u);
  EXPECT_EQ(a.fields.get(Field::kVersion), "V4_9_3");
  EXPECT_EQ(a.fields.response_code, 0);
  EXPECT_EQ(a.fields.response_status, ResponseStatus::kOk);
  EXPECT_FALSE(a.fields.has(Field::kResponseException));
  EXPECT_FALSE(a.fields.has(Field::kResponseResult));  // no body
  EXPECT_EQ(a.fields.response_length, resp.size() - 4);
}

TEST(RocketMqParser, ShortNamesOnlyForTheV2Header) {
  // PULL_MESSAGE has no short names: a/b/e are ordinary (unknown) extFields there.
  ParserHarness h(kRocketMqDescriptor);
  h.feed(Dir::kToServer, bytes_of(json_frame(11, 0, 1, 293, {{"a", "g"}, {"b", "t"}, {"e", "1"}})));
  ASSERT_EQ(h.messages().size(), 1u);
  EXPECT_FALSE(h.messages()[0].fields.has(Field::kRequestDomain));
  EXPECT_FALSE(h.messages()[0].fields.has(Field::kRequestResource));
  // SEND_MESSAGE (v1 header) uses the long names, SEND_BATCH_MESSAGE the short ones.
  h.feed(Dir::kToServer, bytes_of(json_frame(10, 0, 2, 293, {{"producerGroup", "pg"}, {"topic", "t1"}, {"queueId", "0"}})));
  h.feed(Dir::kToServer,
         bytes_of(json_frame(320, 0, 3, 293, {{"a", "pg2"}, {"b", "t2"}, {"e", "5"}}, "",
                             batch_message("m1", props({{"UNIQ_KEY", "AB01"}, {"traceparent", kTraceparent}})))));
  ASSERT_EQ(h.messages().size(), 3u);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestDomain), "pg");
  EXPECT_EQ(h.messages()[1].fields.get(Field::kEndpoint), "t1-0");
  EXPECT_EQ(h.messages()[2].fields.get(Field::kRequestType), "SEND_BATCH_MESSAGE");
  EXPECT_EQ(h.messages()[2].fields.get(Field::kRequestDomain), "pg2");
  EXPECT_EQ(h.messages()[2].fields.get(Field::kEndpoint), "t2-5");
  // The batch's first message carries the id and trace context.
  EXPECT_EQ(h.messages()[2].fields.get(Field::kXRequestId), "AB01");
  EXPECT_EQ(h.messages()[2].fields.get(Field::kTraceId), "7240bb0a67d82172a5527edbe80a4823");
}

TEST(RocketMqParser, PullResponseWithStoredMessages) {
  ParserHarness h(kRocketMqDescriptor);
  const std::string sw8 =
      "1-YjUzZDE2MTgzMDA4NDUzNjg5MTU5YmU1ZmIwYjA2OTcuMS4xNzQxMzQwOTYwMDkwMDYzMQ==-"
      "YjUzZDE2MTgzMDA4NDUzNjg5MTU5YmU1ZmIwYjA2OTcuMS4xNzQxMzQwOTYwMDkwMDYzMA==-0-cm9ja2V0bXEtcHJvZHVjZXI=-"
      "ZmIyMGM1MmNjM2JlNDJjMjgzZTVhYzFjZGRkY2ZmNDJAMTAuMC4wLjc2-Um9ja2V0TVEvZGVtby10b3BpYy9Qcm9kdWNlcg==-"
      "cm9ja2V0bXEtbmFtZXNydi5yb2NrZXRtcTo5ODc2";
  const std::string p = props({{"sw8-x", "0-1741340960090"}, {"sw8", sw8}, {"UNIQ_KEY", "7F00000100017DA635C02101B55A013B"}});
  for (const bool v2 : {false, true}) {
    for (const bool ipv6 : {false, true}) {
      ParserHarness h(kRocketMqDescriptor);
      const std::string body = stored_message("demo-topic", "Hello RocketMQ 316", p, v2, ipv6) +
                               stored_message("demo-topic", "second", props({{"UNIQ_KEY", "OTHER"}}), v2, ipv6);
      h.feed(Dir::kToServer, bytes_of(pull_request(1646, "0")));
      h.feed(Dir::kToClient,
             bytes_of(json_frame(0, 1, 1646, 399, {{"suggestWhichBrokerId", "0"}, {"nextBeginOffset", "1366"}}, "FOUND", body)));
      ASSERT_EQ(h.messages().size(), 2u);
      const L7Fields& q = h.messages()[0].fields;
      EXPECT_EQ(q.get(Field::kRequestType), "PULL_MESSAGE");
      EXPECT_EQ(q.get(Field::kRequestDomain), "please_rename_unique_group_name_4");
      EXPECT_EQ(q.get(Field::kRequestResource), "TopicTest");
      EXPECT_EQ(q.get(Field::kEndpoint), "TopicTest-0");
      EXPECT_EQ(q.get(Field::kVersion), "V4_4_0");
      const L7Fields& a = h.messages()[1].fields;
      EXPECT_EQ(a.get(Field::kResponseException), "FOUND");
      EXPECT_EQ(a.response_status, ResponseStatus::kOk);
      EXPECT_EQ(a.get(Field::kResponseResult), "Hello RocketMQ 316");
      EXPECT_EQ(a.get(Field::kTraceId), "b53d16183008453689159be5fb0b0697.1.17413409600900631");
      EXPECT_EQ(a.get(Field::kSpanId), "b53d16183008453689159be5fb0b0697.1.17413409600900630-0");
      EXPECT_EQ(a.get(Field::kXRequestId), "7F00000100017DA635C02101B55A013B");  // the first message's
    }
  }
}

TEST(RocketMqParser, JsonBodyIsTheResponseResult) {
  ParserHarness h(kRocketMqDescriptor);
  const std::string body = R"({"brokerDatas":[{"brokerAddrs":{0:"192.169.0.4:10911"},"brokerName":"broker-a"}]})";
  h.feed(Dir::kToServer, bytes_of(json_frame(105, 0, 5727, 293, {{"topic", "%RETRY%g"}})));
  h.feed(Dir::kToClient, bytes_of(json_frame(0, 1, 5727, 293, {}, "", body)));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestType), "GET_ROUTEINFO_BY_TOPIC");
  EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestResource), "%RETRY%g");
  EXPECT_FALSE(h.messages()[0].fields.has(Field::kEndpoint));  // no queueId
  EXPECT_FALSE(h.messages()[0].fields.has(Field::kRequestDomain));
  EXPECT_EQ(h.messages()[1].fields.get(Field::kResponseResult), body);
  // A binary body is not a result.
  h.feed(Dir::kToClient, bytes_of(json_frame(0, 1, 9, 293, {}, "", std::string("\x00\x01\x02zz", 5))));
  EXPECT_FALSE(h.messages().back().fields.has(Field::kResponseResult));
}

TEST(RocketMqParser, BinarySerialization) {
  ParserHarness h(kRocketMqDescriptor);
  const std::string p = props({{"traceparent", kTraceparent}, {"UNIQ_KEY", "C0A80001"}});
  const std::string req =
      binary_frame(310, 401, 77, 0, {{"a", "pg"}, {"b", "orders"}, {"e", "2"}, {"i", p}}, "", "payload", 9 /*GO*/);
  const std::string resp = binary_frame(17, 401, 77, 1, {}, "topic[orders] not exist");
  h.feed(Dir::kToServer, bytes_of(req));
  h.feed(Dir::kToClient, bytes_of(resp));
  ASSERT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 2u);
  const L7Fields& q = h.messages()[0].fields;
  EXPECT_EQ(q.get(Field::kRequestType), "SEND_MESSAGE_V2");
  EXPECT_EQ(q.get(Field::kEndpoint), "orders-2");
  EXPECT_EQ(q.get(Field::kRequestDomain), "pg");
  EXPECT_EQ(q.get(Field::kTraceId), "7240bb0a67d82172a5527edbe80a4823");
  EXPECT_EQ(q.get(Field::kXRequestId), "C0A80001");
  EXPECT_EQ(q.request_length, req.size() - 4);
  const L7Fields& a = h.messages()[1].fields;
  EXPECT_EQ(h.messages()[1].role, MsgRole::kResponse);
  EXPECT_EQ(h.messages()[1].id, 77u);
  EXPECT_EQ(a.response_code, 17);
  EXPECT_EQ(a.response_status, ResponseStatus::kClientError);
  EXPECT_EQ(a.get(Field::kResponseException), "topic[orders] not exist");
  // Negative codes and versions are Java shorts.
  h.feed(Dir::kToClient, bytes_of(binary_frame(-1006, 401, 78, 1)));
  EXPECT_EQ(h.messages().back().fields.response_code, -1006);
  EXPECT_EQ(h.messages().back().fields.response_status, ResponseStatus::kServerError);
  EXPECT_EQ(h.messages().back().fields.get(Field::kResponseException), "RPC_TIME_OUT");
}

TEST(RocketMqParser, OneWayRequestsAreSessionsOfTheirOwn) {
  for (const bool binary : {false, true}) {
    ParserHarness h(kRocketMqDescriptor);
    const Ext ext = {{"consumerGroup", "cg"}, {"topic", "t"}, {"queueId", "1"}, {"commitOffset", "12"}};
    h.feed(Dir::kToServer, bytes_of(binary ? binary_frame(15, 401, 9, 2, ext) : json_frame(15, 2, 9, 401, ext)));
    ASSERT_EQ(h.messages().size(), 1u);
    const Message& m = h.messages()[0];
    EXPECT_EQ(m.role, MsgRole::kOneWay);
    EXPECT_EQ(m.fields.get(Field::kRequestType), "UPDATE_CONSUMER_OFFSET");
    EXPECT_EQ(m.fields.get(Field::kEndpoint), "t-1");
    EXPECT_TRUE(m.fields.has_response_code);
    EXPECT_EQ(m.fields.response_code, 0);
    EXPECT_EQ(m.fields.response_status, ResponseStatus::kOk);
  }
}

TEST(RocketMqParser, ResponseStatuses) {
  struct Case {
    int32_t code;
    ResponseStatus status;
    std::string_view name;
  };
  const Case cases[] = {
      {0, ResponseStatus::kOk, "SUCCESS"},
      {1, ResponseStatus::kServerError, "SYSTEM_ERROR"},
      {2, ResponseStatus::kServerError, "SYSTEM_BUSY"},
      {3, ResponseStatus::kClientError, "REQUEST_CODE_NOT_SUPPORTED"},
      {14, ResponseStatus::kServerError, "SERVICE_NOT_AVAILABLE"},
      {16, ResponseStatus::kClientError, "NO_PERMISSION"},
      {17, ResponseStatus::kClientError, "TOPIC_NOT_EXIST"},
      {19, ResponseStatus::kOk, "PULL_NOT_FOUND"},
      {20, ResponseStatus::kOk, "PULL_RETRY_IMMEDIATELY"},
      {21, ResponseStatus::kClientError, "PULL_OFFSET_MOVED"},
      {22, ResponseStatus::kOk, "QUERY_NOT_FOUND"},
      {26, ResponseStatus::kClientError, "SUBSCRIPTION_GROUP_NOT_EXIST"},
      {29, ResponseStatus::kClientError, "INVALID_PARAMETER"},
      {208, ResponseStatus::kOk, "NO_MESSAGE"},
      {215, ResponseStatus::kServerError, "FLOW_CONTROL"},
      {1500, ResponseStatus::kServerError, "GO_AWAY"},
      {3001, ResponseStatus::kClientError, "USER_NOT_EXIST"},
      {4242, ResponseStatus::kUnknown, ""},
  };
  ParserHarness h(kRocketMqDescriptor);
  uint32_t opaque = 1;
  for (const Case& c : cases) {
    EXPECT_EQ(rocketmq::response_code_status(c.code), c.status) << c.code;
    EXPECT_EQ(rocketmq::response_code_name(c.code), c.name) << c.code;
    h.feed(Dir::kToClient, bytes_of(json_frame(c.code, 1, opaque++, 401)));
    const L7Fields& f = h.messages().back().fields;
    EXPECT_EQ(f.response_code, c.code);
    EXPECT_EQ(f.response_status, c.status);
    // No remark: an error names its code; an ok answer has no exception.
    if (c.status == ResponseStatus::kOk) {
      EXPECT_FALSE(f.has(Field::kResponseException)) << c.code;
    } else {
      EXPECT_EQ(f.get(Field::kResponseException), c.name.empty() ? "UNKNOWN_RESPONSE_CODE" : c.name) << c.code;
    }
  }
  // The remark (unescaped) wins.
  h.feed(Dir::kToClient, bytes_of(json_frame(19, 1, 99, 293, {}, "NO_MESSAGE_IN_QUEUE \\\"q\\\" \\u00e9")));
  EXPECT_EQ(h.messages().back().fields.get(Field::kResponseException), "NO_MESSAGE_IN_QUEUE \"q\" \xc3\xa9");
  EXPECT_EQ(h.messages().back().fields.response_status, ResponseStatus::kOk);
}

TEST(RocketMqCodes, TablesFollowTheSources) {
  EXPECT_EQ(rocketmq::version_name(0), "V3_0_0_SNAPSHOT");
  EXPECT_EQ(rocketmq::version_name(293), "V4_4_0");
  EXPECT_EQ(rocketmq::version_name(399), "V4_9_3");
  EXPECT_EQ(rocketmq::version_name(401), "V4_9_4");
  EXPECT_EQ(rocketmq::version_name(611), "V5_9_9");
  EXPECT_EQ(rocketmq::version_name(612), "HIGHER_VERSION");
  EXPECT_EQ(rocketmq::version_name(30000), "HIGHER_VERSION");  // MQVersion.getVersionDesc
  EXPECT_EQ(rocketmq::version_name(-1), "");
  EXPECT_EQ(rocketmq::request_code_name(10), "SEND_MESSAGE");
  EXPECT_EQ(rocketmq::request_code_name(11), "PULL_MESSAGE");
  EXPECT_EQ(rocketmq::request_code_name(34), "HEART_BEAT");
  EXPECT_EQ(rocketmq::request_code_name(50), "UPDATE_AND_CREATE_ACL_CONFIG");  // 4.x ACL 1.0
  EXPECT_EQ(rocketmq::request_code_name(105), "GET_ROUTEINFO_BY_TOPIC");
  EXPECT_EQ(rocketmq::request_code_name(310), "SEND_MESSAGE_V2");
  EXPECT_EQ(rocketmq::request_code_name(200050), "POP_MESSAGE");
  EXPECT_EQ(rocketmq::request_code_name(3010), "AUTH_LIST_ACL");
  EXPECT_EQ(rocketmq::request_code_name(16), "");
  ASSERT_GE(rocketmq::request_code_count(), 150u);
  for (std::size_t i = 0; i < rocketmq::request_code_count(); ++i) {
    if (i > 0) {
      EXPECT_LT(rocketmq::request_code_at(i - 1), rocketmq::request_code_at(i));  // sorted, unique
    }
    EXPECT_FALSE(rocketmq::request_code_name(rocketmq::request_code_at(i)).empty());
  }
  // An unknown request code is logged by number.
  ParserHarness h(kRocketMqDescriptor);
  h.feed(Dir::kToServer, bytes_of(json_frame(16, 0, 1, 401)));
  EXPECT_EQ(h.messages().back().fields.get(Field::kRequestType), "16");
}

TEST(RocketMqParser, TraceHeadersInExtFieldsAndConfiguredNames) {
  ParserOptions opts;
  const std::string_view xid[] = {"x-request-id"};
  opts.x_request_id_headers = xid;
  ParserHarness h(kRocketMqDescriptor, opts);
  // A configured header in extFields; UNIQ_KEY (in properties, later) still wins for x_request_id.
  h.feed(Dir::kToServer,
         bytes_of(json_frame(10, 0, 1, 401,
                             {{"x-request-id", "cfg-1"}, {"traceparent", kTraceparent}, {"topic", "t"},
                              {"properties", "UNIQ_KEY\\u0001U-1\\u0002KEYS\\u0001k1 k2\\u0002"}})));
  EXPECT_EQ(h.messages().back().fields.get(Field::kXRequestId), "U-1");
  EXPECT_EQ(h.messages().back().fields.get(Field::kTraceId), "7240bb0a67d82172a5527edbe80a4823");
  // Only KEY: it is used; without either, the configured header is.
  h.feed(Dir::kToServer, bytes_of(json_frame(10, 0, 2, 401, {{"properties", "KEY\\u0001K-2\\u0002"}, {"x-request-id", "cfg-2"}})));
  EXPECT_EQ(h.messages().back().fields.get(Field::kXRequestId), "K-2");
  h.feed(Dir::kToServer, bytes_of(json_frame(10, 0, 3, 401, {{"x-request-id", "cfg-3"}})));
  EXPECT_EQ(h.messages().back().fields.get(Field::kXRequestId), "cfg-3");
  // traceparent wins over sw8 whatever the order.
  h.feed(Dir::kToClient,
         bytes_of(json_frame(0, 1, 3, 401, {}, "",
                             stored_message("t", "x", props({{"sw8", "1-YWJj-ZGVm-3-c2Vydg==-aW5zdA==-L2E=-aG9zdA=="},
                                                             {"traceparent", kTraceparent}})))));
  EXPECT_EQ(h.messages().back().fields.get(Field::kTraceId), "7240bb0a67d82172a5527edbe80a4823");
}

TEST(RocketMqParser, JsonDetails) {
  ParserHarness h(kRocketMqDescriptor);
  // Negative opaque (a Java int past 2^31 wraps), blanks, unknown members of every kind, nulls.
  const std::string header =
      " { \"code\" : 11 , \"extFields\" : { \"topic\" : \"t\\u00e9\" , \"n\" : 5, \"queueId\":\"0\" } , "
      "\"flag\":0,\"x\":[1,{\"y\":[true,false,null]},-2.5e3],\"remark\":null,\"opaque\":-2,\"version\":401 } ";
  h.feed(Dir::kToServer, bytes_of(frame(0, header)));
  ASSERT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 1u);
  EXPECT_EQ(h.messages()[0].id, 0xfffffffeu);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestId), "4294967294");
  EXPECT_EQ(h.messages()[0].fields.get(Field::kEndpoint), "t\xc3\xa9-0");
  // The Go client's member order, an empty remark and null extFields.
  h.feed(Dir::kToServer,
         bytes_of(frame(0, R"({"code":34,"language":"GO","version":317,"opaque":12,"flag":0,"remark":"","extFields":null})")));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestType), "HEART_BEAT");
  EXPECT_EQ(h.messages()[1].fields.get(Field::kVersion), "V4_5_2");
  EXPECT_EQ(h.messages()[1].id, 12u);
  h.feed(Dir::kToClient, bytes_of(frame(0, R"({"code":0,"language":"JAVA","version":317,"opaque":12,"flag":1,"remark":""})")));
  ASSERT_EQ(h.messages().size(), 3u);
  EXPECT_FALSE(h.messages()[2].fields.has(Field::kResponseException));
  EXPECT_EQ(h.errors(), 0u);
  // Headers that are not RocketMQ JSON are errors.
  for (const std::string& bad : {
           std::string("{\"code\":1,\"flag\":0}xxxxxxxxxxxx"),                 // no opaque, trailing bytes
           std::string("{\"code\":1,\"flag\":0,\"opaque\":1,\"version\":4"),     // unterminated
           std::string("{\"code\":1.5,\"flag\":0,\"opaque\":1,\"version\":4}"),  // not an integer
           std::string("{\"code\":99999999999,\"flag\":0,\"opaque\":1}"),        // beyond int
           std::string("{\"code\":1,\"flag\":0,\"opaque\":1,\"a\":[[[[[[[[[[[[1]]]]]]]]]]]]}"),  // too deep
       }) {
    ParserHarness b(kRocketMqDescriptor);
    b.feed(Dir::kToServer, bytes_of(frame(0, bad)));
    EXPECT_EQ(b.errors(), 1u) << bad;
    EXPECT_TRUE(b.messages().empty()) << bad;
  }
}

// The header is decoded in one pass: the scan of strings (eight bytes at a time), the keys matched
// in place and the table of extFields entries must give what a plain JSON reading gives.
TEST(RocketMqParser, JsonStringsEscapesAndTheWordScan) {
  // An escaped quote, backslash or \uXXXX at every offset of values long enough to span words,
  // and non-ASCII bytes (UTF-8, DEL) that are plain string bytes.
  for (std::size_t len = 0; len < 20; ++len) {
    for (std::size_t at = 0; at <= len; ++at) {
      for (const auto& [esc, plain] : std::vector<std::pair<std::string, std::string>>{
               {"\\\"", "\""}, {"\\\\", "\\"}, {"\\u00e9", "\xc3\xa9"}, {"\xc3\xa9", "\xc3\xa9"}, {"\x7f", "\x7f"}}) {
        const std::string raw = std::string(at, 't') + esc + std::string(len - at, 'u');
        const std::string want = std::string(at, 't') + plain + std::string(len - at, 'u');
        ParserHarness h(kRocketMqDescriptor);
        h.feed(Dir::kToServer, bytes_of(json_frame(11, 0, 1, 293, {{"topic", raw}, {"queueId", "7"}})));
        ASSERT_EQ(h.errors(), 0u) << raw;
        ASSERT_EQ(h.messages().size(), 1u) << raw;
        EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestResource), want) << raw;
        EXPECT_EQ(h.messages()[0].fields.get(Field::kEndpoint), want + "-7") << raw;
      }
      // A raw control character anywhere in a string is an error, counted once.
      for (const char ctl : {'\x00', '\x01', '\n', '\x1f'}) {
        const std::string raw = std::string(at, 't') + ctl + std::string(len - at, 'u');
        ParserHarness h(kRocketMqDescriptor);
        h.feed(Dir::kToServer, bytes_of(json_frame(11, 0, 1, 293, {{"topic", raw}})));
        EXPECT_EQ(h.errors(), 1u) << len << " " << at;
        EXPECT_TRUE(h.messages().empty());
      }
    }
  }
  // Escaped keys are unescaped before they are looked at; a header key is compared escaped (as
  // fastjson never escapes one): "c\u006fde" is not "code".
  ParserHarness h(kRocketMqDescriptor);
  h.feed(Dir::kToServer, bytes_of(json_frame(11, 0, 1, 293, {{"to\\u0070ic", "t"}, {"\\u0071ueueId", "2"}})));
  ASSERT_EQ(h.messages().size(), 1u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kEndpoint), "t-2");
  h.feed(Dir::kToServer, bytes_of(frame(0, R"({"c\u006fde":5,"cod":6,"codes":7,"code":11,"flag":0,"opaque":2,"versio":1,"version":293,"lang":"x"})")));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestType), "PULL_MESSAGE");
  EXPECT_EQ(h.messages()[1].fields.get(Field::kVersion), "V4_4_0");
  h.feed(Dir::kToServer, bytes_of(frame(0, R"({"c\u006fde":11,"flag":0,"opaque":3,"version":293})")));  // no code
  EXPECT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.errors(), 1u);
  // Escapes in the remark; a key cut right after its name.
  h.feed(Dir::kToClient, bytes_of(json_frame(1, 1, 1, 293, {}, "bad \\\"topic\\\"\\n")));
  ASSERT_EQ(h.messages().size(), 3u);
  EXPECT_EQ(h.messages()[2].fields.get(Field::kResponseException), "bad \"topic\"\n");
  for (const std::string& bad : {std::string(R"({"code":1,"flag":0,"opaque":1,"code)") + std::string(8, ' '),
                                 std::string(R"({"code":1,"flag":0,"opaque":1,"version)")}) {
    ParserHarness b(kRocketMqDescriptor);
    b.feed(Dir::kToServer, bytes_of(frame(0, bad)));
    EXPECT_EQ(b.errors(), 1u) << bad;
  }
}

TEST(RocketMqParser, ExtFieldsNestingDuplicatesAndManyEntries) {
  ParserHarness h(kRocketMqDescriptor);
  auto header = [](const std::string& ext, int64_t opaque) {
    return "{\"code\":11,\"extFields\":" + ext + ",\"flag\":0,\"opaque\":" + std::to_string(opaque) + "}";
  };
  // Values that are not strings are skipped (nested down to the depth bound), strings visited.
  h.feed(Dir::kToServer,
         bytes_of(frame(0, header(R"({"n":1,"o":{"p":[true,null,{"q":"r"}]},"topic":"t","x":[[[[[[1]]]]]],"queueId":"4"})", 1))));
  ASSERT_EQ(h.messages().size(), 1u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kEndpoint), "t-4");
  h.feed(Dir::kToServer, bytes_of(frame(0, header(R"({"topic":"t","x":[[[[[[[1]]]]]]]})", 2))));  // one too deep
  EXPECT_EQ(h.errors(), 1u);
  EXPECT_EQ(h.messages().size(), 1u);
  // A later extFields object replaces an earlier one; a later null does not.
  h.feed(Dir::kToServer, bytes_of(frame(0, R"({"code":11,"extFields":{"topic":"a","queueId":"1"},"extFields":{"topic":"b"},"flag":0,"opaque":3})")));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestResource), "b");
  EXPECT_FALSE(h.messages()[1].fields.has(Field::kEndpoint));
  h.feed(Dir::kToServer, bytes_of(frame(0, R"({"code":11,"extFields":{"topic":"a"},"extFields":null,"flag":0,"opaque":4})")));
  ASSERT_EQ(h.messages().size(), 3u);
  EXPECT_EQ(h.messages()[2].fields.get(Field::kRequestResource), "a");
  // More entries than the header's table keeps (rocketmq::kExtSlots): those past it still count,
  // in order, in JSON and in ROCKETMQ headers.
  for (const std::size_t filler : {std::size_t{rocketmq::kExtSlots} - 3, std::size_t{rocketmq::kExtSlots},
                                   std::size_t{rocketmq::kExtSlots} + 40}) {
    Ext ext;
    for (std::size_t i = 0; i < filler; ++i) ext.emplace_back("f" + std::to_string(i), "v");
    ext.emplace_back("topic", "early");
    ext.emplace_back("KEY", "K");
    ext.emplace_back("traceparent", kTraceparent);
    ext.emplace_back("UNIQ_KEY", "U");
    ext.emplace_back("topic", "late");
    ext.emplace_back("queueId", "9");
    for (const std::string& f : {json_frame(11, 0, 5, 293, ext), binary_frame(11, 293, 5, 0, ext)}) {
      ParserHarness m(kRocketMqDescriptor);
      m.feed(Dir::kToServer, bytes_of(f));
      ASSERT_EQ(m.errors(), 0u) << filler;
      ASSERT_EQ(m.messages().size(), 1u) << filler;
      const L7Fields& fl = m.messages()[0].fields;
      EXPECT_EQ(fl.get(Field::kEndpoint), "late-9") << filler;
      EXPECT_EQ(fl.get(Field::kXRequestId), "U") << filler;
      EXPECT_EQ(fl.get(Field::kTraceId), "7240bb0a67d82172a5527edbe80a4823") << filler;
    }
  }
}

TEST(RocketMqParser, TruncatedOrDamagedJsonHeaderIsOneError) {
  const std::string header = json_header(310, 0, 77, 401,
                                         {{"a", "g"}, {"b", "topic-\\u00e9"}, {"e", "3"}, {"i", "UNIQ_KEY\\u0001U\\u0002"}},
                                         "re\\\"mark");
  // The header cut at every byte (its length field saying so): never a message, one error.
  for (std::size_t n = 0; n < header.size(); ++n) {
    ParserHarness h(kRocketMqDescriptor);
    h.feed(Dir::kToServer, bytes_of(frame(0, header.substr(0, n), "body")));
    EXPECT_EQ(h.errors(), 1u) << n;
    EXPECT_TRUE(h.messages().empty()) << n;
  }
  // A control character put in place of any byte of the header: one error or one message (a
  // newline may end a number, an escaped character may be anything), never both, never more.
  for (std::size_t at = 0; at < header.size(); ++at) {
    for (const char c : {'\x01', '\n'}) {
      std::string damaged = header;
      damaged[at] = c;
      ParserHarness h(kRocketMqDescriptor);
      h.feed(Dir::kToServer, bytes_of(frame(0, damaged)));
      ASSERT_EQ(h.errors() + h.messages().size(), 1u) << at;
    }
  }
}

TEST(RocketMqParser, TraceHeaderNamesWithBlanksAndBodiesAsText) {
  // apply_trace_header trims names: blanks around "traceparent" / "sw8" still count.
  ParserHarness h(kRocketMqDescriptor);
  h.feed(Dir::kToServer, bytes_of(json_frame(11, 0, 1, 293, {{" traceparent\\t", kTraceparent}})));
  EXPECT_EQ(h.messages().back().fields.get(Field::kTraceId), "7240bb0a67d82172a5527edbe80a4823");
  h.feed(Dir::kToServer, bytes_of(binary_frame(11, 293, 2, 0, {{"traceparent\r", kTraceparent}})));
  EXPECT_EQ(h.messages().back().fields.get(Field::kTraceId), "7240bb0a67d82172a5527edbe80a4823");
  h.feed(Dir::kToServer, bytes_of(binary_frame(11, 293, 3, 0, {{"SW8", "1-YWJj-ZGVm-3-c2Vydg==-aW5zdA==-L2E=-aG9zdA=="}})));
  EXPECT_EQ(h.messages().back().fields.get(Field::kTraceId), "abc");
  h.feed(Dir::kToServer, bytes_of(binary_frame(11, 293, 4, 0, {{"traceparentx", kTraceparent}})));
  EXPECT_FALSE(h.messages().back().fields.has(Field::kTraceId));
  // A body is text when its first response_result-cap bytes hold no control character but tab,
  // CR and LF, and no DEL; checked at every offset (the check goes a word at a time).
  const std::size_t cap = FieldCaps::cap(Field::kResponseResult);
  for (std::size_t len = 1; len < 40; ++len) {
    for (std::size_t at = 0; at < len; ++at) {
      for (const char c : {'\x00', '\x01', '\t', '\n', '\r', '\x1f', '\x7f', '\x80', ' '}) {
        std::string body(len, 'b');
        body[at] = c;
        ParserHarness r(kRocketMqDescriptor);
        r.feed(Dir::kToClient, bytes_of(json_frame(0, 1, 1, 293, {}, "", body)));
        ASSERT_EQ(r.messages().size(), 1u);
        const bool text = c == '\t' || c == '\n' || c == '\r' || c == '\x80' || c == ' ';
        EXPECT_EQ(r.messages()[0].fields.has(Field::kResponseResult), text) << len << " " << at << " " << int(c);
      }
    }
  }
  std::string longer(cap + 20, 'b');
  longer[cap + 3] = '\x01';  // past the part that is looked at
  h.feed(Dir::kToClient, bytes_of(json_frame(0, 1, 1, 293, {}, "", longer)));
  EXPECT_EQ(h.messages().back().fields.get(Field::kResponseResult), longer.substr(0, cap));
  longer[cap - 1] = '\x01';
  h.feed(Dir::kToClient, bytes_of(json_frame(0, 1, 2, 293, {}, "", longer)));
  EXPECT_FALSE(h.messages().back().fields.has(Field::kResponseResult));
}

// The conversation used by the split/garbage/fuzz tests: JSON and ROCKETMQ frames mixed.
std::string client_stream() {
  return send_v2_request(1) + pull_request(2, "1") + binary_frame(15, 401, 3, 2, {{"topic", "t"}, {"queueId", "0"}}) +
         json_frame(34, 0, 4, 293, {}, "", R"({"clientID":"c@1","consumerDataSet":[]})") +
         binary_frame(105, 401, 5, 0, {{"topic", "TopicTest"}});
}
std::string server_stream() {
  return send_response(1) +
         json_frame(0, 1, 2, 293, {{"nextBeginOffset", "1"}}, "FOUND",
                    stored_message("TopicTest", "hi", props({{"UNIQ_KEY", "U"}}))) +
         json_frame(0, 1, 4, 293) + binary_frame(0, 401, 5, 1, {}, "", R"({"brokerDatas":[]})");
}

// Byte offsets where each frame of a stream ends.
std::vector<std::size_t> frame_ends(const std::string& s) {
  std::vector<std::size_t> ends;
  std::size_t off = 0;
  while (off + 4 <= s.size()) {
    off += 4 + ((std::size_t{static_cast<uint8_t>(s[off])} << 24) | (std::size_t{static_cast<uint8_t>(s[off + 1])} << 16) |
                (std::size_t{static_cast<uint8_t>(s[off + 2])} << 8) | static_cast<uint8_t>(s[off + 3]));
    ends.push_back(off);
  }
  return ends;
}

TEST(RocketMqParser, SplitAtEveryByteAndCoalescedGiveTheSameMessages) {
  for (const Dir dir : {Dir::kToServer, Dir::kToClient}) {
    const std::string s = dir == Dir::kToServer ? client_stream() : server_stream();
    ParserHarness whole(kRocketMqDescriptor);
    whole.feed(dir, bytes_of(s));
    ASSERT_EQ(whole.errors(), 0u);
    const auto expected = describe_all(whole.messages());
    ASSERT_EQ(expected.size(), frame_ends(s).size());
    for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u, 1000u}) {
      ParserHarness h(kRocketMqDescriptor);
      h.feed_split(dir, bytes_of(s), chunk);
      EXPECT_EQ(describe_all(h.messages()), expected) << chunk;
      EXPECT_EQ(h.errors(), 0u);
    }
    for (std::size_t cut = 1; cut < s.size(); ++cut) {  // two pieces, split at every byte
      ParserHarness h(kRocketMqDescriptor);
      h.feed(dir, bytes_of(s.substr(0, cut)));
      h.feed(dir, bytes_of(s.substr(cut)));
      ASSERT_EQ(describe_all(h.messages()), expected) << cut;
    }
  }
}

TEST(RocketMqParser, TruncatedFrameWaitsAndLogsNothing) {
  const std::string s = pull_request(1, "0");
  for (std::size_t n = 0; n < s.size(); ++n) {
    ParserHarness h(kRocketMqDescriptor);
    h.feed(Dir::kToServer, bytes_of(s.substr(0, n)));
    EXPECT_TRUE(h.messages().empty()) << n;
    EXPECT_EQ(h.errors(), 0u) << n;
  }
}

TEST(RocketMqParser, GarbageIsAnErrorAndParsingResumesAtTheNextFrame) {
  ParserHarness h(kRocketMqDescriptor);
  h.feed(Dir::kToServer, bytes_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(h.oversize(), 1u);  // "GET " read as a length is far beyond 16 MiB
  EXPECT_TRUE(h.messages().empty());
  // Resynchronisation: noise, then whole frames in the same segment.
  h.feed(Dir::kToServer, bytes_of(std::string("\x00\x00\x01zzz\x05", 7) + pull_request(7, "2") + send_v2_request(8)));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[0].id, 7u);
  EXPECT_EQ(h.messages()[1].id, 8u);
  // Wrong serialization type, header longer than the frame, header too short.
  for (const std::string& bad : {frame(2, json_header(1, 0, 1, 1)),
                                be(30, 4) + be(200, 4) + std::string(26, '{'),
                                be(30, 4) + be(0x01000005, 4) + std::string(26, '\0')}) {
    ParserHarness b(kRocketMqDescriptor);
    b.feed(Dir::kToServer, bytes_of(bad));
    EXPECT_EQ(b.errors(), 1u);
  }
  // At most 256 extFields entries (real headers have a few dozen).
  Ext many;
  for (int i = 0; i < 257; ++i) many.emplace_back("k" + std::to_string(i), "v");
  ParserHarness m(kRocketMqDescriptor);
  m.feed(Dir::kToServer, bytes_of(binary_frame(11, 401, 1, 0, Ext(many.begin(), many.begin() + 256))));
  EXPECT_EQ(m.messages().size(), 1u);
  m.feed(Dir::kToServer, bytes_of(binary_frame(11, 401, 2, 0, many)));
  EXPECT_EQ(m.messages().size(), 1u);
  EXPECT_EQ(m.errors(), 1u);
  // A binary header whose extFields map does not fill it exactly.
  std::string bin = binary_frame(11, 401, 1, 0, {{"topic", "t"}});
  bin[bin.size() - 5] = 9;  // value length beyond the map
  ParserHarness b(kRocketMqDescriptor);
  b.feed(Dir::kToServer, bytes_of(bin));
  EXPECT_EQ(b.errors(), 1u);
}

TEST(RocketMqParser, GapMidStreamResynchronises) {
  ParserHarness h(kRocketMqDescriptor);
  const std::string a = pull_request(1, "0"), b = pull_request(2, "1"), c = send_v2_request(3);
  h.feed(Dir::kToServer, bytes_of(a + b.substr(0, 50)));
  h.gap(Dir::kToServer);  // the rest of b is lost
  h.feed(Dir::kToServer, bytes_of(b.substr(120) + c));
  EXPECT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[0].id, 1u);
  EXPECT_EQ(h.messages()[1].id, 3u);
  EXPECT_FALSE(h.stopped());
}

TEST(RocketMqParser, OversizeLengthResyncs) {
  EXPECT_EQ(kRocketMqDescriptor.default_max_message, 16u << 20);
  for (const bool same_segment : {false, true}) {
    ParserHarness h(kRocketMqDescriptor);
    const std::string bomb = be(0x7ffffff0, 4) + be(0x00000040, 4) + "{\"code\":1";
    const std::string next = pull_request(5, "3");
    if (same_segment) {
      h.feed(Dir::kToServer, bytes_of(bomb + next));
    } else {
      h.feed(Dir::kToServer, bytes_of(bomb));
      h.feed(Dir::kToServer, bytes_of(next));
    }
    ASSERT_EQ(h.messages().size(), 1u) << same_segment;
    EXPECT_EQ(h.messages()[0].id, 5u);
    EXPECT_EQ(h.oversize(), 1u);
    EXPECT_EQ(h.skipped_bytes(), 0u);
    EXPECT_FALSE(h.stopped());
  }
}

TEST(RocketMqParser, LargeMessageIsDecodedFromItsPrefixAndSkipped) {
  ParserOptions opts;
  opts.max_buffered = 4096;
  ParserHarness h(kRocketMqDescriptor, opts);
  const std::string big_body = stored_message("big-topic", std::string(100'000, 'b'), props({{"UNIQ_KEY", "BIG"}}));
  const std::string big = json_frame(0, 1, 1, 401, {}, "FOUND", big_body);
  h.feed(Dir::kToServer, bytes_of(pull_request(1, "0")));
  h.feed_split(Dir::kToClient, bytes_of(big + json_frame(0, 1, 2, 401)), 1448);
  ASSERT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 3u);
  const L7Fields& a = h.messages()[1].fields;
  EXPECT_EQ(a.response_length, big.size() - 4);
  EXPECT_EQ(a.get(Field::kResponseResult), std::string(256, 'b'));  // capped
  EXPECT_FALSE(a.has(Field::kXRequestId));  // the properties are past the prefix
  EXPECT_EQ(h.messages()[2].id, 2u);
  EXPECT_GT(h.skipped_bytes(), 90'000u);
  // A bogus large length contradicted by the next segment (whole frames): the skip is abandoned.
  ParserHarness g(kRocketMqDescriptor, opts);
  g.feed(Dir::kToServer, bytes_of(be(5'000'000, 4) + be(json_header(11, 0, 1, 401).size(), 4) +
                                  json_header(11, 0, 1, 401) + std::string(5000, 'x')));
  g.feed(Dir::kToServer, bytes_of(pull_request(9, "0")));
  ASSERT_EQ(g.messages().size(), 2u);
  EXPECT_EQ(g.messages()[1].id, 9u);
  EXPECT_EQ(g.resyncs(), 1u);
}

TEST(RocketMqParser, PlausibleFramesIsStrict) {
  ParserOptions opts;
  BufferPool pool;
  RocketMqParser p(ParserEnv{&opts, &pool});
  const std::string first = pull_request(1, "0"), two = first + send_v2_request(2);
  const uint64_t max = rocketmq::kMaxFrame;
  EXPECT_TRUE(p.plausible_frames(Dir::kToServer, bytes_of(two), max));
  EXPECT_TRUE(p.plausible_frames(Dir::kToServer, bytes_of(two.substr(0, first.size() + 20)), max));  // then a cut one
  EXPECT_FALSE(p.plausible_frames(Dir::kToServer, bytes_of(first.substr(0, 30)), max));  // a cut header alone
  EXPECT_FALSE(p.plausible_frames(Dir::kToServer, bytes_of(two.substr(1)), max));
  EXPECT_FALSE(p.plausible_frames(Dir::kToServer, bytes_of(std::string(2000, 'x')), max));
  EXPECT_FALSE(p.plausible_frames(Dir::kToServer, bytes_of(first), first.size() - 1));  // beyond the maximum
}

TEST(RocketMqParser, PairingThroughTheSessionEngine) {
  ParserHarness h(kRocketMqDescriptor);
  h.feed(Dir::kToServer, bytes_of(pull_request(212, "0") + pull_request(214, "2")), 100);
  h.feed(Dir::kToClient, bytes_of(json_frame(19, 1, 214, 293, {}, "OFFSET_OVERFLOW_ONE")), 150);
  h.feed(Dir::kToClient, bytes_of(json_frame(19, 1, 212, 293, {}, "NO_MESSAGE_IN_QUEUE")), 170);
  h.feed(Dir::kToServer, bytes_of(binary_frame(15, 293, 300, 2, {{"topic", "t"}})), 180);
  h.feed(Dir::kToServer, bytes_of(pull_request(247, "0")), 200);  // never answered
  h.feed(Dir::kToClient, bytes_of(json_frame(0, 1, 999, 293)), 210);  // its request was not seen
  // The broker asks the client too (opaque numbers of its own): pairs within its direction.
  h.feed(Dir::kToClient, bytes_of(json_frame(307, 0, 214, 401, {{"consumerGroup", "g"}})), 220);
  h.feed(Dir::kToServer, bytes_of(json_frame(0, 1, 214, 401)), 230);
  const std::vector<FlowRecord> recs = pair_all(h.messages(), 1'000'000'000);
  ASSERT_EQ(recs.size(), 6u);
  EXPECT_EQ(recs[0].type, RecordType::kSession);
  EXPECT_EQ(recs[0].l7.get(Field::kRequestId), "214");
  EXPECT_EQ(recs[0].l7.get(Field::kEndpoint), "TopicTest-2");
  EXPECT_EQ(recs[0].l7.get(Field::kResponseException), "OFFSET_OVERFLOW_ONE");
  EXPECT_EQ(recs[0].rrt_us, 50u);
  EXPECT_EQ(recs[1].l7.get(Field::kRequestId), "212");
  EXPECT_EQ(recs[1].rrt_us, 70u);
  EXPECT_EQ(recs[1].l7.response_status, ResponseStatus::kOk);
  EXPECT_EQ(recs[2].type, RecordType::kSession);  // one-way
  EXPECT_EQ(recs[2].l7.get(Field::kRequestType), "UPDATE_CONSUMER_OFFSET");
  EXPECT_EQ(recs[3].type, RecordType::kResponse);
  EXPECT_EQ(recs[3].l7.get(Field::kRequestId), "999");
  EXPECT_EQ(recs[4].type, RecordType::kSession);
  EXPECT_EQ(recs[4].l7.get(Field::kRequestType), "GET_CONSUMER_RUNNING_INFO");
  EXPECT_EQ(recs[4].rrt_us, 10u);
  EXPECT_EQ(recs[5].type, RecordType::kRequest);  // 247 at flow end
  EXPECT_EQ(recs[5].l7.get(Field::kRequestId), "247");
}

TEST(RocketMqParser, RequestsSeenTheWrongWayReportReversedOrientation) {
  {
    ParserHarness h(kRocketMqDescriptor);
    h.feed(Dir::kToClient, bytes_of(pull_request(1, "0")));
    EXPECT_TRUE(h.reversed());
  }
  {
    ParserHarness h(kRocketMqDescriptor);
    h.feed(Dir::kToServer, bytes_of(json_frame(39, 0, 1, 401)));  // CHECK_TRANSACTION_STATE comes from brokers
    EXPECT_TRUE(h.reversed());
  }
  {
    ParserHarness h(kRocketMqDescriptor);
    h.feed(Dir::kToServer, bytes_of(pull_request(1, "0")));
    h.feed(Dir::kToClient, bytes_of(json_frame(0, 1, 1, 401) + json_frame(40, 2, 5, 401)));  // NOTIFY_CONSUMER_IDS_CHANGED
    EXPECT_FALSE(h.reversed());
  }
}

TEST(RocketMqParser, RandomBytesNeverCrash) {
  std::mt19937 rng(4242);
  const std::string seeds[] = {client_stream(), server_stream()};
  std::array<std::vector<std::string>, 2> clean;
  for (int i = 0; i < 2; ++i) {
    ParserHarness h(kRocketMqDescriptor);
    h.feed(i == 1 ? Dir::kToClient : Dir::kToServer, bytes_of(seeds[i]));
    clean[i] = describe_all(h.messages());
  }
  for (int round = 0; round < 400; ++round) {
    const int i = round % 2;
    const Dir dir = i == 1 ? Dir::kToClient : Dir::kToServer;
    std::string s = seeds[i];
    std::size_t first_bad = s.size();
    for (int k = 0; k < 1 + round % 6; ++k) {
      const std::size_t at = rng() % s.size();
      const auto v = static_cast<char>(rng() & 0xff);
      if (v != s[at]) first_bad = std::min(first_bad, at);
      s[at] = v;
    }
    s.resize(rng() % (s.size() + 1));
    ParserOptions opts;
    opts.max_buffered = 512 + rng() % 4096;
    ParserHarness h(kRocketMqDescriptor, opts);
    h.feed_split(dir, bytes_of(s), 1 + rng() % 64);
    EXPECT_LE(h.driver().buffered(dir), h.options().max_buffered);
    // Frames wholly before the first mutated byte decode as before.
    const auto ends = frame_ends(seeds[i]);
    std::size_t intact = 0;
    while (intact < ends.size() && ends[intact] <= std::min(first_bad, s.size()) &&
           ends[intact] <= opts.max_buffered)
      ++intact;
    const auto got = describe_all(h.messages());
    ASSERT_GE(got.size(), intact) << round;
    for (std::size_t k = 0; k < intact; ++k) EXPECT_EQ(got[k], clean[i][k]) << round << " " << k;
    if (!h.stopped()) {  // after a gap, a valid frame parses again
      h.gap(dir);
      h.feed(dir, bytes_of(pull_request(4711, "0")));
      ASSERT_FALSE(h.messages().empty()) << round;
      EXPECT_EQ(h.messages().back().id, 4711u) << round;
    }
  }
}

TEST(RocketMqParser, StoredMessageDecodingIsBounded) {
  const std::string m = stored_message("topic", "body", props({{"UNIQ_KEY", "U"}}));
  for (std::size_t n = 0; n <= m.size(); ++n) {
    rocketmq::BodyMessage bm;
    const auto prefix = bytes_of(m.substr(0, n));  // the views point into it
    const bool ok = rocketmq::decode_stored_message(prefix, bm);
    if (n == m.size()) {
      ASSERT_TRUE(ok);
      EXPECT_EQ(bm.topic, "topic");
      EXPECT_EQ(bm.body, "body");
      EXPECT_EQ(bm.properties, props({{"UNIQ_KEY", "U"}}));
    }
    EXPECT_LE(bm.body.size() + bm.topic.size() + bm.properties.size(), n);
  }
  rocketmq::BodyMessage bm;
  EXPECT_FALSE(rocketmq::decode_stored_message(bytes_of(batch_message("b", "")), bm));  // magic 0
  const auto batch = bytes_of(batch_message("b", "k\x01v\x02"));
  EXPECT_TRUE(rocketmq::decode_batch_message(batch, bm));
  EXPECT_EQ(bm.properties, "k\x01v\x02");
  EXPECT_FALSE(rocketmq::decode_batch_message(bytes_of(m), bm));
}

TEST(RocketMqProbe, AcceptsRocketMqAndRejectsOtherProtocols) {
  auto probe = [](const std::string& s) { return kRocketMqDescriptor.probe(Dir::kToServer, bytes_of(s)); };
  EXPECT_EQ(probe(pull_request(1, "0")), ProbeVerdict::kYes);
  EXPECT_EQ(probe(send_response(1)), ProbeVerdict::kYes);
  EXPECT_EQ(probe(binary_frame(105, 401, 5, 0, {{"topic", "TopicTest"}})), ProbeVerdict::kYes);
  EXPECT_EQ(probe(pull_request(1, "0").substr(0, 40)), ProbeVerdict::kMaybe);
  EXPECT_EQ(probe(std::string("\x00\x00", 2)), ProbeVerdict::kMaybe);
  EXPECT_EQ(probe("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), ProbeVerdict::kNo);
  EXPECT_EQ(probe(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)), ProbeVerdict::kNo);  // TLS
  EXPECT_EQ(probe("INFO {\"server_id\":\"x\"}\r\n"), ProbeVerdict::kNo);
  EXPECT_EQ(probe(std::string("\x00\x00\x00\x0b\x00\x12\x00\x00\x00\x00\x00\x01\x00\x01" "c", 15)), ProbeVerdict::kNo);  // Kafka
  EXPECT_EQ(probe(std::string("\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00", 14)), ProbeVerdict::kNo);  // MQTT CONNECT
  EXPECT_EQ(probe(std::string("AMQP\x00\x00\x09\x01", 8)), ProbeVerdict::kNo);
  // Flag bits beyond response/one-way, a language past RUST: not RocketMQ.
  EXPECT_EQ(probe(json_frame(11, 8, 1, 401)), ProbeVerdict::kNo);
  EXPECT_EQ(probe(binary_frame(11, 401, 1, 0, {}, "", "", 40)), ProbeVerdict::kNo);
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string s(8 + rng() % 200, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    EXPECT_NE(probe(s), ProbeVerdict::kYes);
  }
}

TEST(RocketMqDescriptor, RegisteredAndSignaturesMatch) {
  EXPECT_EQ(protocol_by_id(protocol_id("rocketmq")), &kRocketMqDescriptor);
  EXPECT_EQ(kRocketMqDescriptor.transports, kTcp);
  const test::SignatureMatcher sigs(kRocketMqDescriptor);
  ASSERT_TRUE(sigs.ok()) << sigs.error();
  EXPECT_TRUE(sigs.matches(pull_request(1, "0")));
  EXPECT_TRUE(sigs.matches(send_response(1)));
  EXPECT_TRUE(sigs.matches(binary_frame(105, 401, 5, 0, {{"topic", "T"}})));
  EXPECT_FALSE(sigs.matches("GET / HTTP/1.1\r\n"));
  EXPECT_FALSE(sigs.matches(binary_frame(105, 401, 5, 0, {}, "", "", 40)));
  // The fuzz samples are a valid conversation.
  ParserHarness h(kRocketMqDescriptor);
  for (const FuzzSample& f : kRocketMqDescriptor.fuzz_samples) h.feed(f.dir, bytes_of(f.bytes));
  EXPECT_EQ(h.errors(), 0u);
  EXPECT_EQ(h.messages().size(), kRocketMqDescriptor.fuzz_samples.size());
}

}  // namespace
}  // namespace l7tap
