#include "tools/gen/proto_mqtt.hpp"

namespace gen::mqtt {
namespace {

// Variable Byte Integer (3.1.1 §2.2.3, 5.0 §1.5.5): 7 bits per byte, least significant first.
void vbi(Writer& w, uint32_t v) {
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v != 0) b |= 0x80;
    w.u8(b);
  } while (v != 0);
}

// UTF-8 Encoded String and Binary Data: two-byte length, then the bytes (§1.5.4, §1.5.6).
void str(Writer& w, std::string_view s) {
  w.be16(static_cast<uint16_t>(s.size()));
  w.text(s);
}

// Fixed header (type and flags, Remaining Length) around a body written by `body(Writer&)`.
template <class F>
void packet(Writer& w, uint8_t first_byte, F&& body) {
  const uint64_t len = measure(body);
  w.u8(first_byte);
  vbi(w, static_cast<uint32_t>(len));
  body(w);
}

void property(Writer& w, const Property& p) {
  w.u8(p.id);  // every identifier is below 128: a one-byte Variable Byte Integer
  switch (p.id) {
    case prop::kPayloadFormat: case 0x17: case 0x19: case prop::kMaximumQos: case prop::kRetainAvailable:
    case 0x28: case 0x29: case 0x2A:
      w.u8(static_cast<uint8_t>(p.num));
      break;
    case prop::kServerKeepAlive: case prop::kReceiveMaximum: case prop::kTopicAliasMaximum: case prop::kTopicAlias:
      w.be16(static_cast<uint16_t>(p.num));
      break;
    case prop::kMessageExpiry: case prop::kSessionExpiry: case 0x18: case prop::kMaximumPacketSize:
      w.be32(p.num);
      break;
    case prop::kSubscriptionId:
      vbi(w, p.num);
      break;
    case prop::kUserProperty:
      str(w, p.str);
      str(w, p.str2);
      break;
    default:  // strings and binary data
      str(w, p.str);
      break;
  }
}

// Property Length (a Variable Byte Integer) then the properties (5.0 §2.2.2).
void properties(Writer& w, Properties props) {
  auto items = [&](Writer& b) {
    for (const Property& p : props) property(b, p);
  };
  vbi(w, static_cast<uint32_t>(measure(items)));
  items(w);
}

}  // namespace

void connect(Writer& w, const Connect& c) {
  packet(w, kConnect << 4, [&](Writer& b) {
    // §3.1.2: protocol name, level, flags, keep alive.
    str(b, c.level == 3 ? "MQIsdp" : "MQTT");
    b.u8(c.level);
    uint8_t flags = c.clean_start ? 0x02 : 0;
    if (c.has_will) flags |= static_cast<uint8_t>(0x04 | (c.will_qos & 3) << 3 | (c.will_retain ? 0x20 : 0));
    if (c.has_password) flags |= 0x40;
    if (c.has_user) flags |= 0x80;
    b.u8(flags);
    b.be16(c.keep_alive);
    if (c.level == 5) properties(b, c.properties);
    // §3.1.3: client id, will (properties, topic, payload), user name, password.
    str(b, c.client_id);
    if (c.has_will) {
      if (c.level == 5) properties(b, c.will_properties);
      str(b, c.will_topic);
      str(b, c.will_payload);
    }
    if (c.has_user) str(b, c.user);
    if (c.has_password) str(b, c.password);
  });
}

void connack(Writer& w, uint8_t level, bool session_present, uint8_t code, Properties props) {
  packet(w, kConnack << 4, [&](Writer& b) {
    b.u8(session_present ? 1 : 0);
    b.u8(code);
    if (level == 5) properties(b, props);
  });
}

void publish(Writer& w, const Publish& p, std::span<const uint8_t> payload) {
  const auto first = static_cast<uint8_t>(kPublish << 4 | (p.dup ? 8 : 0) | (p.qos & 3) << 1 | (p.retain ? 1 : 0));
  packet(w, first, [&](Writer& b) {
    str(b, p.topic);
    if (p.qos > 0) b.be16(p.packet_id);
    if (p.level == 5) properties(b, p.properties);
    b.bytes(payload);
  });
}

void pub_ack(Writer& w, Type type, uint8_t level, uint16_t packet_id, uint8_t reason, Properties props) {
  // PUBREL's fixed-header flags are 0010 (§3.6.1); the others' 0000.
  packet(w, static_cast<uint8_t>(type << 4 | (type == kPubrel ? 2 : 0)), [&](Writer& b) {
    b.be16(packet_id);
    if (level != 5 || (reason == 0 && props.empty())) return;
    b.u8(reason);
    if (!props.empty()) properties(b, props);
  });
}

void subscribe(Writer& w, uint8_t level, uint16_t packet_id, std::span<const Subscription> filters, Properties props) {
  packet(w, kSubscribe << 4 | 2, [&](Writer& b) {
    b.be16(packet_id);
    if (level == 5) properties(b, props);
    for (const Subscription& s : filters) {
      str(b, s.filter);
      b.u8(s.options);
    }
  });
}

void suback(Writer& w, uint8_t level, uint16_t packet_id, std::span<const uint8_t> codes, Properties props) {
  packet(w, kSuback << 4, [&](Writer& b) {
    b.be16(packet_id);
    if (level == 5) properties(b, props);
    b.bytes(codes);
  });
}

void unsubscribe(Writer& w, uint8_t level, uint16_t packet_id, std::span<const std::string_view> filters,
                 Properties props) {
  packet(w, kUnsubscribe << 4 | 2, [&](Writer& b) {
    b.be16(packet_id);
    if (level == 5) properties(b, props);
    for (std::string_view f : filters) str(b, f);
  });
}

void unsuback(Writer& w, uint8_t level, uint16_t packet_id, std::span<const uint8_t> codes, Properties props) {
  packet(w, kUnsuback << 4, [&](Writer& b) {
    b.be16(packet_id);
    if (level != 5) return;
    properties(b, props);
    b.bytes(codes);
  });
}

void pingreq(Writer& w) {
  w.u8(kPingreq << 4);
  w.u8(0);
}

void pingresp(Writer& w) {
  w.u8(kPingresp << 4);
  w.u8(0);
}

void disconnect(Writer& w, uint8_t level, uint8_t reason, Properties props) {
  packet(w, kDisconnect << 4, [&](Writer& b) {
    if (level != 5 || (reason == 0 && props.empty())) return;
    b.u8(reason);
    if (!props.empty()) properties(b, props);
  });
}

void auth(Writer& w, uint8_t reason, Properties props) {
  packet(w, kAuth << 4, [&](Writer& b) {
    if (reason == 0 && props.empty()) return;
    b.u8(reason);
    properties(b, props);
  });
}

}  // namespace gen::mqtt
