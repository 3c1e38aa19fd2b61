// Application-protocol detection for a new flow: port hints from the conf plus Hyperscan signatures
// select candidate protocols among those that run over the flow's transport; each candidate's
// probe() makes the decision (Suricata style: probing is separate from parsing).
//
// Verdicts are cached per server (ip, port, transport, VLAN, tunnel id) so later flows to the same
// service — including ones picked up mid-connection, whose first bytes may be mid-message — are
// recognised at once. The flow processor remembers a verdict only after the flow proved it (a
// request answered by its response, no parse error), and a cached verdict never outvotes a flow's
// own evidence: when the flow's first bytes are claimed by another protocol's probe, that wins.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "protocols/core/parser.hpp"

struct hs_database;
struct hs_scratch;

namespace l7tap {

// Compiled signatures of the enabled protocols. Built once, shared read-only by all workers.
class SignatureDatabase {
 public:
  // Throws std::runtime_error naming the protocol and pattern when a signature does not compile.
  explicit SignatureDatabase(std::span<const ProtocolDescriptor* const> protocols);
  ~SignatureDatabase();
  SignatureDatabase(const SignatureDatabase&) = delete;
  SignatureDatabase& operator=(const SignatureDatabase&) = delete;

  const hs_database* db() const { return db_; }
  // Position (in protocols()) of the protocol a pattern belongs to.
  uint32_t protocol_of(unsigned pattern_id) const { return pattern_proto_[pattern_id]; }
  std::span<const ProtocolDescriptor* const> protocols() const { return protocols_; }

 private:
  hs_database* db_ = nullptr;
  std::vector<uint32_t> pattern_proto_;
  std::vector<const ProtocolDescriptor*> protocols_;
};

struct DetectResult {
  const ProtocolDescriptor* protocol = nullptr;  // null: not (yet) identified
  bool need_more = false;                        // some candidate wants more bytes
};

// Server identity for the verdict cache (from a record's net tuple).
struct ServerKey {
  std::array<uint8_t, 16> ip{};
  uint32_t tunnel_id = 0;
  uint16_t port = 0;
  uint16_t vlan = 0;
  uint8_t l4 = 0;
  bool operator==(const ServerKey&) const = default;
  static ServerKey of(const NetTuple& n) {
    ServerKey k;
    k.ip = n.server_ip;
    k.port = n.server_port;
    k.l4 = n.l4_proto;
    k.vlan = n.has_vlan ? n.vlan : 0;
    k.tunnel_id = n.has_tunnel_id ? n.tunnel_id : 0;
    return k;
  }
};

class ProtocolDetector {
 public:
  static constexpr std::size_t kScanBytes = 512;  // signatures look at the first bytes only
  static constexpr std::size_t kShortPrefix = 16; // below this, every probe may ask for more bytes

  // Port hints: (server port, protocol) pairs from the conf or the descriptors' defaults; the
  // protocols must be among the database's.
  ProtocolDetector(const SignatureDatabase& sigs,
                   const std::vector<std::pair<uint16_t, const ProtocolDescriptor*>>& port_hints);
  ~ProtocolDetector();
  ProtocolDetector(const ProtocolDetector&) = delete;
  ProtocolDetector& operator=(const ProtocolDetector&) = delete;

  // `l4`: 6 TCP, 17 UDP — only protocols with that transport are candidates.
  DetectResult detect(Dir dir, std::span<const uint8_t> data, uint16_t server_port, uint16_t client_port,
                      uint8_t l4);
  // Whether the conf hints any protocol on this port (also used to guess which side serves).
  bool hinted(uint16_t port) const { return hint_start_[port] != hint_start_[port + 1u]; }
  // Whether any enabled protocol runs over this transport.
  bool has_transport(uint8_t l4) const { return (transports_ & transport_bit(l4)) != 0; }

  // Per-server verdict cache (direct-mapped; a collision just replaces the older entry).
  const ProtocolDescriptor* cached(const ServerKey& key) const;
  void remember(const ServerKey& key, const ProtocolDescriptor* p);
  // Forgets every verdict (a fuzz harness reusing one detector across unrelated inputs).
  void clear_cache() { std::fill(cache_.begin(), cache_.end(), CacheEntry{}); }

  static uint8_t transport_bit(uint8_t l4) { return l4 == 6 ? kTcp : l4 == 17 ? kUdp : 0; }

 private:
  struct CacheEntry {
    ServerKey key;
    const ProtocolDescriptor* proto = nullptr;
  };
  static constexpr std::size_t kCacheSize = 4096;
  std::size_t cache_slot(const ServerKey& key) const;
  // Probes the candidates whose bit is set in `mask` (positions in sigs_.protocols()).
  bool probe_set(const std::vector<uint64_t>& mask, Dir dir, std::span<const uint8_t> data, uint8_t tbit,
                 DetectResult& res) const;

  const SignatureDatabase& sigs_;
  hs_scratch* scratch_ = nullptr;
  // Hints in CSR form: hint_proto_[hint_start_[p] .. hint_start_[p + 1]) = positions hinted on port p.
  std::vector<uint32_t> hint_start_;
  std::vector<uint32_t> hint_proto_;
  uint8_t transports_ = 0;
  // Bit sets over protocol positions, reused per call (no allocation per detection).
  std::vector<uint64_t> hinted_, matched_, order_;
  std::vector<CacheEntry> cache_;
};

}  // namespace l7tap
