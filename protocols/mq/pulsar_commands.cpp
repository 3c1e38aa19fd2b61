// The BaseCommand types of PulsarApi.proto (apache/pulsar, pulsar-common/src/main/proto): each
// type's name, its role in a session, who sends it and where its ids, topic and error are.
// BaseCommand carries each command's message in the field whose number is the type's value.
#include <array>

#include "protocols/mq/pulsar.hpp"

namespace l7tap::pulsar {
namespace {

constexpr Kind kReq = Kind::kRequest, kResp = Kind::kResponse, kOne = Kind::kOneWay;
constexpr Pairing kNone = Pairing::kNone, kConn = Pairing::kConnect, kId = Pairing::kRequestId,
                  kSendP = Pairing::kSend, kPingP = Pairing::kPing, kAuthP = Pairing::kAuth;
constexpr Sender kC = Sender::kClient, kS = Sender::kServer, kE = Sender::kEither;

struct Row {
  uint8_t type;
  CommandInfo info;
};

// {type, {name, kind, pairing, sender, request_id, topic, producer_id, consumer_id, error, message,
// message_id}}. The one-way commands are the ones the spec lists ("saved as type=session").
constexpr Row kRows[] = {
    {2, {"CONNECT", kReq, kConn, kC, 0, 0, 0, 0, 0, 0, 0}},
    {3, {"CONNECTED", kResp, kConn, kS, 0, 0, 0, 0, 0, 0, 0}},
    {4, {"SUBSCRIBE", kReq, kId, kC, 5, 1, 0, 4, 0, 0, 0}},
    {5, {"PRODUCER", kReq, kId, kC, 3, 1, 2, 0, 0, 0, 0}},
    {6, {"SEND", kReq, kSendP, kC, 0, 0, 1, 0, 0, 0, 9}},
    {7, {"SEND_RECEIPT", kResp, kSendP, kS, 0, 0, 1, 0, 0, 0, 3}},
    {8, {"SEND_ERROR", kResp, kSendP, kS, 0, 0, 1, 0, 3, 4, 0}},
    {9, {"MESSAGE", kOne, kNone, kS, 0, 0, 0, 1, 0, 0, 2}},
    {10, {"ACK", kOne, kNone, kC, 8, 0, 0, 1, 0, 0, 0}},
    {11, {"FLOW", kOne, kNone, kC, 0, 0, 0, 1, 0, 0, 0}},
    {12, {"UNSUBSCRIBE", kReq, kId, kC, 2, 0, 0, 1, 0, 0, 0}},
    {13, {"SUCCESS", kResp, kId, kS, 1, 0, 0, 0, 0, 0, 0}},
    {14, {"ERROR", kResp, kId, kS, 1, 0, 0, 0, 2, 3, 0}},
    // Brokers send these too (topic unloaded): see PulsarParser::emit.
    {15, {"CLOSE_PRODUCER", kReq, kId, kE, 2, 0, 1, 0, 0, 0, 0}},
    {16, {"CLOSE_CONSUMER", kReq, kId, kE, 2, 0, 0, 1, 0, 0, 0}},
    {17, {"PRODUCER_SUCCESS", kResp, kId, kS, 1, 0, 0, 0, 0, 0, 0}},
    {18, {"PING", kReq, kPingP, kE, 0, 0, 0, 0, 0, 0, 0}},
    {19, {"PONG", kResp, kPingP, kE, 0, 0, 0, 0, 0, 0, 0}},
    {20, {"REDELIVER_UNACKNOWLEDGED_MESSAGES", kOne, kNone, kC, 0, 0, 0, 1, 0, 0, 0}},
    {21, {"PARTITIONED_METADATA", kReq, kId, kC, 2, 1, 0, 0, 0, 0, 0}},
    {22, {"PARTITIONED_METADATA_RESPONSE", kResp, kId, kS, 2, 0, 0, 0, 4, 5, 0}},
    {23, {"LOOKUP", kReq, kId, kC, 2, 1, 0, 0, 0, 0, 0}},
    {24, {"LOOKUP_RESPONSE", kResp, kId, kS, 4, 0, 0, 0, 6, 7, 0}},
    {25, {"CONSUMER_STATS", kReq, kId, kC, 1, 0, 0, 4, 0, 0, 0}},
    {26, {"CONSUMER_STATS_RESPONSE", kResp, kId, kS, 1, 0, 0, 0, 2, 3, 0}},
    {27, {"REACHED_END_OF_TOPIC", kOne, kNone, kS, 0, 0, 0, 1, 0, 0, 0}},
    {28, {"SEEK", kReq, kId, kC, 2, 0, 0, 1, 0, 0, 0}},
    {29, {"GET_LAST_MESSAGE_ID", kReq, kId, kC, 2, 0, 0, 1, 0, 0, 0}},
    {30, {"GET_LAST_MESSAGE_ID_RESPONSE", kResp, kId, kS, 2, 0, 0, 0, 0, 0, 0}},
    {31, {"ACTIVE_CONSUMER_CHANGE", kOne, kNone, kS, 0, 0, 0, 1, 0, 0, 0}},
    {32, {"GET_TOPICS_OF_NAMESPACE", kReq, kId, kC, 1, 0, 0, 0, 0, 0, 0}},
    {33, {"GET_TOPICS_OF_NAMESPACE_RESPONSE", kResp, kId, kS, 1, 0, 0, 0, 0, 0, 0}},
    {34, {"GET_SCHEMA", kReq, kId, kC, 1, 2, 0, 0, 0, 0, 0}},
    {35, {"GET_SCHEMA_RESPONSE", kResp, kId, kS, 1, 0, 0, 0, 2, 3, 0}},
    // The broker challenges, the client answers (at connect time or to refresh credentials).
    {36, {"AUTH_CHALLENGE", kReq, kAuthP, kS, 0, 0, 0, 0, 0, 0, 0}},
    {37, {"AUTH_RESPONSE", kResp, kAuthP, kC, 0, 0, 0, 0, 0, 0, 0}},
    {38, {"ACK_RESPONSE", kOne, kNone, kS, 6, 0, 0, 1, 4, 5, 0}},
    {39, {"GET_OR_CREATE_SCHEMA", kReq, kId, kC, 1, 2, 0, 0, 0, 0, 0}},
    {40, {"GET_OR_CREATE_SCHEMA_RESPONSE", kResp, kId, kS, 1, 0, 0, 0, 2, 3, 0}},
    {50, {"NEW_TXN", kReq, kId, kC, 1, 0, 0, 0, 0, 0, 0}},
    {51, {"NEW_TXN_RESPONSE", kResp, kId, kS, 1, 0, 0, 0, 4, 5, 0}},
    {52, {"ADD_PARTITION_TO_TXN", kReq, kId, kC, 1, 0, 0, 0, 0, 0, 0}},
    {53, {"ADD_PARTITION_TO_TXN_RESPONSE", kResp, kId, kS, 1, 0, 0, 0, 4, 5, 0}},
    {54, {"ADD_SUBSCRIPTION_TO_TXN", kReq, kId, kC, 1, 0, 0, 0, 0, 0, 0}},
    {55, {"ADD_SUBSCRIPTION_TO_TXN_RESPONSE", kResp, kId, kS, 1, 0, 0, 0, 4, 5, 0}},
    {56, {"END_TXN", kReq, kId, kC, 1, 0, 0, 0, 0, 0, 0}},
    {57, {"END_TXN_RESPONSE", kResp, kId, kS, 1, 0, 0, 0, 4, 5, 0}},
    {58, {"END_TXN_ON_PARTITION", kReq, kId, kC, 1, 4, 0, 0, 0, 0, 0}},
    {59, {"END_TXN_ON_PARTITION_RESPONSE", kResp, kId, kS, 1, 0, 0, 0, 4, 5, 0}},
    {60, {"END_TXN_ON_SUBSCRIPTION", kReq, kId, kC, 1, 0, 0, 0, 0, 0, 0}},
    {61, {"END_TXN_ON_SUBSCRIPTION_RESPONSE", kResp, kId, kS, 1, 0, 0, 0, 4, 5, 0}},
    {62, {"TC_CLIENT_CONNECT_REQUEST", kReq, kId, kC, 1, 0, 0, 0, 0, 0, 0}},
    {63, {"TC_CLIENT_CONNECT_RESPONSE", kResp, kId, kS, 1, 0, 0, 0, 2, 3, 0}},
    {64, {"WATCH_TOPIC_LIST", kOne, kNone, kC, 1, 0, 0, 0, 0, 0, 0}},
    {65, {"WATCH_TOPIC_LIST_SUCCESS", kOne, kNone, kS, 1, 0, 0, 0, 0, 0, 0}},
    {66, {"WATCH_TOPIC_UPDATE", kOne, kNone, kS, 0, 0, 0, 0, 0, 0, 0}},
    {67, {"WATCH_TOPIC_LIST_CLOSE", kOne, kNone, kC, 1, 0, 0, 0, 0, 0, 0}},
    // resource_id / resource_type name a producer or consumer: see PulsarParser::emit.
    {68, {"TOPIC_MIGRATED", kOne, kNone, kS, 0, 0, 0, 0, 0, 0, 0}},
};

constexpr uint8_t kMaxType = 68;

constexpr std::array<CommandInfo, kMaxType + 1> kByType = [] {
  std::array<CommandInfo, kMaxType + 1> t{};
  for (const Row& r : kRows) t[r.type] = r.info;
  return t;
}();

// ServerError (PulsarApi.proto), in value order.
constexpr std::string_view kErrorNames[] = {
    "UnknownError",
    "MetadataError",
    "PersistenceError",
    "AuthenticationError",
    "AuthorizationError",
    "ConsumerBusy",
    "ServiceNotReady",
    "ProducerBlockedQuotaExceededError",
    "ProducerBlockedQuotaExceededException",
    "ChecksumError",
    "UnsupportedVersionError",
    "TopicNotFound",
    "SubscriptionNotFound",
    "ConsumerNotFound",
    "TooManyRequests",
    "TopicTerminatedError",
    "ProducerBusy",
    "InvalidTopicName",
    "IncompatibleSchema",
    "ConsumerAssignError",
    "TransactionCoordinatorNotFound",
    "InvalidTxnStatus",
    "NotAllowedError",
    "TransactionConflict",
    "TransactionNotFound",
    "ProducerFenced",
};

}  // namespace

const CommandInfo* command_info(uint64_t type) {
  if (type > kMaxType || kByType[type].name.empty()) return nullptr;
  return &kByType[type];
}

std::string_view error_name(int64_t server_error) {
  if (server_error < 0 || server_error >= static_cast<int64_t>(std::size(kErrorNames))) return {};
  return kErrorNames[server_error];
}

// Client errors: the request itself cannot succeed as sent (who the client is, what it may do,
// what it names, what it conflicts with) — retrying it unchanged does not help. Server errors: the
// broker or its storage failed or is not ready, or its capacity is exhausted (metadata store,
// BookKeeper, a service not ready, backlog quota, too many concurrent lookups, an unassignable
// dispatcher, no transaction coordinator), and unknown values.
ResponseStatus error_status(int64_t server_error) {
  switch (server_error) {
    case 3:   // AuthenticationError
    case 4:   // AuthorizationError
    case 5:   // ConsumerBusy: an exclusive subscription already has a consumer
    case 9:   // ChecksumError: the message the client sent is corrupt
    case 10:  // UnsupportedVersionError
    case 11:  // TopicNotFound
    case 12:  // SubscriptionNotFound
    case 13:  // ConsumerNotFound
    case 15:  // TopicTerminatedError: publishing to a terminated topic
    case 16:  // ProducerBusy: a producer of that name is connected
    case 17:  // InvalidTopicName
    case 18:  // IncompatibleSchema
    case 21:  // InvalidTxnStatus
    case 22:  // NotAllowedError
    case 23:  // TransactionConflict
    case 24:  // TransactionNotFound
    case 25:  // ProducerFenced
      return ResponseStatus::kClientError;
    default:
      return ResponseStatus::kServerError;
  }
}

}  // namespace l7tap::pulsar
