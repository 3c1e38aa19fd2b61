#include "tools/gen/proto_amqp.hpp"

#include <initializer_list>

namespace gen::amqp {
namespace {

void field_value(Writer& w, const Field& f) {
  w.u8(static_cast<uint8_t>(f.type));
  switch (f.type) {
    case 't': case 'b': w.u8(static_cast<uint8_t>(f.num)); break;
    case 's': w.be16(static_cast<uint16_t>(f.num)); break;
    case 'I': w.be32(static_cast<uint32_t>(f.num)); break;
    case 'l': case 'T': w.be64(static_cast<uint64_t>(f.num)); break;
    case 'F': table(w, Table(f.table, f.table_len)); break;
    case 'V': break;
    default: longstr(w, f.str); break;  // 'S'
  }
}

// Bits of consecutive bit arguments are packed into one octet, first argument in bit 0 (§4.2.5.2).
uint8_t bits(std::initializer_list<bool> b) {
  uint8_t v = 0;
  int i = 0;
  for (bool x : b) v |= static_cast<uint8_t>((x ? 1 : 0) << i++);
  return v;
}

}  // namespace

void shortstr(Writer& w, std::string_view s) {
  const std::string_view t = s.substr(0, 255);  // a short string holds at most 255 octets
  w.u8(static_cast<uint8_t>(t.size()));
  w.text(t);
}

void longstr(Writer& w, std::string_view s) {
  w.be32(static_cast<uint32_t>(s.size()));
  w.text(s);
}

void table(Writer& w, Table fields) {
  auto body = [&](Writer& b) {
    for (const Field& f : fields) {
      shortstr(b, f.key);
      field_value(b, f);
    }
  };
  w.be32(static_cast<uint32_t>(measure(body)));
  body(w);
}

void protocol_header(Writer& w) {
  static constexpr uint8_t kHeader[8] = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};
  w.bytes(kHeader);
}

void content_header(Writer& w, uint16_t channel, uint64_t body_size, const Properties& p, uint16_t class_id) {
  uint16_t flags = 0;
  if (!p.content_type.empty()) flags |= 1u << 15;
  if (!p.content_encoding.empty()) flags |= 1u << 14;
  if (p.has_headers) flags |= 1u << 13;
  if (p.delivery_mode != 0) flags |= 1u << 12;
  if (p.has_priority) flags |= 1u << 11;
  if (!p.correlation_id.empty()) flags |= 1u << 10;
  if (!p.reply_to.empty()) flags |= 1u << 9;
  if (!p.expiration.empty()) flags |= 1u << 8;
  if (!p.message_id.empty()) flags |= 1u << 7;
  if (p.timestamp != 0) flags |= 1u << 6;
  if (!p.type.empty()) flags |= 1u << 5;
  if (!p.user_id.empty()) flags |= 1u << 4;
  if (!p.app_id.empty()) flags |= 1u << 3;
  auto payload = [&](Writer& b) {
    b.be16(class_id);
    b.be16(0);  // weight
    b.be64(body_size);
    b.be16(flags);
    if (!p.content_type.empty()) shortstr(b, p.content_type);
    if (!p.content_encoding.empty()) shortstr(b, p.content_encoding);
    if (p.has_headers) table(b, p.headers);
    if (p.delivery_mode != 0) b.u8(p.delivery_mode);
    if (p.has_priority) b.u8(p.priority);
    if (!p.correlation_id.empty()) shortstr(b, p.correlation_id);
    if (!p.reply_to.empty()) shortstr(b, p.reply_to);
    if (!p.expiration.empty()) shortstr(b, p.expiration);
    if (!p.message_id.empty()) shortstr(b, p.message_id);
    if (p.timestamp != 0) b.be64(p.timestamp);
    if (!p.type.empty()) shortstr(b, p.type);
    if (!p.user_id.empty()) shortstr(b, p.user_id);
    if (!p.app_id.empty()) shortstr(b, p.app_id);
  };
  w.u8(kFrameHeader);
  w.be16(channel);
  w.be32(static_cast<uint32_t>(measure(payload)));
  payload(w);
  w.u8(kFrameEnd);
}

void content_body(Writer& w, uint16_t channel, std::span<const uint8_t> body) {
  w.u8(kFrameBody);
  w.be16(channel);
  w.be32(static_cast<uint32_t>(body.size()));
  w.bytes(body);
  w.u8(kFrameEnd);
}

void heartbeat(Writer& w) {
  static constexpr uint8_t kHeartbeat[8] = {kFrameHeartbeat, 0, 0, 0, 0, 0, 0, kFrameEnd};
  w.bytes(kHeartbeat);
}

void connection_start(Writer& w, Table server_properties, std::string_view mechanisms, std::string_view locales) {
  method(w, 0, kClassConnection, 10, [&](Writer& a) {
    a.u8(0);  // version-major
    a.u8(9);  // version-minor
    table(a, server_properties);
    longstr(a, mechanisms);
    longstr(a, locales);
  });
}

void connection_start_ok(Writer& w, Table client_properties, std::string_view mechanism, std::string_view response,
                         std::string_view locale) {
  method(w, 0, kClassConnection, 11, [&](Writer& a) {
    table(a, client_properties);
    shortstr(a, mechanism);
    longstr(a, response);
    shortstr(a, locale);
  });
}

static void tune_method(Writer& w, uint16_t method_id, uint16_t channel_max, uint32_t frame_max, uint16_t heartbeat) {
  method(w, 0, kClassConnection, method_id, [&](Writer& a) {
    a.be16(channel_max);
    a.be32(frame_max);
    a.be16(heartbeat);
  });
}

void connection_tune(Writer& w, uint16_t channel_max, uint32_t frame_max, uint16_t heartbeat) {
  tune_method(w, 30, channel_max, frame_max, heartbeat);
}

void connection_tune_ok(Writer& w, uint16_t channel_max, uint32_t frame_max, uint16_t heartbeat) {
  tune_method(w, 31, channel_max, frame_max, heartbeat);
}

void connection_open(Writer& w, std::string_view vhost) {
  method(w, 0, kClassConnection, 40, [&](Writer& a) {
    shortstr(a, vhost);
    shortstr(a, "");  // reserved-1 (capabilities)
    a.u8(0);          // reserved-2 (insist)
  });
}

void connection_open_ok(Writer& w) {
  method(w, 0, kClassConnection, 41, [&](Writer& a) { shortstr(a, ""); });  // reserved-1 (known-hosts)
}

static void close_method(Writer& w, uint16_t channel, uint16_t class_of_close, uint16_t reply_code, std::string_view text,
                  uint16_t class_id, uint16_t method_id) {
  method(w, channel, class_of_close, 40 + (class_of_close == kClassConnection ? 10 : 0), [&](Writer& a) {
    a.be16(reply_code);
    shortstr(a, text);
    a.be16(class_id);
    a.be16(method_id);
  });
}

void connection_close(Writer& w, uint16_t reply_code, std::string_view reply_text, uint16_t class_id,
                      uint16_t method_id) {
  close_method(w, 0, kClassConnection, reply_code, reply_text, class_id, method_id);
}

void connection_close_ok(Writer& w) {
  method(w, 0, kClassConnection, 51, [](Writer&) {});
}

void channel_open(Writer& w, uint16_t channel) {
  method(w, channel, kClassChannel, 10, [&](Writer& a) { shortstr(a, ""); });  // reserved-1 (out-of-band)
}

void channel_open_ok(Writer& w, uint16_t channel) {
  method(w, channel, kClassChannel, 11, [&](Writer& a) { longstr(a, ""); });  // reserved-1 (channel-id)
}

void channel_close(Writer& w, uint16_t channel, uint16_t reply_code, std::string_view reply_text, uint16_t class_id,
                   uint16_t method_id) {
  close_method(w, channel, kClassChannel, reply_code, reply_text, class_id, method_id);
}

void channel_close_ok(Writer& w, uint16_t channel) {
  method(w, channel, kClassChannel, 41, [](Writer&) {});
}

void exchange_declare(Writer& w, uint16_t channel, std::string_view exchange, std::string_view type, bool durable,
                      bool passive) {
  method(w, channel, kClassExchange, 10, [&](Writer& a) {
    a.be16(0);  // reserved-1 (ticket)
    shortstr(a, exchange);
    shortstr(a, type);
    a.u8(bits({passive, durable, false /*auto-delete*/, false /*internal*/, false /*no-wait*/}));
    table(a, {});
  });
}

void exchange_declare_ok(Writer& w, uint16_t channel) {
  method(w, channel, kClassExchange, 11, [](Writer&) {});
}

void queue_declare(Writer& w, uint16_t channel, std::string_view queue, bool durable, bool passive, bool exclusive,
                   bool auto_delete) {
  method(w, channel, kClassQueue, 10, [&](Writer& a) {
    a.be16(0);
    shortstr(a, queue);
    a.u8(bits({passive, durable, exclusive, auto_delete, false /*no-wait*/}));
    table(a, {});
  });
}

void queue_declare_ok(Writer& w, uint16_t channel, std::string_view queue, uint32_t message_count,
                      uint32_t consumer_count) {
  method(w, channel, kClassQueue, 11, [&](Writer& a) {
    shortstr(a, queue);
    a.be32(message_count);
    a.be32(consumer_count);
  });
}

void queue_bind(Writer& w, uint16_t channel, std::string_view queue, std::string_view exchange,
                std::string_view routing_key) {
  method(w, channel, kClassQueue, 20, [&](Writer& a) {
    a.be16(0);
    shortstr(a, queue);
    shortstr(a, exchange);
    shortstr(a, routing_key);
    a.u8(0);  // no-wait
    table(a, {});
  });
}

void queue_bind_ok(Writer& w, uint16_t channel) {
  method(w, channel, kClassQueue, 21, [](Writer&) {});
}

void basic_qos(Writer& w, uint16_t channel, uint16_t prefetch_count) {
  method(w, channel, kClassBasic, 10, [&](Writer& a) {
    a.be32(0);  // prefetch-size: no limit
    a.be16(prefetch_count);
    a.u8(0);  // global
  });
}

void basic_qos_ok(Writer& w, uint16_t channel) {
  method(w, channel, kClassBasic, 11, [](Writer&) {});
}

void basic_consume(Writer& w, uint16_t channel, std::string_view queue, std::string_view consumer_tag, bool no_ack) {
  method(w, channel, kClassBasic, 20, [&](Writer& a) {
    a.be16(0);
    shortstr(a, queue);
    shortstr(a, consumer_tag);
    a.u8(bits({false /*no-local*/, no_ack, false /*exclusive*/, false /*no-wait*/}));
    table(a, {});
  });
}

void basic_consume_ok(Writer& w, uint16_t channel, std::string_view consumer_tag) {
  method(w, channel, kClassBasic, 21, [&](Writer& a) { shortstr(a, consumer_tag); });
}

void basic_publish(Writer& w, uint16_t channel, std::string_view exchange, std::string_view routing_key,
                   bool mandatory) {
  method(w, channel, kClassBasic, 40, [&](Writer& a) {
    a.be16(0);
    shortstr(a, exchange);
    shortstr(a, routing_key);
    a.u8(bits({mandatory, false /*immediate*/}));
  });
}

void basic_deliver(Writer& w, uint16_t channel, std::string_view consumer_tag, uint64_t delivery_tag,
                   bool redelivered, std::string_view exchange, std::string_view routing_key) {
  method(w, channel, kClassBasic, 60, [&](Writer& a) {
    shortstr(a, consumer_tag);
    a.be64(delivery_tag);
    a.u8(redelivered ? 1 : 0);
    shortstr(a, exchange);
    shortstr(a, routing_key);
  });
}

void basic_ack(Writer& w, uint16_t channel, uint64_t delivery_tag, bool multiple) {
  method(w, channel, kClassBasic, 80, [&](Writer& a) {
    a.be64(delivery_tag);
    a.u8(multiple ? 1 : 0);
  });
}

void basic_get(Writer& w, uint16_t channel, std::string_view queue, bool no_ack) {
  method(w, channel, kClassBasic, 70, [&](Writer& a) {
    a.be16(0);
    shortstr(a, queue);
    a.u8(no_ack ? 1 : 0);
  });
}

void basic_get_ok(Writer& w, uint16_t channel, uint64_t delivery_tag, bool redelivered, std::string_view exchange,
                  std::string_view routing_key, uint32_t message_count) {
  method(w, channel, kClassBasic, 71, [&](Writer& a) {
    a.be64(delivery_tag);
    a.u8(redelivered ? 1 : 0);
    shortstr(a, exchange);
    shortstr(a, routing_key);
    a.be32(message_count);
  });
}

void basic_get_empty(Writer& w, uint16_t channel) {
  method(w, channel, kClassBasic, 72, [&](Writer& a) { shortstr(a, ""); });  // reserved-1 (cluster-id)
}

}  // namespace gen::amqp
