// Detector: Hyperscan signature database over several protocols, compile errors naming the
// protocol, probe order with port hints, kMaybe → need_more, the per-server verdict cache and
// rejection of unrelated bytes. Uses small fake protocol descriptors defined here.
#include <gtest/gtest.h>

#include <array>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocols/core/byte_reader.hpp"
#include "protocols/core/detector.hpp"

namespace l7tap {
namespace {

std::span<const uint8_t> bytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

int g_alpha_probes = 0, g_beta_probes = 0, g_gamma_probes = 0;

// "alpha": messages start with "AL1!" (signature: "^AL1"). Shorter prefixes of it need more bytes.
ProbeVerdict probe_alpha(Dir, std::span<const uint8_t> d) {
  ++g_alpha_probes;
  constexpr std::string_view magic = "AL1!";
  std::string_view s = as_chars(d);
  if (s.size() < magic.size()) return magic.starts_with(s) ? ProbeVerdict::kMaybe : ProbeVerdict::kNo;
  return s.starts_with(magic) ? ProbeVerdict::kYes : ProbeVerdict::kNo;
}
// "beta": a binary header 0x00 0x00 0xBE 0x7A then anything; it also claims "AL1!" so that two
// protocols accept the same bytes (to observe the probe order).
ProbeVerdict probe_beta(Dir, std::span<const uint8_t> d) {
  ++g_beta_probes;
  std::string_view s = as_chars(d);
  if (s.starts_with("AL1!")) return ProbeVerdict::kYes;
  if (d.size() < 4) return ProbeVerdict::kMaybe;
  return d[0] == 0 && d[1] == 0 && d[2] == 0xbe && d[3] == 0x7a ? ProbeVerdict::kYes : ProbeVerdict::kNo;
}
// "gamma": no signature at all, only reachable through a port hint; accepts anything non-empty.
ProbeVerdict probe_gamma(Dir, std::span<const uint8_t> d) {
  ++g_gamma_probes;
  return d.empty() ? ProbeVerdict::kNo : ProbeVerdict::kYes;
}

// Detection never creates parsers: the fake protocols have no factory.
constexpr ParserFactory kNoParser{};

const std::string_view kAlphaSigs[] = {"^AL1"};
const std::string_view kBetaSigs[] = {"^\\x00\\x00\\xbe\\x7a", "^AL1!"};
const std::string_view kBadSigs[] = {"^ok", "^(unclosed"};
const uint16_t kAlphaPorts[] = {7001};

const ProtocolDescriptor kAlpha{"alpha", kTcp, kAlphaSigs, kAlphaPorts, probe_alpha, kNoParser, {}};
const ProtocolDescriptor kBeta{"beta", kTcp, kBetaSigs, {}, probe_beta, kNoParser, {}};
const ProtocolDescriptor kGamma{"gamma", kTcp, {}, {}, probe_gamma, kNoParser, {}};
const ProtocolDescriptor kBad{"bad", kTcp, kBadSigs, {}, probe_gamma, kNoParser, {}};
// "delta": UDP only, accepts what alpha accepts.
const ProtocolDescriptor kDelta{"delta", kUdp, kAlphaSigs, {}, probe_alpha, kNoParser, {}};

using Hints = std::vector<std::pair<uint16_t, const ProtocolDescriptor*>>;

void reset_counts() { g_alpha_probes = g_beta_probes = g_gamma_probes = 0; }

TEST(SignatureDatabase, CompilesSeveralProtocols) {
  const ProtocolDescriptor* list[] = {&kAlpha, &kBeta, &kGamma};
  SignatureDatabase db(list);
  ASSERT_NE(db.db(), nullptr);
  EXPECT_EQ(db.protocols().size(), 3u);
  // Pattern ids are assigned in order: alpha's one, then beta's two (positions in the list).
  EXPECT_EQ(db.protocol_of(0), 0u);
  EXPECT_EQ(db.protocol_of(1), 1u);
  EXPECT_EQ(db.protocol_of(2), 1u);
}

TEST(SignatureDatabase, NoSignaturesIsNotAnError) {
  const ProtocolDescriptor* list[] = {&kGamma};
  SignatureDatabase db(list);
  EXPECT_EQ(db.db(), nullptr);
  ProtocolDetector det(db, Hints{{5000, &kGamma}});
  EXPECT_EQ(det.detect(Dir::kToServer, bytes("x"), 5000, 40000, 6).protocol, &kGamma);
  EXPECT_EQ(det.detect(Dir::kToServer, bytes("x"), 5001, 40000, 6).protocol, nullptr);
}

TEST(SignatureDatabase, BadPatternThrowsNamingTheProtocol) {
  const ProtocolDescriptor* list[] = {&kAlpha, &kBad};
  try {
    SignatureDatabase db(list);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("protocol bad"), std::string::npos) << what;  // the protocol's name
    EXPECT_NE(what.find("^(unclosed"), std::string::npos) << what;
  }
}

TEST(ProtocolDetector, SignatureThenProbe) {
  const ProtocolDescriptor* list[] = {&kAlpha, &kBeta, &kGamma};
  SignatureDatabase db(list);
  ProtocolDetector det(db, Hints{});
  reset_counts();
  DetectResult r = det.detect(Dir::kToServer, bytes(std::string_view("\x00\x00\xbe\x7a rest", 9)), 1234, 40000, 6);
  EXPECT_EQ(r.protocol, &kBeta);
  EXPECT_FALSE(r.need_more);
  EXPECT_EQ(g_alpha_probes, 0);  // no signature match, no hint: not probed
  EXPECT_EQ(g_gamma_probes, 0);
  // Either direction.
  EXPECT_EQ(det.detect(Dir::kToClient, bytes("AL1!xyz"), 1234, 40000, 6).protocol, &kAlpha);
}

TEST(ProtocolDetector, SignatureMatchButProbeRejects) {
  const ProtocolDescriptor* list[] = {&kAlpha, &kBeta};
  SignatureDatabase db(list);
  ProtocolDetector det(db, Hints{});
  reset_counts();
  DetectResult r = det.detect(Dir::kToServer, bytes("AL1?"), 1234, 40000, 6);
  EXPECT_EQ(r.protocol, nullptr);
  EXPECT_FALSE(r.need_more);
  EXPECT_EQ(g_alpha_probes, 1);
}

TEST(ProtocolDetector, PortHintOrder) {
  const ProtocolDescriptor* list[] = {&kAlpha, &kBeta, &kGamma};
  SignatureDatabase db(list);
  // Both alpha and beta match and accept "AL1!": without hints the list order decides.
  ProtocolDetector plain(db, Hints{});
  EXPECT_EQ(plain.detect(Dir::kToServer, bytes("AL1!"), 9999, 40000, 6).protocol, &kAlpha);
  // Hinted and matching comes first.
  ProtocolDetector hinted(db, Hints{{9999, &kBeta}, {7001, &kGamma}});
  EXPECT_EQ(hinted.detect(Dir::kToServer, bytes("AL1!"), 9999, 40000, 6).protocol, &kBeta);
  // The hint may be on the client port of the flow (a flow picked up with sides unknown).
  EXPECT_EQ(hinted.detect(Dir::kToServer, bytes("AL1!"), 40000, 9999, 6).protocol, &kBeta);
  // Matching (not hinted) beats hinted only: gamma accepts anything but comes last.
  reset_counts();
  EXPECT_EQ(hinted.detect(Dir::kToServer, bytes("AL1!"), 7001, 40000, 6).protocol, &kAlpha);
  EXPECT_EQ(g_gamma_probes, 0);
  // With no signature match, the hinted-only protocol is probed.
  EXPECT_EQ(hinted.detect(Dir::kToServer, bytes("hello"), 7001, 40000, 6).protocol, &kGamma);
  EXPECT_EQ(g_gamma_probes, 1);
}

TEST(ProtocolDetector, MaybeMeansNeedMore) {
  const ProtocolDescriptor* list[] = {&kAlpha, &kBeta, &kGamma};
  SignatureDatabase db(list);
  // "AL1" matches alpha's signature; its probe wants the 4th byte.
  ProtocolDetector det(db, Hints{});
  DetectResult r = det.detect(Dir::kToServer, bytes("AL1"), 1234, 40000, 6);
  EXPECT_EQ(r.protocol, nullptr);
  EXPECT_TRUE(r.need_more);
  // A later candidate saying yes wins over an earlier maybe, and clears need_more.
  ProtocolDetector det2(db, Hints{{1234, &kGamma}});
  r = det2.detect(Dir::kToServer, bytes("AL1"), 1234, 40000, 6);
  EXPECT_EQ(r.protocol, &kGamma);
  EXPECT_FALSE(r.need_more);
  // A hinted candidate saying maybe for short data.
  ProtocolDetector det3(db, Hints{{1883, &kBeta}});
  r = det3.detect(Dir::kToServer, bytes(std::string_view("\x00\x00", 2)), 1883, 40000, 6);
  EXPECT_EQ(r.protocol, nullptr);
  EXPECT_TRUE(r.need_more);
  // Empty data: nothing, and nothing probed.
  reset_counts();
  r = det3.detect(Dir::kToServer, {}, 1883, 40000, 6);
  EXPECT_EQ(r.protocol, nullptr);
  EXPECT_FALSE(r.need_more);
  EXPECT_EQ(g_beta_probes, 0);
}

TEST(ProtocolDetector, RejectsUnrelatedBytes) {
  const ProtocolDescriptor* list[] = {&kAlpha, &kBeta};
  SignatureDatabase db(list);
  ProtocolDetector det(db, Hints{});
  const std::string http = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string tls("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x65\x66\x67\x68\x69\x70\x71", 18);
  const std::string dns("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x07example", 24);
  std::string random;
  uint32_t x = 12345;
  for (int i = 0; i < 2000; ++i) random.push_back(static_cast<char>((x = x * 1103515245 + 12345) >> 16));
  const std::string unanchored = "  AL1! is not at the start";  // signatures are anchored
  reset_counts();
  const std::initializer_list<const std::string*> inputs = {&http, &tls, &dns, &random, &unanchored};
  for (const std::string* s : inputs) {
    ASSERT_GE(s->size(), ProtocolDetector::kShortPrefix);
    DetectResult r = det.detect(Dir::kToServer, bytes(*s), 80, 40000, 6);
    EXPECT_EQ(r.protocol, nullptr) << s->substr(0, 8);
    EXPECT_FALSE(r.need_more) << s->substr(0, 8);
  }
  // Data long enough for the signatures: no signature match, no hint, no probe.
  EXPECT_EQ(g_alpha_probes + g_beta_probes, 0);
  // Short unrelated data: probes are asked whether it could be a prefix; they say no.
  for (std::string_view s : {std::string_view("\x16\x03\x01\x02\x00", 5), std::string_view("GET / HTTP/1.1")}) {
    DetectResult r = det.detect(Dir::kToServer, bytes(s), 80, 40000, 6);
    EXPECT_EQ(r.protocol, nullptr);
    EXPECT_FALSE(r.need_more);
  }
}

// A first segment shorter than the signatures (a client writing a few bytes first) must not
// make detection give up: a probe that sees a possible prefix asks for more.
TEST(ProtocolDetector, ShortFirstSegmentAsksForMore) {
  const ProtocolDescriptor* list[] = {&kAlpha};
  SignatureDatabase db(list);
  ProtocolDetector det(db, Hints{});
  reset_counts();
  DetectResult r = det.detect(Dir::kToServer, bytes("AL"), 1234, 40000, 6);  // "^AL1" cannot match yet
  EXPECT_EQ(r.protocol, nullptr);
  EXPECT_TRUE(r.need_more);
  EXPECT_EQ(g_alpha_probes, 1);
  r = det.detect(Dir::kToServer, bytes("AX"), 1234, 40000, 6);
  EXPECT_EQ(r.protocol, nullptr);
  EXPECT_FALSE(r.need_more);
  // A probe saying yes to short data without a signature match is not taken as a verdict.
  const ProtocolDescriptor* list2[] = {&kAlpha, &kGamma};
  SignatureDatabase db2(list2);
  ProtocolDetector det2(db2, Hints{});
  r = det2.detect(Dir::kToServer, bytes("zz"), 1234, 40000, 6);
  EXPECT_EQ(r.protocol, nullptr);
}

TEST(ProtocolDetector, OnlyTheFirstBytesAreScanned) {
  // Long data is fine (scan is bounded to kScanBytes) and a match at the start still counts.
  const ProtocolDescriptor* list[] = {&kAlpha};
  SignatureDatabase db(list);
  ProtocolDetector det(db, Hints{});
  std::string s = "AL1!" + std::string(100000, 'z');
  EXPECT_EQ(det.detect(Dir::kToServer, bytes(s), 1, 2, 6).protocol, &kAlpha);
}

TEST(ProtocolDetector, ServerCache) {
  const ProtocolDescriptor* list[] = {&kAlpha, &kBeta};
  SignatureDatabase db(list);
  ProtocolDetector det(db, Hints{});
  ServerKey k;
  k.ip[10] = k.ip[11] = 0xff;
  k.ip[12] = 10, k.ip[15] = 9;
  k.port = 9092;
  k.l4 = 6;
  EXPECT_EQ(det.cached(k), nullptr);
  det.remember(k, &kAlpha);
  EXPECT_EQ(det.cached(k), &kAlpha);
  auto with = [&](auto change) {
    ServerKey o = k;
    change(o);
    return det.cached(o);
  };
  EXPECT_EQ(with([](ServerKey& o) { o.port = 9093; }), nullptr);       // other port
  EXPECT_EQ(with([](ServerKey& o) { o.l4 = 17; }), nullptr);           // other L4 protocol
  EXPECT_EQ(with([](ServerKey& o) { o.ip[15] = 10; }), nullptr);       // other server
  EXPECT_EQ(with([](ServerKey& o) { o.vlan = 100; }), nullptr);        // same address, other VLAN
  EXPECT_EQ(with([](ServerKey& o) { o.tunnel_id = 4242; }), nullptr);  // same address, other tunnel
  det.remember(k, &kBeta);  // a new verdict replaces the old one
  EXPECT_EQ(det.cached(k), &kBeta);
  det.remember(k, nullptr);  // forget
  EXPECT_EQ(det.cached(k), nullptr);
  // Many servers: whatever a slot holds, a lookup never returns another server's verdict.
  for (uint16_t port = 1; port < 20000; ++port) {
    ServerKey o = k;
    o.port = port;
    det.remember(o, port % 2 ? &kAlpha : &kBeta);
  }
  int hits = 0;
  for (uint16_t port = 1; port < 20000; ++port) {
    ServerKey o = k;
    o.port = port;
    const ProtocolDescriptor* p = det.cached(o);
    if (p == nullptr) continue;
    ++hits;
    EXPECT_EQ(p, port % 2 ? &kAlpha : &kBeta) << port;
  }
  EXPECT_GT(hits, 0);
  k.port = 19999;
  EXPECT_EQ(det.cached(k), &kAlpha);  // the latest entry is always there
  // The key is built from a record's net tuple, VLAN and tunnel included.
  NetTuple n;
  n.server_ip = k.ip;
  n.server_port = 7;
  n.l4_proto = 6;
  n.has_vlan = true;
  n.vlan = 12;
  n.has_tunnel_id = true;
  n.tunnel_id = 99;
  const ServerKey from = ServerKey::of(n);
  EXPECT_EQ(from.vlan, 12);
  EXPECT_EQ(from.tunnel_id, 99u);
  EXPECT_EQ(from.port, 7);
}

// A protocol is only a candidate on the transports its descriptor names: TCP-only protocols are
// never detected in UDP datagrams, however the bytes look.
TEST(ProtocolDetector, TransportsFromTheDescriptor) {
  const ProtocolDescriptor* list[] = {&kAlpha, &kDelta};
  SignatureDatabase db(list);
  ProtocolDetector det(db, Hints{{5000, &kAlpha}});
  EXPECT_EQ(det.detect(Dir::kToServer, bytes("AL1!"), 1, 2, 6).protocol, &kAlpha);
  EXPECT_EQ(det.detect(Dir::kToServer, bytes("AL1!"), 1, 2, 17).protocol, &kDelta);
  EXPECT_EQ(det.detect(Dir::kToServer, bytes("AL1!"), 5000, 2, 17).protocol, &kDelta);  // hint or not
  EXPECT_TRUE(det.has_transport(6));
  EXPECT_TRUE(det.has_transport(17));
  const ProtocolDescriptor* tcp_only[] = {&kAlpha, &kBeta};
  SignatureDatabase db2(tcp_only);
  ProtocolDetector det2(db2, Hints{});
  EXPECT_FALSE(det2.has_transport(17));
  reset_counts();
  const DetectResult r = det2.detect(Dir::kToServer, bytes("AL1!"), 1, 2, 17);
  EXPECT_EQ(r.protocol, nullptr);
  EXPECT_FALSE(r.need_more);
  EXPECT_EQ(g_alpha_probes + g_beta_probes, 0);
}

// No fixed ceiling on the number of protocols: with 100 protocols the last one is found by its
// signature and by its port hint.
TEST(ProtocolDetector, ManyProtocols) {
  constexpr int kN = 100;
  static std::vector<std::string> names, patterns;
  static std::vector<std::string_view> sig_views;
  static std::vector<ProtocolDescriptor> descs;
  names.clear(), patterns.clear(), sig_views.clear(), descs.clear();
  for (int i = 0; i < kN; ++i) {
    names.push_back("p" + std::to_string(i));
    patterns.push_back("^P" + std::to_string(i) + "!");
  }
  for (int i = 0; i < kN; ++i) sig_views.emplace_back(patterns[static_cast<std::size_t>(i)]);
  // Each protocol accepts "P<i>!" exactly (no prefix of another's: "P1!" vs "P10!").
  static const auto probe = [](Dir, std::span<const uint8_t> d) {
    const std::string_view s = as_chars(d);
    return s.size() >= 3 && s[0] == 'P' && s.back() == '!' ? ProbeVerdict::kYes : ProbeVerdict::kNo;
  };
  for (int i = 0; i < kN; ++i) {
    const auto k = static_cast<std::size_t>(i);
    descs.push_back(ProtocolDescriptor{names[k], kTcp, std::span<const std::string_view>(&sig_views[k], 1), {},
                                       +probe, kNoParser, {}});
  }
  std::vector<const ProtocolDescriptor*> list;
  for (const auto& d : descs) list.push_back(&d);
  SignatureDatabase db(list);
  ProtocolDetector det(db, Hints{{4242, &descs[kN - 1]}});
  EXPECT_EQ(det.detect(Dir::kToServer, bytes("P99!"), 1, 2, 6).protocol, &descs[99]);
  EXPECT_EQ(det.detect(Dir::kToServer, bytes("P70!"), 1, 2, 6).protocol, &descs[70]);
  EXPECT_TRUE(det.hinted(4242));
  EXPECT_FALSE(det.hinted(4243));
}

}  // namespace
}  // namespace l7tap
