// libFuzzer target: one input = one captured frame (from the Ethernet header) for decode_frame,
// then the flow key and hash of what it decoded. Checks that the decoder never reads outside the
// frame (ASan), that what it reports is consistent, and that the key is canonical: the reverse
// direction of the same packet finds the same key and hash.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <utility>

#include "dataplane/decode.hpp"
#include "dataplane/flow_key.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace l7tap;

bool ipv4_mapped(const std::array<uint8_t, 16>& a) {
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(a.data(), kPrefix, sizeof kPrefix) == 0;
}

void check_key(const DecodedPacket& p) {
  bool swapped = false;
  const FlowKey k = make_flow_key(p, swapped);
  FUZZ_CHECK(k.pad == 0);
  FUZZ_CHECK(k.l4_proto == p.l4_proto);
  FUZZ_CHECK(k.vlan == (p.has_vlan ? p.vlan : 0));
  FUZZ_CHECK(k.tunnel_id == (p.has_tunnel_id ? p.tunnel_id : 0));
  // lo endpoint <= hi endpoint.
  const int c = std::memcmp(k.ip_lo.data(), k.ip_hi.data(), 16);
  FUZZ_CHECK(c < 0 || (c == 0 && k.port_lo <= k.port_hi));

  DecodedPacket r = p;
  std::swap(r.src_ip, r.dst_ip);
  std::swap(r.src_port, r.dst_port);
  bool r_swapped = false;
  const FlowKey rk = make_flow_key(r, r_swapped);
  FUZZ_CHECK(rk == k);
  FUZZ_CHECK(flow_hash(rk, 0x5eed) == flow_hash(k, 0x5eed));
  const bool same_endpoint = p.src_ip == p.dst_ip && p.src_port == p.dst_port;
  if (!same_endpoint) FUZZ_CHECK(r_swapped != swapped);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> frame(data, size);
  DecodedPacket p;
  const DecodeStatus s = decode_frame(frame, p);
  FUZZ_CHECK(s < DecodeStatus::kCount);
  const char* name = decode_status_name(s);
  FUZZ_CHECK(name != nullptr && name[0] != '\0');
  if (s != DecodeStatus::kOk) return 0;

  FUZZ_CHECK(p.l4_proto == 6 || p.l4_proto == 17);
  // The payload is a piece of the input frame, never a copy and never past its end.
  if (!p.payload.empty()) {
    FUZZ_CHECK(p.payload.data() >= data);
    FUZZ_CHECK(p.payload.size() <= size);
    FUZZ_CHECK(static_cast<std::size_t>(p.payload.data() - data) <= size - p.payload.size());
    volatile unsigned sum = 0;
    for (uint8_t b : p.payload) sum = sum + b;
    (void)sum;
  }
  if (!p.is_ipv6) {
    FUZZ_CHECK(ipv4_mapped(p.src_ip));
    FUZZ_CHECK(ipv4_mapped(p.dst_ip));
  }
  if (p.l4_proto == 17) FUZZ_CHECK(p.tcp_flags == 0 && p.tcp_seq == 0 && p.tcp_ack == 0 && p.tcp_wscale == -1);
  // A window scale comes only from a SYN's options and is at most 14 (RFC 7323).
  FUZZ_CHECK(p.tcp_wscale >= -1 && p.tcp_wscale <= 14);
  if (p.tcp_wscale >= 0) FUZZ_CHECK((p.tcp_flags & tcp_flag::kSyn) != 0);
  if (p.has_tunnel_id) FUZZ_CHECK(p.tunnel_depth > 0);
  if (p.has_vlan) FUZZ_CHECK(p.vlan <= 0x0fff);
  check_key(p);
  return 0;
}
