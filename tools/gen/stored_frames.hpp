// Frames generated once and replayed many times (the in-memory benchmark, the no-allocation test):
// the bytes back to back, each frame's timestamp, and where its innermost IP header starts, so
// that a replay can move the client side to other addresses and the same conversations become
// new flows to the code under test.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tools/gen/traffic_gen.hpp"

namespace gen {

struct StoredFrames {
  std::vector<uint8_t> bytes;
  std::vector<uint32_t> off, len;
  std::vector<uint16_t> ip_at;  // offset of the innermost IP header; 0 = none found
  std::vector<uint64_t> ts;

  // `count` frames from `g`; with `finish`, then drain() and every frame until the open
  // conversations have ended.
  static StoredFrames record(TrafficGenerator& g, uint64_t count, bool finish);

  std::size_t size() const { return off.size(); }
  std::span<const uint8_t> frame(std::size_t i) const { return {bytes.data() + off[i], len[i]}; }
  // Last timestamp - first + 1.
  uint64_t duration_us() const { return ts.empty() ? 0 : ts.back() - ts.front() + 1; }

  // Moves every client address to replay `round` (1..65535; 0 is the generated addresses): the
  // generator's clients are 10.64.0.0/15 and fd00:6c37:0:1::/64, servers are elsewhere, and the
  // round goes into address bits no generated client uses. IP checksums are left as they are.
  void readdress(uint32_t round);
  // Adds `us` to every timestamp.
  void shift_time(uint64_t us);
};

// Offset of the innermost IP header of a frame as the generator builds it (Ethernet, 802.1Q/QinQ
// tags, IPv4 VXLAN to port 4789); 0 when there is none.
uint16_t inner_ip_offset(const uint8_t* f, uint32_t n);

}  // namespace gen
