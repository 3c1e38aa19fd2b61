// Generated from the ActiveMQ OpenWire marshallers (activemq-client, org/apache/activemq/openwire/v*/
// *Marshaller.java, tightUnmarshal/looseUnmarshal): the fields of every data structure in wire order,
// superclass fields first, for each marshaller version shipped (v1, v8, v9, v10, v11, v12). Only
// the kinds matter for walking the bytes; the tags name the few fields the flow log reports.
// Everything above the lookup functions at the end is written by tools/openwire_tables/gen.py from
// its fields.json (tests/tools/test_openwire_tables.sh checks it): regenerate, do not edit.
#include "protocols/mq/openwire_commands.hpp"

namespace l7tap::openwire {
namespace {

using K = Kind;
using T = Tag;

constexpr FieldSpec kFieldsV1[] = {
    {K::kConst, T::kMagic, 8}, {K::kInt, T::kWireVersion, 0}, {K::kBytes, T::kProperties, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kBrokerUrl, 0}, {K::kNestedArray, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kInt, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kByte, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kThrowable, T::kException, 0}, {K::kNested, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kBool, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kNested, T::kMessage, 0}, {K::kInt, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kDestination, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0},
    {K::kThrowable, T::kException, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kCorrelationId, 0}, {K::kNested, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kNested, T::kDestination, 0}, {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kNested, T::kDestination, 0}, {K::kNested, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBytes, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBytes, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kLong, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kPhysicalName, 0},
    {K::kString, T::kPhysicalName, 0}, {K::kString, T::kPhysicalName, 0}, {K::kString, T::kPhysicalName, 0},
    {K::kCached, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kBytes, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
};
constexpr TypeSpec kTypesV1[] = {
    {1, 3, &kFieldsV1[0]},  // WireFormatInfo
    {2, 9, &kFieldsV1[3]},  // BrokerInfo
    {3, 9, &kFieldsV1[12]},  // ConnectionInfo
    {4, 3, &kFieldsV1[21]},  // SessionInfo
    {5, 19, &kFieldsV1[24]},  // ConsumerInfo
    {6, 5, &kFieldsV1[43]},  // ProducerInfo
    {7, 5, &kFieldsV1[48]},  // TransactionInfo
    {8, 7, &kFieldsV1[53]},  // DestinationInfo
    {9, 5, &kFieldsV1[60]},  // RemoveSubscriptionInfo
    {10, 2, &kFieldsV1[65]},  // KeepAliveInfo
    {11, 2, &kFieldsV1[67]},  // ShutdownInfo
    {12, 3, &kFieldsV1[69]},  // RemoveInfo
    {14, 3, &kFieldsV1[72]},  // ControlCommand
    {15, 2, &kFieldsV1[75]},  // FlushCommand
    {16, 4, &kFieldsV1[77]},  // ConnectionError
    {17, 5, &kFieldsV1[81]},  // ConsumerControl
    {18, 7, &kFieldsV1[86]},  // ConnectionControl
    {21, 6, &kFieldsV1[93]},  // MessageDispatch
    {22, 9, &kFieldsV1[99]},  // MessageAck
    {23, 27, &kFieldsV1[108]},  // ActiveMQMessage
    {24, 27, &kFieldsV1[135]},  // ActiveMQBytesMessage
    {25, 27, &kFieldsV1[162]},  // ActiveMQMapMessage
    {26, 27, &kFieldsV1[189]},  // ActiveMQObjectMessage
    {27, 27, &kFieldsV1[216]},  // ActiveMQStreamMessage
    {28, 27, &kFieldsV1[243]},  // ActiveMQTextMessage
    {30, 3, &kFieldsV1[270]},  // Response
    {31, 4, &kFieldsV1[273]},  // ExceptionResponse
    {32, 4, &kFieldsV1[277]},  // DataResponse
    {33, 4, &kFieldsV1[281]},  // DataArrayResponse
    {34, 4, &kFieldsV1[285]},  // IntegerResponse
    {40, 2, &kFieldsV1[289]},  // DiscoveryEvent
    {50, 6, &kFieldsV1[291]},  // JournalTopicAck
    {52, 2, &kFieldsV1[297]},  // JournalQueueAck
    {53, 1, &kFieldsV1[299]},  // JournalTrace
    {54, 3, &kFieldsV1[300]},  // JournalTransaction
    {55, 4, &kFieldsV1[303]},  // SubscriptionInfo
    {60, 2, &kFieldsV1[307]},  // PartialCommand
    {61, 2, &kFieldsV1[309]},  // LastPartialCommand
    {65, 4, &kFieldsV1[311]},  // ReplayCommand
    {90, 6, &kFieldsV1[315]},  // MessageDispatchNotification
    {91, 2, &kFieldsV1[321]},  // NetworkBridgeFilter
    {100, 1, &kFieldsV1[323]},  // ActiveMQQueue
    {101, 1, &kFieldsV1[324]},  // ActiveMQTopic
    {102, 1, &kFieldsV1[325]},  // ActiveMQTempQueue
    {103, 1, &kFieldsV1[326]},  // ActiveMQTempTopic
    {110, 3, &kFieldsV1[327]},  // MessageId
    {111, 2, &kFieldsV1[330]},  // LocalTransactionId
    {112, 3, &kFieldsV1[332]},  // XATransactionId
    {120, 1, &kFieldsV1[335]},  // ConnectionId
    {121, 2, &kFieldsV1[336]},  // SessionId
    {122, 3, &kFieldsV1[338]},  // ConsumerId
    {123, 3, &kFieldsV1[341]},  // ProducerId
    {124, 1, &kFieldsV1[344]},  // BrokerId
};
constexpr FieldSpec kFieldsV8[] = {
    {K::kConst, T::kMagic, 8}, {K::kInt, T::kWireVersion, 0}, {K::kBytes, T::kProperties, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kBrokerUrl, 0}, {K::kNestedArray, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kInt, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kByte, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kString, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kThrowable, T::kException, 0},
    {K::kNested, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kNested, T::kDestination, 0}, {K::kBool, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kNested, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kJmsCorrelationId, 0}, {K::kNested, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kNested, T::kMessage, 0}, {K::kInt, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kThrowable, T::kException, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0},
    {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0},
    {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kCorrelationId, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kCorrelationId, 0}, {K::kThrowable, T::kException, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0}, {K::kNested, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kCorrelationId, 0}, {K::kInt, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kNested, T::kDestination, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kNested, T::kDestination, 0}, {K::kNested, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBytes, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBytes, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kLong, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kString, T::kPhysicalName, 0}, {K::kString, T::kPhysicalName, 0},
    {K::kString, T::kPhysicalName, 0}, {K::kString, T::kPhysicalName, 0}, {K::kCached, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
};
constexpr TypeSpec kTypesV8[] = {
    {1, 3, &kFieldsV8[0]},  // WireFormatInfo
    {2, 14, &kFieldsV8[3]},  // BrokerInfo
    {3, 13, &kFieldsV8[17]},  // ConnectionInfo
    {4, 3, &kFieldsV8[30]},  // SessionInfo
    {5, 20, &kFieldsV8[33]},  // ConsumerInfo
    {6, 7, &kFieldsV8[53]},  // ProducerInfo
    {7, 5, &kFieldsV8[60]},  // TransactionInfo
    {8, 7, &kFieldsV8[65]},  // DestinationInfo
    {9, 5, &kFieldsV8[72]},  // RemoveSubscriptionInfo
    {10, 2, &kFieldsV8[77]},  // KeepAliveInfo
    {11, 2, &kFieldsV8[79]},  // ShutdownInfo
    {12, 4, &kFieldsV8[81]},  // RemoveInfo
    {14, 3, &kFieldsV8[85]},  // ControlCommand
    {15, 2, &kFieldsV8[88]},  // FlushCommand
    {16, 4, &kFieldsV8[90]},  // ConnectionError
    {17, 9, &kFieldsV8[94]},  // ConsumerControl
    {18, 11, &kFieldsV8[103]},  // ConnectionControl
    {19, 4, &kFieldsV8[114]},  // ProducerAck
    {20, 7, &kFieldsV8[118]},  // MessagePull
    {21, 6, &kFieldsV8[125]},  // MessageDispatch
    {22, 10, &kFieldsV8[131]},  // MessageAck
    {23, 31, &kFieldsV8[141]},  // ActiveMQMessage
    {24, 31, &kFieldsV8[172]},  // ActiveMQBytesMessage
    {25, 31, &kFieldsV8[203]},  // ActiveMQMapMessage
    {26, 31, &kFieldsV8[234]},  // ActiveMQObjectMessage
    {27, 31, &kFieldsV8[265]},  // ActiveMQStreamMessage
    {28, 31, &kFieldsV8[296]},  // ActiveMQTextMessage
    {29, 34, &kFieldsV8[327]},  // ActiveMQBlobMessage
    {30, 3, &kFieldsV8[361]},  // Response
    {31, 4, &kFieldsV8[364]},  // ExceptionResponse
    {32, 4, &kFieldsV8[368]},  // DataResponse
    {33, 4, &kFieldsV8[372]},  // DataArrayResponse
    {34, 4, &kFieldsV8[376]},  // IntegerResponse
    {40, 2, &kFieldsV8[380]},  // DiscoveryEvent
    {50, 6, &kFieldsV8[382]},  // JournalTopicAck
    {52, 2, &kFieldsV8[388]},  // JournalQueueAck
    {53, 1, &kFieldsV8[390]},  // JournalTrace
    {54, 3, &kFieldsV8[391]},  // JournalTransaction
    {55, 5, &kFieldsV8[394]},  // SubscriptionInfo
    {60, 2, &kFieldsV8[399]},  // PartialCommand
    {61, 2, &kFieldsV8[401]},  // LastPartialCommand
    {65, 4, &kFieldsV8[403]},  // ReplayCommand
    {90, 6, &kFieldsV8[407]},  // MessageDispatchNotification
    {91, 2, &kFieldsV8[413]},  // NetworkBridgeFilter
    {100, 1, &kFieldsV8[415]},  // ActiveMQQueue
    {101, 1, &kFieldsV8[416]},  // ActiveMQTopic
    {102, 1, &kFieldsV8[417]},  // ActiveMQTempQueue
    {103, 1, &kFieldsV8[418]},  // ActiveMQTempTopic
    {110, 3, &kFieldsV8[419]},  // MessageId
    {111, 2, &kFieldsV8[422]},  // LocalTransactionId
    {112, 3, &kFieldsV8[424]},  // XATransactionId
    {120, 1, &kFieldsV8[427]},  // ConnectionId
    {121, 2, &kFieldsV8[428]},  // SessionId
    {122, 3, &kFieldsV8[430]},  // ConsumerId
    {123, 3, &kFieldsV8[433]},  // ProducerId
    {124, 1, &kFieldsV8[436]},  // BrokerId
};
constexpr FieldSpec kFieldsV9[] = {
    {K::kConst, T::kMagic, 8}, {K::kInt, T::kWireVersion, 0}, {K::kBytes, T::kProperties, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kBrokerUrl, 0}, {K::kNestedArray, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kInt, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kByte, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kString, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kThrowable, T::kException, 0},
    {K::kNested, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kNested, T::kDestination, 0}, {K::kBool, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kNested, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kJmsCorrelationId, 0}, {K::kNested, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kNested, T::kMessage, 0}, {K::kInt, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kThrowable, T::kException, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0},
    {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0},
    {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kCorrelationId, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kCorrelationId, 0}, {K::kThrowable, T::kException, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0}, {K::kNested, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kCorrelationId, 0}, {K::kInt, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kNested, T::kDestination, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kNested, T::kDestination, 0}, {K::kNested, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBytes, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBytes, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kLong, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kString, T::kPhysicalName, 0}, {K::kString, T::kPhysicalName, 0},
    {K::kString, T::kPhysicalName, 0}, {K::kString, T::kPhysicalName, 0}, {K::kCached, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
};
constexpr TypeSpec kTypesV9[] = {
    {1, 3, &kFieldsV9[0]},  // WireFormatInfo
    {2, 14, &kFieldsV9[3]},  // BrokerInfo
    {3, 13, &kFieldsV9[17]},  // ConnectionInfo
    {4, 3, &kFieldsV9[30]},  // SessionInfo
    {5, 20, &kFieldsV9[33]},  // ConsumerInfo
    {6, 7, &kFieldsV9[53]},  // ProducerInfo
    {7, 5, &kFieldsV9[60]},  // TransactionInfo
    {8, 7, &kFieldsV9[65]},  // DestinationInfo
    {9, 5, &kFieldsV9[72]},  // RemoveSubscriptionInfo
    {10, 2, &kFieldsV9[77]},  // KeepAliveInfo
    {11, 2, &kFieldsV9[79]},  // ShutdownInfo
    {12, 4, &kFieldsV9[81]},  // RemoveInfo
    {14, 3, &kFieldsV9[85]},  // ControlCommand
    {15, 2, &kFieldsV9[88]},  // FlushCommand
    {16, 4, &kFieldsV9[90]},  // ConnectionError
    {17, 9, &kFieldsV9[94]},  // ConsumerControl
    {18, 11, &kFieldsV9[103]},  // ConnectionControl
    {19, 4, &kFieldsV9[114]},  // ProducerAck
    {20, 7, &kFieldsV9[118]},  // MessagePull
    {21, 6, &kFieldsV9[125]},  // MessageDispatch
    {22, 10, &kFieldsV9[131]},  // MessageAck
    {23, 31, &kFieldsV9[141]},  // ActiveMQMessage
    {24, 31, &kFieldsV9[172]},  // ActiveMQBytesMessage
    {25, 31, &kFieldsV9[203]},  // ActiveMQMapMessage
    {26, 31, &kFieldsV9[234]},  // ActiveMQObjectMessage
    {27, 31, &kFieldsV9[265]},  // ActiveMQStreamMessage
    {28, 31, &kFieldsV9[296]},  // ActiveMQTextMessage
    {29, 34, &kFieldsV9[327]},  // ActiveMQBlobMessage
    {30, 3, &kFieldsV9[361]},  // Response
    {31, 4, &kFieldsV9[364]},  // ExceptionResponse
    {32, 4, &kFieldsV9[368]},  // DataResponse
    {33, 4, &kFieldsV9[372]},  // DataArrayResponse
    {34, 4, &kFieldsV9[376]},  // IntegerResponse
    {40, 2, &kFieldsV9[380]},  // DiscoveryEvent
    {50, 6, &kFieldsV9[382]},  // JournalTopicAck
    {52, 2, &kFieldsV9[388]},  // JournalQueueAck
    {53, 1, &kFieldsV9[390]},  // JournalTrace
    {54, 3, &kFieldsV9[391]},  // JournalTransaction
    {55, 5, &kFieldsV9[394]},  // SubscriptionInfo
    {60, 2, &kFieldsV9[399]},  // PartialCommand
    {61, 2, &kFieldsV9[401]},  // LastPartialCommand
    {65, 4, &kFieldsV9[403]},  // ReplayCommand
    {90, 6, &kFieldsV9[407]},  // MessageDispatchNotification
    {91, 2, &kFieldsV9[413]},  // NetworkBridgeFilter
    {100, 1, &kFieldsV9[415]},  // ActiveMQQueue
    {101, 1, &kFieldsV9[416]},  // ActiveMQTopic
    {102, 1, &kFieldsV9[417]},  // ActiveMQTempQueue
    {103, 1, &kFieldsV9[418]},  // ActiveMQTempTopic
    {110, 3, &kFieldsV9[419]},  // MessageId
    {111, 2, &kFieldsV9[422]},  // LocalTransactionId
    {112, 3, &kFieldsV9[424]},  // XATransactionId
    {120, 1, &kFieldsV9[427]},  // ConnectionId
    {121, 2, &kFieldsV9[428]},  // SessionId
    {122, 3, &kFieldsV9[430]},  // ConsumerId
    {123, 3, &kFieldsV9[433]},  // ProducerId
    {124, 1, &kFieldsV9[436]},  // BrokerId
};
constexpr FieldSpec kFieldsV10[] = {
    {K::kConst, T::kMagic, 8}, {K::kInt, T::kWireVersion, 0}, {K::kBytes, T::kProperties, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kBrokerUrl, 0}, {K::kNestedArray, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kInt, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kNestedArray, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kByte, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kThrowable, T::kException, 0}, {K::kNested, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kNested, T::kDestination, 0}, {K::kBool, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kNested, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kNested, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kNested, T::kMessage, 0}, {K::kInt, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kDestination, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kThrowable, T::kException, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0},
    {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0},
    {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0},
    {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0},
    {K::kThrowable, T::kException, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kCorrelationId, 0}, {K::kNested, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kNested, T::kDestination, 0}, {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kNested, T::kDestination, 0}, {K::kNested, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBytes, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBytes, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kLong, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kPhysicalName, 0}, {K::kString, T::kPhysicalName, 0},
    {K::kString, T::kPhysicalName, 0}, {K::kString, T::kPhysicalName, 0}, {K::kString, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kBytes, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
};
constexpr TypeSpec kTypesV10[] = {
    {1, 3, &kFieldsV10[0]},  // WireFormatInfo
    {2, 14, &kFieldsV10[3]},  // BrokerInfo
    {3, 13, &kFieldsV10[17]},  // ConnectionInfo
    {4, 3, &kFieldsV10[30]},  // SessionInfo
    {5, 21, &kFieldsV10[33]},  // ConsumerInfo
    {6, 7, &kFieldsV10[54]},  // ProducerInfo
    {7, 5, &kFieldsV10[61]},  // TransactionInfo
    {8, 7, &kFieldsV10[66]},  // DestinationInfo
    {9, 5, &kFieldsV10[73]},  // RemoveSubscriptionInfo
    {10, 2, &kFieldsV10[78]},  // KeepAliveInfo
    {11, 2, &kFieldsV10[80]},  // ShutdownInfo
    {12, 4, &kFieldsV10[82]},  // RemoveInfo
    {14, 3, &kFieldsV10[86]},  // ControlCommand
    {15, 2, &kFieldsV10[89]},  // FlushCommand
    {16, 4, &kFieldsV10[91]},  // ConnectionError
    {17, 9, &kFieldsV10[95]},  // ConsumerControl
    {18, 11, &kFieldsV10[104]},  // ConnectionControl
    {19, 4, &kFieldsV10[115]},  // ProducerAck
    {20, 7, &kFieldsV10[119]},  // MessagePull
    {21, 6, &kFieldsV10[126]},  // MessageDispatch
    {22, 10, &kFieldsV10[132]},  // MessageAck
    {23, 32, &kFieldsV10[142]},  // ActiveMQMessage
    {24, 32, &kFieldsV10[174]},  // ActiveMQBytesMessage
    {25, 32, &kFieldsV10[206]},  // ActiveMQMapMessage
    {26, 32, &kFieldsV10[238]},  // ActiveMQObjectMessage
    {27, 32, &kFieldsV10[270]},  // ActiveMQStreamMessage
    {28, 32, &kFieldsV10[302]},  // ActiveMQTextMessage
    {29, 35, &kFieldsV10[334]},  // ActiveMQBlobMessage
    {30, 3, &kFieldsV10[369]},  // Response
    {31, 4, &kFieldsV10[372]},  // ExceptionResponse
    {32, 4, &kFieldsV10[376]},  // DataResponse
    {33, 4, &kFieldsV10[380]},  // DataArrayResponse
    {34, 4, &kFieldsV10[384]},  // IntegerResponse
    {40, 2, &kFieldsV10[388]},  // DiscoveryEvent
    {50, 6, &kFieldsV10[390]},  // JournalTopicAck
    {52, 2, &kFieldsV10[396]},  // JournalQueueAck
    {53, 1, &kFieldsV10[398]},  // JournalTrace
    {54, 3, &kFieldsV10[399]},  // JournalTransaction
    {55, 5, &kFieldsV10[402]},  // SubscriptionInfo
    {60, 2, &kFieldsV10[407]},  // PartialCommand
    {61, 2, &kFieldsV10[409]},  // LastPartialCommand
    {65, 4, &kFieldsV10[411]},  // ReplayCommand
    {90, 6, &kFieldsV10[415]},  // MessageDispatchNotification
    {91, 3, &kFieldsV10[421]},  // NetworkBridgeFilter
    {100, 1, &kFieldsV10[424]},  // ActiveMQQueue
    {101, 1, &kFieldsV10[425]},  // ActiveMQTopic
    {102, 1, &kFieldsV10[426]},  // ActiveMQTempQueue
    {103, 1, &kFieldsV10[427]},  // ActiveMQTempTopic
    {110, 4, &kFieldsV10[428]},  // MessageId
    {111, 2, &kFieldsV10[432]},  // LocalTransactionId
    {112, 3, &kFieldsV10[434]},  // XATransactionId
    {120, 1, &kFieldsV10[437]},  // ConnectionId
    {121, 2, &kFieldsV10[438]},  // SessionId
    {122, 3, &kFieldsV10[440]},  // ConsumerId
    {123, 3, &kFieldsV10[443]},  // ProducerId
    {124, 1, &kFieldsV10[446]},  // BrokerId
};
constexpr FieldSpec kFieldsV11[] = {
    {K::kConst, T::kMagic, 8}, {K::kInt, T::kWireVersion, 0}, {K::kBytes, T::kProperties, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kBrokerUrl, 0}, {K::kNestedArray, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kInt, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kNestedArray, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kByte, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kThrowable, T::kException, 0}, {K::kNested, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kNested, T::kDestination, 0}, {K::kBool, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kNested, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kNested, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kNested, T::kMessage, 0}, {K::kInt, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kDestination, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kThrowable, T::kException, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0},
    {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0},
    {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0},
    {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0},
    {K::kThrowable, T::kException, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kCorrelationId, 0}, {K::kNested, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kNested, T::kDestination, 0}, {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kNested, T::kDestination, 0}, {K::kNested, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBytes, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBytes, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kLong, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kString, T::kPhysicalName, 0},
    {K::kString, T::kPhysicalName, 0}, {K::kString, T::kPhysicalName, 0}, {K::kString, T::kPhysicalName, 0},
    {K::kString, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kBytes, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0},
};
constexpr TypeSpec kTypesV11[] = {
    {1, 3, &kFieldsV11[0]},  // WireFormatInfo
    {2, 14, &kFieldsV11[3]},  // BrokerInfo
    {3, 13, &kFieldsV11[17]},  // ConnectionInfo
    {4, 3, &kFieldsV11[30]},  // SessionInfo
    {5, 21, &kFieldsV11[33]},  // ConsumerInfo
    {6, 7, &kFieldsV11[54]},  // ProducerInfo
    {7, 5, &kFieldsV11[61]},  // TransactionInfo
    {8, 7, &kFieldsV11[66]},  // DestinationInfo
    {9, 5, &kFieldsV11[73]},  // RemoveSubscriptionInfo
    {10, 2, &kFieldsV11[78]},  // KeepAliveInfo
    {11, 2, &kFieldsV11[80]},  // ShutdownInfo
    {12, 4, &kFieldsV11[82]},  // RemoveInfo
    {14, 3, &kFieldsV11[86]},  // ControlCommand
    {15, 2, &kFieldsV11[89]},  // FlushCommand
    {16, 4, &kFieldsV11[91]},  // ConnectionError
    {17, 9, &kFieldsV11[95]},  // ConsumerControl
    {18, 11, &kFieldsV11[104]},  // ConnectionControl
    {19, 4, &kFieldsV11[115]},  // ProducerAck
    {20, 7, &kFieldsV11[119]},  // MessagePull
    {21, 6, &kFieldsV11[126]},  // MessageDispatch
    {22, 10, &kFieldsV11[132]},  // MessageAck
    {23, 32, &kFieldsV11[142]},  // ActiveMQMessage
    {24, 32, &kFieldsV11[174]},  // ActiveMQBytesMessage
    {25, 32, &kFieldsV11[206]},  // ActiveMQMapMessage
    {26, 32, &kFieldsV11[238]},  // ActiveMQObjectMessage
    {27, 32, &kFieldsV11[270]},  // ActiveMQStreamMessage
    {28, 32, &kFieldsV11[302]},  // ActiveMQTextMessage
    {29, 35, &kFieldsV11[334]},  // ActiveMQBlobMessage
    {30, 3, &kFieldsV11[369]},  // Response
    {31, 4, &kFieldsV11[372]},  // ExceptionResponse
    {32, 4, &kFieldsV11[376]},  // DataResponse
    {33, 4, &kFieldsV11[380]},  // DataArrayResponse
    {34, 4, &kFieldsV11[384]},  // IntegerResponse
    {40, 2, &kFieldsV11[388]},  // DiscoveryEvent
    {50, 6, &kFieldsV11[390]},  // JournalTopicAck
    {52, 2, &kFieldsV11[396]},  // JournalQueueAck
    {53, 1, &kFieldsV11[398]},  // JournalTrace
    {54, 3, &kFieldsV11[399]},  // JournalTransaction
    {55, 6, &kFieldsV11[402]},  // SubscriptionInfo
    {60, 2, &kFieldsV11[408]},  // PartialCommand
    {61, 2, &kFieldsV11[410]},  // LastPartialCommand
    {65, 4, &kFieldsV11[412]},  // ReplayCommand
    {90, 6, &kFieldsV11[416]},  // MessageDispatchNotification
    {91, 3, &kFieldsV11[422]},  // NetworkBridgeFilter
    {100, 1, &kFieldsV11[425]},  // ActiveMQQueue
    {101, 1, &kFieldsV11[426]},  // ActiveMQTopic
    {102, 1, &kFieldsV11[427]},  // ActiveMQTempQueue
    {103, 1, &kFieldsV11[428]},  // ActiveMQTempTopic
    {110, 4, &kFieldsV11[429]},  // MessageId
    {111, 2, &kFieldsV11[433]},  // LocalTransactionId
    {112, 3, &kFieldsV11[435]},  // XATransactionId
    {120, 1, &kFieldsV11[438]},  // ConnectionId
    {121, 2, &kFieldsV11[439]},  // SessionId
    {122, 3, &kFieldsV11[441]},  // ConsumerId
    {123, 3, &kFieldsV11[444]},  // ProducerId
    {124, 1, &kFieldsV11[447]},  // BrokerId
};
constexpr FieldSpec kFieldsV12[] = {
    {K::kConst, T::kMagic, 8}, {K::kInt, T::kWireVersion, 0}, {K::kBytes, T::kProperties, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kBrokerUrl, 0}, {K::kNestedArray, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kInt, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kNestedArray, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kByte, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kThrowable, T::kException, 0}, {K::kNested, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kNested, T::kDestination, 0}, {K::kBool, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kNested, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kNested, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kNested, T::kMessage, 0}, {K::kInt, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kDestination, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kThrowable, T::kException, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0},
    {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0},
    {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0},
    {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kString, T::kJmsCorrelationId, 0}, {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kByte, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0},
    {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kCached, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kString, T::kJmsCorrelationId, 0},
    {K::kBool, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kByte, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kBytes, T::kProperties, 0}, {K::kNested, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kBool, T::kNone, 0}, {K::kBool, T::kNone, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0},
    {K::kThrowable, T::kException, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kCorrelationId, 0}, {K::kNested, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0}, {K::kNestedArray, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0}, {K::kInt, T::kCorrelationId, 0},
    {K::kInt, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kNested, T::kDestination, 0}, {K::kNested, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kString, T::kNone, 0}, {K::kNested, T::kNone, 0},
    {K::kNested, T::kDestination, 0}, {K::kNested, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kNested, T::kNone, 0}, {K::kByte, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kCached, T::kDestination, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kBool, T::kNone, 0},
    {K::kInt, T::kCommandId, 0}, {K::kBytes, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBytes, T::kNone, 0}, {K::kInt, T::kCommandId, 0}, {K::kBool, T::kResponseRequired, 0},
    {K::kInt, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kCached, T::kNone, 0}, {K::kCached, T::kDestination, 0},
    {K::kLong, T::kNone, 0}, {K::kNested, T::kNone, 0}, {K::kCached, T::kNone, 0},
    {K::kInt, T::kNone, 0}, {K::kInt, T::kNone, 0}, {K::kInt, T::kCommandId, 0},
    {K::kBool, T::kResponseRequired, 0}, {K::kNested, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kNestedArray, T::kNone, 0}, {K::kString, T::kPhysicalName, 0}, {K::kString, T::kPhysicalName, 0},
    {K::kString, T::kPhysicalName, 0}, {K::kString, T::kPhysicalName, 0}, {K::kString, T::kNone, 0},
    {K::kCached, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kCached, T::kNone, 0}, {K::kInt, T::kNone, 0},
    {K::kBytes, T::kNone, 0}, {K::kBytes, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kString, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
    {K::kLong, T::kNone, 0}, {K::kLong, T::kNone, 0}, {K::kString, T::kNone, 0},
};
constexpr TypeSpec kTypesV12[] = {
    {1, 3, &kFieldsV12[0]},  // WireFormatInfo
    {2, 14, &kFieldsV12[3]},  // BrokerInfo
    {3, 13, &kFieldsV12[17]},  // ConnectionInfo
    {4, 3, &kFieldsV12[30]},  // SessionInfo
    {5, 21, &kFieldsV12[33]},  // ConsumerInfo
    {6, 7, &kFieldsV12[54]},  // ProducerInfo
    {7, 5, &kFieldsV12[61]},  // TransactionInfo
    {8, 7, &kFieldsV12[66]},  // DestinationInfo
    {9, 5, &kFieldsV12[73]},  // RemoveSubscriptionInfo
    {10, 2, &kFieldsV12[78]},  // KeepAliveInfo
    {11, 2, &kFieldsV12[80]},  // ShutdownInfo
    {12, 4, &kFieldsV12[82]},  // RemoveInfo
    {14, 3, &kFieldsV12[86]},  // ControlCommand
    {15, 2, &kFieldsV12[89]},  // FlushCommand
    {16, 4, &kFieldsV12[91]},  // ConnectionError
    {17, 9, &kFieldsV12[95]},  // ConsumerControl
    {18, 11, &kFieldsV12[104]},  // ConnectionControl
    {19, 4, &kFieldsV12[115]},  // ProducerAck
    {20, 7, &kFieldsV12[119]},  // MessagePull
    {21, 6, &kFieldsV12[126]},  // MessageDispatch
    {22, 10, &kFieldsV12[132]},  // MessageAck
    {23, 32, &kFieldsV12[142]},  // ActiveMQMessage
    {24, 32, &kFieldsV12[174]},  // ActiveMQBytesMessage
    {25, 32, &kFieldsV12[206]},  // ActiveMQMapMessage
    {26, 32, &kFieldsV12[238]},  // ActiveMQObjectMessage
    {27, 32, &kFieldsV12[270]},  // ActiveMQStreamMessage
    {28, 32, &kFieldsV12[302]},  // ActiveMQTextMessage
    {29, 35, &kFieldsV12[334]},  // ActiveMQBlobMessage
    {30, 3, &kFieldsV12[369]},  // Response
    {31, 4, &kFieldsV12[372]},  // ExceptionResponse
    {32, 4, &kFieldsV12[376]},  // DataResponse
    {33, 4, &kFieldsV12[380]},  // DataArrayResponse
    {34, 4, &kFieldsV12[384]},  // IntegerResponse
    {40, 2, &kFieldsV12[388]},  // DiscoveryEvent
    {50, 6, &kFieldsV12[390]},  // JournalTopicAck
    {52, 2, &kFieldsV12[396]},  // JournalQueueAck
    {53, 1, &kFieldsV12[398]},  // JournalTrace
    {54, 3, &kFieldsV12[399]},  // JournalTransaction
    {55, 6, &kFieldsV12[402]},  // SubscriptionInfo
    {60, 2, &kFieldsV12[408]},  // PartialCommand
    {61, 2, &kFieldsV12[410]},  // LastPartialCommand
    {65, 4, &kFieldsV12[412]},  // ReplayCommand
    {90, 6, &kFieldsV12[416]},  // MessageDispatchNotification
    {91, 3, &kFieldsV12[422]},  // NetworkBridgeFilter
    {92, 5, &kFieldsV12[425]},  // BrokerSubscriptionInfo
    {100, 1, &kFieldsV12[430]},  // ActiveMQQueue
    {101, 1, &kFieldsV12[431]},  // ActiveMQTopic
    {102, 1, &kFieldsV12[432]},  // ActiveMQTempQueue
    {103, 1, &kFieldsV12[433]},  // ActiveMQTempTopic
    {110, 4, &kFieldsV12[434]},  // MessageId
    {111, 2, &kFieldsV12[438]},  // LocalTransactionId
    {112, 3, &kFieldsV12[440]},  // XATransactionId
    {120, 1, &kFieldsV12[443]},  // ConnectionId
    {121, 2, &kFieldsV12[444]},  // SessionId
    {122, 3, &kFieldsV12[446]},  // ConsumerId
    {123, 3, &kFieldsV12[449]},  // ProducerId
    {124, 1, &kFieldsV12[452]},  // BrokerId
};

// The lists of one marshaller set by type, built at compile time: a lookup (once per nested object
// while walking) is one load instead of a scan of ~60 entries.
constexpr TypeTable by_type(std::span<const TypeSpec> types) {
  TypeTable t{};
  for (const TypeSpec& s : types) t[s.type] = &s;
  return t;
}
constexpr TypeTable kByTypeV1 = by_type(kTypesV1);
constexpr TypeTable kByTypeV8 = by_type(kTypesV8);
constexpr TypeTable kByTypeV9 = by_type(kTypesV9);
constexpr TypeTable kByTypeV10 = by_type(kTypesV10);
constexpr TypeTable kByTypeV11 = by_type(kTypesV11);
constexpr TypeTable kByTypeV12 = by_type(kTypesV12);

}  // namespace

// Marshaller sets in ActiveMQ's git history: v1, v8 (removed when version 10 came), v9..v12.
// Versions 2..7 (clients older than ActiveMQ 5.4) are decoded with the v8 lists, an approximation:
// their marshallers are not in the tree any more. Versions above 12 use the v12 lists.
const TypeTable& type_table(uint32_t version) {
  if (version <= 1) return kByTypeV1;
  if (version <= 8) return kByTypeV8;
  if (version == 9) return kByTypeV9;
  if (version == 10) return kByTypeV10;
  if (version == 11) return kByTypeV11;
  return kByTypeV12;
}

std::string_view type_name(uint8_t type) {
  switch (type) {
    case 1: return "WireFormatInfo";
    case 2: return "BrokerInfo";
    case 3: return "ConnectionInfo";
    case 4: return "SessionInfo";
    case 5: return "ConsumerInfo";
    case 6: return "ProducerInfo";
    case 7: return "TransactionInfo";
    case 8: return "DestinationInfo";
    case 9: return "RemoveSubscriptionInfo";
    case 10: return "KeepAliveInfo";
    case 11: return "ShutdownInfo";
    case 12: return "RemoveInfo";
    case 14: return "ControlCommand";
    case 15: return "FlushCommand";
    case 16: return "ConnectionError";
    case 17: return "ConsumerControl";
    case 18: return "ConnectionControl";
    case 19: return "ProducerAck";
    case 20: return "MessagePull";
    case 21: return "MessageDispatch";
    case 22: return "MessageAck";
    case 23: return "ActiveMQMessage";
    case 24: return "ActiveMQBytesMessage";
    case 25: return "ActiveMQMapMessage";
    case 26: return "ActiveMQObjectMessage";
    case 27: return "ActiveMQStreamMessage";
    case 28: return "ActiveMQTextMessage";
    case 29: return "ActiveMQBlobMessage";
    case 30: return "Response";
    case 31: return "ExceptionResponse";
    case 32: return "DataResponse";
    case 33: return "DataArrayResponse";
    case 34: return "IntegerResponse";
    case 40: return "DiscoveryEvent";
    case 50: return "JournalTopicAck";
    case 52: return "JournalQueueAck";
    case 53: return "JournalTrace";
    case 54: return "JournalTransaction";
    case 55: return "SubscriptionInfo";
    case 60: return "PartialCommand";
    case 61: return "LastPartialCommand";
    case 65: return "ReplayCommand";
    case 90: return "MessageDispatchNotification";
    case 91: return "NetworkBridgeFilter";
    case 92: return "BrokerSubscriptionInfo";
    case 100: return "ActiveMQQueue";
    case 101: return "ActiveMQTopic";
    case 102: return "ActiveMQTempQueue";
    case 103: return "ActiveMQTempTopic";
    case 110: return "MessageId";
    case 111: return "LocalTransactionId";
    case 112: return "XATransactionId";
    case 120: return "ConnectionId";
    case 121: return "SessionId";
    case 122: return "ConsumerId";
    case 123: return "ProducerId";
    case 124: return "BrokerId";
    default: return {};
  }
}

}  // namespace l7tap::openwire
