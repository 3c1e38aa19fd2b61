#include "dataplane/flow_key.hpp"

#include <sys/random.h>

#include <chrono>
#include <cstring>

namespace l7tap {

FlowKey make_flow_key(const DecodedPacket& p, bool& swapped) {
  FlowKey k;  // every member has a default initializer: pad is already zero
  // Order endpoints by (ip, port); ties on the address fall to the port. Equal endpoints
  // (a packet to itself) keep the packet's order in both directions, which is still canonical.
  // memcmp order, as two big-endian 64-bit compares (no library call per packet).
  uint64_t s[2], d[2];
  std::memcpy(s, p.src_ip.data(), 16);
  std::memcpy(d, p.dst_ip.data(), 16);
  const uint64_t s0 = __builtin_bswap64(s[0]), d0 = __builtin_bswap64(d[0]);
  const uint64_t s1 = __builtin_bswap64(s[1]), d1 = __builtin_bswap64(d[1]);
  const int c = s0 != d0 ? (s0 < d0 ? -1 : 1) : s1 != d1 ? (s1 < d1 ? -1 : 1) : 0;
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

// wyhash-style mixing (Wang Yi's wyhash, the construction Go's runtime map hash uses with a random
// per-process seed against hash flooding): each 64-bit lane is folded with a secret-dependent
// 128-bit multiply, so without the seed an outsider cannot predict which keys collide.
constexpr uint64_t kS0 = 0xa0761d6478bd642fULL;
constexpr uint64_t kS1 = 0xe7037ed1a0b428dbULL;
constexpr uint64_t kS2 = 0x8ebc6af09c88c6e3ULL;

inline uint64_t mum(uint64_t a, uint64_t b) {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t load64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

uint64_t flow_hash(const FlowKey& k, uint64_t seed) {
  static_assert(sizeof(FlowKey) == 44);
  const auto* b = reinterpret_cast<const unsigned char*>(&k);
  uint64_t tail32;
  uint32_t t;
  std::memcpy(&t, b + 40, 4);
  tail32 = t;
  uint64_t h = seed ^ kS0;
  h = mum(load64(b) ^ kS1, load64(b + 8) ^ h);
  h = mum(load64(b + 16) ^ kS1, load64(b + 24) ^ h);
  h = mum(load64(b + 32) ^ kS1, tail32 ^ h);
  return mum(h ^ kS2, sizeof(FlowKey) ^ kS1);
}

uint64_t random_hash_seed() {
  uint64_t seed = 0;
  while (seed == 0) {
    if (getrandom(&seed, sizeof seed, 0) != static_cast<ssize_t>(sizeof seed)) {
      // No entropy source (very old kernel): time and address bits still differ per process.
      seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
             reinterpret_cast<uintptr_t>(&seed);
    }
  }
  return seed;
}

}  // namespace l7tap
