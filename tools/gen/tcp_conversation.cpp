#include "tools/gen/tcp_conversation.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <utility>

namespace gen {
namespace {

constexpr uint16_t kEthIpv4 = 0x0800, kEthIpv6 = 0x86DD, kEthVlan = 0x8100;
constexpr uint8_t kProtoTcp = 6, kProtoUdp = 17;
constexpr uint16_t kVxlanPort = 4789;
// Windows as Linux sends them: 64240 in a SYN (not scaled), 65160 in the SYN-ACK, then the scaled
// value (502 << 7 = 64256 bytes).
constexpr uint16_t kSynWindow = 64240, kSynAckWindow = 65160, kWindow = 502;
// VXLAN tunnel endpoints (outer IPv4): the client side's VTEP and the server side's.
constexpr uint8_t kVtepClient[4] = {172, 31, 0, 1};
constexpr uint8_t kVtepServer[4] = {172, 31, 0, 2};

inline void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// Internet checksum (RFC 1071): one's-complement sum of 16-bit words, folded.
uint32_t sum16(const uint8_t* p, std::size_t n, uint32_t s = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if ((n & 1) != 0) s += static_cast<uint32_t>(p[n - 1] << 8);
  return s;
}
uint16_t fold(uint32_t s) {
  while ((s >> 16) != 0) s = (s & 0xFFFF) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

// Ethernet header; MACs are locally administered and derived from the IP so each host has one.
void ethernet(uint8_t* p, const uint8_t* dst4, uint8_t dst_kind, const uint8_t* src4, uint8_t src_kind) {
  p[0] = 0x02;
  p[1] = dst_kind;
  std::memcpy(p + 2, dst4, 4);
  p[6] = 0x02;
  p[7] = src_kind;
  std::memcpy(p + 8, src4, 4);
}

void ipv4_header(uint8_t* p, uint16_t total, uint16_t id, uint8_t proto, const uint8_t* src, const uint8_t* dst) {
  p[0] = 0x45;
  p[1] = 0;
  put16(p + 2, total);
  put16(p + 4, id);
  put16(p + 6, 0x4000);  // DF
  p[8] = 64;
  p[9] = proto;
  p[10] = p[11] = 0;
  std::memcpy(p + 12, src, 4);
  std::memcpy(p + 16, dst, 4);
  put16(p + 10, fold(sum16(p, 20)));
}

}  // namespace

Ip ip4(const char* text) {
  Ip a{};
  if (inet_pton(AF_INET, text, a.data()) != 1) a = Ip{};
  return a;
}

Ip ip6(const char* text) {
  Ip a{};
  if (inet_pton(AF_INET6, text, a.data()) != 1) a = Ip{};
  return a;
}

uint8_t* FrameArena::begin_frame(std::size_t max_len) {
  start_ = bytes_.size();
  bytes_.resize(start_ + max_len);
  return bytes_.data() + start_;
}

void FrameArena::end_frame(std::size_t len) {
  bytes_.resize(start_ + len);
  ends_.push_back(bytes_.size());
}

TcpConversation::TcpConversation(const FlowSpec& s)
    : cip_(s.client_ip),
      sip_(s.server_ip),
      seq_{s.client_isn, s.server_isn},
      vni_(s.vni & 0xFFFFFF),
      cport_(s.client_port),
      sport_(s.server_port),
      vlan_(static_cast<uint16_t>(s.vlan & 0x0FFF)),
      mss_(s.mss == 0 ? 1448 : s.mss),
      wscale_(s.window_scale),
      flags_(static_cast<uint8_t>((s.ipv6 ? kV6 : 0) | (s.vxlan ? kVxlan : 0) | (s.tcp_checksum ? kCsum : 0))) {}

std::size_t TcpConversation::l2_len() const { return (has_vxlan() ? 50 : 0) + 14 + (vlan_ != 0 ? 4 : 0); }

std::size_t TcpConversation::header_len(bool syn) const {
  return l2_len() + (ipv6() ? 40 : 20) + (syn ? 28 : 20);
}

std::size_t TcpConversation::write_l2_l3(uint8_t* frame, Dir d, uint8_t proto, std::size_t l4_len) {
  const bool up = d == Dir::kToServer;
  const bool v6 = ipv6();
  const std::size_t l3_len = (v6 ? 40 : 20) + l4_len;
  const std::size_t eth_len = 14 + (vlan_ != 0 ? 4 : 0) + l3_len;
  const uint16_t id = ipid_[idx(d)]++;
  std::size_t off = 0;
  if (has_vxlan()) {
    // RFC 7348 §5: outer Ethernet, outer IPv4, UDP to 4789 with a source port from a hash of the
    // inner flow (entropy for ECMP), checksum 0, then the 8-byte VXLAN header (I flag, VNI).
    const uint8_t* src = up ? kVtepClient : kVtepServer;
    const uint8_t* dst = up ? kVtepServer : kVtepClient;
    ethernet(frame, dst, 0x0A, src, 0x0A);
    put16(frame + 12, kEthIpv4);
    ipv4_header(frame + 14, static_cast<uint16_t>(20 + 8 + 8 + eth_len), id, kProtoUdp, src, dst);
    uint8_t* u = frame + 34;
    const uint16_t entropy = static_cast<uint16_t>((cport_ * 31u) ^ sport_ ^ (vni_ * 7u));
    put16(u, static_cast<uint16_t>(49152 | (entropy & 0x3FFF)));
    put16(u + 2, kVxlanPort);
    put16(u + 4, static_cast<uint16_t>(8 + 8 + eth_len));
    put16(u + 6, 0);
    uint8_t* v = u + 8;
    put32(v, 0x08000000u);
    put32(v + 4, vni_ << 8);
    off = 50;
  }
  const Ip& src_ip = up ? cip_ : sip_;
  const Ip& dst_ip = up ? sip_ : cip_;
  const uint8_t* src_mac = src_ip.data() + (v6 ? 12 : 0);
  const uint8_t* dst_mac = dst_ip.data() + (v6 ? 12 : 0);
  ethernet(frame + off, dst_mac, up ? 0x01 : 0x00, src_mac, up ? 0x00 : 0x01);
  off += 12;
  if (vlan_ != 0) {
    put16(frame + off, kEthVlan);
    put16(frame + off + 2, vlan_);
    off += 4;
  }
  put16(frame + off, v6 ? kEthIpv6 : kEthIpv4);
  off += 2;
  uint8_t* ip = frame + off;
  if (v6) {
    put32(ip, 0x60000000u);
    put16(ip + 4, static_cast<uint16_t>(l4_len));
    ip[6] = proto;
    ip[7] = 64;
    std::memcpy(ip + 8, src_ip.data(), 16);
    std::memcpy(ip + 24, dst_ip.data(), 16);
    return off + 40;
  }
  ipv4_header(ip, static_cast<uint16_t>(l3_len), id, proto, src_ip.data(), dst_ip.data());
  return off + 20;
}

// The pseudo-header sum (RFC 9293 §3.1, RFC 8200 §8.1) for an L4 segment of `len` bytes.
static uint32_t pseudo_sum(bool v6, const Ip& src, const Ip& dst, uint8_t proto, std::size_t len) {
  uint32_t s = sum16(src.data(), v6 ? 16 : 4);
  s = sum16(dst.data(), v6 ? 16 : 4, s);
  return s + proto + static_cast<uint32_t>(len & 0xFFFF) + static_cast<uint32_t>(len >> 16);
}

std::size_t TcpConversation::build(uint8_t* frame, Dir d, uint32_t seq, uint32_t ack, uint8_t flags,
                                   std::size_t payload_len) {
  const bool syn = (flags & tcp::kSyn) != 0;
  const std::size_t tcp_len = syn ? 28 : 20;
  const std::size_t l4 = write_l2_l3(frame, d, kProtoTcp, tcp_len + payload_len);
  const bool up = d == Dir::kToServer;
  uint8_t* t = frame + l4;
  put16(t, up ? cport_ : sport_);
  put16(t + 2, up ? sport_ : cport_);
  put32(t + 4, seq);
  put32(t + 8, ack);
  t[12] = static_cast<uint8_t>((tcp_len / 4) << 4);
  t[13] = flags;
  put16(t + 14, syn ? ((flags & tcp::kAck) != 0 ? kSynAckWindow : kSynWindow) : kWindow);
  put16(t + 16, 0);
  put16(t + 18, 0);
  if (syn) {
    // RFC 9293 §3.2 MSS (kind 2, length 4), NOP, RFC 7323 window scale (kind 3, length 3).
    t[20] = 2;
    t[21] = 4;
    put16(t + 22, mss_);
    t[24] = 1;
    t[25] = 3;
    t[26] = 3;
    t[27] = wscale_;
  }
  if ((flags_ & kCsum) != 0) {
    const std::size_t len = tcp_len + payload_len;
    put16(t + 16, fold(sum16(t, len, pseudo_sum(ipv6(), up ? cip_ : sip_, up ? sip_ : cip_, kProtoTcp, len))));
  }
  return l4 + tcp_len + payload_len;
}

std::size_t TcpConversation::build_next(uint8_t* frame, Dir d, uint8_t flags, std::size_t payload_len) {
  const int i = idx(d);
  const uint32_t ack = (flags & tcp::kAck) != 0 ? seq_[1 - i] : 0;
  const std::size_t n = build(frame, d, seq_[i], ack, flags, payload_len);
  seq_[i] += static_cast<uint32_t>(payload_len) + ((flags & (tcp::kSyn | tcp::kFin)) != 0 ? 1 : 0);
  return n;
}

void TcpConversation::handshake(FrameSink& out) {
  for (auto [d, flags] : {std::pair{Dir::kToServer, tcp::kSyn}, std::pair{Dir::kToClient, uint8_t(tcp::kSyn | tcp::kAck)},
                          std::pair{Dir::kToServer, tcp::kAck}}) {
    uint8_t* f = out.begin_frame(header_len(true));
    out.end_frame(build_next(f, d, flags, 0));
  }
}

std::size_t TcpConversation::send(FrameSink& out, Dir d, std::span<const uint8_t> data, bool ack_after) {
  std::size_t segments = 0;
  for (std::size_t off = 0; off < data.size(); off += mss_, ++segments) {
    const std::size_t n = data.size() - off < mss_ ? data.size() - off : mss_;
    const std::size_t hl = header_len(false);
    uint8_t* f = out.begin_frame(hl + n);
    std::memcpy(f + hl, data.data() + off, n);
    const uint8_t flags = off + n == data.size() ? tcp::kPsh | tcp::kAck : tcp::kAck;
    out.end_frame(build_next(f, d, flags, n));
  }
  if (ack_after) ack(out, opposite(d));
  return segments;
}

void TcpConversation::ack(FrameSink& out, Dir d) {
  uint8_t* f = out.begin_frame(header_len(false));
  out.end_frame(build_next(f, d, tcp::kAck, 0));
}

void TcpConversation::fin(FrameSink& out, Dir d) {
  uint8_t* f = out.begin_frame(header_len(false));
  out.end_frame(build_next(f, d, tcp::kFin | tcp::kAck, 0));
}

void TcpConversation::close(FrameSink& out, Dir first) {
  fin(out, first);
  fin(out, opposite(first));
  ack(out, first);
}

void TcpConversation::rst(FrameSink& out, Dir d) {
  uint8_t* f = out.begin_frame(header_len(false));
  out.end_frame(build_next(f, d, tcp::kRst | tcp::kAck, 0));
}

TcpConversation::Segment TcpConversation::next(Dir d, std::span<const uint8_t> payload, uint8_t flags) const {
  Segment s;
  s.dir = d;
  s.seq = seq_[idx(d)];
  s.ack = (flags & tcp::kAck) != 0 ? seq_[1 - idx(d)] : 0;
  s.flags = flags;
  s.payload = payload;
  return s;
}

TcpConversation::Segment TcpConversation::hold(Dir d, std::span<const uint8_t> payload) {
  Segment s = next(d, payload);
  advance(d, static_cast<uint32_t>(payload.size()));
  return s;
}

void TcpConversation::emit(FrameSink& out, const Segment& s) {
  const std::size_t hl = header_len((s.flags & tcp::kSyn) != 0);
  uint8_t* f = out.begin_frame(hl + s.payload.size());
  if (!s.payload.empty()) std::memcpy(f + hl, s.payload.data(), s.payload.size());
  out.end_frame(build(f, s.dir, s.seq, s.ack, s.flags, s.payload.size()));
}

void TcpConversation::datagram(FrameSink& out, Dir d, std::span<const uint8_t> payload) {
  const std::size_t max = l2_len() + (ipv6() ? 40 : 20) + 8 + payload.size();
  uint8_t* f = out.begin_frame(max);
  const std::size_t l4 = write_l2_l3(f, d, kProtoUdp, 8 + payload.size());
  const bool up = d == Dir::kToServer;
  uint8_t* u = f + l4;
  put16(u, up ? cport_ : sport_);
  put16(u + 2, up ? sport_ : cport_);
  put16(u + 4, static_cast<uint16_t>(8 + payload.size()));
  put16(u + 6, 0);
  if (!payload.empty()) std::memcpy(u + 8, payload.data(), payload.size());
  // The UDP checksum is mandatory over IPv6 (RFC 8200 §8.1); filled for IPv4 too. 0 is sent as
  // 0xFFFF (RFC 768).
  const std::size_t len = 8 + payload.size();
  uint16_t c = fold(sum16(u, len, pseudo_sum(ipv6(), up ? cip_ : sip_, up ? sip_ : cip_, kProtoUdp, len)));
  put16(u + 6, c == 0 ? 0xFFFF : c);
  out.end_frame(l4 + len);
}

}  // namespace gen
