// Test helper: builds wire-format frames layer by layer, innermost first, from the protocol
// specifications (IEEE 802.1Q, RFC 791, RFC 8200, RFC 9293, RFC 768, RFC 7348 VXLAN,
// RFC 2784/2890 GRE, draft-foschiano-erspan-03 ERSPAN I/II/III). Header-only and DPDK-free so any
// test can use it. IPv4 header checksums and TCP/UDP checksums (with the pseudo-header) are
// filled in, so the frames are also valid for tshark; `write_pcap` dumps them for manual checks.
//
//   auto f = fb::ethernet(fb::kEthIpv4,
//                         fb::ipv4(fb::ip4("10.0.0.1"), fb::ip4("10.0.0.2"), fb::kTcp,
//                                  fb::tcp(40000, 80, fb::bytes("GET / HTTP/1.1\r\n\r\n"))));
#pragma once

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace l7tap::fb {

using Bytes = std::vector<uint8_t>;
using Ip4 = std::array<uint8_t, 4>;
using Ip6 = std::array<uint8_t, 16>;
using Mac = std::array<uint8_t, 6>;

inline constexpr uint16_t kEthIpv4 = 0x0800, kEthIpv6 = 0x86DD, kEthArp = 0x0806;
inline constexpr uint16_t kEthTeb = 0x6558, kEthErspan12 = 0x88BE, kEthErspan3 = 0x22EB;
inline constexpr uint8_t kTcp = 6, kUdp = 17, kGre = 47, kIcmp = 1;

inline Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

inline void put8(Bytes& b, uint8_t v) { b.push_back(v); }
inline void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
inline void set16(Bytes& b, size_t at, uint16_t v) {
  b.at(at) = static_cast<uint8_t>(v >> 8);
  b.at(at + 1) = static_cast<uint8_t>(v);
}
inline void append(Bytes& b, const Bytes& tail) { b.insert(b.end(), tail.begin(), tail.end()); }

inline Ip4 ip4(const char* text) {
  Ip4 a{};
  if (inet_pton(AF_INET, text, a.data()) != 1) throw std::invalid_argument(text);
  return a;
}
inline Ip6 ip6(const char* text) {
  Ip6 a{};
  if (inet_pton(AF_INET6, text, a.data()) != 1) throw std::invalid_argument(text);
  return a;
}
// The 16-byte form the decoder reports for an IPv4 address (::ffff:a.b.c.d).
inline Ip6 mapped(const Ip4& a) {
  Ip6 m{};
  m[10] = m[11] = 0xFF;
  for (int i = 0; i < 4; ++i) m[12 + i] = a[i];
  return m;
}

// --- Internet checksum (RFC 1071) -------------------------------------------------------------
inline uint32_t csum_add(uint32_t sum, const uint8_t* p, size_t n) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  return sum;
}
inline uint16_t csum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}
// Fills the TCP (offset 16) or UDP (offset 6) checksum of `l4` given the pseudo-header sum.
inline void fill_l4_checksum(Bytes& l4, uint8_t proto, uint32_t pseudo) {
  const size_t at = proto == kTcp ? 16 : proto == kUdp ? 6 : SIZE_MAX;
  if (at == SIZE_MAX || l4.size() < at + 2) return;
  set16(l4, at, 0);
  uint16_t c = csum_fold(csum_add(pseudo, l4.data(), l4.size()));
  if (proto == kUdp && c == 0) c = 0xFFFF;  // 0 means "no checksum" for UDP
  set16(l4, at, c);
}

// --- L2 ----------------------------------------------------------------------------------------
struct VlanTag {
  uint16_t vid = 0;
  uint16_t tpid = 0x8100;
  uint8_t pcp = 0;
};
struct EthOpts {
  std::vector<VlanTag> tags{};  // outermost first
  Mac dst{0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
  Mac src{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
};
inline Bytes ethernet(uint16_t type, const Bytes& payload, const EthOpts& o = {}) {
  Bytes b(o.dst.begin(), o.dst.end());
  b.insert(b.end(), o.src.begin(), o.src.end());
  for (const auto& t : o.tags) {
    put16(b, t.tpid);
    put16(b, static_cast<uint16_t>(t.pcp << 13 | (t.vid & 0x0FFF)));
  }
  put16(b, type);
  append(b, payload);
  return b;
}
// Pads a frame to the Ethernet minimum (60 bytes without FCS) or `len`, as a NIC would.
inline Bytes pad_to(Bytes f, size_t len = 60) {
  if (f.size() < len) f.resize(len, 0);
  return f;
}

// --- L3 ----------------------------------------------------------------------------------------
struct Ipv4Opts {
  uint16_t id = 1;
  uint8_t ttl = 64;
  bool df = true;
  bool mf = false;
  uint16_t frag_offset = 0;  // in 8-byte units
  Bytes options{};             // padded to a multiple of 4 with EOL (0)
  std::optional<uint16_t> total_length{};  // override (malformed/truncated tests)
  std::optional<uint8_t> ihl{};            // override, in 4-byte words
  uint8_t version = 4;
};
inline Bytes ipv4(const Ip4& src, const Ip4& dst, uint8_t proto, Bytes payload,
                  const Ipv4Opts& o = {}) {
  Bytes opts = o.options;
  while (opts.size() % 4) opts.push_back(0);
  const size_t hlen = 20 + opts.size();
  const auto total = static_cast<uint16_t>(hlen + payload.size());
  if (o.frag_offset == 0) {
    uint32_t pseudo = csum_add(0, src.data(), 4);
    pseudo = csum_add(pseudo, dst.data(), 4);
    pseudo += proto;
    pseudo += static_cast<uint32_t>(payload.size());
    fill_l4_checksum(payload, proto, pseudo);
  }
  Bytes b;
  put8(b, static_cast<uint8_t>(o.version << 4 | (o.ihl ? *o.ihl : hlen / 4)));
  put8(b, 0);  // DSCP/ECN
  put16(b, o.total_length ? *o.total_length : total);
  put16(b, o.id);
  put16(b, static_cast<uint16_t>((o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | (o.frag_offset & 0x1FFF)));
  put8(b, o.ttl);
  put8(b, proto);
  put16(b, 0);
  b.insert(b.end(), src.begin(), src.end());
  b.insert(b.end(), dst.begin(), dst.end());
  append(b, opts);
  set16(b, 10, csum_fold(csum_add(0, b.data(), hlen)));
  append(b, payload);
  return b;
}

// An IPv6 extension header: `raw` is the whole header; the builder writes byte 0 (next header).
struct Ipv6Ext {
  uint8_t type = 0;
  Bytes raw;
};
// Hop-by-hop (0) or destination options (60) with `body` option bytes, padded with PadN/Pad1 to
// a multiple of 8.
inline Ipv6Ext ext_options(uint8_t type, Bytes body = {}) {
  Bytes raw{0, 0};
  append(raw, body);
  const size_t pad = (8 - raw.size() % 8) % 8;
  if (pad == 1) {
    raw.push_back(0);  // Pad1
  } else if (pad >= 2) {
    raw.push_back(1);  // PadN
    raw.push_back(static_cast<uint8_t>(pad - 2));
    raw.resize(raw.size() + pad - 2, 0);
  }
  raw[1] = static_cast<uint8_t>(raw.size() / 8 - 1);
  return {type, raw};
}
inline Ipv6Ext ext_hop_by_hop() { return ext_options(0); }
inline Ipv6Ext ext_dest_opts() { return ext_options(60); }
// Segment routing header (routing type 4, RFC 8754) with Segments Left = 0 and one segment, so
// the packet's destination is final (and the L4 checksum uses it).
inline Ipv6Ext ext_routing(const Ip6& segment) {
  Bytes raw{0, 2, 4, 0, 0, 0, 0, 0};  // next, len=2 (24 bytes), type 4, SL 0, last entry 0, ...
  raw.insert(raw.end(), segment.begin(), segment.end());
  return {43, raw};
}
inline Ipv6Ext ext_fragment(uint16_t offset_units, bool more, uint32_t id = 0x12345678) {
  Bytes raw{0, 0};
  put16(raw, static_cast<uint16_t>(offset_units << 3 | (more ? 1 : 0)));
  put32(raw, id);
  return {44, raw};
}
// Authentication header (RFC 4302) with a 12-byte ICV: 24 bytes, Payload Len = 24/4 - 2 = 4.
inline Ipv6Ext ext_ah(uint32_t spi = 0x1000, uint32_t seq = 1) {
  Bytes raw{0, 4, 0, 0};
  put32(raw, spi);
  put32(raw, seq);
  raw.resize(24, 0xAB);
  return {51, raw};
}

struct Ipv6Opts {
  std::vector<Ipv6Ext> exts{};
  std::optional<uint16_t> payload_length{};  // override
  uint8_t version = 6;
  uint8_t hop_limit = 64;
};
inline Bytes ipv6(const Ip6& src, const Ip6& dst, uint8_t proto, Bytes l4, const Ipv6Opts& o = {}) {
  bool fragment = false;
  for (const auto& e : o.exts)
    if (e.type == 44 && (e.raw[2] != 0 || e.raw[3] != 0)) fragment = true;
  if (!fragment) {
    uint32_t pseudo = csum_add(0, src.data(), 16);
    pseudo = csum_add(pseudo, dst.data(), 16);
    pseudo += static_cast<uint32_t>(l4.size());
    pseudo += proto;
    fill_l4_checksum(l4, proto, pseudo);
  }
  Bytes payload;
  for (size_t i = 0; i < o.exts.size(); ++i) {
    Bytes raw = o.exts[i].raw;
    raw[0] = i + 1 < o.exts.size() ? o.exts[i + 1].type : proto;
    append(payload, raw);
  }
  append(payload, l4);
  Bytes b;
  put32(b, static_cast<uint32_t>(o.version) << 28);
  put16(b, o.payload_length ? *o.payload_length : static_cast<uint16_t>(payload.size()));
  put8(b, o.exts.empty() ? proto : o.exts.front().type);
  put8(b, o.hop_limit);
  b.insert(b.end(), src.begin(), src.end());
  b.insert(b.end(), dst.begin(), dst.end());
  append(b, payload);
  return b;
}

// --- L4 ----------------------------------------------------------------------------------------
namespace tcpf {
inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
}
struct TcpOpts {
  uint32_t seq = 1000;
  uint32_t ack = 2000;
  uint8_t flags = tcpf::kPsh | tcpf::kAck;
  uint16_t window = 65535;
  Bytes options{};                       // padded to a multiple of 4 with EOL
  std::optional<uint8_t> data_offset{};  // override, in 4-byte words
};
inline Bytes tcp(uint16_t sport, uint16_t dport, const Bytes& payload, const TcpOpts& o = {}) {
  Bytes opts = o.options;
  while (opts.size() % 4) opts.push_back(0);
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put32(b, o.seq);
  put32(b, o.ack);
  put8(b, static_cast<uint8_t>((o.data_offset ? *o.data_offset : (20 + opts.size()) / 4) << 4));
  put8(b, o.flags);
  put16(b, o.window);
  put16(b, 0);  // checksum: filled by ipv4()/ipv6()
  put16(b, 0);  // urgent pointer
  append(b, opts);
  append(b, payload);
  return b;
}
inline Bytes udp(uint16_t sport, uint16_t dport, const Bytes& payload,
                 std::optional<uint16_t> length = {}) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put16(b, length ? *length : static_cast<uint16_t>(8 + payload.size()));
  put16(b, 0);  // checksum: filled by ipv4()/ipv6()
  append(b, payload);
  return b;
}

// --- tunnels -----------------------------------------------------------------------------------
// VXLAN header (RFC 7348) + inner Ethernet frame; goes inside udp(<any>, 4789, ...).
inline Bytes vxlan(uint32_t vni, const Bytes& inner_eth, bool i_flag = true) {
  Bytes b;
  put32(b, i_flag ? 0x08000000u : 0u);
  put32(b, vni << 8);
  append(b, inner_eth);
  return b;
}

struct GreOpts {
  bool checksum = false;
  std::optional<uint32_t> key{};
  std::optional<uint32_t> seq{};
  bool routing = false;  // RFC 1701 R bit (no routing data is written: only for malformed tests)
  uint8_t version = 0;
};
inline Bytes gre(uint16_t proto, const Bytes& payload, const GreOpts& o = {}) {
  Bytes b;
  put16(b, static_cast<uint16_t>((o.checksum ? 0x8000 : 0) | (o.routing ? 0x4000 : 0) |
                                 (o.key ? 0x2000 : 0) | (o.seq ? 0x1000 : 0) | (o.version & 7)));
  put16(b, proto);
  if (o.checksum || o.routing) put32(b, 0);  // checksum + reserved1 (offset)
  if (o.key) put32(b, *o.key);
  if (o.seq) put32(b, *o.seq);
  append(b, payload);
  if (o.checksum) set16(b, 4, csum_fold(csum_add(0, b.data(), b.size())));
  return b;
}

// ERSPAN type II header (8 bytes) + mirrored frame; goes inside gre(kEthErspan12, ..., {.seq=N}).
struct Erspan2Opts {
  uint16_t session = 0;  // 10 bits
  uint16_t vlan = 0;     // original VLAN (12 bits)
  uint8_t cos = 0;
  uint8_t en = 0;  // 0 untagged, 3 tag preserved in the mirrored frame
  bool truncated = false;
  uint32_t index = 0;  // 20 bits
  uint8_t version = 1;
};
inline Bytes erspan2(const Erspan2Opts& o, const Bytes& inner_eth) {
  Bytes b;
  put16(b, static_cast<uint16_t>(o.version << 12 | (o.vlan & 0x0FFF)));
  put16(b, static_cast<uint16_t>((o.cos & 7) << 13 | (o.en & 3) << 11 | (o.truncated ? 1 : 0) << 10 |
                                 (o.session & 0x03FF)));
  put32(b, o.index & 0xFFFFF);
  append(b, inner_eth);
  return b;
}

// ERSPAN type III header (12 bytes, + 8-byte platform subheader when `platform` is set) +
// mirrored frame; goes inside gre(kEthErspan3, ..., {.seq=N}).
struct Erspan3Opts {
  uint16_t session = 0;
  uint16_t vlan = 0;
  uint8_t cos = 0;
  uint8_t bso = 0;
  bool truncated = false;
  uint32_t timestamp = 0;
  uint16_t sgt = 0;
  bool p = false;
  uint8_t ft = 0;     // frame type, 0 = Ethernet
  uint8_t hw_id = 0;  // 6 bits
  bool d = false;
  uint8_t gra = 0;  // timestamp granularity
  bool platform = false;
  uint8_t platform_id = 3;       // 6 bits
  uint64_t platform_info = 0;    // 58 bits
  uint8_t version = 2;
};
inline Bytes erspan3(const Erspan3Opts& o, const Bytes& inner_eth) {
  Bytes b;
  put16(b, static_cast<uint16_t>(o.version << 12 | (o.vlan & 0x0FFF)));
  put16(b, static_cast<uint16_t>((o.cos & 7) << 13 | (o.bso & 3) << 11 | (o.truncated ? 1 : 0) << 10 |
                                 (o.session & 0x03FF)));
  put32(b, o.timestamp);
  put16(b, o.sgt);
  put16(b, static_cast<uint16_t>((o.p ? 1 : 0) << 15 | (o.ft & 0x1F) << 10 | (o.hw_id & 0x3F) << 4 |
                                 (o.d ? 1 : 0) << 3 | (o.gra & 3) << 1 | (o.platform ? 1 : 0)));
  if (o.platform) {
    const uint64_t w = uint64_t{o.platform_id & 0x3Fu} << 58 | (o.platform_info & ((1ULL << 58) - 1));
    put32(b, static_cast<uint32_t>(w >> 32));
    put32(b, static_cast<uint32_t>(w));
  }
  append(b, inner_eth);
  return b;
}

// --- shortcuts for the common outer stacks ---------------------------------------------------
inline Bytes eth_ipv4(const Ip4& src, const Ip4& dst, uint8_t proto, const Bytes& l4,
                      const EthOpts& eo = {}, const Ipv4Opts& io = {}) {
  return ethernet(kEthIpv4, ipv4(src, dst, proto, l4, io), eo);
}
inline Bytes eth_ipv6(const Ip6& src, const Ip6& dst, uint8_t proto, const Bytes& l4,
                      const EthOpts& eo = {}, const Ipv6Opts& io = {}) {
  return ethernet(kEthIpv6, ipv6(src, dst, proto, l4, io), eo);
}

// --- pcap (classic format, LINKTYPE_ETHERNET) for manual checks with tshark/tcpdump ------------
inline bool write_pcap(const std::string& path, const std::vector<Bytes>& frames) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  auto w32 = [f](uint32_t v) { std::fwrite(&v, 4, 1, f); };  // native order: magic tells readers
  auto w16 = [f](uint16_t v) { std::fwrite(&v, 2, 1, f); };
  w32(0xA1B2C3D4);
  w16(2);
  w16(4);
  w32(0);
  w32(0);
  w32(65535);
  w32(1);
  uint32_t sec = 1700000000;
  for (const auto& fr : frames) {
    w32(sec++);
    w32(0);
    w32(static_cast<uint32_t>(fr.size()));
    w32(static_cast<uint32_t>(fr.size()));
    std::fwrite(fr.data(), 1, fr.size(), f);
  }
  return std::fclose(f) == 0;
}

}  // namespace l7tap::fb
