// Apache RocketMQ remoting protocol (the TCP protocol of clients, brokers and name servers; from
// the RocketMQ sources: RemotingCommand.java, RocketMQSerializable.java, MessageDecoder.java).
//
// A frame is `length` (4 B, big endian, not counting itself), a header-length word (4 B: high byte =
// the header's serialization, 0 JSON / 1 ROCKETMQ binary; low 24 bits = header length), the header
// and a body. The header carries code, language, version, opaque, flag, remark and extFields (a
// string map); flag bit 0 marks a response, bit 1 a one-way request.
//
// Records (../shared/spec/mq-protocols.md, "RocketMQ"):
//  - requests and responses pair by opaque (request_id); a one-way request is a session of its own
//    (response_code 0, status ok: nothing answers it);
//  - request_type = RequestCode name, version = MQVersion name ("V4_9_4");
//  - request_domain = extFields producerGroup | consumerGroup, request_resource = topic, endpoint =
//    "<topic>-<queueId>" (SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE / SEND_REPLY_MESSAGE_V2 use the short
//    names of SendMessageRequestHeaderV2: a = producerGroup, b = topic, e = queueId, i = properties);
//  - response_code = code, response_status from the ResponseCode's meaning, response_exception =
//    remark (the code's name for an error without a remark), response_result = the body when it is
//    text, or the body of the first message a response carries;
//  - trace context and x_request_id from the message properties ("key\1value\2" pairs) in the
//    extFields `properties` or in the body's (first) message, and from every extFields entry:
//    x_request_id = UNIQ_KEY (the message id the producer sets), else KEY.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "protocols/core/parser.hpp"

namespace l7tap {

extern const ProtocolDescriptor kRocketMqDescriptor;

namespace rocketmq {

enum class Serialization : uint8_t { kJson = 0, kRocketMq = 1 };

inline constexpr uint32_t kFlagResponse = 1u << 0;
inline constexpr uint32_t kFlagOneWay = 1u << 1;
// Smallest ROCKETMQ header: code 2, language 1, version 2, opaque 4, flag 4, remark length 4,
// extFields length 4.
inline constexpr uint32_t kMinBinaryHeader = 21;
// Smallest JSON header we accept: {"code":0,"flag":0,"opaque":0} and a little.
inline constexpr uint32_t kMinJsonHeader = 24;
// Frames above NettyDecoder's default frameMaxLength (16 MiB) are refused by both ends.
inline constexpr uint64_t kMaxFrame = 16ull << 20;

// extFields entries a Header keeps (SendMessageRequestHeaderV2 has 13, PullMessageRequestHeader
// 15); a map with more string entries is walked again when the message is emitted.
inline constexpr uint32_t kExtSlots = 32;

// One extFields entry: views into the frame (JSON: string bodies, still escaped when flagged).
// Plain pointers and lengths so that a Header's table costs nothing to construct.
struct ExtEntry {
  const char* key;
  const char* value;
  uint32_t key_len;
  uint32_t value_len;
  bool key_escaped;
  bool value_escaped;
};

// One decoded header. Views point into the frame; JSON strings are still escaped (see
// unescape_json in protocols/codec/json_string.hpp). decode_header resets the members one by one
// (not the entry table): a member added here is reset there too.
struct Header {
  Serialization serialization = Serialization::kJson;
  int32_t code = 0;
  int32_t version = -1;
  uint32_t opaque = 0;
  uint32_t flag = 0;
  uint8_t language = 0;
  std::string_view remark;         // JSON: the raw string body between the quotes
  bool remark_escaped = false;     // JSON: contains backslashes
  std::span<const uint8_t> ext;    // JSON: the extFields object text; ROCKETMQ: the map bytes
  // The extFields entries whose value is a string, in order, found while the header was decoded
  // (one pass over the JSON). Only the first min(ext_count, kExtSlots) are stored; the rest of
  // the table is left uninitialised.
  uint32_t ext_count = 0;
  ExtEntry ext_entries[kExtSlots];
};

// Decodes a whole header (its `header length` bytes). False when the bytes are not a valid header
// (an invalid extFields map included).
bool decode_header(Serialization s, std::span<const uint8_t> bytes, Header& h);

// The first bytes of a frame: kYes when they are, beyond doubt, a RocketMQ frame start (sane
// lengths, serialization 0/1 and a header that decodes, flag bits 0-1 only), kMaybe when more bytes
// are needed to tell.
ProbeVerdict frame_start(std::span<const uint8_t> data, uint64_t max_frame);

ProbeVerdict probe(Dir dir, std::span<const uint8_t> data);

// A message as stored by the broker (MessageDecoder.decode: pull/query/pop responses, messages
// pushed to consumers) or as batched by a producer (MessageDecoder.encodeMessage, the body of
// SEND_BATCH_MESSAGE). Views into the bytes given; what the bytes do not hold is empty.
struct BodyMessage {
  std::string_view topic;
  std::string_view body;
  std::string_view properties;
};
bool decode_stored_message(std::span<const uint8_t> bytes, BodyMessage& m);
bool decode_batch_message(std::span<const uint8_t> bytes, BodyMessage& m);

}  // namespace rocketmq

class RocketMqParser final : public Parser {
 public:
  explicit RocketMqParser(const ParserEnv&) {}
  ParseResult parse(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) override;
  bool on_gap(Dir dir) override;
  bool plausible_frames(Dir dir, std::span<const uint8_t> data, uint64_t max_message) override;

 private:
  // Decodes the frame (whole, or the prefix of a large one) and emits its message. `length` is the
  // frame's length field.
  void emit(Dir dir, const rocketmq::Header& h, std::span<const uint8_t> body, uint32_t length, ParseContext& ctx);

  // After a gap, an error or a refused length: look for the next frame start.
  std::array<bool, 2> resync_{};
  // Consecutive errors without a message in between; the flow is given up past a bound.
  uint32_t bad_streak_ = 0;
};

}  // namespace l7tap
