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

// Keyed hash of a key: identical for both directions by construction (the key is canonical). The
// seed is drawn at start (FlowHashSeed::random) and shared by the dispatcher and every worker, so
// flows cannot be crafted to collide in a flow table (hash flooding) nor aimed at one worker. The
// flow table uses the low 32 bits (bucket) and bits 32..47 (signature); worker_of the top bits.
uint64_t flow_hash(const FlowKey& k, uint64_t seed);

// The worker (0..n-1) the dispatcher sends a flow to: the hash's top 16 bits scaled to n, apart from
// the bits the flow tables use, so each worker's table still sees well-spread hashes.
inline uint32_t worker_of(uint64_t hash, uint32_t n) { return static_cast<uint32_t>(((hash >> 48) * n) >> 16); }

// A seed from the kernel's random source (getrandom); never 0.
uint64_t random_hash_seed();

}  // namespace l7tap
