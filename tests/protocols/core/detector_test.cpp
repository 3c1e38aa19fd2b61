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

std::unique_ptr<Parser> no_parser() { return nullptr; }

const std::string_view kAlphaSigs[] = {"^AL1"};
const std::string_view kBetaSigs[] = {"^\\x00\\x00\\xbe\\x7a", "^AL1!"};
const std::string_view kBadSigs[] = {"^ok", "^(unclosed"};
const uint16_t kAlphaPorts[] = {7001};

const ProtocolDescriptor kAlpha{ProtocolId::kKafka, "alpha", kAlphaSigs, kAlphaPorts, probe_alpha, no_parser};
const ProtocolDescriptor kBeta{ProtocolId::kMqtt, "beta", kBetaSigs, {}, probe_beta, no_parser};
const ProtocolDescriptor kGamma{ProtocolId::kNats, "gamma", {}, {}, probe_gamma, no_parser};
const ProtocolDescriptor kBad{ProtocolId::kPulsar, "bad", kBadSigs, {}, probe_gamma, no_parser};

void reset_counts() { g_alpha_probes = g_beta_probes = g_gamma_probes = 0; }

TEST(SignatureDatabase, CompilesSeveralProtocols) {
  const ProtocolDescriptor* list[] = {&kAlpha, &kBeta, &kGamma};
  SignatureDatabase db(list);
  ASSERT_NE(db.db(), nullptr);
  EXPECT_EQ(db.protocols().size(), 3u);
  // Pattern ids are assigned in order: alpha's one, then beta's two.
  EXPECT_EQ(db.protocol_of(0), ProtocolId::kKafka);
  EXPECT_EQ(db.protocol_of(1), ProtocolId::kMqtt);
  EXPECT_EQ(db.protocol_of(2), ProtocolId::kMqtt);
}

TEST(SignatureDatabase, NoSignaturesIsNotAnError) {
  const ProtocolDescriptor* list[] = {&kGamma};
  SignatureDatabase db(list);
  EXPECT_EQ(db.db(), nullptr);
  ProtocolDetector det(db, {{5000, ProtocolId::kNats}});
  EXPECT_EQ(det.detect(Dir::kToServer, bytes("x"), 5000, 40000).protocol, &kGamma);
  EXPECT_EQ(det.detect(Dir::kToServer, bytes("x"), 5001, 40000).protocol, nullptr);
}

TEST(SignatureDatabase, BadPatternThrowsNamingTheProtocol) {
  const ProtocolDescriptor* list[] = {&kAlpha, &kBad};
  try {
    SignatureDatabase db(list);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("pulsar"), std::string::npos) << what;  // the protocol's record name
    EXPECT_NE(what.find("^(unclosed"), std::string::npos) << what;
  }
}

TEST(ProtocolDetector, SignatureThenProbe) {
  const ProtocolDescriptor* list[] = {&kAlpha, &kBeta, &kGamma};
  SignatureDatabase db(list);
  ProtocolDetector det(db, {});
  reset_counts();
  DetectResult r = det.detect(Dir::kToServer, bytes(std::string_view("\x00\x00\xbe\x7a rest", 9)), 1234, 40000);
  EXPECT_EQ(r.protocol, &kBeta);
  EXPECT_FALSE(r.need_more);
  EXPECT_EQ(g_alpha_probes, 0);  // no signature match, no hint: not probed
  EXPECT_EQ(g_gamma_probes, 0);
  // Either direction.
  EXPECT_EQ(det.detect(Dir::kToClient, bytes("AL1!xyz"), 1234, 40000).protocol, &kAlpha);
}

TEST(ProtocolDetector, SignatureMatchButProbeRejects) {
  const ProtocolDescriptor* list[] = {&kAlpha, &kBeta};
  SignatureDatabase db(list);
  ProtocolDetector det(db, {});
  reset_counts();
  DetectResult r = det.detect(Dir::kToServer, bytes("AL1?"), 1234, 40000);
  EXPECT_EQ(r.protocol, nullptr);
  EXPECT_FALSE(r.need_more);
  EXPECT_EQ(g_alpha_probes, 1);
}

TEST(ProtocolDetector, PortHintOrder) {
  const ProtocolDescriptor* list[] = {&kAlpha, &kBeta, &kGamma};
  SignatureDatabase db(list);
  // Both alpha and beta match and accept "AL1!": without hints the list order decides.
  ProtocolDetector plain(db, {});
  EXPECT_EQ(plain.detect(Dir::kToServer, bytes("AL1!"), 9999, 40000).protocol, &kAlpha);
  // Hinted and matching comes first.
  ProtocolDetector hinted(db, {{9999, ProtocolId::kMqtt}, {7001, ProtocolId::kNats}});
  EXPECT_EQ(hinted.detect(Dir::kToServer, bytes("AL1!"), 9999, 40000).protocol, &kBeta);
  // The hint may be on the client port of the flow (a flow picked up with sides unknown).
  EXPECT_EQ(hinted.detect(Dir::kToServer, bytes("AL1!"), 40000, 9999).protocol, &kBeta);
  // Matching (not hinted) beats hinted only: gamma accepts anything but comes last.
  reset_counts();
  EXPECT_EQ(hinted.detect(Dir::kToServer, bytes("AL1!"), 7001, 40000).protocol, &kAlpha);
  EXPECT_EQ(g_gamma_probes, 0);
  // With no signature match, the hinted-only protocol is probed.
  EXPECT_EQ(hinted.detect(Dir::kToServer, bytes("hello"), 7001, 40000).protocol, &kGamma);
  EXPECT_EQ(g_gamma_probes, 1);
}

TEST(ProtocolDetector, MaybeMeansNeedMore) {
  const ProtocolDescriptor* list[] = {&kAlpha, &kBeta, &kGamma};
  SignatureDatabase db(list);
  // "AL1" matches alpha's signature; its probe wants the 4th byte.
  ProtocolDetector det(db, {});
  DetectResult r = det.detect(Dir::kToServer, bytes("AL1"), 1234, 40000);
  EXPECT_EQ(r.protocol, nullptr);
  EXPECT_TRUE(r.need_more);
  // A later candidate saying yes wins over an earlier maybe, and clears need_more.
  ProtocolDetector det2(db, {{1234, ProtocolId::kNats}});
  r = det2.detect(Dir::kToServer, bytes("AL1"), 1234, 40000);
  EXPECT_EQ(r.protocol, &kGamma);
  EXPECT_FALSE(r.need_more);
  // A hinted candidate saying maybe for short data.
  ProtocolDetector det3(db, {{1883, ProtocolId::kMqtt}});
  r = det3.detect(Dir::kToServer, bytes(std::string_view("\x00\x00", 2)), 1883, 40000);
  EXPECT_EQ(r.protocol, nullptr);
  EXPECT_TRUE(r.need_more);
  // Empty data: nothing, and nothing probed.
  reset_counts();
  r = det3.detect(Dir::kToServer, {}, 1883, 40000);
  EXPECT_EQ(r.protocol, nullptr);
  EXPECT_FALSE(r.need_more);
  EXPECT_EQ(g_beta_probes, 0);
}

TEST(ProtocolDetector, RejectsUnrelatedBytes) {
  const ProtocolDescriptor* list[] = {&kAlpha, &kBeta};
  SignatureDatabase db(list);
  ProtocolDetector det(db, {});
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
    DetectResult r = det.detect(Dir::kToServer, bytes(*s), 80, 40000);
    EXPECT_EQ(r.protocol, nullptr) << s->substr(0, 8);
    EXPECT_FALSE(r.need_more) << s->substr(0, 8);
  }
  // Data long enough for the signatures: no signature match, no hint, no probe.
  EXPECT_EQ(g_alpha_probes + g_beta_probes, 0);
  // Short unrelated data: probes are asked whether it could be a prefix; they say no.
  for (std::string_view s : {std::string_view("\x16\x03\x01\x02\x00", 5), std::string_view("GET / HTTP/1.1")}) {
    DetectResult r = det.detect(Dir::kToServer, bytes(s), 80, 40000);
    EXPECT_EQ(r.protocol, nullptr);
    EXPECT_FALSE(r.need_more);
  }
}

// A first segment shorter than the signatures (a client writing a few bytes first) must not
// make detection give up: a probe that sees a possible prefix asks for more.
TEST(ProtocolDetector, ShortFirstSegmentAsksForMore) {
  const ProtocolDescriptor* list[] = {&kAlpha};
  SignatureDatabase db(list);
  ProtocolDetector det(db, {});
  reset_counts();
  DetectResult r = det.detect(Dir::kToServer, bytes("AL"), 1234, 40000);  // "^AL1" cannot match yet
  EXPECT_EQ(r.protocol, nullptr);
  EXPECT_TRUE(r.need_more);
  EXPECT_EQ(g_alpha_probes, 1);
  r = det.detect(Dir::kToServer, bytes("AX"), 1234, 40000);
  EXPECT_EQ(r.protocol, nullptr);
  EXPECT_FALSE(r.need_more);
  // A probe saying yes to short data without a signature match is not taken as a verdict.
  const ProtocolDescriptor* list2[] = {&kAlpha, &kGamma};
  SignatureDatabase db2(list2);
  ProtocolDetector det2(db2, {});
  r = det2.detect(Dir::kToServer, bytes("zz"), 1234, 40000);
  EXPECT_EQ(r.protocol, nullptr);
}

TEST(ProtocolDetector, OnlyTheFirstBytesAreScanned) {
  // Long data is fine (scan is bounded to kScanBytes) and a match at the start still counts.
  const ProtocolDescriptor* list[] = {&kAlpha};
  SignatureDatabase db(list);
  ProtocolDetector det(db, {});
  std::string s = "AL1!" + std::string(100000, 'z');
  EXPECT_EQ(det.detect(Dir::kToServer, bytes(s), 1, 2).protocol, &kAlpha);
}

TEST(ProtocolDetector, ServerCache) {
  const ProtocolDescriptor* list[] = {&kAlpha, &kBeta};
  SignatureDatabase db(list);
  ProtocolDetector det(db, {});
  std::array<uint8_t, 16> ip{};
  ip[10] = ip[11] = 0xff;
  ip[12] = 10, ip[15] = 9;
  EXPECT_EQ(det.cached(ip, 9092, 6), nullptr);
  det.remember(ip, 9092, 6, &kAlpha);
  EXPECT_EQ(det.cached(ip, 9092, 6), &kAlpha);
  EXPECT_EQ(det.cached(ip, 9093, 6), nullptr);   // other port
  EXPECT_EQ(det.cached(ip, 9092, 17), nullptr);  // other L4 protocol
  std::array<uint8_t, 16> other = ip;
  other[15] = 10;
  EXPECT_EQ(det.cached(other, 9092, 6), nullptr);  // other server
  det.remember(ip, 9092, 6, &kBeta);               // a new verdict replaces the old one
  EXPECT_EQ(det.cached(ip, 9092, 6), &kBeta);
  det.remember(ip, 9092, 6, nullptr);  // forget
  EXPECT_EQ(det.cached(ip, 9092, 6), nullptr);
  // Many servers: whatever a slot holds, a lookup never returns another server's verdict.
  for (uint16_t port = 1; port < 20000; ++port) det.remember(ip, port, 6, port % 2 ? &kAlpha : &kBeta);
  int hits = 0;
  for (uint16_t port = 1; port < 20000; ++port) {
    const ProtocolDescriptor* p = det.cached(ip, port, 6);
    if (p == nullptr) continue;
    ++hits;
    EXPECT_EQ(p, port % 2 ? &kAlpha : &kBeta) << port;
  }
  EXPECT_GT(hits, 0);
  EXPECT_EQ(det.cached(ip, 19999, 6), &kAlpha);  // the latest entry is always there
}

}  // namespace
}  // namespace l7tap
