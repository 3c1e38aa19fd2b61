// L2–L4 decoder tests. Frames are built with tests/dataplane/frame_builder.hpp from the protocol
// specifications (the builder's output was checked field by field against `tshark -V`). Run these
// under -fsanitize=address,undefined: the truncation and mutation tests exist to catch any read
// outside the frame.
#include "dataplane/decode.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "dataplane/flow_key.hpp"
#include "tests/dataplane/frame_builder.hpp"

namespace l7tap {
namespace {

using fb::Bytes;

const fb::Ip4 kA = fb::ip4("10.0.0.1");
const fb::Ip4 kB = fb::ip4("10.0.0.2");
const fb::Ip4 kInnerC = fb::ip4("192.168.1.10");
const fb::Ip4 kInnerS = fb::ip4("192.168.1.20");
const fb::Ip6 kA6 = fb::ip6("2001:db8::1");
const fb::Ip6 kB6 = fb::ip6("2001:db8::2");

bool within(const Bytes& frame, std::span<const uint8_t> s) {
  if (s.empty()) return true;
  return s.data() >= frame.data() && s.data() + s.size() <= frame.data() + frame.size();
}

std::string text(std::span<const uint8_t> s) { return std::string(s.begin(), s.end()); }

DecodeStatus dec(const Bytes& f, DecodedPacket& p) {
  const DecodeStatus st = decode_frame(f, p);
  EXPECT_TRUE(within(f, p.payload)) << "payload outside the frame";
  if (st != DecodeStatus::kOk) {
    EXPECT_TRUE(p.payload.empty());
  }
  return st;
}

// The inner frame every tunnel test carries: VLAN 42, TCP 40000 -> 9092 with "hello kafka".
Bytes inner_frame(bool vlan = true) {
  fb::EthOpts eo;
  if (vlan) eo.tags = {{.vid = 42}};
  return fb::eth_ipv4(kInnerC, kInnerS, fb::kTcp,
                      fb::tcp(40000, 9092, fb::bytes("hello kafka"), {.seq = 111, .ack = 222}), eo);
}

void expect_inner(const DecodedPacket& p) {
  EXPECT_FALSE(p.is_ipv6);
  EXPECT_EQ(p.src_ip, fb::mapped(kInnerC));
  EXPECT_EQ(p.dst_ip, fb::mapped(kInnerS));
  EXPECT_EQ(p.l4_proto, 6);
  EXPECT_EQ(p.src_port, 40000);
  EXPECT_EQ(p.dst_port, 9092);
  EXPECT_EQ(p.tcp_seq, 111u);
  EXPECT_EQ(p.tcp_ack, 222u);
  EXPECT_EQ(text(p.payload), "hello kafka");
}

// --- plain frames ------------------------------------------------------------------------------

TEST(Decode, PlainIpv4Tcp) {
  const Bytes f = fb::eth_ipv4(
      kA, kB, fb::kTcp,
      fb::tcp(1234, 80, fb::bytes("GET / HTTP/1.0\r\n\r\n"),
              {.seq = 0xDEADBEEF, .ack = 0x01020304, .flags = fb::tcpf::kSyn | fb::tcpf::kAck,
               .options = {2, 4, 5, 0xB4}}));  // MSS option: data offset 6
  DecodedPacket p;
  ASSERT_EQ(dec(f, p), DecodeStatus::kOk);
  EXPECT_FALSE(p.is_ipv6);
  EXPECT_EQ(p.src_ip, fb::mapped(kA));
  EXPECT_EQ(p.dst_ip, fb::mapped(kB));
  EXPECT_EQ(p.l4_proto, 6);
  EXPECT_EQ(p.src_port, 1234);
  EXPECT_EQ(p.dst_port, 80);
  EXPECT_EQ(p.tcp_seq, 0xDEADBEEFu);
  EXPECT_EQ(p.tcp_ack, 0x01020304u);
  EXPECT_EQ(p.tcp_flags, tcp_flag::kSyn | tcp_flag::kAck);
  EXPECT_EQ(text(p.payload), "GET / HTTP/1.0\r\n\r\n");
  EXPECT_FALSE(p.has_vlan);
  EXPECT_FALSE(p.has_tunnel_id);
  EXPECT_EQ(p.tunnel_depth, 0);
}

// The window and, on a SYN, the window scale option (RFC 7323) feed the reassembly's judgement of
// forged segments; other options, malformed option lists and non-SYNs give no scale.
TEST(Decode, TcpWindowAndWindowScale) {
  auto syn = [](Bytes options, uint8_t flags = fb::tcpf::kSyn) {
    DecodedPacket p;
    EXPECT_EQ(decode_frame(fb::eth_ipv4(kA, kB, fb::kTcp,
                                        fb::tcp(40000, 80, {}, {.flags = flags, .window = 29200,
                                                                .options = std::move(options)})),
                           p),
              DecodeStatus::kOk);
    return p;
  };
  // MSS 1460, SACK permitted, timestamps, NOP, window scale 7 (Linux's SYN).
  const Bytes linux_opts = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
  DecodedPacket p = syn(linux_opts);
  EXPECT_EQ(p.tcp_window, 29200);
  EXPECT_EQ(p.tcp_wscale, 7);
  EXPECT_EQ(syn(linux_opts, fb::tcpf::kSyn | fb::tcpf::kAck).tcp_wscale, 7);
  EXPECT_EQ(syn(linux_opts, fb::tcpf::kAck).tcp_wscale, -1);  // only read on SYNs
  EXPECT_EQ(syn({2, 4, 0x05, 0xb4}).tcp_wscale, -1);          // no window scale option
  EXPECT_EQ(syn({1, 3, 3, 20}).tcp_wscale, 14);               // above 14: 14 (RFC 7323 §2.3)
  EXPECT_EQ(syn({2, 0, 3, 3, 7}).tcp_wscale, -1);             // a zero length stops the walk
  EXPECT_EQ(syn({2, 40, 3, 3, 7}).tcp_wscale, -1);            // a length past the header too
  EXPECT_EQ(syn({0, 3, 3, 7}).tcp_wscale, -1);                // after end-of-options: ignored
}

TEST(Decode, Ipv4TcpWithIpOptions) {
  const Bytes f = fb::eth_ipv4(kA, kB, fb::kTcp, fb::tcp(1, 2, fb::bytes("data")), {},
                               {.options = {0x94, 0x04, 0x00, 0x00}});  // router alert: IHL 6
  DecodedPacket p;
  ASSERT_EQ(dec(f, p), DecodeStatus::kOk);
  EXPECT_EQ(p.src_port, 1);
  EXPECT_EQ(text(p.payload), "data");
}

TEST(Decode, Ipv4Udp) {
  const Bytes f = fb::eth_ipv4(kA, kB, fb::kUdp, fb::udp(5353, 7777, fb::bytes("datagram")));
  DecodedPacket p;
  ASSERT_EQ(dec(f, p), DecodeStatus::kOk);
  EXPECT_EQ(p.l4_proto, 17);
  EXPECT_EQ(p.src_port, 5353);
  EXPECT_EQ(p.dst_port, 7777);
  EXPECT_EQ(text(p.payload), "datagram");
  EXPECT_EQ(p.tcp_flags, 0);
}

TEST(Decode, Ipv6TcpWithExtensionHeaders) {
  // Hop-by-hop, destination options, segment routing, an atomic fragment (offset 0, M clear:
  // a whole packet, RFC 6946) and AH, then TCP.
  const Bytes f = fb::eth_ipv6(
      kA6, kB6, fb::kTcp, fb::tcp(5555, 443, fb::bytes("abc")), {},
      {.exts = {fb::ext_hop_by_hop(), fb::ext_dest_opts(), fb::ext_routing(kB6),
                fb::ext_fragment(0, false), fb::ext_ah()}});
  DecodedPacket p;
  ASSERT_EQ(dec(f, p), DecodeStatus::kOk);
  EXPECT_TRUE(p.is_ipv6);
  EXPECT_EQ(p.src_ip, kA6);
  EXPECT_EQ(p.dst_ip, kB6);
  EXPECT_EQ(p.l4_proto, 6);
  EXPECT_EQ(p.src_port, 5555);
  EXPECT_EQ(p.dst_port, 443);
  EXPECT_EQ(text(p.payload), "abc");
}

TEST(Decode, Ipv6UdpPlain) {
  const Bytes f = fb::eth_ipv6(kA6, kB6, fb::kUdp, fb::udp(1000, 2000, fb::bytes("u6")));
  DecodedPacket p;
  ASSERT_EQ(dec(f, p), DecodeStatus::kOk);
  EXPECT_TRUE(p.is_ipv6);
  EXPECT_EQ(p.l4_proto, 17);
  EXPECT_EQ(text(p.payload), "u6");
}

TEST(Decode, Ipv6EspAndNoNextHeaderAreOtherL4) {
  DecodedPacket p;
  EXPECT_EQ(dec(fb::eth_ipv6(kA6, kB6, 50, Bytes(16, 0x11)), p), DecodeStatus::kOtherL4);
  EXPECT_EQ(dec(fb::eth_ipv6(kA6, kB6, 59, {}), p), DecodeStatus::kOtherL4);
  EXPECT_EQ(dec(fb::eth_ipv6(kA6, kB6, 58, Bytes(8, 0)), p), DecodeStatus::kOtherL4);  // ICMPv6
  // ESP after a destination options header.
  EXPECT_EQ(dec(fb::eth_ipv6(kA6, kB6, 50, Bytes(16, 0x11), {}, {.exts = {fb::ext_dest_opts()}}), p),
            DecodeStatus::kOtherL4);
}

TEST(Decode, NotIpAndOtherL4) {
  DecodedPacket p;
  EXPECT_EQ(dec(fb::pad_to(fb::ethernet(fb::kEthArp, Bytes(28, 0))), p), DecodeStatus::kNotIp);
  EXPECT_EQ(dec(fb::ethernet(fb::kEthArp, Bytes(28, 0), {.tags = {{.vid = 5}}}), p),
            DecodeStatus::kNotIp);
  EXPECT_EQ(dec(fb::pad_to(fb::ethernet(46, Bytes(46, 0xAA))), p), DecodeStatus::kNotIp);  // 802.3
  EXPECT_EQ(dec(fb::eth_ipv4(kA, kB, fb::kIcmp, Bytes{8, 0, 0, 0, 0, 1, 0, 1}), p),
            DecodeStatus::kOtherL4);
  EXPECT_EQ(dec(fb::eth_ipv4(kA, kB, 132, Bytes(12, 0)), p), DecodeStatus::kOtherL4);  // SCTP
}

// --- VLANs -------------------------------------------------------------------------------------

TEST(Decode, SingleVlan) {
  const Bytes f = fb::eth_ipv4(kA, kB, fb::kTcp, fb::tcp(1, 2, fb::bytes("x")),
                               {.tags = {{.vid = 100, .tpid = 0x8100, .pcp = 5}}});
  DecodedPacket p;
  ASSERT_EQ(dec(f, p), DecodeStatus::kOk);
  EXPECT_TRUE(p.has_vlan);
  EXPECT_EQ(p.vlan, 100);
  EXPECT_EQ(text(p.payload), "x");
}

TEST(Decode, QinQReportsInnermostTag) {
  for (uint16_t outer_tpid : {uint16_t{0x88A8}, uint16_t{0x9100}, uint16_t{0x8100}}) {
    const Bytes f = fb::eth_ipv4(kA, kB, fb::kUdp, fb::udp(1, 2, fb::bytes("q")),
                                 {.tags = {{.vid = 100, .tpid = outer_tpid}, {.vid = 200}}});
    DecodedPacket p;
    ASSERT_EQ(dec(f, p), DecodeStatus::kOk) << outer_tpid;
    EXPECT_TRUE(p.has_vlan);
    EXPECT_EQ(p.vlan, 200) << outer_tpid;
    EXPECT_EQ(text(p.payload), "q");
  }
  // Three tags.
  const Bytes f3 = fb::eth_ipv4(kA, kB, fb::kUdp, fb::udp(1, 2, {}),
                                {.tags = {{.vid = 1, .tpid = 0x88A8}, {.vid = 2}, {.vid = 3}}});
  DecodedPacket p;
  ASSERT_EQ(dec(f3, p), DecodeStatus::kOk);
  EXPECT_EQ(p.vlan, 3);
}

TEST(Decode, PriorityTagNamesNoVlan) {
  DecodedPacket p;
  ASSERT_EQ(dec(fb::eth_ipv4(kA, kB, fb::kUdp, fb::udp(1, 2, {}), {.tags = {{.vid = 0, .pcp = 6}}}), p),
            DecodeStatus::kOk);
  EXPECT_FALSE(p.has_vlan);
  // VID 0 inside a service tag: the outer VLAN is what names the traffic.
  ASSERT_EQ(dec(fb::eth_ipv4(kA, kB, fb::kUdp, fb::udp(1, 2, {}),
                             {.tags = {{.vid = 300, .tpid = 0x88A8}, {.vid = 0}}}),
                p),
            DecodeStatus::kOk);
  EXPECT_TRUE(p.has_vlan);
  EXPECT_EQ(p.vlan, 300);
}

// --- tunnels -----------------------------------------------------------------------------------

TEST(Decode, Vxlan) {
  const Bytes f = fb::eth_ipv4(kA, kB, fb::kUdp, fb::udp(50000, 4789, fb::vxlan(5000, inner_frame())),
                               {.tags = {{.vid = 7}}});
  DecodedPacket p;
  ASSERT_EQ(dec(f, p), DecodeStatus::kOk);
  expect_inner(p);
  EXPECT_TRUE(p.has_tunnel_id);
  EXPECT_EQ(p.tunnel_id, 5000u);
  EXPECT_EQ(p.tunnel_depth, 1);
  EXPECT_TRUE(p.has_vlan);
  EXPECT_EQ(p.vlan, 42);  // inner Ethernet's tag preferred over the outer 7
}

TEST(Decode, VxlanInnerUntaggedKeepsOuterVlanAndMaxVni) {
  const Bytes f = fb::eth_ipv4(kA, kB, fb::kUdp,
                               fb::udp(50000, 4789, fb::vxlan(0xFFFFFF, inner_frame(false))),
                               {.tags = {{.vid = 7}}});
  DecodedPacket p;
  ASSERT_EQ(dec(f, p), DecodeStatus::kOk);
  expect_inner(p);
  EXPECT_EQ(p.tunnel_id, 0xFFFFFFu);
  EXPECT_TRUE(p.has_vlan);
  EXPECT_EQ(p.vlan, 7);
}

TEST(Decode, VxlanOverIpv6) {
  const Bytes f = fb::eth_ipv6(kA6, kB6, fb::kUdp, fb::udp(50000, 4789, fb::vxlan(9, inner_frame())));
  DecodedPacket p;
  ASSERT_EQ(dec(f, p), DecodeStatus::kOk);
  expect_inner(p);
  EXPECT_EQ(p.tunnel_id, 9u);
}

TEST(Decode, Udp4789WithoutVxlanIFlagIsPlainUdp) {
  const Bytes data = fb::vxlan(5000, inner_frame(), /*i_flag=*/false);
  const Bytes f = fb::eth_ipv4(kA, kB, fb::kUdp, fb::udp(50000, 4789, data));
  DecodedPacket p;
  ASSERT_EQ(dec(f, p), DecodeStatus::kOk);
  EXPECT_EQ(p.l4_proto, 17);
  EXPECT_EQ(p.dst_port, 4789);
  EXPECT_EQ(p.payload.size(), data.size());
  EXPECT_EQ(p.tunnel_depth, 0);
  EXPECT_FALSE(p.has_tunnel_id);
}

TEST(Decode, GreWithKeyInnerIpv4) {
  // Checksum, key and sequence all present: the key is found behind the checksum word.
  const Bytes inner_ip = fb::ipv4(kInnerC, kInnerS, fb::kUdp, fb::udp(1000, 2000, fb::bytes("gre")));
  const Bytes f = fb::eth_ipv4(kA, kB, fb::kGre,
                               fb::gre(fb::kEthIpv4, inner_ip, {.checksum = true, .key = 77, .seq = 9}));
  DecodedPacket p;
  ASSERT_EQ(dec(f, p), DecodeStatus::kOk);
  EXPECT_EQ(p.src_ip, fb::mapped(kInnerC));
  EXPECT_EQ(p.dst_ip, fb::mapped(kInnerS));
  EXPECT_EQ(p.l4_proto, 17);
  EXPECT_EQ(p.src_port, 1000);
  EXPECT_EQ(text(p.payload), "gre");
  EXPECT_TRUE(p.has_tunnel_id);
  EXPECT_EQ(p.tunnel_id, 77u);
  EXPECT_EQ(p.tunnel_depth, 1);

  // Key only.
  const Bytes f2 = fb::eth_ipv4(kA, kB, fb::kGre, fb::gre(fb::kEthIpv4, inner_ip, {.key = 0xFFFFFFFF}));
  ASSERT_EQ(dec(f2, p), DecodeStatus::kOk);
  EXPECT_EQ(p.tunnel_id, 0xFFFFFFFFu);
}

TEST(Decode, GreInnerIpv6WithoutKey) {
  const Bytes inner_ip = fb::ipv6(kA6, kB6, fb::kTcp, fb::tcp(7, 8, fb::bytes("v6")));
  const Bytes f = fb::eth_ipv4(kA, kB, fb::kGre, fb::gre(fb::kEthIpv6, inner_ip));
  DecodedPacket p;
  ASSERT_EQ(dec(f, p), DecodeStatus::kOk);
  EXPECT_TRUE(p.is_ipv6);
  EXPECT_EQ(p.src_ip, kA6);
  EXPECT_EQ(text(p.payload), "v6");
  EXPECT_FALSE(p.has_tunnel_id);
  EXPECT_EQ(p.tunnel_depth, 1);
}

TEST(Decode, GreTransparentEthernetBridging) {
  const Bytes f = fb::eth_ipv4(kA, kB, fb::kGre, fb::gre(fb::kEthTeb, inner_frame(), {.key = 0x1234}));
  DecodedPacket p;
  ASSERT_EQ(dec(f, p), DecodeStatus::kOk);
  expect_inner(p);
  EXPECT_EQ(p.tunnel_id, 0x1234u);
  EXPECT_EQ(p.tunnel_depth, 1);
  EXPECT_EQ(p.vlan, 42);
}

TEST(Decode, ErspanTypeII) {
  const Bytes f = fb::eth_ipv4(
      kA, kB, fb::kGre,
      fb::gre(fb::kEthErspan12,
              fb::erspan2({.session = 1023, .vlan = 42, .cos = 5, .en = 3, .index = 0xABCDE}, inner_frame()),
              {.seq = 3}));
  DecodedPacket p;
  ASSERT_EQ(dec(f, p), DecodeStatus::kOk);
  expect_inner(p);
  EXPECT_TRUE(p.has_tunnel_id);
  EXPECT_EQ(p.tunnel_id, 1023u);
  EXPECT_EQ(p.tunnel_depth, 1);
  EXPECT_EQ(p.vlan, 42);
}

TEST(Decode, ErspanTypeIIOverIpv6) {
  const Bytes f = fb::eth_ipv6(
      kA6, kB6, fb::kGre,
      fb::gre(fb::kEthErspan12, fb::erspan2({.session = 7}, inner_frame(false)), {.seq = 1}));
  DecodedPacket p;
  ASSERT_EQ(dec(f, p), DecodeStatus::kOk);
  expect_inner(p);
  EXPECT_EQ(p.tunnel_id, 7u);
  EXPECT_FALSE(p.has_vlan);
}

TEST(Decode, ErspanTypeIII) {
  const Bytes f = fb::eth_ipv4(
      kA, kB, fb::kGre,
      fb::gre(fb::kEthErspan3,
              fb::erspan3({.session = 1000, .vlan = 42, .timestamp = 0x11223344, .sgt = 7, .hw_id = 5,
                           .gra = 1},
                          inner_frame()),
              {.seq = 4}));
  DecodedPacket p;
  ASSERT_EQ(dec(f, p), DecodeStatus::kOk);
  expect_inner(p);
  EXPECT_EQ(p.tunnel_id, 1000u);
  EXPECT_EQ(p.tunnel_depth, 1);
}

TEST(Decode, ErspanTypeIIIWithPlatformSubheader) {
  // O bit set: an 8-byte platform-specific subheader sits between the header and the frame.
  const Bytes f = fb::eth_ipv4(
      kA, kB, fb::kGre,
      fb::gre(fb::kEthErspan3,
              fb::erspan3({.session = 1001, .platform = true, .platform_id = 3,
                           .platform_info = 0x3FFFFFFFFFFFFFFULL},
                          inner_frame()),
              {.seq = 5}));
  DecodedPacket p;
  ASSERT_EQ(dec(f, p), DecodeStatus::kOk);
  expect_inner(p);
  EXPECT_EQ(p.tunnel_id, 1001u);
}

TEST(Decode, ErspanTypeI) {
  // No sequence number: bare GRE header, then the mirrored frame.
  const Bytes f = fb::eth_ipv4(kA, kB, fb::kGre, fb::gre(fb::kEthErspan12, inner_frame()));
  DecodedPacket p;
  ASSERT_EQ(dec(f, p), DecodeStatus::kOk);
  expect_inner(p);
  EXPECT_FALSE(p.has_tunnel_id);
  EXPECT_EQ(p.tunnel_depth, 1);
  EXPECT_EQ(p.vlan, 42);
}

TEST(Decode, BadTunnelHeaders) {
  DecodedPacket p;
  // ERSPAN version field must match the GRE protocol/type.
  EXPECT_EQ(dec(fb::eth_ipv4(kA, kB, fb::kGre,
                             fb::gre(fb::kEthErspan12, fb::erspan2({.session = 1, .version = 2}, inner_frame()),
                                     {.seq = 1})),
                p),
            DecodeStatus::kMalformed);
  EXPECT_EQ(dec(fb::eth_ipv4(kA, kB, fb::kGre,
                             fb::gre(fb::kEthErspan3, fb::erspan3({.session = 1, .version = 1}, inner_frame()),
                                     {.seq = 1})),
                p),
            DecodeStatus::kMalformed);
  // GRE version 1 (PPTP) and unknown payload types are not decoded; routing is refused.
  EXPECT_EQ(dec(fb::eth_ipv4(kA, kB, fb::kGre, fb::gre(0x880B, Bytes(8, 0), {.key = 1, .version = 1})), p),
            DecodeStatus::kOtherL4);
  EXPECT_EQ(dec(fb::eth_ipv4(kA, kB, fb::kGre, fb::gre(0x8847, Bytes(8, 0))), p), DecodeStatus::kOtherL4);
  EXPECT_EQ(dec(fb::eth_ipv4(kA, kB, fb::kGre, fb::gre(fb::kEthTeb, inner_frame(), {.routing = true})), p),
            DecodeStatus::kMalformed);
  // Inner frame that is not IP.
  EXPECT_EQ(dec(fb::eth_ipv4(kA, kB, fb::kGre, fb::gre(fb::kEthTeb, fb::ethernet(fb::kEthArp, Bytes(28, 0)))),
                p),
            DecodeStatus::kNotIp);
}

TEST(Decode, NestedTunnelsUpToThreeOutermostIdWins) {
  // ERSPAN II (session 5) carrying VXLAN (VNI 6) carrying GRE TEB (key 7) carrying the inner frame.
  const Bytes gre_l = fb::eth_ipv4(kA, kB, fb::kGre, fb::gre(fb::kEthTeb, inner_frame(), {.key = 7}));
  const Bytes vx_l = fb::eth_ipv4(kA, kB, fb::kUdp, fb::udp(1, 4789, fb::vxlan(6, gre_l)));
  const Bytes three = fb::eth_ipv4(kA, kB, fb::kGre,
                                   fb::gre(fb::kEthErspan12, fb::erspan2({.session = 5}, vx_l), {.seq = 1}));
  DecodedPacket p;
  ASSERT_EQ(dec(three, p), DecodeStatus::kOk);
  expect_inner(p);
  EXPECT_EQ(p.tunnel_depth, 3);
  EXPECT_EQ(p.tunnel_id, 5u);

  // An outer tunnel without an id (ERSPAN I) leaves the id to the next one.
  const Bytes id_from_inner = fb::eth_ipv4(kA, kB, fb::kGre, fb::gre(fb::kEthErspan12, vx_l));
  ASSERT_EQ(dec(id_from_inner, p), DecodeStatus::kOk);
  EXPECT_EQ(p.tunnel_depth, 3);
  EXPECT_EQ(p.tunnel_id, 6u);

  // A fourth layer is refused.
  const Bytes four = fb::eth_ipv4(kA, kB, fb::kGre, fb::gre(fb::kEthTeb, three, {.key = 4}));
  EXPECT_EQ(dec(four, p), DecodeStatus::kOtherL4);
  const Bytes four_vx = fb::eth_ipv4(kA, kB, fb::kUdp, fb::udp(1, 4789, fb::vxlan(4, three)));
  EXPECT_EQ(dec(four_vx, p), DecodeStatus::kOtherL4);
}

TEST(Decode, OutputIsResetBetweenFrames) {
  DecodedPacket p;
  ASSERT_EQ(dec(fb::eth_ipv4(kA, kB, fb::kUdp, fb::udp(1, 4789, fb::vxlan(9, inner_frame())),
                             {.tags = {{.vid = 3}}}),
                p),
            DecodeStatus::kOk);
  ASSERT_EQ(dec(fb::eth_ipv6(kA6, kB6, fb::kUdp, fb::udp(1, 2, fb::bytes("z"))), p), DecodeStatus::kOk);
  EXPECT_FALSE(p.has_vlan);
  EXPECT_FALSE(p.has_tunnel_id);
  EXPECT_EQ(p.tunnel_depth, 0);
  EXPECT_EQ(p.tcp_seq, 0u);
  EXPECT_EQ(p.tcp_flags, 0);
}

// --- fragments ---------------------------------------------------------------------------------

TEST(Decode, Ipv4Fragments) {
  DecodedPacket p;
  const Bytes l4 = fb::udp(1, 2, Bytes(100, 0x55));
  // First fragment (MF), a middle one, the last one (offset only).
  EXPECT_EQ(dec(fb::eth_ipv4(kA, kB, fb::kUdp, l4, {}, {.df = false, .mf = true}), p), DecodeStatus::kFragment);
  EXPECT_EQ(p.src_ip, fb::mapped(kA));  // addresses are known for counting
  EXPECT_EQ(dec(fb::eth_ipv4(kA, kB, fb::kUdp, l4, {}, {.df = false, .mf = true, .frag_offset = 13}), p),
            DecodeStatus::kFragment);
  EXPECT_EQ(dec(fb::eth_ipv4(kA, kB, fb::kUdp, l4, {}, {.df = false, .frag_offset = 13}), p),
            DecodeStatus::kFragment);
  // DF alone is not a fragment.
  EXPECT_EQ(dec(fb::eth_ipv4(kA, kB, fb::kUdp, l4, {}, {.df = true}), p), DecodeStatus::kOk);
  // A fragmented inner packet inside a tunnel.
  const Bytes inner = fb::ethernet(fb::kEthIpv4, fb::ipv4(kInnerC, kInnerS, fb::kUdp, l4, {.mf = true}));
  EXPECT_EQ(dec(fb::eth_ipv4(kA, kB, fb::kGre, fb::gre(fb::kEthTeb, inner)), p), DecodeStatus::kFragment);
}

TEST(Decode, Ipv6Fragments) {
  DecodedPacket p;
  const Bytes l4 = fb::udp(1, 2, Bytes(100, 0x55));
  EXPECT_EQ(dec(fb::eth_ipv6(kA6, kB6, fb::kUdp, l4, {}, {.exts = {fb::ext_fragment(0, true)}}), p),
            DecodeStatus::kFragment);
  EXPECT_EQ(p.src_ip, kA6);
  EXPECT_EQ(dec(fb::eth_ipv6(kA6, kB6, fb::kUdp, l4, {}, {.exts = {fb::ext_fragment(185, false)}}), p),
            DecodeStatus::kFragment);
  EXPECT_EQ(dec(fb::eth_ipv6(kA6, kB6, fb::kUdp, l4, {},
                             {.exts = {fb::ext_hop_by_hop(), fb::ext_fragment(185, true)}}),
                p),
            DecodeStatus::kFragment);
  // Atomic fragment: a complete packet.
  const Bytes atomic = fb::eth_ipv6(kA6, kB6, fb::kUdp, l4, {}, {.exts = {fb::ext_fragment(0, false)}});
  EXPECT_EQ(dec(atomic, p), DecodeStatus::kOk);
  EXPECT_EQ(p.payload.size(), 100u);
}

// --- lengths -----------------------------------------------------------------------------------

TEST(Decode, EthernetPaddingIsTrimmed) {
  DecodedPacket p;
  const Bytes udp_f = fb::pad_to(fb::eth_ipv4(kA, kB, fb::kUdp, fb::udp(1, 2, fb::bytes("xy"))));
  ASSERT_EQ(udp_f.size(), 60u);
  ASSERT_EQ(dec(udp_f, p), DecodeStatus::kOk);
  EXPECT_EQ(text(p.payload), "xy");

  // A bare ACK: the 6 pad bytes must not become TCP payload.
  const Bytes ack = fb::pad_to(fb::eth_ipv4(kA, kB, fb::kTcp, fb::tcp(1, 2, {}, {.flags = fb::tcpf::kAck})));
  ASSERT_EQ(ack.size(), 60u);
  ASSERT_EQ(dec(ack, p), DecodeStatus::kOk);
  EXPECT_TRUE(p.payload.empty());

  // Padding non-zero and beyond the minimum (some NICs / mirror ports), also on IPv6 and inside a tunnel.
  Bytes v6 = fb::eth_ipv6(kA6, kB6, fb::kTcp, fb::tcp(1, 2, fb::bytes("p")));
  v6.resize(v6.size() + 9, 0xEE);
  ASSERT_EQ(dec(v6, p), DecodeStatus::kOk);
  EXPECT_EQ(text(p.payload), "p");

  Bytes inner = fb::pad_to(fb::eth_ipv4(kInnerC, kInnerS, fb::kUdp, fb::udp(1, 2, fb::bytes("i"))));
  const Bytes tun = fb::pad_to(fb::eth_ipv4(kA, kB, fb::kUdp, fb::udp(1, 4789, fb::vxlan(1, inner))), 200);
  ASSERT_EQ(dec(tun, p), DecodeStatus::kOk);
  EXPECT_EQ(text(p.payload), "i");
}

TEST(Decode, MalformedAndTruncatedLengths) {
  DecodedPacket p;
  const Bytes tcp_seg = fb::tcp(1, 2, fb::bytes("hello"));
  auto v4 = [&](const fb::Ipv4Opts& o, const Bytes& l4, uint8_t proto = fb::kTcp) {
    return fb::eth_ipv4(kA, kB, proto, l4, {}, o);
  };
  EXPECT_EQ(dec(v4({.version = 5}, tcp_seg), p), DecodeStatus::kMalformed);
  EXPECT_EQ(dec(v4({.version = 6}, tcp_seg), p), DecodeStatus::kMalformed);  // v6 in a v4 ethertype
  EXPECT_EQ(dec(v4({.ihl = 4}, tcp_seg), p), DecodeStatus::kMalformed);
  EXPECT_EQ(dec(v4({.ihl = 15}, tcp_seg), p), DecodeStatus::kMalformed);  // header past total length
  EXPECT_EQ(dec(v4({.total_length = 19}, tcp_seg), p), DecodeStatus::kMalformed);
  EXPECT_EQ(dec(v4({.total_length = 0}, tcp_seg), p), DecodeStatus::kMalformed);
  EXPECT_EQ(dec(v4({.total_length = 20 + 25 + 1}, tcp_seg), p), DecodeStatus::kTruncated);  // one past the end
  // Total length shorter than the TCP header / than the data offset.
  EXPECT_EQ(dec(v4({.total_length = 20 + 19}, tcp_seg), p), DecodeStatus::kTruncated);
  // Total length exactly at the end of the TCP header: empty payload (the rest is treated as padding).
  ASSERT_EQ(dec(v4({.total_length = 40}, tcp_seg), p), DecodeStatus::kOk);
  EXPECT_TRUE(p.payload.empty());

  // TCP data offset below 5 or beyond the segment.
  EXPECT_EQ(dec(v4({}, fb::tcp(1, 2, fb::bytes("hello"), {.data_offset = 4})), p), DecodeStatus::kMalformed);
  EXPECT_EQ(dec(v4({}, fb::tcp(1, 2, fb::bytes("hello"), {.data_offset = 0})), p), DecodeStatus::kMalformed);
  EXPECT_EQ(dec(v4({}, fb::tcp(1, 2, fb::bytes("hello"), {.data_offset = 7})), p), DecodeStatus::kMalformed);
  const Bytes doff6 = v4({}, fb::tcp(1, 2, fb::bytes("hello"), {.data_offset = 6}));
  ASSERT_EQ(dec(doff6, p), DecodeStatus::kOk);
  EXPECT_EQ(text(p.payload), "o");  // 4 payload bytes taken as options: legal if odd

  // UDP length field.
  EXPECT_EQ(dec(v4({}, fb::udp(1, 2, fb::bytes("abc"), 7), fb::kUdp), p), DecodeStatus::kMalformed);
  EXPECT_EQ(dec(v4({}, fb::udp(1, 2, fb::bytes("abc"), 12), fb::kUdp), p), DecodeStatus::kTruncated);
  const Bytes udp10 = v4({}, fb::udp(1, 2, fb::bytes("abc"), 10), fb::kUdp);
  ASSERT_EQ(dec(udp10, p), DecodeStatus::kOk);
  EXPECT_EQ(text(p.payload), "ab");  // UDP length wins over the IP length

  // IPv6 version, payload length, extension header length.
  EXPECT_EQ(dec(fb::eth_ipv6(kA6, kB6, fb::kTcp, tcp_seg, {}, {.version = 4}), p), DecodeStatus::kMalformed);
  EXPECT_EQ(dec(fb::eth_ipv6(kA6, kB6, fb::kTcp, tcp_seg, {}, {.payload_length = 26}), p),
            DecodeStatus::kTruncated);
  const Bytes plen22 = fb::eth_ipv6(kA6, kB6, fb::kTcp, tcp_seg, {}, {.payload_length = 22});
  ASSERT_EQ(dec(plen22, p), DecodeStatus::kOk);
  EXPECT_EQ(text(p.payload), "he");
  fb::Ipv6Ext long_hbh = fb::ext_hop_by_hop();
  long_hbh.raw[1] = 200;  // claims 1608 bytes
  EXPECT_EQ(dec(fb::eth_ipv6(kA6, kB6, fb::kTcp, tcp_seg, {}, {.exts = {long_hbh}}), p),
            DecodeStatus::kTruncated);
  // More extension headers than any real stack sends.
  std::vector<fb::Ipv6Ext> many(12, fb::ext_dest_opts());
  EXPECT_EQ(dec(fb::eth_ipv6(kA6, kB6, fb::kTcp, tcp_seg, {}, {.exts = many}), p), DecodeStatus::kMalformed);

  // Runts.
  EXPECT_EQ(dec(Bytes{}, p), DecodeStatus::kTruncated);
  EXPECT_EQ(dec(Bytes(13, 0), p), DecodeStatus::kTruncated);
  EXPECT_EQ(dec(fb::ethernet(0x8100, Bytes{0x00}), p), DecodeStatus::kTruncated);  // half a tag
  EXPECT_EQ(dec(fb::ethernet(fb::kEthIpv4, {}), p), DecodeStatus::kTruncated);
  EXPECT_EQ(dec(fb::ethernet(fb::kEthIpv6, Bytes(39, 0x60)), p), DecodeStatus::kTruncated);
}

// --- truncation and garbage: never crash, never kOk with a payload outside the frame -------------

struct Encap {
  const char* name;
  uint8_t ip_proto;  // outer IP protocol
  Bytes l4;          // outer L4 onward: UDP+VXLAN or GRE+..., then the inner frame
};

std::vector<Encap> encapsulations() {
  const Bytes in = inner_frame();
  return {
      {"vxlan", fb::kUdp, fb::udp(50000, 4789, fb::vxlan(5000, in))},
      {"gre_key_ip", fb::kGre,
       fb::gre(fb::kEthIpv4, fb::ipv4(kInnerC, kInnerS, fb::kTcp, fb::tcp(1, 2, fb::bytes("abc"))),
               {.checksum = true, .key = 77, .seq = 9})},
      {"gre_teb", fb::kGre, fb::gre(fb::kEthTeb, in, {.key = 5})},
      {"erspan1", fb::kGre, fb::gre(fb::kEthErspan12, in)},
      {"erspan2", fb::kGre, fb::gre(fb::kEthErspan12, fb::erspan2({.session = 3}, in), {.seq = 1})},
      {"erspan3", fb::kGre, fb::gre(fb::kEthErspan3, fb::erspan3({.session = 3}, in), {.seq = 1})},
      {"erspan3_o", fb::kGre,
       fb::gre(fb::kEthErspan3, fb::erspan3({.session = 3, .platform = true}, in), {.seq = 1})},
      {"erspan2_inner_v6", fb::kGre,
       fb::gre(fb::kEthErspan12,
               fb::erspan2({.session = 3},
                           fb::eth_ipv6(kA6, kB6, fb::kTcp, fb::tcp(1, 2, fb::bytes("x")), {.tags = {{.vid = 9}}},
                                        {.exts = {fb::ext_hop_by_hop(), fb::ext_fragment(0, false)}})),
               {.seq = 1})},
  };
}

TEST(DecodeRobustness, TruncatedAtEveryOffset) {
  // The capture cut the frame: the outer IP total length no longer fits.
  for (const auto& e : encapsulations()) {
    const Bytes full = fb::eth_ipv4(kA, kB, e.ip_proto, e.l4, {.tags = {{.vid = 1, .tpid = 0x88A8}, {.vid = 2}}});
    DecodedPacket p;
    ASSERT_EQ(dec(full, p), DecodeStatus::kOk) << e.name;
    for (size_t n = 0; n < full.size(); ++n) {
      const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
      EXPECT_EQ(dec(cut, p), DecodeStatus::kTruncated) << e.name << " cut at " << n;
    }
  }
}

TEST(DecodeRobustness, InnerTruncatedAtEveryOffsetWithConsistentOuterLengths) {
  // The encapsulator cut the packet (e.g. ERSPAN's T bit) and the outer lengths describe the cut:
  // every inner header and length must be checked against what the tunnel actually carries.
  for (const auto& e : encapsulations()) {
    for (size_t n = 0; n < e.l4.size(); ++n) {
      Bytes cut_l4(e.l4.begin(), e.l4.begin() + static_cast<std::ptrdiff_t>(n));
      // UDP carries its own length: rebuild the header around the cut VXLAN payload.
      if (e.ip_proto == fb::kUdp && n >= 8) cut_l4 = fb::udp(50000, 4789, Bytes(cut_l4.begin() + 8, cut_l4.end()));
      const Bytes f = fb::eth_ipv4(kA, kB, e.ip_proto, cut_l4);
      DecodedPacket p;
      EXPECT_EQ(dec(f, p), DecodeStatus::kTruncated) << e.name << " cut at " << n;
    }
  }
}

TEST(DecodeRobustness, RandomMutationsStayInsideTheFrame) {
  // Deterministic xorshift: byte flips, length-field corruption and cuts over every encapsulation.
  uint64_t s = 0x9E3779B97F4A7C15ULL;
  auto rnd = [&s]() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  };
  size_t ok = 0, total = 0;
  for (const auto& e : encapsulations()) {
    const Bytes base = fb::eth_ipv4(kA, kB, e.ip_proto, e.l4, {.tags = {{.vid = 4}}});
    for (int iter = 0; iter < 3000; ++iter) {
      Bytes f = base;
      const int flips = 1 + static_cast<int>(rnd() % 4);
      for (int k = 0; k < flips; ++k) f[rnd() % f.size()] = static_cast<uint8_t>(rnd());
      if (rnd() % 3 == 0) f.resize(rnd() % (f.size() + 1));
      DecodedPacket p;
      const DecodeStatus st = dec(f, p);  // checks payload containment
      ASSERT_LT(static_cast<int>(st), static_cast<int>(DecodeStatus::kCount));
      ok += st == DecodeStatus::kOk;
      ++total;
    }
  }
  // Many mutations hit payload bytes and still decode: the loop exercised the success path too.
  EXPECT_GT(ok, total / 10);
  EXPECT_LT(ok, total);
}

TEST(Decode, StatusNames) {
  EXPECT_STREQ(decode_status_name(DecodeStatus::kOk), "ok");
  EXPECT_STREQ(decode_status_name(DecodeStatus::kNotIp), "not_ip");
  EXPECT_STREQ(decode_status_name(DecodeStatus::kFragment), "fragment");
  EXPECT_STREQ(decode_status_name(DecodeStatus::kOtherL4), "other_l4");
  EXPECT_STREQ(decode_status_name(DecodeStatus::kTruncated), "truncated");
  EXPECT_STREQ(decode_status_name(DecodeStatus::kMalformed), "malformed");
}

// --- flow key ----------------------------------------------------------------------------------

constexpr uint64_t kSeed = 0x5eed5eed5eed5eedULL;

DecodedPacket decoded(const Bytes& f) {
  DecodedPacket p;
  EXPECT_EQ(decode_frame(f, p), DecodeStatus::kOk);
  return p;
}

TEST(FlowKey, BothDirectionsGiveTheSameKey) {
  const DecodedPacket c2s = decoded(fb::eth_ipv4(kA, kB, fb::kTcp, fb::tcp(40000, 80, {})));
  const DecodedPacket s2c = decoded(fb::eth_ipv4(kB, kA, fb::kTcp, fb::tcp(80, 40000, {})));
  bool sw1 = true, sw2 = false;
  const FlowKey k1 = make_flow_key(c2s, sw1);
  const FlowKey k2 = make_flow_key(s2c, sw2);
  EXPECT_TRUE(k1 == k2);
  EXPECT_NE(sw1, sw2);
  EXPECT_FALSE(sw1);  // 10.0.0.1 < 10.0.0.2: the client is "lo"
  EXPECT_EQ(flow_hash(k1, kSeed), flow_hash(k2, kSeed));
  EXPECT_EQ(k1.ip_lo, fb::mapped(kA));
  EXPECT_EQ(k1.port_lo, 40000);
  EXPECT_EQ(k1.ip_hi, fb::mapped(kB));
  EXPECT_EQ(k1.port_hi, 80);
  EXPECT_EQ(k1.l4_proto, 6);
  EXPECT_EQ(k1.pad, 0);
}

TEST(FlowKey, SameAddressOrdersByPortAndIpv6) {
  const DecodedPacket a = decoded(fb::eth_ipv6(kA6, kA6, fb::kUdp, fb::udp(9000, 53, {})));
  const DecodedPacket b = decoded(fb::eth_ipv6(kA6, kA6, fb::kUdp, fb::udp(53, 9000, {})));
  bool sa = false, sb = false;
  const FlowKey ka = make_flow_key(a, sa);
  const FlowKey kb = make_flow_key(b, sb);
  EXPECT_TRUE(ka == kb);
  EXPECT_TRUE(sa);
  EXPECT_FALSE(sb);
  EXPECT_EQ(ka.port_lo, 53);
  EXPECT_EQ(ka.l4_proto, 17);
  EXPECT_EQ(flow_hash(ka, kSeed), flow_hash(kb, kSeed));
}

TEST(FlowKey, TunnelledFlowSymmetric) {
  auto tun = [](const fb::Ip4& c, uint16_t cp, const fb::Ip4& s, uint16_t sp) {
    const Bytes in = fb::eth_ipv4(c, s, fb::kTcp, fb::tcp(cp, sp, {}), {.tags = {{.vid = 42}}});
    return fb::eth_ipv4(kA, kB, fb::kGre, fb::gre(fb::kEthErspan12, fb::erspan2({.session = 12}, in), {.seq = 1}));
  };
  bool s1 = false, s2 = false;
  const FlowKey k1 = make_flow_key(decoded(tun(kInnerC, 40000, kInnerS, 9092)), s1);
  const FlowKey k2 = make_flow_key(decoded(tun(kInnerS, 9092, kInnerC, 40000)), s2);
  EXPECT_TRUE(k1 == k2);
  EXPECT_NE(s1, s2);
  EXPECT_EQ(k1.tunnel_id, 12u);
  EXPECT_EQ(k1.vlan, 42);
  EXPECT_EQ(k1.pad, 0);
  EXPECT_EQ(flow_hash(k1, kSeed), flow_hash(k2, kSeed));
}

TEST(FlowKey, VlanTunnelAndProtocolSeparateFlows) {
  const Bytes l4 = fb::tcp(40000, 80, {});
  bool sw = false;
  const FlowKey plain = make_flow_key(decoded(fb::eth_ipv4(kA, kB, fb::kTcp, l4)), sw);
  const FlowKey v10 = make_flow_key(decoded(fb::eth_ipv4(kA, kB, fb::kTcp, l4, {.tags = {{.vid = 10}}})), sw);
  const FlowKey v11 = make_flow_key(decoded(fb::eth_ipv4(kA, kB, fb::kTcp, l4, {.tags = {{.vid = 11}}})), sw);
  auto in_gre = [&](uint32_t key, const char* outer_src = "1.1.1.1") {
    return make_flow_key(
        decoded(fb::eth_ipv4(fb::ip4(outer_src), fb::ip4("2.2.2.2"), fb::kGre,
                             fb::gre(fb::kEthIpv4, fb::ipv4(kA, kB, fb::kTcp, l4), {.key = key}))),
        sw);
  };
  const FlowKey t1 = in_gre(1), t2 = in_gre(2);
  const FlowKey udp = make_flow_key(decoded(fb::eth_ipv4(kA, kB, fb::kUdp, fb::udp(40000, 80, {}))), sw);

  const std::vector<FlowKey> keys{plain, v10, v11, t1, t2, udp};
  for (size_t i = 0; i < keys.size(); ++i)
    for (size_t j = i + 1; j < keys.size(); ++j) {
      EXPECT_FALSE(keys[i] == keys[j]) << i << " vs " << j;
      EXPECT_NE(flow_hash(keys[i], kSeed), flow_hash(keys[j], kSeed)) << i << " vs " << j;
    }
  EXPECT_EQ(v10.vlan, 10);
  EXPECT_EQ(t2.tunnel_id, 2u);
  // Same inner 5-tuple through the same tunnel key is the same flow, whatever the outer addresses.
  EXPECT_TRUE(in_gre(1, "3.3.3.3") == t1);
}

TEST(FlowKey, HashSpreadsSequentialPortsAcrossBucketsAndWorkers) {
  // Flow tables use the low bits, the dispatcher the top 16 (worker_of): sequential client ports
  // (the common case) must land evenly on both. 65536 keys into 64 buckets / 3 workers.
  DecodedPacket p = decoded(fb::eth_ipv4(kA, kB, fb::kTcp, fb::tcp(0, 443, {})));
  std::vector<int> buckets(64, 0), workers(3, 0);
  std::set<uint64_t> distinct;
  for (uint32_t port = 0; port < 65536; ++port) {
    p.src_port = static_cast<uint16_t>(port);
    bool sw = false;
    const uint64_t h = flow_hash(make_flow_key(p, sw), kSeed);
    ++buckets[h & 63];
    ++workers[worker_of(h, 3)];
    distinct.insert(h);
  }
  for (int b : buckets) {
    EXPECT_GT(b, 870);  // 1024 expected, ±15%
    EXPECT_LT(b, 1178);
  }
  for (int w : workers) {
    EXPECT_GT(w, 20000);  // 21845 expected
    EXPECT_LT(w, 23700);
  }
  EXPECT_EQ(distinct.size(), 65536u);
}

// The hash is keyed: without the seed, which keys collide cannot be known in advance (hash
// flooding), and which worker a flow goes to cannot be aimed. Same seed, same hash (the dispatcher
// and every worker agree).
TEST(FlowKey, HashDependsOnTheSeed) {
  DecodedPacket p = decoded(fb::eth_ipv4(kA, kB, fb::kTcp, fb::tcp(40000, 443, {})));
  bool sw = false;
  const FlowKey k = make_flow_key(p, sw);
  EXPECT_EQ(flow_hash(k, 1), flow_hash(k, 1));
  EXPECT_NE(flow_hash(k, 1), flow_hash(k, 2));
  // Keys sharing a bucket under one seed are spread under another.
  std::vector<FlowKey> same_bucket;
  for (uint32_t port = 0; port < 65536 && same_bucket.size() < 64; ++port) {
    p.src_port = static_cast<uint16_t>(port);
    const FlowKey kk = make_flow_key(p, sw);
    if ((flow_hash(kk, 1) & 0xff) == 0x23) same_bucket.push_back(kk);
  }
  ASSERT_EQ(same_bucket.size(), 64u);
  std::set<uint64_t> other;
  for (const FlowKey& kk : same_bucket) other.insert(flow_hash(kk, 2) & 0xffff);
  EXPECT_GT(other.size(), 60u);  // 64 keys into 65536 buckets: almost all distinct
  EXPECT_NE(random_hash_seed(), 0u);
  EXPECT_NE(random_hash_seed(), random_hash_seed());
}

}  // namespace
}  // namespace l7tap
