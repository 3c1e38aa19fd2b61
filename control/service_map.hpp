// The service map: names the service behind an address (conf `service_map.rules`, first match
// wins). It runs on the control thread for every record (server side, and client side when
// metrics.client_labels is on), so rules are compiled into one hash table per prefix length and
// every answer is remembered in a small direct-mapped cache keyed by (ip, port, vlan, tunnel id).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "control/config.hpp"

namespace l7tap {

// A parsed CIDR. Addresses are 16 bytes, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d), the way
// NetTuple stores them; `prefix_len` counts bits of those 16 bytes (an IPv4 /24 is 96 + 24).
struct Cidr {
  std::array<uint8_t, 16> addr{};  // host bits zero
  uint8_t prefix_len = 0;          // 0..128
  bool v4 = false;
};

// Parses "10.1.0.0/16", "10.1.2.3" (= /32), "2001:db8::/32", "::1" (= /128). Returns "" and fills
// `out` on success, else the reason (bad address, bad prefix, host bits set ...).
std::string parse_cidr(std::string_view text, Cidr& out);

// Whether `ip` (16 bytes, IPv4-mapped for IPv4) is an IPv4 address.
inline bool is_v4_mapped(const std::array<uint8_t, 16>& ip) {
  for (int i = 0; i < 10; ++i)
    if (ip[i] != 0) return false;
  return ip[10] == 0xff && ip[11] == 0xff;
}

// Where a packet's address was seen: the lookup key.
struct ServiceKey {
  std::array<uint8_t, 16> ip{};
  uint16_t port = 0;
  bool has_vlan = false;
  uint16_t vlan = 0;
  bool has_tunnel_id = false;
  uint32_t tunnel_id = 0;
  bool operator==(const ServiceKey&) const = default;
};

class ServiceMap {
 public:
  static constexpr int kNoMatch = -1;
  static constexpr std::size_t kDefaultCacheSlots = 4096;

  // Throws ConfigError("service_map.rules[i].cidr", ...) for a rule validate_config would reject.
  // cache_slots is rounded up to a power of two (at least 1).
  explicit ServiceMap(std::vector<ServiceRule> rules, UnmatchedServers unmatched = UnmatchedServers::kName,
                      std::size_t cache_slots = kDefaultCacheSlots);

  // Index of the first rule matching `key`, or kNoMatch. IPv4 rules match only IPv4 addresses and
  // IPv6 rules only IPv6 ones (never IPv4-mapped ones). Not thread-safe (the cache is updated).
  int lookup(const ServiceKey& key);

  const ServiceRule& rule(int index) const { return rules_[static_cast<std::size_t>(index)]; }
  std::size_t size() const { return rules_.size(); }
  UnmatchedServers unmatched() const { return unmatched_; }

  // Cache statistics (tests, benchmarks).
  uint64_t cache_hits() const { return hits_; }
  uint64_t cache_misses() const { return misses_; }

 private:
  struct Prefix {
    uint64_t hi = 0, lo = 0;
    bool operator==(const Prefix&) const = default;
  };
  struct PrefixHash {
    std::size_t operator()(const Prefix& p) const noexcept {
      uint64_t h = p.hi * 0x9e3779b97f4a7c15ULL ^ (p.lo + 0x632be59bd9b4e019ULL + (p.hi << 6));
      return static_cast<std::size_t>(h ^ (h >> 29));
    }
  };
  // All rules of one family and prefix length; each table entry lists rule indices ascending.
  struct Level {
    uint8_t prefix_len = 0;
    uint32_t first_rule = 0;  // smallest rule index in this level: lets lookups skip it
    Prefix mask;
    std::unordered_map<Prefix, std::vector<uint32_t>, PrefixHash> table;
  };
  struct CacheSlot {
    ServiceKey key;
    int result = kNoMatch;
    bool valid = false;
  };

  int lookup_uncached(const ServiceKey& key) const;
  bool extra_fields_match(const ServiceRule& r, const ServiceKey& key) const;

  std::vector<ServiceRule> rules_;
  UnmatchedServers unmatched_;
  std::vector<Level> v4_levels_, v6_levels_;  // sorted by first_rule
  std::vector<CacheSlot> cache_;
  std::size_t cache_mask_ = 0;
  uint64_t hits_ = 0, misses_ = 0;
};

// "ip:port" / "[v6]:port" (the name of an unmatched server) into `out`, replacing its contents.
void format_address_port(const std::array<uint8_t, 16>& ip, uint16_t port, std::string& out);
// The address alone ("10.0.0.1", "2001:db8::1") into `out` (unmatched clients).
void format_address(const std::array<uint8_t, 16>& ip, std::string& out);

}  // namespace l7tap
