#include "dataplane/flow_key.hpp"

#include <cstring>

namespace l7tap {

FlowKey make_flow_key(const DecodedPacket& p, bool& swapped) {
  FlowKey k;  // every member has a default initializer: pad is already zero
  // Order endpoints by (ip, port); ties on the address fall to the port. Equal endpoints
  // (a packet to itself) keep the packet's order in both directions, which is still canonical.
  const int c = std::memcmp(p.src_ip.data(), p.dst_ip.data(), p.src_ip.size());
  swapped = c > 0 || (c == 0 && p.src_port > p.dst_port);
  if (!swapped) {
    k.ip_lo = p.src_ip;
    k.port_lo = p.src_port;
    k.ip_hi = p.dst_ip;
    k.port_hi = p.dst_port;
  } else {
    k.ip_lo = p.dst_ip;
    k.port_lo = p.dst_port;
    k.ip_hi = p.src_ip;
    k.port_hi = p.src_port;
  }
  k.tunnel_id = p.has_tunnel_id ? p.tunnel_id : 0;
  k.vlan = p.has_vlan ? p.vlan : 0;
  k.l4_proto = p.l4_proto;
  k.pad = 0;
  return k;
}

namespace {

// Multiply-xorshift mixing over 64-bit lanes (the constants are the odd 64-bit primes used by
// xxHash64); the finaliser is MurmurHash3's fmix64, which gives full avalanche so the low bits
// used for bucket and worker selection depend on every input bit. Portable: no SSE4.2 needed.
constexpr uint64_t kP1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kP2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kP3 = 0x165667B19E3779F9ULL;

inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

inline uint64_t lane(uint64_t acc, uint64_t v) {
  acc ^= rotl(v * kP2, 31) * kP1;
  return rotl(acc, 27) * kP1 + kP3;
}

inline uint64_t fmix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDULL;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace

uint32_t flow_hash(const FlowKey& k) {
  static_assert(sizeof(FlowKey) == 5 * sizeof(uint64_t) + sizeof(uint32_t));
  const auto* b = reinterpret_cast<const unsigned char*>(&k);
  uint64_t acc = kP3 + sizeof(FlowKey);
  for (int i = 0; i < 5; ++i) {
    uint64_t v;
    std::memcpy(&v, b + 8 * i, 8);
    acc = lane(acc, v);
  }
  uint32_t tail;
  std::memcpy(&tail, b + 40, 4);
  acc = lane(acc, tail);
  const uint64_t h = fmix64(acc);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

}  // namespace l7tap
