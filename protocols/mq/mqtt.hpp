// MQTT 3.1 / 3.1.1 / 5.0 parser (OASIS MQTT 3.1.1 and 5.0 specifications).
//
// Every control packet type 1..15 is framed (fixed header flags checked, remaining-length varint of
// at most 4 bytes) and its variable header / payload decoded and validated; 5.0 properties are
// walked with their spec types and bounds. Field mapping: ../shared/spec/mq-protocols.md (MQTT).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "protocols/core/parser.hpp"

namespace l7tap {

extern const ProtocolDescriptor kMqttDescriptor;

namespace mqtt {

// pair_class values: the request packet type a response acknowledges (PUBLISH split by QoS,
// because a PUBACK answers only a QoS 1 PUBLISH and a PUBREC only a QoS 2 one).
inline constexpr uint32_t kClassConnect = 1;
inline constexpr uint32_t kClassPublishQos1 = 0x31;
inline constexpr uint32_t kClassPublishQos2 = 0x32;
inline constexpr uint32_t kClassPubrel = 6;
inline constexpr uint32_t kClassSubscribe = 8;
inline constexpr uint32_t kClassUnsubscribe = 10;
inline constexpr uint32_t kClassPing = 12;

// The probe (exposed for tests): strict check of a flow's first bytes.
ProbeVerdict probe(Dir dir, std::span<const uint8_t> data);

// Protocol level (3, 4, 5) → the version string written in the flow log ("3.1", "3.1.1", "5.0").
std::string_view version_name(uint8_t level);
// Name of a 5.0 reason code ("Not authorized"), empty when unknown.
std::string_view reason_code_name(uint8_t code);

}  // namespace mqtt
}  // namespace l7tap
