// MQTT control packets, written from the OASIS specifications: MQTT 3.1.1 (levels 3 "MQIsdp" and
// 4) and MQTT 5.0 (level 5, with properties). One function per packet type; each appends one
// complete packet (fixed header with the Remaining Length, variable header, payload) to a Writer.
// `level` selects the layout: 5 adds properties and reason codes, 3/4 do not.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "tools/gen/writer.hpp"

namespace gen::mqtt {

enum Type : uint8_t {
  kConnect = 1, kConnack, kPublish, kPuback, kPubrec, kPubrel, kPubcomp, kSubscribe, kSuback,
  kUnsubscribe, kUnsuback, kPingreq, kPingresp, kDisconnect, kAuth,
};

// A 5.0 property (§2.2.2.2). The value's type follows from the identifier: Byte, Two/Four Byte
// Integer and Variable Byte Integer take `num`; UTF-8 strings and Binary Data take `str`; the
// User Property (0x26) is the pair `str`, `str2`.
struct Property {
  uint8_t id = 0;
  uint32_t num = 0;
  std::string_view str{};
  std::string_view str2{};
};
using Properties = std::span<const Property>;

namespace prop {
inline constexpr uint8_t kPayloadFormat = 0x01, kMessageExpiry = 0x02, kContentType = 0x03,
                         kResponseTopic = 0x08, kCorrelationData = 0x09, kSubscriptionId = 0x0B,
                         kSessionExpiry = 0x11, kAssignedClientId = 0x12, kServerKeepAlive = 0x13,
                         kAuthMethod = 0x15, kAuthData = 0x16, kReasonString = 0x1F,
                         kReceiveMaximum = 0x21, kTopicAliasMaximum = 0x22, kTopicAlias = 0x23,
                         kMaximumQos = 0x24, kRetainAvailable = 0x25, kUserProperty = 0x26,
                         kMaximumPacketSize = 0x27;
}

struct Connect {
  uint8_t level = 4;  // 3 = 3.1 ("MQIsdp"), 4 = 3.1.1, 5 = 5.0
  std::string_view client_id{};
  uint16_t keep_alive = 60;
  bool clean_start = true;
  bool has_user = false;
  std::string_view user{};
  bool has_password = false;
  std::string_view password{};
  bool has_will = false;
  uint8_t will_qos = 0;
  bool will_retain = false;
  std::string_view will_topic{};
  std::string_view will_payload{};
  Properties properties{};       // 5.0
  Properties will_properties{};  // 5.0
};
void connect(Writer& w, const Connect& c);
// 3.1.1 return code (0..5) or 5.0 reason code.
void connack(Writer& w, uint8_t level, bool session_present, uint8_t code, Properties props = {});

struct Publish {
  uint8_t level = 4;
  std::string_view topic{};
  uint8_t qos = 0;
  uint16_t packet_id = 0;  // QoS 1 and 2 only
  bool retain = false;
  bool dup = false;
  Properties properties{};  // 5.0
};
void publish(Writer& w, const Publish& p, std::span<const uint8_t> payload);

// PUBACK, PUBREC, PUBREL, PUBCOMP (§3.4-3.7). In 5.0 a Success reason code without properties is
// omitted (Remaining Length 2), as the spec allows.
void pub_ack(Writer& w, Type type, uint8_t level, uint16_t packet_id, uint8_t reason = 0, Properties props = {});
inline void puback(Writer& w, uint8_t level, uint16_t id, uint8_t reason = 0, Properties p = {}) {
  pub_ack(w, kPuback, level, id, reason, p);
}
inline void pubrec(Writer& w, uint8_t level, uint16_t id, uint8_t reason = 0, Properties p = {}) {
  pub_ack(w, kPubrec, level, id, reason, p);
}
inline void pubrel(Writer& w, uint8_t level, uint16_t id, uint8_t reason = 0, Properties p = {}) {
  pub_ack(w, kPubrel, level, id, reason, p);
}
inline void pubcomp(Writer& w, uint8_t level, uint16_t id, uint8_t reason = 0, Properties p = {}) {
  pub_ack(w, kPubcomp, level, id, reason, p);
}

struct Subscription {
  std::string_view filter{};
  uint8_t options = 0;  // requested QoS in bits 0-1 (5.0 adds No Local, RAP, Retain Handling)
};
void subscribe(Writer& w, uint8_t level, uint16_t packet_id, std::span<const Subscription> filters,
               Properties props = {});
// One return/reason code per filter (3.1.1: 0..2 granted QoS or 0x80 Failure).
void suback(Writer& w, uint8_t level, uint16_t packet_id, std::span<const uint8_t> codes, Properties props = {});
void unsubscribe(Writer& w, uint8_t level, uint16_t packet_id, std::span<const std::string_view> filters,
                 Properties props = {});
// 3.1.1 UNSUBACK has no payload; 5.0 has one reason code per filter.
void unsuback(Writer& w, uint8_t level, uint16_t packet_id, std::span<const uint8_t> codes = {},
              Properties props = {});
void pingreq(Writer& w);
void pingresp(Writer& w);
// 3.1.1: no body. 5.0: reason code (omitted when 0 without properties) and properties.
void disconnect(Writer& w, uint8_t level, uint8_t reason = 0, Properties props = {});
void auth(Writer& w, uint8_t reason, Properties props = {});

}  // namespace gen::mqtt
