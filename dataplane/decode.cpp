// L2–L4 decoder. Each layer gets a span bounded by its enclosing length (frame end, IP total
// length, UDP length, tunnel payload) and only ever indexes inside it after a size check, so no
// path can read past the frame. Layers call the next one directly; recursion depth is bounded by
// the tunnel limit (kMaxTunnelDepth) and the IPv6 extension header limit.
//
// Status conventions:
//   kTruncated  the bytes a header (or a length field) needs are not there: the capture or an
//               encapsulator (e.g. ERSPAN truncation) cut the packet, or an inner length claims
//               more than its enclosing payload holds.
//   kMalformed  a field value that is impossible in itself: wrong IP version, IHL < 5, IPv4 total
//               length below its header, TCP data offset < 5 or beyond its segment, UDP length
//               < 8, unknown ERSPAN version, GRE routing present, too many IPv6 extensions.
//
// Protocol references: IEEE 802.1Q (tags 0x8100, 0x88a8, legacy 0x9100), RFC 791, RFC 8200
// (extension header order and lengths; AH length per RFC 4302), RFC 793/9293, RFC 768,
// RFC 7348 (VXLAN), RFC 2784 + RFC 2890 (GRE, key and sequence), RFC 1701 (checksum/offset word
// present when C or R is set), draft-foschiano-erspan-03 (ERSPAN types I, II and III).
#include "dataplane/decode.hpp"

#include <bit>
#include <cstring>

#include <cstddef>

namespace l7tap {
namespace {

using Span = std::span<const uint8_t>;

// Deeper nesting than this is not something a mirror produces; stop instead of recursing on
// crafted input.
constexpr uint8_t kMaxTunnelDepth = 3;
// RFC 8200 expects a handful at most; a long chain is either an attack or garbage.
constexpr int kMaxIpv6Extensions = 10;
constexpr uint16_t kVxlanPort = 4789;

namespace ethertype {
constexpr uint16_t kIpv4 = 0x0800;
constexpr uint16_t kIpv6 = 0x86DD;
constexpr uint16_t kVlan = 0x8100;
constexpr uint16_t kQinQ = 0x88A8;
constexpr uint16_t kQinQLegacy = 0x9100;
constexpr uint16_t kTransparentEthernet = 0x6558;  // GRE TEB
constexpr uint16_t kErspan12 = 0x88BE;              // ERSPAN type I (no S bit) / II (S bit)
constexpr uint16_t kErspan3 = 0x22EB;
}  // namespace ethertype

namespace ipproto {
constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;
constexpr uint8_t kRouting = 43;
constexpr uint8_t kFragment = 44;
constexpr uint8_t kGre = 47;
constexpr uint8_t kEsp = 50;
constexpr uint8_t kAh = 51;
constexpr uint8_t kNoNext = 59;
constexpr uint8_t kDestOpts = 60;
}  // namespace ipproto

inline uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

DecodeStatus decode_ethernet(Span s, DecodedPacket& out);
DecodeStatus decode_ipv4(Span s, DecodedPacket& out);
DecodeStatus decode_ipv6(Span s, DecodedPacket& out);

// Records one tunnel layer. The outermost id wins: it names the mirror session / overlay the
// traffic arrived on, which is what separates overlapping inner address spaces.
inline void enter_tunnel(DecodedPacket& out, bool has_id, uint32_t id) {
  ++out.tunnel_depth;
  if (has_id && !out.has_tunnel_id) {
    out.has_tunnel_id = true;
    out.tunnel_id = id;
  }
}

DecodeStatus decode_ethertype(uint16_t type, Span s, DecodedPacket& out) {
  switch (type) {
    case ethertype::kIpv4: return decode_ipv4(s, out);
    case ethertype::kIpv6: return decode_ipv6(s, out);
    default: return DecodeStatus::kNotIp;  // ARP, LLDP, 802.3 length field, MPLS, ...
  }
}

DecodeStatus decode_ethernet(Span s, DecodedPacket& out) {
  if (s.size() < 14) return DecodeStatus::kTruncated;
  size_t off = 12;
  uint16_t type = be16(&s[off]);
  off += 2;
  // Walk every tag; the last (innermost) non-zero VID wins. Inner Ethernet headers of tunnels
  // run through here after the outer one, so their tags override the outer ones. VID 0 is a
  // priority-only tag (802.1Q "null VLAN ID") and names no VLAN.
  while (type == ethertype::kVlan || type == ethertype::kQinQ || type == ethertype::kQinQLegacy) {
    if (s.size() < off + 4) return DecodeStatus::kTruncated;
    const uint16_t vid = be16(&s[off]) & 0x0FFF;
    if (vid != 0) {
      out.has_vlan = true;
      out.vlan = vid;
    }
    type = be16(&s[off + 2]);
    off += 4;
  }
  return decode_ethertype(type, s.subspan(off), out);
}

DecodeStatus decode_tcp(Span s, DecodedPacket& out) {
  if (s.size() < 20) return DecodeStatus::kTruncated;
  const size_t doff = static_cast<size_t>(s[12] >> 4) * 4;
  // The IP length is already validated, so a data offset past the segment is a bad field.
  if (doff < 20 || doff > s.size()) return DecodeStatus::kMalformed;
  out.l4_proto = ipproto::kTcp;
  out.src_port = be16(&s[0]);
  out.dst_port = be16(&s[2]);
  out.tcp_seq = be32(&s[4]);
  out.tcp_ack = be32(&s[8]);
  out.tcp_flags = s[13];  // all eight flag bits (URG/ECE/CWR above the tcp_flag constants)
  out.tcp_window = be16(&s[14]);
  // Options are only read on SYNs: the window scale is announced there (RFC 7323 §2.2) and the
  // reassembly judges segments against the scaled window.
  if ((s[13] & 0x02) != 0) {
    for (size_t o = 20; o < doff;) {
      const uint8_t kind = s[o];
      if (kind == 0) break;  // end of options
      if (kind == 1) {       // no-op
        ++o;
        continue;
      }
      if (o + 1 >= doff || s[o + 1] < 2 || o + s[o + 1] > doff) break;  // malformed: stop reading
      if (kind == 3 && s[o + 1] == 3) out.tcp_wscale = static_cast<int8_t>(s[o + 2] > 14 ? 14 : s[o + 2]);
      o += s[o + 1];
    }
  }
  out.payload = s.subspan(doff);
  return DecodeStatus::kOk;
}

// VXLAN header (RFC 7348): flags(8, I = 0x08) reserved(24) VNI(24) reserved(8).
DecodeStatus decode_vxlan(Span s, DecodedPacket& out) {
  if (out.tunnel_depth >= kMaxTunnelDepth) return DecodeStatus::kOtherL4;
  enter_tunnel(out, true, be32(&s[4]) >> 8);
  return decode_ethernet(s.subspan(8), out);
}

DecodeStatus decode_udp(Span s, DecodedPacket& out) {
  if (s.size() < 8) return DecodeStatus::kTruncated;
  const size_t len = be16(&s[4]);
  if (len < 8) return DecodeStatus::kMalformed;
  if (len > s.size()) return DecodeStatus::kTruncated;
  const uint16_t sport = be16(&s[0]);
  const uint16_t dport = be16(&s[2]);
  const Span data = s.subspan(8, len - 8);
  if (dport == kVxlanPort) {
    if (data.size() < 8) return DecodeStatus::kTruncated;  // not even the VXLAN header
    // Only a header with the I flag (valid VNI) is a tunnel; other traffic to 4789 (variants
    // that clear it, stray use of the port) is reported as the plain UDP datagram it is.
    if ((data[0] & 0x08) != 0) return decode_vxlan(data, out);
  }
  out.l4_proto = ipproto::kUdp;
  out.src_port = sport;
  out.dst_port = dport;
  out.payload = data;
  return DecodeStatus::kOk;
}

// ERSPAN type II header (8 bytes): Ver(4)=1 VLAN(12) | COS(3) En(2) T(1) SessionID(10) |
// Reserved(12) Index(20).
DecodeStatus decode_erspan2(Span s, DecodedPacket& out) {
  if (s.size() < 8) return DecodeStatus::kTruncated;
  if ((s[0] >> 4) != 1) return DecodeStatus::kMalformed;
  enter_tunnel(out, true, be16(&s[2]) & 0x03FF);
  return decode_ethernet(s.subspan(8), out);
}

// ERSPAN type III header (12 bytes): Ver(4)=2 VLAN(12) | COS(3) BSO(2) T(1) SessionID(10) |
// Timestamp(32) | SGT(16) P(1) FT(5) HwID(6) D(1) Gra(2) O(1), then when O is set an 8-byte
// platform-specific subheader.
DecodeStatus decode_erspan3(Span s, DecodedPacket& out) {
  if (s.size() < 12) return DecodeStatus::kTruncated;
  if ((s[0] >> 4) != 2) return DecodeStatus::kMalformed;
  const size_t hlen = (s[11] & 0x01) != 0 ? 20 : 12;
  if (s.size() < hlen) return DecodeStatus::kTruncated;
  enter_tunnel(out, true, be16(&s[2]) & 0x03FF);
  return decode_ethernet(s.subspan(hlen), out);
}

// GRE (RFC 2784/2890): C(1) R(1) K(1) S(1) s(1) Recur(3) Flags(5) Ver(3) | Protocol(16), then
// checksum+offset (C or R), key (K), sequence (S).
DecodeStatus decode_gre(Span s, DecodedPacket& out) {
  if (s.size() < 4) return DecodeStatus::kTruncated;
  const uint16_t flags = be16(&s[0]);
  const uint16_t proto = be16(&s[2]);
  // Version 1 is PPTP's enhanced GRE (PPP payload): not a mirror tunnel.
  if ((flags & 0x0007) != 0) return DecodeStatus::kOtherL4;
  // RFC 2784 receivers must discard source-routed GRE (RFC 1701 routing).
  if ((flags & 0x4000) != 0) return DecodeStatus::kMalformed;
  const bool has_csum = (flags & 0x8000) != 0;
  const bool has_key = (flags & 0x2000) != 0;
  const bool has_seq = (flags & 0x1000) != 0;
  const size_t hlen = 4 + (has_csum ? 4 : 0) + (has_key ? 4 : 0) + (has_seq ? 4 : 0);
  if (s.size() < hlen) return DecodeStatus::kTruncated;
  const uint32_t key = has_key ? be32(&s[4 + (has_csum ? 4 : 0)]) : 0;
  const Span inner = s.subspan(hlen);

  if (out.tunnel_depth >= kMaxTunnelDepth) return DecodeStatus::kOtherL4;
  switch (proto) {
    case ethertype::kTransparentEthernet:
      enter_tunnel(out, has_key, key);
      return decode_ethernet(inner, out);
    case ethertype::kIpv4:
      enter_tunnel(out, has_key, key);
      return decode_ipv4(inner, out);
    case ethertype::kIpv6:
      enter_tunnel(out, has_key, key);
      return decode_ipv6(inner, out);
    case ethertype::kErspan12:
      // Type II always carries a sequence number; type I is the bare GRE header + frame.
      if (has_seq) return decode_erspan2(inner, out);
      enter_tunnel(out, has_key, key);
      return decode_ethernet(inner, out);
    case ethertype::kErspan3:
      return decode_erspan3(inner, out);
    default:
      return DecodeStatus::kOtherL4;  // MPLS, NSH, ... over GRE
  }
}

DecodeStatus decode_l4(uint8_t proto, Span s, DecodedPacket& out) {
  switch (proto) {
    case ipproto::kTcp: return decode_tcp(s, out);
    case ipproto::kUdp: return decode_udp(s, out);
    case ipproto::kGre: return decode_gre(s, out);
    default: return DecodeStatus::kOtherL4;
  }
}

DecodeStatus decode_ipv4(Span s, DecodedPacket& out) {
  if (s.size() < 20) return DecodeStatus::kTruncated;
  if ((s[0] >> 4) != 4) return DecodeStatus::kMalformed;
  const size_t ihl = size_t{s[0] & 0x0Fu} * 4;
  if (ihl < 20) return DecodeStatus::kMalformed;
  const size_t total = be16(&s[2]);
  if (total < ihl) return DecodeStatus::kMalformed;
  // Longer than what we hold: cut by the capture or the encapsulator. Shorter is normal
  // (Ethernet pads frames to 60 bytes) and the excess is dropped below.
  if (total > s.size()) return DecodeStatus::kTruncated;

  out.is_ipv6 = false;
  // IPv4-mapped: 80 zero bits, 16 one bits, the address (two stores of 8 bytes each).
  static_assert(std::endian::native == std::endian::little, "the word below is built little-endian");
  const uint64_t mapped = uint64_t{0xFFFF} << 16;  // bytes 8..11 as little-endian: 00 00 FF FF
  uint32_t a;
  uint64_t lo = 0, hi;
  std::memcpy(out.src_ip.data(), &lo, 8);
  std::memcpy(&a, &s[12], 4);
  hi = mapped | uint64_t{a} << 32;
  std::memcpy(out.src_ip.data() + 8, &hi, 8);
  std::memcpy(out.dst_ip.data(), &lo, 8);
  std::memcpy(&a, &s[16], 4);
  hi = mapped | uint64_t{a} << 32;
  std::memcpy(out.dst_ip.data() + 8, &hi, 8);
  const uint16_t frag = be16(&s[6]);
  if ((frag & 0x2000) != 0 || (frag & 0x1FFF) != 0) return DecodeStatus::kFragment;  // MF / offset
  return decode_l4(s[9], s.subspan(ihl, total - ihl), out);
}

DecodeStatus decode_ipv6(Span s, DecodedPacket& out) {
  if (s.size() < 40) return DecodeStatus::kTruncated;
  if ((s[0] >> 4) != 6) return DecodeStatus::kMalformed;
  const size_t plen = be16(&s[4]);
  if (40 + plen > s.size()) return DecodeStatus::kTruncated;

  out.is_ipv6 = true;
  for (int i = 0; i < 16; ++i) {
    out.src_ip[i] = s[8 + i];
    out.dst_ip[i] = s[24 + i];
  }
  uint8_t next = s[6];
  Span p = s.subspan(40, plen);
  for (int n = 0; n <= kMaxIpv6Extensions; ++n) {
    size_t hlen = 0;
    switch (next) {
      case ipproto::kHopByHop:
      case ipproto::kRouting:
      case ipproto::kDestOpts:
        if (p.size() < 2) return DecodeStatus::kTruncated;
        hlen = (size_t{p[1]} + 1) * 8;
        break;
      case ipproto::kAh:  // RFC 4302: length in 4-byte units minus 2
        if (p.size() < 2) return DecodeStatus::kTruncated;
        hlen = (size_t{p[1]} + 2) * 4;
        break;
      case ipproto::kFragment: {
        if (p.size() < 8) return DecodeStatus::kTruncated;
        const uint16_t off_m = be16(&p[2]);
        // An atomic fragment (offset 0, M clear, RFC 6946) is a whole packet: keep walking.
        if ((off_m >> 3) != 0 || (off_m & 0x0001) != 0) return DecodeStatus::kFragment;
        hlen = 8;
        break;
      }
      case ipproto::kEsp:     // encrypted: nothing to read
      case ipproto::kNoNext:
        return DecodeStatus::kOtherL4;
      default:
        return decode_l4(next, p, out);
    }
    if (p.size() < hlen) return DecodeStatus::kTruncated;
    next = p[0];
    p = p.subspan(hlen);
  }
  return DecodeStatus::kMalformed;
}

}  // namespace

DecodeStatus decode_frame(std::span<const uint8_t> frame, DecodedPacket& out) {
  out = DecodedPacket{};
  const DecodeStatus st = decode_ethernet(frame, out);
  if (st != DecodeStatus::kOk) out.payload = {};
  return st;
}

const char* decode_status_name(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::kOk: return "ok";
    case DecodeStatus::kNotIp: return "not_ip";
    case DecodeStatus::kFragment: return "fragment";
    case DecodeStatus::kOtherL4: return "other_l4";
    case DecodeStatus::kTruncated: return "truncated";
    case DecodeStatus::kMalformed: return "malformed";
    case DecodeStatus::kCount: break;
  }
  return "unknown";
}

}  // namespace l7tap
