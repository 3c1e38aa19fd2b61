// AMQP 0-9-1 frames, written from the AMQP 0-9-1 specification (and RabbitMQ's errata for field
// table types): the protocol header, method frames (type 1), content header frames (type 2),
// content body frames (type 3) and heartbeats (type 8), each ending with the frame-end octet 0xCE
// (spec §4.2.3). Each function appends one complete frame to a Writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "tools/gen/writer.hpp"

namespace gen::amqp {

inline constexpr uint8_t kFrameMethod = 1, kFrameHeader = 2, kFrameBody = 3, kFrameHeartbeat = 8;
inline constexpr uint8_t kFrameEnd = 0xCE;
inline constexpr uint16_t kClassConnection = 10, kClassChannel = 20, kClassExchange = 40, kClassQueue = 50,
                          kClassBasic = 60;
// Reply codes (§1.9 constants).
inline constexpr uint16_t kReplySuccess = 200, kAccessRefused = 403, kNotFound = 404, kResourceLocked = 405,
                          kPreconditionFailed = 406, kNotAllowed = 530;

// A field-table entry (§4.2.5.5 with RabbitMQ's type letters: 't' boolean, 'b' int8, 's' int16,
// 'I' int32, 'l' int64, 'T' timestamp, 'S' long string, 'F' nested table, 'V' void). Numbers and
// booleans use `num`, strings `str`, tables `table`/`table_len`.
struct Field {
  std::string_view key{};
  char type = 'S';
  std::string_view str{};
  int64_t num = 0;
  const Field* table = nullptr;
  std::size_t table_len = 0;
};
using Table = std::span<const Field>;

// Argument types (§4.2.5): short string (octet length), long string (32-bit length), table.
void shortstr(Writer& w, std::string_view s);
void longstr(Writer& w, std::string_view s);
void table(Writer& w, Table fields);

// "AMQP" 0 0 9 1 (§4.2.2).
void protocol_header(Writer& w);

// A method frame: class id, method id, then the arguments `args(Writer&)` writes.
template <class F>
void method(Writer& w, uint16_t channel, uint16_t class_id, uint16_t method_id, F&& args) {
  const uint64_t size = 4 + measure(args);
  w.u8(kFrameMethod);
  w.be16(channel);
  w.be32(static_cast<uint32_t>(size));
  w.be16(class_id);
  w.be16(method_id);
  args(w);
  w.u8(kFrameEnd);
}

// Basic content properties (§1.8 class basic): only those with a value are flagged and written.
struct Properties {
  std::string_view content_type{};
  std::string_view content_encoding{};
  Table headers{};
  bool has_headers = false;
  uint8_t delivery_mode = 0;  // 0 = absent, 1 transient, 2 persistent
  uint8_t priority = 0;
  bool has_priority = false;
  std::string_view correlation_id{};
  std::string_view reply_to{};
  std::string_view expiration{};
  std::string_view message_id{};
  uint64_t timestamp = 0;  // 0 = absent
  std::string_view type{};
  std::string_view user_id{};
  std::string_view app_id{};
};
// Content header frame (§4.2.6.1): class id, weight 0, body size, property flags and list.
void content_header(Writer& w, uint16_t channel, uint64_t body_size, const Properties& p,
                    uint16_t class_id = kClassBasic);
void content_body(Writer& w, uint16_t channel, std::span<const uint8_t> body);
void heartbeat(Writer& w);

// --- the methods the generator uses (§1.4-1.8 argument lists) ---
void connection_start(Writer& w, Table server_properties, std::string_view mechanisms, std::string_view locales);
void connection_start_ok(Writer& w, Table client_properties, std::string_view mechanism, std::string_view response,
                         std::string_view locale);
void connection_tune(Writer& w, uint16_t channel_max, uint32_t frame_max, uint16_t heartbeat);
void connection_tune_ok(Writer& w, uint16_t channel_max, uint32_t frame_max, uint16_t heartbeat);
void connection_open(Writer& w, std::string_view vhost);
void connection_open_ok(Writer& w);
void connection_close(Writer& w, uint16_t reply_code, std::string_view reply_text, uint16_t class_id = 0,
                      uint16_t method_id = 0);
void connection_close_ok(Writer& w);
void channel_open(Writer& w, uint16_t channel);
void channel_open_ok(Writer& w, uint16_t channel);
void channel_close(Writer& w, uint16_t channel, uint16_t reply_code, std::string_view reply_text,
                   uint16_t class_id = 0, uint16_t method_id = 0);
void channel_close_ok(Writer& w, uint16_t channel);
void exchange_declare(Writer& w, uint16_t channel, std::string_view exchange, std::string_view type, bool durable,
                      bool passive = false);
void exchange_declare_ok(Writer& w, uint16_t channel);
void queue_declare(Writer& w, uint16_t channel, std::string_view queue, bool durable, bool passive = false,
                   bool exclusive = false, bool auto_delete = false);
void queue_declare_ok(Writer& w, uint16_t channel, std::string_view queue, uint32_t message_count,
                      uint32_t consumer_count);
void queue_bind(Writer& w, uint16_t channel, std::string_view queue, std::string_view exchange,
                std::string_view routing_key);
void queue_bind_ok(Writer& w, uint16_t channel);
void basic_qos(Writer& w, uint16_t channel, uint16_t prefetch_count);
void basic_qos_ok(Writer& w, uint16_t channel);
void basic_consume(Writer& w, uint16_t channel, std::string_view queue, std::string_view consumer_tag, bool no_ack);
void basic_consume_ok(Writer& w, uint16_t channel, std::string_view consumer_tag);
void basic_publish(Writer& w, uint16_t channel, std::string_view exchange, std::string_view routing_key,
                   bool mandatory = false);
void basic_deliver(Writer& w, uint16_t channel, std::string_view consumer_tag, uint64_t delivery_tag,
                   bool redelivered, std::string_view exchange, std::string_view routing_key);
void basic_ack(Writer& w, uint16_t channel, uint64_t delivery_tag, bool multiple = false);
void basic_get(Writer& w, uint16_t channel, std::string_view queue, bool no_ack);
void basic_get_ok(Writer& w, uint16_t channel, uint64_t delivery_tag, bool redelivered, std::string_view exchange,
                  std::string_view routing_key, uint32_t message_count);
void basic_get_empty(Writer& w, uint16_t channel);

}  // namespace gen::amqp
