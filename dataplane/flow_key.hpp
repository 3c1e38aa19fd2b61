// Direction-independent flow key: the two endpoints are stored in a canonical order (lower
// ip:port first) so both directions of a connection find the same entry, plus VLAN and tunnel id
// so overlapping address spaces on different VLANs/tunnels stay apart.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "dataplane/decode.hpp"

namespace l7tap {

struct FlowKey {
  std::array<uint8_t, 16> ip_lo{};
  std::array<uint8_t, 16> ip_hi{};
  uint16_t port_lo = 0;
  uint16_t port_hi = 0;
  uint32_t tunnel_id = 0;
  uint16_t vlan = 0;
  uint8_t l4_proto = 0;
  uint8_t pad = 0;

  bool operator==(const FlowKey& o) const { return std::memcmp(this, &o, sizeof(FlowKey)) == 0; }
};
static_assert(sizeof(FlowKey) == 44, "FlowKey must have no implicit padding");

// Builds the canonical key. `swapped` is set when the packet's source is the "hi" endpoint.
FlowKey make_flow_key(const DecodedPacket& p, bool& swapped);

// Symmetric hash of a key: identical for both directions by construction (the key is canonical).
// Used for the flow table and by the dispatcher to choose a worker.
uint32_t flow_hash(const FlowKey& k);

}  // namespace l7tap
