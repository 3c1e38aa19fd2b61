// Application-protocol detection for a new flow: port hints from the conf plus Hyperscan signatures
// select candidate protocols; each candidate's probe() makes the decision (Suricata style: probing
// is separate from parsing). Verdicts are cached per server ip:port so later flows to the same
// service (including ones picked up mid-connection) are recognised at once.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
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
  ProtocolId protocol_of(unsigned pattern_id) const { return pattern_proto_[pattern_id]; }
  std::span<const ProtocolDescriptor* const> protocols() const { return protocols_; }

 private:
  hs_database* db_ = nullptr;
  std::vector<ProtocolId> pattern_proto_;
  std::vector<const ProtocolDescriptor*> protocols_;
};

struct DetectResult {
  const ProtocolDescriptor* protocol = nullptr;  // null: not (yet) identified
  bool need_more = false;                        // some candidate wants more bytes
};

class ProtocolDetector {
 public:
  static constexpr std::size_t kScanBytes = 512;  // signatures look at the first bytes only
  static constexpr std::size_t kShortPrefix = 16; // below this, every probe may ask for more bytes

  // port_hints[p] = protocols hinted for server port p (from the conf).
  ProtocolDetector(const SignatureDatabase& sigs,
                   const std::vector<std::pair<uint16_t, ProtocolId>>& port_hints);
  ~ProtocolDetector();
  ProtocolDetector(const ProtocolDetector&) = delete;
  ProtocolDetector& operator=(const ProtocolDetector&) = delete;

  DetectResult detect(Dir dir, std::span<const uint8_t> data, uint16_t server_port, uint16_t client_port);
  // Whether the conf hints any protocol on this port (also used to guess which side serves).
  bool hinted(uint16_t port) const { return port_mask_[port] != 0; }

  // Per-server verdict cache (direct-mapped; a collision just replaces the older entry).
  const ProtocolDescriptor* cached(const std::array<uint8_t, 16>& ip, uint16_t port, uint8_t l4) const;
  void remember(const std::array<uint8_t, 16>& ip, uint16_t port, uint8_t l4, const ProtocolDescriptor* p);

 private:
  struct CacheEntry {
    std::array<uint8_t, 16> ip{};
    uint16_t port = 0;
    uint8_t l4 = 0;
    const ProtocolDescriptor* proto = nullptr;
  };
  static constexpr std::size_t kCacheSize = 4096;
  std::size_t cache_slot(const std::array<uint8_t, 16>& ip, uint16_t port, uint8_t l4) const;

  const SignatureDatabase& sigs_;
  hs_scratch* scratch_ = nullptr;
  std::vector<uint32_t> port_mask_;  // 65536 entries: bit i = protocol id i hinted on that port
  std::vector<CacheEntry> cache_;
};

}  // namespace l7tap
