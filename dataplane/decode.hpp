// L2–L4 decode of one captured frame, DPDK-free (byte span in). Handles Ethernet II, 802.1Q and
// QinQ (0x8100/0x88a8/0x9100), IPv4 (fragments recognised and counted, not reassembled), IPv6 with
// extension headers, TCP, UDP, and the tunnels mirror ports carry: VXLAN (UDP 4789), GRE
// (with key / sequence / checksum bits, transparent Ethernet bridging 0x6558, IPv4/IPv6 inner) and
// ERSPAN type II (GRE proto 0x88be) and type III (0x22eb). For tunnelled frames the inner packet is
// what is reported; the tunnel id (VNI, GRE key or ERSPAN session id) is kept.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace l7tap {

enum class DecodeStatus : uint8_t {
  kOk,           // L4 found (TCP or UDP); payload set
  kNotIp,        // ARP, LLDP, ... : ignored
  kFragment,     // IPv4/IPv6 fragment: counted, not parsed
  kOtherL4,      // ICMP, SCTP, ...: ignored
  kTruncated,    // a header runs past the end of the frame
  kMalformed,    // inconsistent lengths / bad version / bad header length
  kCount
};

struct DecodedPacket {
  // Addresses are 16 bytes; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d) so keys compare uniformly.
  std::array<uint8_t, 16> src_ip{};
  std::array<uint8_t, 16> dst_ip{};
  bool is_ipv6 = false;
  uint8_t l4_proto = 0;  // 6 TCP, 17 UDP
  uint16_t src_port = 0;
  uint16_t dst_port = 0;

  // VLAN: the innermost 802.1Q tag's id seen on the (outer or inner) Ethernet header.
  bool has_vlan = false;
  uint16_t vlan = 0;
  // Tunnel: VXLAN VNI / GRE key / ERSPAN session id of the outermost tunnel.
  bool has_tunnel_id = false;
  uint32_t tunnel_id = 0;
  uint8_t tunnel_depth = 0;  // number of tunnel layers removed

  // TCP only.
  uint32_t tcp_seq = 0;
  uint32_t tcp_ack = 0;
  uint8_t tcp_flags = 0;  // FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10
  uint16_t tcp_window = 0;
  int8_t tcp_wscale = -1;  // window scale option (RFC 7323) of a SYN; -1 = absent

  // L4 payload (TCP/UDP data), trimmed to the IP total length (Ethernet padding removed).
  std::span<const uint8_t> payload;
};

namespace tcp_flag {
inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
}

// Decodes `frame` (starting at the Ethernet header). Never reads outside `frame`.
DecodeStatus decode_frame(std::span<const uint8_t> frame, DecodedPacket& out);

const char* decode_status_name(DecodeStatus s);

}  // namespace l7tap
