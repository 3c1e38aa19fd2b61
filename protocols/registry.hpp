// The list of protocols l7tap knows. Adding a protocol = one line in registry.cpp.
#pragma once

#include <span>
#include <string_view>

#include "protocols/core/parser.hpp"

namespace l7tap {

std::span<const ProtocolDescriptor* const> all_protocols();
const ProtocolDescriptor* find_protocol(std::string_view name);
const ProtocolDescriptor* find_protocol(ProtocolId id);

}  // namespace l7tap
