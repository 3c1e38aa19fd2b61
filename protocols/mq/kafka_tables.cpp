// Kafka protocol tables: API key names with their newest version and first flexible version, and
// the error code table. Facts taken from the Kafka protocol's message definitions
// (clients/src/main/resources/common/message/*Request.json: apiKey, validVersions,
// flexibleVersions) and its error code table (https://kafka.apache.org/protocol#protocol_error_codes),
// as of Kafka 3.9.
#include "protocols/mq/kafka_tables.hpp"

#include <array>

namespace l7tap {
namespace {

// Indexed by API key; first_flexible = -1 when no version uses the flexible encoding.
constexpr std::array<KafkaApiInfo, 88> kApis{{
    {"Produce", 11, 9},  // 0
    {"Fetch", 17, 12},  // 1
    {"ListOffsets", 10, 6},  // 2
    {"Metadata", 12, 9},  // 3
    {"LeaderAndIsr", 7, 4},  // 4
    {"StopReplica", 4, 2},  // 5
    {"UpdateMetadata", 8, 6},  // 6
    {"ControlledShutdown", 3, 3},  // 7
    {"OffsetCommit", 9, 8},  // 8
    {"OffsetFetch", 9, 6},  // 9
    {"FindCoordinator", 6, 3},  // 10
    {"JoinGroup", 9, 6},  // 11
    {"Heartbeat", 4, 4},  // 12
    {"LeaveGroup", 5, 4},  // 13
    {"SyncGroup", 5, 4},  // 14
    {"DescribeGroups", 5, 5},  // 15
    {"ListGroups", 5, 3},  // 16
    {"SaslHandshake", 1, -1},  // 17
    {"ApiVersions", 4, 3},  // 18
    {"CreateTopics", 7, 5},  // 19
    {"DeleteTopics", 6, 4},  // 20
    {"DeleteRecords", 2, 2},  // 21
    {"InitProducerId", 5, 2},  // 22
    {"OffsetForLeaderEpoch", 4, 4},  // 23
    {"AddPartitionsToTxn", 5, 3},  // 24
    {"AddOffsetsToTxn", 4, 3},  // 25
    {"EndTxn", 5, 3},  // 26
    {"WriteTxnMarkers", 1, 1},  // 27
    {"TxnOffsetCommit", 4, 3},  // 28
    {"DescribeAcls", 3, 2},  // 29
    {"CreateAcls", 3, 2},  // 30
    {"DeleteAcls", 3, 2},  // 31
    {"DescribeConfigs", 4, 4},  // 32
    {"AlterConfigs", 2, 2},  // 33
    {"AlterReplicaLogDirs", 2, 2},  // 34
    {"DescribeLogDirs", 4, 2},  // 35
    {"SaslAuthenticate", 2, 2},  // 36
    {"CreatePartitions", 3, 2},  // 37
    {"CreateDelegationToken", 3, 2},  // 38
    {"RenewDelegationToken", 2, 2},  // 39
    {"ExpireDelegationToken", 2, 2},  // 40
    {"DescribeDelegationToken", 3, 2},  // 41
    {"DeleteGroups", 2, 2},  // 42
    {"ElectLeaders", 2, 2},  // 43
    {"IncrementalAlterConfigs", 1, 1},  // 44
    {"AlterPartitionReassignments", 0, 0},  // 45
    {"ListPartitionReassignments", 0, 0},  // 46
    {"OffsetDelete", 0, -1},  // 47
    {"DescribeClientQuotas", 1, 1},  // 48
    {"AlterClientQuotas", 1, 1},  // 49
    {"DescribeUserScramCredentials", 0, 0},  // 50
    {"AlterUserScramCredentials", 0, 0},  // 51
    {"Vote", 1, 0},  // 52
    {"BeginQuorumEpoch", 1, 1},  // 53
    {"EndQuorumEpoch", 1, 1},  // 54
    {"DescribeQuorum", 2, 0},  // 55
    {"AlterPartition", 3, 0},  // 56
    {"UpdateFeatures", 2, 0},  // 57
    {"Envelope", 0, 0},  // 58
    {"FetchSnapshot", 1, 0},  // 59
    {"DescribeCluster", 1, 0},  // 60
    {"DescribeProducers", 0, 0},  // 61
    {"BrokerRegistration", 4, 0},  // 62
    {"BrokerHeartbeat", 1, 0},  // 63
    {"UnregisterBroker", 0, 0},  // 64
    {"DescribeTransactions", 0, 0},  // 65
    {"ListTransactions", 1, 0},  // 66
    {"AllocateProducerIds", 0, 0},  // 67
    {"ConsumerGroupHeartbeat", 1, 0},  // 68
    {"ConsumerGroupDescribe", 0, 0},  // 69
    {"ControllerRegistration", 0, 0},  // 70
    {"GetTelemetrySubscriptions", 0, 0},  // 71
    {"PushTelemetry", 0, 0},  // 72
    {"AssignReplicasToDirs", 0, 0},  // 73
    {"ListClientMetricsResources", 0, 0},  // 74
    {"DescribeTopicPartitions", 0, 0},  // 75
    {"ShareGroupHeartbeat", 0, 0},  // 76
    {"ShareGroupDescribe", 0, 0},  // 77
    {"ShareFetch", 0, 0},  // 78
    {"ShareAcknowledge", 0, 0},  // 79
    {"AddRaftVoter", 0, 0},  // 80
    {"RemoveRaftVoter", 0, 0},  // 81
    {"UpdateRaftVoter", 0, 0},  // 82
    {"InitializeShareGroupState", 0, 0},  // 83
    {"ReadShareGroupState", 0, 0},  // 84
    {"WriteShareGroupState", 0, 0},  // 85
    {"DeleteShareGroupState", 0, 0},  // 86
    {"ReadShareGroupStateSummary", 0, 0},  // 87
}};

// Indexed by error code + 1 (code -1 first); empty for NONE (0).
constexpr std::array<std::string_view, 130> kErrors{{
    "The server experienced an unexpected error when processing the request.",  // -1 UNKNOWN_SERVER_ERROR
    "",  // 0 NONE
    "The requested offset is not within the range of offsets maintained by the server.",  // 1 OFFSET_OUT_OF_RANGE
    "This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt.",  // 2 CORRUPT_MESSAGE
    "This server does not host this topic-partition.",  // 3 UNKNOWN_TOPIC_OR_PARTITION
    "The requested fetch size is invalid.",  // 4 INVALID_FETCH_SIZE
    "There is no leader for this topic-partition as we are in the middle of a leadership election.",  // 5 LEADER_NOT_AVAILABLE
    "For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition.",  // 6 NOT_LEADER_OR_FOLLOWER
    "The request timed out.",  // 7 REQUEST_TIMED_OUT
    "The broker is not available.",  // 8 BROKER_NOT_AVAILABLE
    "The replica is not available for the requested topic-partition. Produce/Fetch requests and other requests intended only for the leader or follower return NOT_LEADER_OR_FOLLOWER if the broker is not a replica of the topic-partition.",  // 9 REPLICA_NOT_AVAILABLE
    "The request included a message larger than the max message size the server will accept.",  // 10 MESSAGE_TOO_LARGE
    "The controller moved to another broker.",  // 11 STALE_CONTROLLER_EPOCH
    "The metadata field of the offset request was too large.",  // 12 OFFSET_METADATA_TOO_LARGE
    "The server disconnected before a response was received.",  // 13 NETWORK_EXCEPTION
    "The coordinator is loading and hence can't process requests.",  // 14 COORDINATOR_LOAD_IN_PROGRESS
    "The coordinator is not available.",  // 15 COORDINATOR_NOT_AVAILABLE
    "This is not the correct coordinator.",  // 16 NOT_COORDINATOR
    "The request attempted to perform an operation on an invalid topic.",  // 17 INVALID_TOPIC_EXCEPTION
    "The request included message batch larger than the configured segment size on the server.",  // 18 RECORD_LIST_TOO_LARGE
    "Messages are rejected since there are fewer in-sync replicas than required.",  // 19 NOT_ENOUGH_REPLICAS
    "Messages are written to the log, but to fewer in-sync replicas than required.",  // 20 NOT_ENOUGH_REPLICAS_AFTER_APPEND
    "Produce request specified an invalid value for required acks.",  // 21 INVALID_REQUIRED_ACKS
    "Specified group generation id is not valid.",  // 22 ILLEGAL_GENERATION
    "The group member's supported protocols are incompatible with those of existing members or first group member tried to join with empty protocol type or empty protocol list.",  // 23 INCONSISTENT_GROUP_PROTOCOL
    "The configured groupId is invalid.",  // 24 INVALID_GROUP_ID
    "The coordinator is not aware of this member.",  // 25 UNKNOWN_MEMBER_ID
    "The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms).",  // 26 INVALID_SESSION_TIMEOUT
    "The group is rebalancing, so a rejoin is needed.",  // 27 REBALANCE_IN_PROGRESS
    "The committing offset data size is not valid.",  // 28 INVALID_COMMIT_OFFSET_SIZE
    "Topic authorization failed.",  // 29 TOPIC_AUTHORIZATION_FAILED
    "Group authorization failed.",  // 30 GROUP_AUTHORIZATION_FAILED
    "Cluster authorization failed.",  // 31 CLUSTER_AUTHORIZATION_FAILED
    "The timestamp of the message is out of acceptable range.",  // 32 INVALID_TIMESTAMP
    "The broker does not support the requested SASL mechanism.",  // 33 UNSUPPORTED_SASL_MECHANISM
    "Request is not valid given the current SASL state.",  // 34 ILLEGAL_SASL_STATE
    "The version of API is not supported.",  // 35 UNSUPPORTED_VERSION
    "Topic with this name already exists.",  // 36 TOPIC_ALREADY_EXISTS
    "Number of partitions is below 1.",  // 37 INVALID_PARTITIONS
    "Replication factor is below 1 or larger than the number of available brokers.",  // 38 INVALID_REPLICATION_FACTOR
    "Replica assignment is invalid.",  // 39 INVALID_REPLICA_ASSIGNMENT
    "Configuration is invalid.",  // 40 INVALID_CONFIG
    "This is not the correct controller for this cluster.",  // 41 NOT_CONTROLLER
    "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.",  // 42 INVALID_REQUEST
    "The message format version on the broker does not support the request.",  // 43 UNSUPPORTED_FOR_MESSAGE_FORMAT
    "Request parameters do not satisfy the configured policy.",  // 44 POLICY_VIOLATION
    "The broker received an out of order sequence number.",  // 45 OUT_OF_ORDER_SEQUENCE_NUMBER
    "The broker received a duplicate sequence number.",  // 46 DUPLICATE_SEQUENCE_NUMBER
    "Producer attempted to produce with an old epoch.",  // 47 INVALID_PRODUCER_EPOCH
    "The producer attempted a transactional operation in an invalid state.",  // 48 INVALID_TXN_STATE
    "The producer attempted to use a producer id which is not currently assigned to its transactional id.",  // 49 INVALID_PRODUCER_ID_MAPPING
    "The transaction timeout is larger than the maximum value allowed by the broker (as configured by transaction.max.timeout.ms).",  // 50 INVALID_TRANSACTION_TIMEOUT
    "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing.",  // 51 CONCURRENT_TRANSACTIONS
    "Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer.",  // 52 TRANSACTION_COORDINATOR_FENCED
    "Transactional Id authorization failed.",  // 53 TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    "Security features are disabled.",  // 54 SECURITY_DISABLED
    "The broker did not attempt to execute this operation. This may happen for batched RPCs where some operations in the batch failed, causing the broker to respond without trying the rest.",  // 55 OPERATION_NOT_ATTEMPTED
    "Disk error when trying to access log file on the disk.",  // 56 KAFKA_STORAGE_ERROR
    "The user-specified log directory is not found in the broker config.",  // 57 LOG_DIR_NOT_FOUND
    "SASL Authentication failed.",  // 58 SASL_AUTHENTICATION_FAILED
    "This exception is raised by the broker if it could not locate the producer metadata associated with the producerId in question. This could happen if, for instance, the producer's records were deleted because their retention time had elapsed. Once the last records of the producerId are removed, the producer's metadata is removed from the broker, and future appends by the producer will return this exception.",  // 59 UNKNOWN_PRODUCER_ID
    "A partition reassignment is in progress.",  // 60 REASSIGNMENT_IN_PROGRESS
    "Delegation Token feature is not enabled.",  // 61 DELEGATION_TOKEN_AUTH_DISABLED
    "Delegation Token is not found on server.",  // 62 DELEGATION_TOKEN_NOT_FOUND
    "Specified Principal is not valid Owner/Renewer.",  // 63 DELEGATION_TOKEN_OWNER_MISMATCH
    "Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on delegation token authenticated channels.",  // 64 DELEGATION_TOKEN_REQUEST_NOT_ALLOWED
    "Delegation Token authorization failed.",  // 65 DELEGATION_TOKEN_AUTHORIZATION_FAILED
    "Delegation Token is expired.",  // 66 DELEGATION_TOKEN_EXPIRED
    "Supplied principalType is not supported.",  // 67 INVALID_PRINCIPAL_TYPE
    "The group is not empty.",  // 68 NON_EMPTY_GROUP
    "The group id does not exist.",  // 69 GROUP_ID_NOT_FOUND
    "The fetch session ID was not found.",  // 70 FETCH_SESSION_ID_NOT_FOUND
    "The fetch session epoch is invalid.",  // 71 INVALID_FETCH_SESSION_EPOCH
    "There is no listener on the leader broker that matches the listener on which metadata request was processed.",  // 72 LISTENER_NOT_FOUND
    "Topic deletion is disabled.",  // 73 TOPIC_DELETION_DISABLED
    "The leader epoch in the request is older than the epoch on the broker.",  // 74 FENCED_LEADER_EPOCH
    "The leader epoch in the request is newer than the epoch on the broker.",  // 75 UNKNOWN_LEADER_EPOCH
    "The requesting client does not support the compression type of given partition.",  // 76 UNSUPPORTED_COMPRESSION_TYPE
    "Broker epoch has changed.",  // 77 STALE_BROKER_EPOCH
    "The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing.",  // 78 OFFSET_NOT_AVAILABLE
    "The group member needs to have a valid member id before actually entering a consumer group.",  // 79 MEMBER_ID_REQUIRED
    "The preferred leader was not available.",  // 80 PREFERRED_LEADER_NOT_AVAILABLE
    "The consumer group has reached its max size.",  // 81 GROUP_MAX_SIZE_REACHED
    "The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id.",  // 82 FENCED_INSTANCE_ID
    "Eligible topic partition leaders are not available.",  // 83 ELIGIBLE_LEADERS_NOT_AVAILABLE
    "Leader election not needed for topic partition.",  // 84 ELECTION_NOT_NEEDED
    "No partition reassignment is in progress.",  // 85 NO_REASSIGNMENT_IN_PROGRESS
    "Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it.",  // 86 GROUP_SUBSCRIBED_TO_TOPIC
    "This record has failed the validation on broker and hence will be rejected.",  // 87 INVALID_RECORD
    "There are unstable offsets that need to be cleared.",  // 88 UNSTABLE_OFFSET_COMMIT
    "The throttling quota has been exceeded.",  // 89 THROTTLING_QUOTA_EXCEEDED
    "There is a newer producer with the same transactionalId which fences the current one.",  // 90 PRODUCER_FENCED
    "A request illegally referred to a resource that does not exist.",  // 91 RESOURCE_NOT_FOUND
    "A request illegally referred to the same resource twice.",  // 92 DUPLICATE_RESOURCE
    "Requested credential would not meet criteria for acceptability.",  // 93 UNACCEPTABLE_CREDENTIAL
    "Indicates that the either the sender or recipient of a voter-only request is not one of the expected voters.",  // 94 INCONSISTENT_VOTER_SET
    "The given update version was invalid.",  // 95 INVALID_UPDATE_VERSION
    "Unable to update finalized features due to an unexpected server error.",  // 96 FEATURE_UPDATE_FAILED
    "Request principal deserialization failed during forwarding. This indicates an internal error on the broker cluster security setup.",  // 97 PRINCIPAL_DESERIALIZATION_FAILURE
    "Requested snapshot was not found.",  // 98 SNAPSHOT_NOT_FOUND
    "Requested position is not greater than or equal to zero, and less than the size of the snapshot.",  // 99 POSITION_OUT_OF_RANGE
    "This server does not host this topic ID.",  // 100 UNKNOWN_TOPIC_ID
    "This broker ID is already in use.",  // 101 DUPLICATE_BROKER_REGISTRATION
    "The given broker ID was not registered.",  // 102 BROKER_ID_NOT_REGISTERED
    "The log's topic ID did not match the topic ID in the request.",  // 103 INCONSISTENT_TOPIC_ID
    "The clusterId in the request does not match that found on the server.",  // 104 INCONSISTENT_CLUSTER_ID
    "The transactionalId could not be found.",  // 105 TRANSACTIONAL_ID_NOT_FOUND
    "The fetch session encountered inconsistent topic ID usage.",  // 106 FETCH_SESSION_TOPIC_ID_ERROR
    "The new ISR contains at least one ineligible replica.",  // 107 INELIGIBLE_REPLICA
    "The AlterPartition request successfully updated the partition state but the leader has changed.",  // 108 NEW_LEADER_ELECTED
    "The requested offset is moved to tiered storage.",  // 109 OFFSET_MOVED_TO_TIERED_STORAGE
    "The member epoch is fenced by the group coordinator. The member must abandon all its partitions and rejoin.",  // 110 FENCED_MEMBER_EPOCH
    "The instance ID is still used by another member in the consumer group. That member must leave first.",  // 111 UNRELEASED_INSTANCE_ID
    "The assignor or its version range is not supported by the consumer group.",  // 112 UNSUPPORTED_ASSIGNOR
    "The member epoch is stale. The member must retry after receiving its updated member epoch via the ConsumerGroupHeartbeat API.",  // 113 STALE_MEMBER_EPOCH
    "The request was sent to an endpoint of the wrong type.",  // 114 MISMATCHED_ENDPOINT_TYPE
    "This endpoint type is not supported yet.",  // 115 UNSUPPORTED_ENDPOINT_TYPE
    "This controller ID is not known.",  // 116 UNKNOWN_CONTROLLER_ID
    "Client sent a push telemetry request with an invalid or outdated subscription ID.",  // 117 UNKNOWN_SUBSCRIPTION_ID
    "Client sent a push telemetry request larger than the maximum size the broker will accept.",  // 118 TELEMETRY_TOO_LARGE
    "The controller has considered the broker registration to be invalid.",  // 119 INVALID_REGISTRATION
    "The server encountered an error with the transaction. The client can abort the transaction to continue using this transactional ID.",  // 120 TRANSACTION_ABORTABLE
    "The record state is invalid. The acknowledgement of delivery could not be completed.",  // 121 INVALID_RECORD_STATE
    "The share session was not found.",  // 122 SHARE_SESSION_NOT_FOUND
    "The share session epoch is invalid.",  // 123 INVALID_SHARE_SESSION_EPOCH
    "The share coordinator rejected the request because the share-group state epoch did not match.",  // 124 FENCED_STATE_EPOCH
    "The voter key doesn't match the receiving replica's key.",  // 125 INVALID_VOTER_KEY
    "The voter is already part of the set of voters.",  // 126 DUPLICATE_VOTER
    "The voter is not part of the set of voters.",  // 127 VOTER_NOT_FOUND
    "The regular expression is not valid.",  // 128 INVALID_REGULAR_EXPRESSION
}};

// APIs whose response starts with a top-level error code, at a fixed offset: after nothing, or
// after throttle_time_ms (int32) from `throttle_from` on (127: never). Derived from the
// *Response.json definitions: the versions where ErrorCode is a top-level field preceded only by
// ThrottleTimeMs. Produce, Fetch, JoinGroup, LeaveGroup, SyncGroup and ApiVersions are decoded in
// full by the parser and are not listed; APIs with per-topic/per-resource errors only have no row.
struct TopError {
  int16_t api_key;
  int8_t first_version, last_version;
  int8_t throttle_from;
};
constexpr TopError kTopErrors[] = {
    {4, 0, 7, 127},  // LeaderAndIsr
    {5, 0, 4, 127},  // StopReplica
    {6, 0, 8, 127},  // UpdateMetadata
    {7, 0, 3, 127},  // ControlledShutdown
    {10, 0, 3, 1},  // FindCoordinator
    {12, 0, 4, 1},  // Heartbeat
    {16, 0, 5, 1},  // ListGroups
    {17, 0, 1, 127},  // SaslHandshake
    {22, 0, 5, 0},  // InitProducerId
    {24, 4, 5, 4},  // AddPartitionsToTxn
    {25, 0, 4, 0},  // AddOffsetsToTxn
    {26, 0, 5, 0},  // EndTxn
    {29, 0, 3, 0},  // DescribeAcls
    {35, 3, 4, 3},  // DescribeLogDirs
    {36, 0, 2, 127},  // SaslAuthenticate
    {38, 0, 3, 127},  // CreateDelegationToken
    {39, 0, 2, 127},  // RenewDelegationToken
    {40, 0, 2, 127},  // ExpireDelegationToken
    {41, 0, 3, 127},  // DescribeDelegationToken
    {43, 1, 2, 1},  // ElectLeaders
    {45, 0, 0, 0},  // AlterPartitionReassignments
    {46, 0, 0, 0},  // ListPartitionReassignments
    {47, 0, 0, 127},  // OffsetDelete
    {48, 0, 1, 0},  // DescribeClientQuotas
    {50, 0, 0, 0},  // DescribeUserScramCredentials
    {52, 0, 1, 127},  // Vote
    {53, 0, 1, 127},  // BeginQuorumEpoch
    {54, 0, 1, 127},  // EndQuorumEpoch
    {55, 0, 2, 127},  // DescribeQuorum
    {56, 0, 3, 0},  // AlterPartition
    {57, 0, 2, 0},  // UpdateFeatures
    {59, 0, 1, 0},  // FetchSnapshot
    {60, 0, 1, 0},  // DescribeCluster
    {62, 0, 4, 0},  // BrokerRegistration
    {63, 0, 1, 0},  // BrokerHeartbeat
    {64, 0, 0, 0},  // UnregisterBroker
    {66, 0, 1, 0},  // ListTransactions
    {67, 0, 0, 0},  // AllocateProducerIds
    {68, 0, 1, 0},  // ConsumerGroupHeartbeat
    {70, 0, 0, 0},  // ControllerRegistration
    {71, 0, 0, 0},  // GetTelemetrySubscriptions
    {72, 0, 0, 0},  // PushTelemetry
    {73, 0, 0, 0},  // AssignReplicasToDirs
    {74, 0, 0, 0},  // ListClientMetricsResources
    {76, 0, 0, 0},  // ShareGroupHeartbeat
    {78, 0, 0, 0},  // ShareFetch
    {79, 0, 0, 0},  // ShareAcknowledge
    {80, 0, 0, 0},  // AddRaftVoter
    {81, 0, 0, 0},  // RemoveRaftVoter
    {82, 0, 0, 0},  // UpdateRaftVoter
};

}  // namespace

const KafkaApiInfo* kafka_api(int api_key) {
  if (api_key < 0 || api_key >= static_cast<int>(kApis.size())) return nullptr;
  return &kApis[static_cast<std::size_t>(api_key)];
}

int kafka_top_error_offset(int api_key, int version) {
  for (const TopError& e : kTopErrors) {
    if (e.api_key != api_key) continue;
    if (version < e.first_version || version > e.last_version) return -1;
    return version >= e.throttle_from ? 4 : 0;
  }
  return -1;
}

std::string_view kafka_error_description(int error_code) {
  if (error_code < -1 || error_code + 1 >= static_cast<int>(kErrors.size())) return {};
  return kErrors[static_cast<std::size_t>(error_code + 1)];
}

}  // namespace l7tap
