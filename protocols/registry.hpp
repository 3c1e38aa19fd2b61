// The list of protocols l7tap knows. Adding a protocol = its files + one line in registry.cpp + its
// sources in protocols/meson.build. A protocol's id is its position in the list (1..N; 0 = unknown):
// nothing else numbers protocols, and nothing caps how many there are.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/core/parser.hpp"

namespace l7tap {

// In registry order: all_protocols()[id - 1] has id `id`.
std::span<const ProtocolDescriptor* const> all_protocols();
inline std::size_t protocol_count() { return all_protocols().size(); }
const ProtocolDescriptor* find_protocol(std::string_view name);
const ProtocolDescriptor* protocol_by_id(ProtocolId id);  // null for 0 / out of range
ProtocolId protocol_id(std::string_view name);            // 0 when unknown
ProtocolId protocol_id(const ProtocolDescriptor* d);      // 0 when not registered
// Name as written in the flow log's `protocol` field and in metric labels ("unknown" for 0).
std::string_view protocol_name(ProtocolId id);
// Every registered name, sorted (conf validation, messages).
std::vector<std::string_view> protocol_names();
// (server port, protocol) for the default ports of every registered protocol: the detector's
// port hints when the conf sets none.
std::vector<std::pair<uint16_t, const ProtocolDescriptor*>> default_port_hints();

}  // namespace l7tap
