#include "tools/gen/proto_kafka.hpp"

namespace gen::kafka {
namespace {

// Kafka's primitive types in the classic or the flexible (compact) encoding.
struct Enc {
  Writer& w;
  bool flex;

  // STRING: int16 length; COMPACT_STRING: unsigned varint length + 1.
  void string(std::string_view s) {
    if (flex) {
      w.uvarint(s.size() + 1);
    } else {
      w.be16(static_cast<uint16_t>(s.size()));
    }
    w.text(s);
  }
  // NULLABLE_STRING with empty meaning null (-1, or 0 when compact).
  void nullable_string(std::string_view s) {
    if (!s.empty()) return string(s);
    if (flex) {
      w.u8(0);
    } else {
      w.be16(0xFFFF);
    }
  }
  // ARRAY: int32 count; COMPACT_ARRAY: unsigned varint count + 1.
  void array(std::size_t n) {
    if (flex) {
      w.uvarint(n + 1);
    } else {
      w.be32(static_cast<uint32_t>(n));
    }
  }
  void null_array() {
    if (flex) {
      w.u8(0);
    } else {
      w.be32(0xFFFFFFFFu);
    }
  }
  // BYTES / RECORDS length prefix.
  void bytes_len(uint64_t n) {
    if (flex) {
      w.uvarint(n + 1);
    } else {
      w.be32(static_cast<uint32_t>(n));
    }
  }
  // An empty tagged-field section ends every structure of a flexible version.
  void tags() {
    if (flex) w.u8(0);
  }
};

// Size prefix of the message, patched once its length is known.
struct Sized {
  Writer& w;
  uint64_t at;
  explicit Sized(Writer& wr) : w(wr), at(wr.pos()) { w.be32(0); }
  ~Sized() { w.patch_be32(at, static_cast<uint32_t>(w.pos() - at - 4)); }
};

// Request header v1 (client_id is a classic nullable string even in v2) / v2 (+ tagged fields).
void request_header(Writer& w, int16_t key, int16_t version, int32_t correlation_id, std::string_view client_id) {
  w.be16(static_cast<uint16_t>(key));
  w.be16(static_cast<uint16_t>(version));
  w.be32(static_cast<uint32_t>(correlation_id));
  Enc{w, false}.nullable_string(client_id);
  if (flexible(key, version)) w.u8(0);
}

// Response header v0 / v1 (+ tagged fields for flexible versions, except ApiVersions).
void response_header(Writer& w, int16_t key, int16_t version, int32_t correlation_id) {
  w.be32(static_cast<uint32_t>(correlation_id));
  if (key != kApiVersions && flexible(key, version)) w.u8(0);
}

// One record (protocol guide, "Record"): everything after its varint length.
void record_body(Writer& w, const Record& r, int32_t offset_delta) {
  w.u8(0);  // attributes (unused)
  w.svarint(r.timestamp_delta);
  w.svarint(offset_delta);
  if (r.null_key) {
    w.svarint(-1);
  } else {
    w.svarint(static_cast<int64_t>(r.key.size()));
    w.bytes(r.key);
  }
  w.svarint(static_cast<int64_t>(r.value.size()));
  w.bytes(r.value);
  w.svarint(static_cast<int64_t>(r.headers.size()));
  for (const RecordHeader& h : r.headers) {
    w.svarint(static_cast<int64_t>(h.key.size()));
    w.text(h.key);
    w.svarint(static_cast<int64_t>(h.value.size()));
    w.bytes(h.value);
  }
}

}  // namespace

bool flexible(int16_t api_key, int16_t version) {
  switch (api_key) {
    case kProduce: return version >= 9;
    case kFetch: return version >= 12;
    case kMetadata: return version >= 9;
    case kApiVersions: return version >= 3;
    default: return false;
  }
}

void record_batch(Writer& w, const RecordBatch& b) {
  int64_t max_delta = 0;
  for (const Record& r : b.records) max_delta = r.timestamp_delta > max_delta ? r.timestamp_delta : max_delta;
  w.be64(static_cast<uint64_t>(b.base_offset));
  const uint64_t length_at = w.pos();
  w.be32(0);  // batchLength: the bytes after this field
  w.be32(static_cast<uint32_t>(b.partition_leader_epoch));
  w.u8(2);  // magic
  const uint64_t crc_at = w.pos();
  w.be32(0);
  // The CRC covers attributes through the end of the batch. It is only computed when this writer
  // keeps the CRC field: a window over a later part of a large batch skips the pass.
  const bool crc = w.covers(crc_at, 4);
  if (crc) w.crc_start();
  w.be16(0);  // attributes: no compression, CreateTime, not transactional, not control
  w.be32(static_cast<uint32_t>(b.records.empty() ? 0 : b.records.size() - 1));  // lastOffsetDelta
  w.be64(static_cast<uint64_t>(b.base_timestamp));
  w.be64(static_cast<uint64_t>(b.base_timestamp + max_delta));
  w.be64(static_cast<uint64_t>(b.producer_id));
  w.be16(static_cast<uint16_t>(b.producer_epoch));
  w.be32(static_cast<uint32_t>(b.base_sequence));
  w.be32(static_cast<uint32_t>(b.records.size()));
  int32_t delta = 0;
  for (const Record& r : b.records) {
    const int32_t d = delta++;
    w.svarint(static_cast<int64_t>(measure([&](Writer& c) { record_body(c, r, d); })));
    record_body(w, r, d);
  }
  if (crc) w.patch_be32(crc_at, w.crc_stop());
  w.patch_be32(length_at, static_cast<uint32_t>(w.pos() - length_at - 4));
}

void api_versions_request(Writer& w, int16_t version, int32_t correlation_id, std::string_view client_id,
                          std::string_view software_name, std::string_view software_version) {
  Sized s(w);
  request_header(w, kApiVersions, version, correlation_id, client_id);
  if (version >= 3) {
    Enc e{w, true};
    e.string(software_name);
    e.string(software_version);
    e.tags();
  }
}

void api_versions_response(Writer& w, int16_t version, int32_t correlation_id, int16_t error_code,
                           std::span<const ApiVersionRange> apis) {
  Sized s(w);
  response_header(w, kApiVersions, version, correlation_id);
  Enc e{w, flexible(kApiVersions, version)};
  w.be16(static_cast<uint16_t>(error_code));
  e.array(apis.size());
  for (const ApiVersionRange& a : apis) {
    w.be16(static_cast<uint16_t>(a.api_key));
    w.be16(static_cast<uint16_t>(a.min_version));
    w.be16(static_cast<uint16_t>(a.max_version));
    e.tags();
  }
  if (version >= 1) w.be32(0);  // throttle_time_ms
  e.tags();
}

void metadata_request(Writer& w, const MetadataRequest& r) {
  Sized s(w);
  request_header(w, kMetadata, r.version, r.correlation_id, r.client_id);
  Enc e{w, flexible(kMetadata, r.version)};
  e.array(r.topics.size());
  for (std::string_view t : r.topics) {
    e.string(t);
    e.tags();
  }
  if (r.version >= 4) w.u8(r.allow_auto_topic_creation ? 1 : 0);
  if (r.version >= 8) {
    w.u8(0);  // include_cluster_authorized_operations (v8-v10)
    w.u8(0);  // include_topic_authorized_operations
  }
  e.tags();
}

void metadata_response(Writer& w, const MetadataResponse& r) {
  Sized s(w);
  response_header(w, kMetadata, r.version, r.correlation_id);
  Enc e{w, flexible(kMetadata, r.version)};
  const int16_t v = r.version;
  if (v >= 3) w.be32(0);  // throttle_time_ms
  e.array(r.brokers.size());
  for (const Broker& b : r.brokers) {
    w.be32(static_cast<uint32_t>(b.node_id));
    e.string(b.host);
    w.be32(static_cast<uint32_t>(b.port));
    e.nullable_string(b.rack);
    e.tags();
  }
  if (v >= 2) e.nullable_string(r.cluster_id);
  w.be32(static_cast<uint32_t>(r.controller_id));
  e.array(r.topics.size());
  for (std::string_view t : r.topics) {
    w.be16(static_cast<uint16_t>(r.topic_error));
    e.string(t);
    w.u8(0);  // is_internal
    e.array(r.topic_error != 0 ? 0 : static_cast<std::size_t>(r.partitions));
    for (int32_t p = 0; r.topic_error == 0 && p < r.partitions; ++p) {
      const int32_t leader = r.brokers.empty() ? -1 : r.brokers[static_cast<std::size_t>(p) % r.brokers.size()].node_id;
      w.be16(0);
      w.be32(static_cast<uint32_t>(p));
      w.be32(static_cast<uint32_t>(leader));
      if (v >= 7) w.be32(0);  // leader_epoch
      for (int list = 0; list < 2; ++list) {  // replica_nodes, isr_nodes: the leader only
        e.array(1);
        w.be32(static_cast<uint32_t>(leader));
      }
      if (v >= 5) e.array(0);  // offline_replicas
      e.tags();
    }
    if (v >= 8) w.be32(0x80000000u);  // topic_authorized_operations: not requested
    e.tags();
  }
  if (v >= 8) w.be32(0x80000000u);  // cluster_authorized_operations (v8-v10)
  e.tags();
}

void produce_request(Writer& w, const ProduceRequest& r) {
  Sized s(w);
  request_header(w, kProduce, r.version, r.correlation_id, r.client_id);
  Enc e{w, flexible(kProduce, r.version)};
  e.nullable_string(r.transactional_id);  // v3+
  w.be16(static_cast<uint16_t>(r.acks));
  w.be32(static_cast<uint32_t>(r.timeout_ms));
  e.array(1);  // topic_data
  e.string(r.topic);
  e.array(1);  // partition_data
  w.be32(static_cast<uint32_t>(r.partition));
  e.bytes_len(measure([&](Writer& c) { record_batch(c, r.batch); }));
  record_batch(w, r.batch);
  e.tags();  // partition
  e.tags();  // topic
  e.tags();  // request
}

void produce_response(Writer& w, const ProduceResponse& r) {
  Sized s(w);
  response_header(w, kProduce, r.version, r.correlation_id);
  Enc e{w, flexible(kProduce, r.version)};
  e.array(1);
  e.string(r.topic);
  e.array(1);
  w.be32(static_cast<uint32_t>(r.partition));
  w.be16(static_cast<uint16_t>(r.error_code));
  w.be64(static_cast<uint64_t>(r.base_offset));
  w.be64(static_cast<uint64_t>(r.log_append_time_ms));  // v2+
  if (r.version >= 5) w.be64(static_cast<uint64_t>(r.log_start_offset));
  if (r.version >= 8) {
    e.array(0);  // record_errors
    e.nullable_string(r.error_message);
  }
  e.tags();  // partition
  e.tags();  // topic
  w.be32(static_cast<uint32_t>(r.throttle_time_ms));
  e.tags();
}

void fetch_request(Writer& w, const FetchRequest& r) {
  Sized s(w);
  request_header(w, kFetch, r.version, r.correlation_id, r.client_id);
  const int16_t v = r.version;
  Enc e{w, false};  // versions 4-11 are not flexible
  w.be32(0xFFFFFFFFu);  // replica_id: -1, a consumer
  w.be32(static_cast<uint32_t>(r.max_wait_ms));
  w.be32(static_cast<uint32_t>(r.min_bytes));
  w.be32(static_cast<uint32_t>(r.max_bytes));  // v3+
  w.u8(static_cast<uint8_t>(r.isolation_level));  // v4+
  if (v >= 7) {
    w.be32(static_cast<uint32_t>(r.session_id));
    w.be32(static_cast<uint32_t>(r.session_epoch));
  }
  e.array(1);
  e.string(r.topic);
  e.array(1);
  w.be32(static_cast<uint32_t>(r.partition));
  if (v >= 9) w.be32(static_cast<uint32_t>(r.current_leader_epoch));
  w.be64(static_cast<uint64_t>(r.fetch_offset));
  if (v >= 5) w.be64(static_cast<uint64_t>(r.log_start_offset));
  w.be32(static_cast<uint32_t>(r.partition_max_bytes));
  if (v >= 7) e.array(0);  // forgotten_topics_data
  if (v >= 11) e.string(r.rack_id);
}

void fetch_response(Writer& w, const FetchResponse& r) {
  Sized s(w);
  response_header(w, kFetch, r.version, r.correlation_id);
  const int16_t v = r.version;
  Enc e{w, false};
  w.be32(static_cast<uint32_t>(r.throttle_time_ms));  // v1+
  if (v >= 7) {
    w.be16(static_cast<uint16_t>(r.error_code));
    w.be32(static_cast<uint32_t>(r.session_id));
  }
  e.array(1);
  e.string(r.topic);
  e.array(1);
  w.be32(static_cast<uint32_t>(r.partition));
  w.be16(static_cast<uint16_t>(r.partition_error));
  w.be64(static_cast<uint64_t>(r.high_watermark));
  w.be64(static_cast<uint64_t>(r.last_stable_offset));  // v4+
  if (v >= 5) w.be64(static_cast<uint64_t>(r.log_start_offset));
  e.null_array();  // aborted_transactions: none (read_uncommitted)
  if (v >= 11) w.be32(0xFFFFFFFFu);  // preferred_read_replica: -1
  if (r.records == nullptr) {
    e.bytes_len(0);
    return;
  }
  e.bytes_len(measure([&](Writer& c) { record_batch(c, *r.records); }));
  record_batch(w, *r.records);
}

}  // namespace gen::kafka
