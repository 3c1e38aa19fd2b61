// MQTT packets for the flow-layer tests, built by our generator (tools/gen, written from the
// MQTT specification): CONNECT, CONNACK, PUBLISH QoS 1 and PUBACK as whole byte strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tools/gen/proto_mqtt.hpp"
#include "tools/gen/writer.hpp"

namespace l7tap {

inline std::vector<uint8_t> mqtt_connect(std::string_view client_id) {
  std::vector<uint8_t> b;
  gen::Writer w(b);
  gen::mqtt::Connect c;
  c.client_id = client_id;
  gen::mqtt::connect(w, c);
  return b;
}
inline std::vector<uint8_t> mqtt_connack() {
  std::vector<uint8_t> b;
  gen::Writer w(b);
  gen::mqtt::connack(w, 4, false, 0);
  return b;
}
inline std::vector<uint8_t> mqtt_publish(std::string_view topic, uint16_t id, std::size_t payload) {
  std::vector<uint8_t> b;
  gen::Writer w(b);
  gen::mqtt::Publish p;
  p.topic = topic;
  p.qos = 1;
  p.packet_id = id;
  const std::vector<uint8_t> body(payload, 'p');
  gen::mqtt::publish(w, p, body);
  return b;
}
inline std::vector<uint8_t> mqtt_puback(uint16_t id) {
  std::vector<uint8_t> b;
  gen::Writer w(b);
  gen::mqtt::puback(w, 4, id);
  return b;
}

}  // namespace l7tap
