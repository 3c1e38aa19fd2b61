#include "protocols/registry.hpp"

#include <array>

#include "protocols/mq/amqp.hpp"
#include "protocols/mq/kafka.hpp"
#include "protocols/mq/mqtt.hpp"
#include "protocols/mq/nats.hpp"

namespace l7tap {
namespace {

// One line per protocol. Order matters only when two probes accept the same bytes (first wins).
constexpr std::array kProtocols = {
    &kMqttDescriptor,
    &kAmqpDescriptor,
    &kNatsDescriptor,
    &kKafkaDescriptor,
};

}  // namespace

std::span<const ProtocolDescriptor* const> all_protocols() { return kProtocols; }

const ProtocolDescriptor* find_protocol(std::string_view name) {
  for (const ProtocolDescriptor* d : kProtocols)
    if (d->name == name) return d;
  return nullptr;
}

const ProtocolDescriptor* find_protocol(ProtocolId id) {
  for (const ProtocolDescriptor* d : kProtocols)
    if (d->id == id) return d;
  return nullptr;
}

}  // namespace l7tap
