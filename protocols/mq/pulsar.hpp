// Apache Pulsar binary protocol (https://pulsar.apache.org/docs/next/developing-binary-protocol/,
// messages from pulsar-common/src/main/proto/PulsarApi.proto). Every frame is
//   totalSize (4 B BE) | commandSize (4 B BE) | BaseCommand (protobuf)
// and the payload commands (SEND, MESSAGE) go on with
//   [0x0e02 | size (4 B) | BrokerEntryMetadata]  (MESSAGE only, when the broker adds it)
//   0x0e01 | CRC32C (4 B) | metadataSize (4 B) | MessageMetadata (protobuf) | payload
// where a batched payload (MessageMetadata.num_messages_in_batch set, uncompressed) is a run of
// size (4 B) | SingleMessageMetadata | payload_size bytes.
//
// Records (../shared/spec/mq-protocols.md, "Pulsar"):
//  - request_type = the BaseCommand type's name ("CONNECT", "SEND", ...);
//  - version = min(CommandConnect.protocol_version, CommandConnected.protocol_version), and
//    request_domain = CommandConnect.proxy_to_broker_url, both copied to later records of the flow;
//  - request_resource = endpoint = topic after its last '/'. SEND, MESSAGE, ACK, FLOW, CLOSE_* and
//    the like carry a producer or consumer id only: the topic its PRODUCER / SUBSCRIBE named is
//    remembered per flow (a table bounded by ParserOptions::max_pending);
//  - request_id = the command's request_id; SEND / SEND_RECEIPT / SEND_ERROR have none and use
//    (producer_id & 0xffff) << 16 | (sequence_id & 0xffff) ("producer_id and the lower 16 bits of
//    sequence_id concatenated"); they pair on the full producer_id and sequence_id;
//  - an error field (ServerError) gives response_code, its message response_exception, and the
//    status by what the error means (client_error / server_error, see pulsar_commands.cpp);
//  - CONNECT/CONNECTED, PING/PONG and AUTH_CHALLENGE/AUTH_RESPONSE pair in order (no id); the
//    spec's one-way commands (ACK, FLOW, MESSAGE, ...) are sessions of their own;
//  - trace context from the properties of MessageMetadata and of each SingleMessageMetadata of a
//    batch (apply_trace_header); x_request_id = the message id "ledgerId:entryId:partition:batch".
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "protocols/core/buffer_pool.hpp"
#include "protocols/core/fixed_string.hpp"
#include "protocols/core/parser.hpp"

namespace l7tap {

extern const ProtocolDescriptor kPulsarDescriptor;

namespace pulsar {

// --- the BaseCommand type table (pulsar_commands.cpp) -------------------------------------------

enum class Kind : uint8_t { kRequest, kResponse, kOneWay };
// How a request finds its response: in order (CONNECT, PING, AUTH), by request_id, or by
// producer_id + sequence_id (SEND).
enum class Pairing : uint8_t { kNone, kConnect, kRequestId, kSend, kPing, kAuth };
// Which side sends the command (a command seen from the other side proves the orientation wrong).
enum class Sender : uint8_t { kClient, kServer, kEither };

// Field numbers inside the command's own message (0 = the command has no such field).
struct CommandInfo {
  std::string_view name;  // empty: not a BaseCommand type
  Kind kind;
  Pairing pairing;
  Sender sender;
  uint8_t request_id;
  uint8_t topic;
  uint8_t producer_id;
  uint8_t consumer_id;
  uint8_t error;       // ServerError
  uint8_t message;     // the error's text
  uint8_t message_id;  // MessageIdData
};

// Null for a type PulsarApi.proto does not define.
const CommandInfo* command_info(uint64_t type);

enum class Type : uint8_t {
  kConnect = 2,
  kConnected = 3,
  kSubscribe = 4,
  kProducer = 5,
  kSend = 6,
  kSendReceipt = 7,
  kSendError = 8,
  kMessage = 9,
  kCloseProducer = 15,
  kCloseConsumer = 16,
  kProducerSuccess = 17,
  kTopicMigrated = 68,
};

// ServerError → client_error or server_error (by what the error says about the request).
ResponseStatus error_status(int64_t server_error);
// ServerError's name ("TopicNotFound"), empty when unknown.
std::string_view error_name(int64_t server_error);

// --- framing --------------------------------------------------------------------------------------

// Smallest frame body: commandSize (4) + the type field (2) + an empty command message (2).
inline constexpr uint32_t kMinTotalSize = 8;

// Whether a frame starts at data[0]: sizes that fit together and `max_frame`, the type field
// first with a known type, then exactly the command's own message, and for SEND / MESSAGE the
// magic after the command. kMaybe: too few bytes to tell.
ProbeVerdict frame_verdict(std::span<const uint8_t> data, uint64_t max_frame);

ProbeVerdict probe(Dir dir, std::span<const uint8_t> data);

// What one command carries (views into the parsed bytes).
struct Command {
  uint64_t type = 0;
  const CommandInfo* info = nullptr;
  uint64_t request_id = 0, producer_id = 0, consumer_id = 0, sequence_id = 0, resource_id = 0;
  int64_t error = 0;
  int32_t protocol_version = -1;
  int32_t resource_type = -1;  // TOPIC_MIGRATED: 0 producer, 1 consumer
  std::string_view topic, error_message, proxy_url;
  std::span<const uint8_t> message_id;
  bool has_request_id = false, has_producer_id = false, has_consumer_id = false, has_sequence_id = false;
  bool has_error = false, has_message_id = false, has_resource_id = false;
  bool producer_not_ready = false;  // PRODUCER_SUCCESS with producer_ready = false
};

// Decodes the BaseCommand bytes (possibly a prefix of a large command). False when they are not
// a BaseCommand: the type field missing or not first, or an unknown type.
bool decode_command(std::span<const uint8_t> bytes, Command& out);

// "ledgerId:entryId:partition:batchIndex" of a MessageIdData (partition and batch_index default
// to -1 as in the .proto); returns the length written to `out` (0 when malformed).
std::size_t format_message_id(std::span<const uint8_t> message_id, std::span<char> out);

// Offers the properties of the metadata after a SEND / MESSAGE command (and of every message of
// an uncompressed batch) to apply_trace_header. `extra` = the frame's bytes after the command.
void apply_metadata(std::span<const uint8_t> extra, const ParserOptions* options, L7Fields& fields);

}  // namespace pulsar

class PulsarParser final : public Parser {
 public:
  explicit PulsarParser(const ParserEnv& env);
  ~PulsarParser() override;
  PulsarParser(const PulsarParser&) = delete;
  PulsarParser& operator=(const PulsarParser&) = delete;

  ParseResult parse(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) override;
  bool on_gap(Dir dir) override;
  bool plausible_frames(Dir dir, std::span<const uint8_t> data, uint64_t max_message) override;

  // Producer / consumer ids whose topic was not remembered (the table was full or the pool
  // refused it): their SEND, MESSAGE, ... records have no topic.
  uint64_t topics_not_remembered() const { return topics_not_remembered_; }
  uint32_t topics_remembered() const { return topics_n_; }

 private:
  // One producer or consumer id and its short topic name. 128 bytes: the name is cut at 118
  // (the endpoint field keeps 128).
  struct TopicEntry {
    uint64_t id;
    uint8_t consumer;  // 0 = producer id, 1 = consumer id
    uint8_t len;
    char name[118];
  };
  static_assert(sizeof(TopicEntry) == 128);

  void emit(Dir dir, std::span<const uint8_t> frame, uint32_t total, ParseContext& ctx);
  void remember(bool consumer, uint64_t id, std::string_view topic);
  std::string_view topic_of(bool consumer, uint64_t id) const;
  void forget(bool consumer, uint64_t id);
  TopicEntry* topics() const { return reinterpret_cast<TopicEntry*>(topics_.data); }

  BufferPool* pool_;
  uint32_t max_topics_;     // max_pending
  uint32_t topics_n_ = 0;   // entries in use
  uint32_t topics_cap_ = 0;  // entries the block holds
  PoolBlock topics_;         // taken when the first PRODUCER / SUBSCRIBE is seen
  uint64_t topics_not_remembered_ = 0;
  FixedString<FieldCaps::cap(Field::kRequestDomain)> domain_;
  int32_t version_ = -1;  // min of the CONNECT / CONNECTED protocol versions; -1 = none seen
  int8_t client_dir_ = -1;  // the Dir clients send in, once a client-only command showed it
  uint32_t bad_streak_ = 0;  // gaps and errors since the last message
  // After a gap, an error or a refused length: look for a frame header before parsing.
  bool resync_[2] = {false, false};
};

}  // namespace l7tap
