#include "tools/gen/proto_pulsar.hpp"

namespace gen::pulsar {
namespace {

constexpr uint32_t kLen = 2;  // protobuf wire type LEN

// A LEN field whose body `f(Writer&)` writes: its length is measured first.
template <class F>
void message_field(Writer& w, uint32_t field, F&& f) {
  const uint64_t n = measure(f);
  w.uvarint((uint64_t{field} << 3) | kLen);
  w.uvarint(n);
  f(w);
}

// totalSize | commandSize | BaseCommand {type, <command>} | what `extra` writes.
template <class Command, class Extra>
void frame(Writer& w, uint32_t type, Command&& command, Extra&& extra) {
  const uint64_t cmd = measure(command);
  const uint64_t tag = (uint64_t{type} << 3) | kLen;
  const uint64_t base = 1 + uvarint_size(type) + uvarint_size(tag) + uvarint_size(cmd) + cmd;
  const uint64_t rest = measure(extra);
  w.be32(static_cast<uint32_t>(4 + base + rest));
  w.be32(static_cast<uint32_t>(base));
  varint_field(w, 1, type);
  w.uvarint(tag);
  w.uvarint(cmd);
  command(w);
  extra(w);
}
template <class Command>
void frame(Writer& w, uint32_t type, Command&& command) {
  frame(w, type, command, [](Writer&) {});
}

void message_id(Writer& w, uint32_t field, MessageId id) {
  message_field(w, field, [&](Writer& x) {
    varint_field(x, 1, id.ledger);
    varint_field(x, 2, id.entry);
  });
}

// MessageMetadata {producer_name = 1, sequence_id = 2, publish_time = 3, properties = 4,
// num_messages_in_batch = 11 (batches only)}.
void metadata(Writer& w, const Metadata& m, uint64_t batch) {
  string_field(w, 1, m.producer_name);
  varint_field(w, 2, m.sequence_id);
  varint_field(w, 3, m.publish_time);
  for (const KeyValue& kv : m.properties) key_value_field(w, 4, kv);
  if (batch != 0) varint_field(w, 11, batch);
}

// 0x0e01 | CRC32C | metadataSize | MessageMetadata | payload. The checksum covers everything
// after it (metadata size, metadata, payload): computed by a first, counting pass.
template <class Meta, class Payload>
void payload_part(Writer& w, Meta&& meta, Payload&& payload) {
  const uint64_t meta_size = measure(meta);
  auto body = [&](Writer& x) {
    x.be32(static_cast<uint32_t>(meta_size));
    meta(x);
    payload(x);
  };
  Writer c = Writer::counter();
  c.crc_start();
  body(c);
  const uint32_t crc = c.crc_stop();
  w.be16(0x0e01);
  w.be32(crc);
  body(w);
}

}  // namespace

void varint_field(Writer& w, uint32_t field, uint64_t v) {
  w.uvarint(uint64_t{field} << 3);
  w.uvarint(v);
}

void string_field(Writer& w, uint32_t field, std::string_view s) {
  w.uvarint((uint64_t{field} << 3) | kLen);
  w.uvarint(s.size());
  w.text(s);
}

void key_value_field(Writer& w, uint32_t field, const KeyValue& kv) {
  message_field(w, field, [&](Writer& x) {
    string_field(x, 1, kv.key);
    string_field(x, 2, kv.value);
  });
}

void connect(Writer& w, std::string_view client_version, int32_t protocol_version, std::string_view proxy_url) {
  frame(w, kConnect, [&](Writer& x) {
    string_field(x, 1, client_version);
    varint_field(x, 4, static_cast<uint64_t>(protocol_version));
    string_field(x, 5, "none");  // auth_method_name
    if (!proxy_url.empty()) string_field(x, 6, proxy_url);
    message_field(x, 10, [](Writer& f) {  // feature_flags: auth refresh, broker entry metadata
      varint_field(f, 1, 1);
      varint_field(f, 2, 1);
    });
  });
}

void connected(Writer& w, std::string_view server_version, int32_t protocol_version, int32_t max_message_size) {
  frame(w, kConnected, [&](Writer& x) {
    string_field(x, 1, server_version);
    varint_field(x, 2, static_cast<uint64_t>(protocol_version));
    varint_field(x, 3, static_cast<uint64_t>(max_message_size));
  });
}

void partitioned_metadata(Writer& w, std::string_view topic, uint64_t request_id) {
  frame(w, kPartitionedMetadata, [&](Writer& x) {
    string_field(x, 1, topic);
    varint_field(x, 2, request_id);
  });
}

void partitioned_metadata_response(Writer& w, uint32_t partitions, uint64_t request_id, int32_t error,
                                   std::string_view message) {
  frame(w, kPartitionedMetadataResponse, [&](Writer& x) {
    if (error < 0) varint_field(x, 1, partitions);
    varint_field(x, 2, request_id);
    varint_field(x, 3, error < 0 ? 0 : 1);  // Success / Failed
    if (error >= 0) {
      varint_field(x, 4, static_cast<uint64_t>(error));
      string_field(x, 5, message);
    }
  });
}

void lookup(Writer& w, std::string_view topic, uint64_t request_id) {
  frame(w, kLookup, [&](Writer& x) {
    string_field(x, 1, topic);
    varint_field(x, 2, request_id);
    varint_field(x, 3, 0);  // authoritative = false
  });
}

void lookup_response(Writer& w, std::string_view broker_url, uint64_t request_id, int32_t error,
                     std::string_view message) {
  frame(w, kLookupResponse, [&](Writer& x) {
    if (error < 0) string_field(x, 1, broker_url);
    varint_field(x, 3, error < 0 ? 1 : 2);  // Connect / Failed
    varint_field(x, 4, request_id);
    if (error >= 0) {
      varint_field(x, 6, static_cast<uint64_t>(error));
      string_field(x, 7, message);
    }
  });
}

void producer(Writer& w, std::string_view topic, uint64_t producer_id, uint64_t request_id) {
  frame(w, kProducer, [&](Writer& x) {
    string_field(x, 1, topic);
    varint_field(x, 2, producer_id);
    varint_field(x, 3, request_id);
  });
}

void producer_success(Writer& w, uint64_t request_id, std::string_view producer_name) {
  frame(w, kProducerSuccess, [&](Writer& x) {
    varint_field(x, 1, request_id);
    string_field(x, 2, producer_name);
    varint_field(x, 3, ~0ull);  // last_sequence_id = -1 (int64, ten bytes)
  });
}

void subscribe(Writer& w, std::string_view topic, std::string_view subscription, uint32_t sub_type,
               uint64_t consumer_id, uint64_t request_id) {
  frame(w, kSubscribe, [&](Writer& x) {
    string_field(x, 1, topic);
    string_field(x, 2, subscription);
    varint_field(x, 3, sub_type);
    varint_field(x, 4, consumer_id);
    varint_field(x, 5, request_id);
  });
}

void flow(Writer& w, uint64_t consumer_id, uint32_t permits) {
  frame(w, kFlow, [&](Writer& x) {
    varint_field(x, 1, consumer_id);
    varint_field(x, 2, permits);
  });
}

void success(Writer& w, uint64_t request_id) {
  frame(w, kSuccess, [&](Writer& x) { varint_field(x, 1, request_id); });
}

void error(Writer& w, uint64_t request_id, uint32_t error, std::string_view message) {
  frame(w, kError, [&](Writer& x) {
    varint_field(x, 1, request_id);
    varint_field(x, 2, error);
    string_field(x, 3, message);
  });
}

void send(Writer& w, uint64_t producer_id, const Metadata& m, std::span<const uint8_t> payload) {
  frame(
      w, kSend,
      [&](Writer& x) {
        varint_field(x, 1, producer_id);
        varint_field(x, 2, m.sequence_id);
      },
      [&](Writer& x) {
        payload_part(x, [&](Writer& y) { metadata(y, m, 0); }, [&](Writer& y) { y.bytes(payload); });
      });
}

void send_batch(Writer& w, uint64_t producer_id, const Metadata& m, std::span<const BatchEntry> entries) {
  frame(
      w, kSend,
      [&](Writer& x) {
        varint_field(x, 1, producer_id);
        varint_field(x, 2, m.sequence_id);
        varint_field(x, 3, entries.size());  // num_messages
      },
      [&](Writer& x) {
        payload_part(
            x, [&](Writer& y) { metadata(y, m, entries.size()); },
            [&](Writer& y) {
              uint64_t seq = m.sequence_id;
              for (const BatchEntry& e : entries) {
                const uint64_t this_seq = seq++;
                auto single = [&](Writer& z) {  // SingleMessageMetadata (written twice: measured first)
                  for (const KeyValue& kv : e.properties) key_value_field(z, 1, kv);
                  varint_field(z, 3, e.payload.size());
                  varint_field(z, 8, this_seq);
                };
                y.be32(static_cast<uint32_t>(measure(single)));
                single(y);
                y.bytes(e.payload);
              }
            });
      });
}

void send_receipt(Writer& w, uint64_t producer_id, uint64_t sequence_id, MessageId id) {
  frame(w, kSendReceipt, [&](Writer& x) {
    varint_field(x, 1, producer_id);
    varint_field(x, 2, sequence_id);
    message_id(x, 3, id);
  });
}

void send_error(Writer& w, uint64_t producer_id, uint64_t sequence_id, uint32_t error, std::string_view message) {
  frame(w, kSendError, [&](Writer& x) {
    varint_field(x, 1, producer_id);
    varint_field(x, 2, sequence_id);
    varint_field(x, 3, error);
    string_field(x, 4, message);
  });
}

void message(Writer& w, uint64_t consumer_id, MessageId id, const Metadata& m, std::span<const uint8_t> payload) {
  frame(
      w, kMessage,
      [&](Writer& x) {
        varint_field(x, 1, consumer_id);
        message_id(x, 2, id);
      },
      [&](Writer& x) {
        payload_part(x, [&](Writer& y) { metadata(y, m, 0); }, [&](Writer& y) { y.bytes(payload); });
      });
}

void ack(Writer& w, uint64_t consumer_id, MessageId id) {
  frame(w, kAck, [&](Writer& x) {
    varint_field(x, 1, consumer_id);
    varint_field(x, 2, 0);  // Individual
    message_id(x, 3, id);
  });
}

void close_producer(Writer& w, uint64_t producer_id, uint64_t request_id) {
  frame(w, kCloseProducer, [&](Writer& x) {
    varint_field(x, 1, producer_id);
    varint_field(x, 2, request_id);
  });
}

void close_consumer(Writer& w, uint64_t consumer_id, uint64_t request_id) {
  frame(w, kCloseConsumer, [&](Writer& x) {
    varint_field(x, 1, consumer_id);
    varint_field(x, 2, request_id);
  });
}

void ping(Writer& w) {
  frame(w, kPing, [](Writer&) {});
}

void pong(Writer& w) {
  frame(w, kPong, [](Writer&) {});
}

}  // namespace gen::pulsar
