// libFuzzer target for protocol detection (protocols/core/detector): the Hyperscan signatures and
// port hints of every registered protocol, then their probes, on a flow's first bytes.
//
// Input layout: byte 0: bit 0 = direction (1 = to client), bit 1 = UDP (else TCP), bit 2 = ports
// from the input (else a registered protocol's first default port as the server port, chosen by
// byte 1 modulo the number of protocols, and 40000 as the client's); then, with bit 2, the server
// and client ports (u16 BE each); the rest is the flow's first payload. The detector sees it as it
// arrives: prefixes of 1, 4, 16 bytes and then all of it.
//
// Checks: a protocol is only chosen when it is registered, runs over the flow's transport and its
// own probe says yes to those bytes; a chosen protocol never also asks for more; the verdict cache
// gives back what it was told. With L7TAP_FUZZ_WRITE_SEEDS=DIR the target first writes a seed per
// registered protocol and direction from its descriptor's fuzz_samples into DIR.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "protocols/core/detector.hpp"
#include "protocols/registry.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace l7tap;

// Built once (compiling the signatures takes milliseconds); the verdict cache is cleared after
// every input.
struct Shared {
  Shared() : sigs(all_protocols()), detector(sigs, default_port_hints()) {}
  SignatureDatabase sigs;
  ProtocolDetector detector;
};

bool hinted_by_registry(uint16_t port) {
  for (const ProtocolDescriptor* d : all_protocols())
    for (uint16_t p : d->default_ports)
      if (p == port) return true;
  return false;
}

void write_seeds(const char* dir) {
  const auto protocols = all_protocols();
  for (std::size_t i = 0; i < protocols.size(); ++i) {
    for (const FuzzSample& s : protocols[i]->fuzz_samples) {
      const bool udp = (protocols[i]->transports & kTcp) == 0;
      std::vector<uint8_t> seed{static_cast<uint8_t>((s.dir == Dir::kToClient ? 1 : 0) | (udp ? 2 : 0)),
                                static_cast<uint8_t>(i)};
      seed.insert(seed.end(), s.bytes.begin(), s.bytes.end());
      const std::string path = std::string(dir) + "/registry-" + std::string(protocols[i]->name) +
                               (s.dir == Dir::kToClient ? "-to-client" : "-to-server");
      if (FILE* f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(seed.data(), 1, seed.size(), f);
        std::fclose(f);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("L7TAP_FUZZ_WRITE_SEEDS")) write_seeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Shared* shared = new Shared();  // lives for the process (no exit-time destructor races)
  if (size < 2) return 0;
  const auto protocols = all_protocols();
  const Dir dir = (data[0] & 1) != 0 ? Dir::kToClient : Dir::kToServer;
  const uint8_t l4 = (data[0] & 2) != 0 ? 17 : 6;
  uint16_t server_port, client_port;
  std::span<const uint8_t> payload;
  if ((data[0] & 4) != 0) {
    if (size < 5) return 0;
    server_port = static_cast<uint16_t>(data[1] << 8 | data[2]);
    client_port = static_cast<uint16_t>(data[3] << 8 | data[4]);
    payload = std::span<const uint8_t>(data + 5, size - 5);
  } else {
    const ProtocolDescriptor& d = *protocols[data[1] % protocols.size()];
    server_port = d.default_ports.empty() ? 1 : d.default_ports.front();
    client_port = 40000;
    payload = std::span<const uint8_t>(data + 2, size - 2);
  }

  ProtocolDetector& det = shared->detector;
  FUZZ_CHECK(det.hinted(server_port) == hinted_by_registry(server_port));
  for (std::size_t n : {std::size_t{1}, std::size_t{4}, std::size_t{16}, payload.size()}) {
    const std::span<const uint8_t> prefix = payload.first(n < payload.size() ? n : payload.size());
    const DetectResult r = det.detect(dir, prefix, server_port, client_port, l4);
    if (prefix.empty()) FUZZ_CHECK(r.protocol == nullptr && !r.need_more);
    if (r.protocol == nullptr) continue;
    FUZZ_CHECK(protocol_id(r.protocol) != kUnknownProtocol);
    FUZZ_CHECK((r.protocol->transports & ProtocolDetector::transport_bit(l4)) != 0);
    FUZZ_CHECK(!r.need_more);
    FUZZ_CHECK(r.protocol->probe(dir, prefix) == ProbeVerdict::kYes);

    NetTuple net;
    net.server_port = server_port;
    net.client_port = client_port;
    net.l4_proto = l4;
    net.server_ip[15] = static_cast<uint8_t>(n);
    const ServerKey key = ServerKey::of(net);
    det.remember(key, r.protocol);
    FUZZ_CHECK(det.cached(key) == r.protocol);
  }
  det.clear_cache();
  return 0;
}
