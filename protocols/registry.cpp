#include "protocols/registry.hpp"

#include <algorithm>
#include <array>

#include "protocols/mq/amqp.hpp"
#include "protocols/mq/kafka.hpp"
#include "protocols/mq/mqtt.hpp"
#include "protocols/mq/nats.hpp"
#include "protocols/mq/openwire.hpp"
#include "protocols/mq/pulsar.hpp"
#include "protocols/mq/zmtp.hpp"
#include "protocols/mq/rocketmq.hpp"

namespace l7tap {
namespace {

// One line per protocol. Order matters only when two probes accept the same bytes (first wins).
constexpr std::array kProtocols = {
    &kMqttDescriptor,
    &kAmqpDescriptor,
    &kNatsDescriptor,
    &kOpenWireDescriptor,
    // Before Kafka: a Pulsar frame's header is checked field by field (a stricter probe).
    &kPulsarDescriptor,
    &kKafkaDescriptor,
    &kZmtpDescriptor,
    &kRocketMqDescriptor,
};

}  // namespace

std::span<const ProtocolDescriptor* const> all_protocols() { return kProtocols; }

const ProtocolDescriptor* find_protocol(std::string_view name) {
  for (const ProtocolDescriptor* d : kProtocols)
    if (d->name == name) return d;
  return nullptr;
}

const ProtocolDescriptor* protocol_by_id(ProtocolId id) {
  return id >= 1 && id <= kProtocols.size() ? kProtocols[id - 1] : nullptr;
}

ProtocolId protocol_id(std::string_view name) { return protocol_id(find_protocol(name)); }

ProtocolId protocol_id(const ProtocolDescriptor* d) {
  for (std::size_t i = 0; i < kProtocols.size(); ++i)
    if (kProtocols[i] == d) return static_cast<ProtocolId>(i + 1);
  return kUnknownProtocol;
}

std::string_view protocol_name(ProtocolId id) {
  const ProtocolDescriptor* d = protocol_by_id(id);
  return d != nullptr ? d->name : std::string_view("unknown");
}

std::vector<std::string_view> protocol_names() {
  std::vector<std::string_view> out;
  for (const ProtocolDescriptor* d : kProtocols) out.push_back(d->name);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::pair<uint16_t, const ProtocolDescriptor*>> default_port_hints() {
  std::vector<std::pair<uint16_t, const ProtocolDescriptor*>> hints;
  for (const ProtocolDescriptor* d : all_protocols())
    for (uint16_t port : d->default_ports) hints.emplace_back(port, d);
  return hints;
}

}  // namespace l7tap
