// Apache Pulsar binary protocol frames (https://pulsar.apache.org/docs/next/developing-binary-protocol/,
// messages and field numbers from PulsarApi.proto): totalSize (4 B BE) | commandSize (4 B BE) |
// BaseCommand {type = 1, <command> = the field numbered like the type}; SEND and MESSAGE go on
// with 0x0e01 | CRC32C (of what follows) | metadataSize (4 B) | MessageMetadata | payload, and a
// batched payload (num_messages_in_batch) is size (4 B) | SingleMessageMetadata | payload, per
// message. Protobuf fields are written in field-number order, as every client and broker does.
// Each function appends one complete frame to a Writer.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "tools/gen/writer.hpp"

namespace gen::pulsar {

// BaseCommand.Type values used here.
enum Type : uint32_t {
  kConnect = 2,
  kConnected = 3,
  kSubscribe = 4,
  kProducer = 5,
  kSend = 6,
  kSendReceipt = 7,
  kSendError = 8,
  kMessage = 9,
  kAck = 10,
  kFlow = 11,
  kSuccess = 13,
  kError = 14,
  kCloseProducer = 15,
  kCloseConsumer = 16,
  kProducerSuccess = 17,
  kPing = 18,
  kPong = 19,
  kPartitionedMetadata = 21,
  kPartitionedMetadataResponse = 22,
  kLookup = 23,
  kLookupResponse = 24,
};

// ServerError values used here.
enum ServerError : uint32_t {
  kPersistenceError = 2,
  kConsumerBusy = 5,
  kServiceNotReady = 6,
  kTopicNotFound = 11,
  kTopicTerminatedError = 15,
  kProducerBusy = 16,
};

struct KeyValue {
  std::string_view key{};
  std::string_view value{};
};
using Properties = std::span<const KeyValue>;

// MessageMetadata's required fields and its properties.
struct Metadata {
  std::string_view producer_name{};
  uint64_t sequence_id = 0;
  uint64_t publish_time = 0;  // ms since the epoch
  Properties properties{};
};

// One message of a batch: SingleMessageMetadata {properties, payload_size} and its payload.
struct BatchEntry {
  Properties properties{};
  std::span<const uint8_t> payload{};
};

struct MessageId {
  uint64_t ledger = 0;
  uint64_t entry = 0;
};

// --- protobuf fields ------------------------------------------------------------------------------
void varint_field(Writer& w, uint32_t field, uint64_t v);
void string_field(Writer& w, uint32_t field, std::string_view s);
void key_value_field(Writer& w, uint32_t field, const KeyValue& kv);

// --- commands ---------------------------------------------------------------------------------------
// proxy_url empty: no proxy_to_broker_url.
void connect(Writer& w, std::string_view client_version, int32_t protocol_version, std::string_view proxy_url);
void connected(Writer& w, std::string_view server_version, int32_t protocol_version, int32_t max_message_size);
void partitioned_metadata(Writer& w, std::string_view topic, uint64_t request_id);
// error < 0: success with `partitions`; else response Failed with that ServerError and message.
void partitioned_metadata_response(Writer& w, uint32_t partitions, uint64_t request_id, int32_t error,
                                   std::string_view message);
void lookup(Writer& w, std::string_view topic, uint64_t request_id);
// error < 0: response Connect to broker_url; else response Failed with that error and message.
void lookup_response(Writer& w, std::string_view broker_url, uint64_t request_id, int32_t error,
                     std::string_view message);
void producer(Writer& w, std::string_view topic, uint64_t producer_id, uint64_t request_id);
void producer_success(Writer& w, uint64_t request_id, std::string_view producer_name);
void subscribe(Writer& w, std::string_view topic, std::string_view subscription, uint32_t sub_type,
               uint64_t consumer_id, uint64_t request_id);
void flow(Writer& w, uint64_t consumer_id, uint32_t permits);
void success(Writer& w, uint64_t request_id);
void error(Writer& w, uint64_t request_id, uint32_t error, std::string_view message);
// SEND of one message.
void send(Writer& w, uint64_t producer_id, const Metadata& m, std::span<const uint8_t> payload);
// SEND of a batch (num_messages = num_messages_in_batch = entries.size()).
void send_batch(Writer& w, uint64_t producer_id, const Metadata& m, std::span<const BatchEntry> entries);
void send_receipt(Writer& w, uint64_t producer_id, uint64_t sequence_id, MessageId id);
void send_error(Writer& w, uint64_t producer_id, uint64_t sequence_id, uint32_t error, std::string_view message);
void message(Writer& w, uint64_t consumer_id, MessageId id, const Metadata& m, std::span<const uint8_t> payload);
void ack(Writer& w, uint64_t consumer_id, MessageId id);
void close_producer(Writer& w, uint64_t producer_id, uint64_t request_id);
void close_consumer(Writer& w, uint64_t consumer_id, uint64_t request_id);
void ping(Writer& w);
void pong(Writer& w);

}  // namespace gen::pulsar
