#include "tools/gen/stored_frames.hpp"

namespace gen {

uint16_t inner_ip_offset(const uint8_t* f, uint32_t n) {
  uint32_t at = 12;
  for (int depth = 0; depth < 2; ++depth) {
    uint16_t type = 0;
    while (at + 2 <= n) {
      type = static_cast<uint16_t>(f[at] << 8 | f[at + 1]);
      if (type != 0x8100 && type != 0x88a8) break;
      at += 4;
    }
    at += 2;
    if (type == 0x0800 && at + 20 <= n) {
      const uint32_t ihl = (f[at] & 0x0f) * 4u;
      // VXLAN: UDP to 4789, then the 8-byte VXLAN header and the inner Ethernet frame.
      if (f[at + 9] == 17 && at + ihl + 8 <= n && (f[at + ihl + 2] << 8 | f[at + ihl + 3]) == 4789) {
        at += ihl + 8 + 8 + 12;
        continue;
      }
      return static_cast<uint16_t>(at);
    }
    if (type == 0x86dd && at + 40 <= n) return static_cast<uint16_t>(at);
    return 0;
  }
  return 0;
}

StoredFrames StoredFrames::record(TrafficGenerator& g, uint64_t count, bool finish) {
  StoredFrames s;
  s.bytes.reserve(count * 200);
  auto add = [&s](const Frame& f) {
    s.off.push_back(static_cast<uint32_t>(s.bytes.size()));
    s.len.push_back(static_cast<uint32_t>(f.bytes.size()));
    s.ts.push_back(f.ts_us);
    s.ip_at.push_back(inner_ip_offset(f.bytes.data(), static_cast<uint32_t>(f.bytes.size())));
    s.bytes.insert(s.bytes.end(), f.bytes.begin(), f.bytes.end());
  };
  for (uint64_t i = 0; i < count; ++i) add(g.next());
  if (finish) {
    g.drain();
    for (Frame f = g.next(); !f.bytes.empty(); f = g.next()) add(f);
  }
  return s;
}

void StoredFrames::readdress(uint32_t round) {
  for (std::size_t i = 0; i < off.size(); ++i) {
    if (ip_at[i] == 0) continue;
    uint8_t* ip = bytes.data() + off[i] + ip_at[i];
    if ((ip[0] >> 4) == 4) {
      // 10.64.0.0/15 → 10.(64 + 2·(round mod 64) + low bit).x.y: still below the servers' 10.200+.
      for (uint8_t* a : {ip + 12, ip + 16})
        if (a[0] == 10 && a[1] >= 64 && a[1] < 192) a[1] = static_cast<uint8_t>(64 + 2 * (round % 64) + (a[1] & 1));
    } else {
      for (uint8_t* a : {ip + 8, ip + 24})
        if (a[0] == 0xfd && a[7] == 1) {
          a[4] = static_cast<uint8_t>(round >> 8);
          a[5] = static_cast<uint8_t>(round);
        }
    }
  }
}

void StoredFrames::shift_time(uint64_t us) {
  for (uint64_t& t : ts) t += us;
}

}  // namespace gen
