#include "control/service_map.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstring>

#include "control/flow_log_writer.hpp"

namespace l7tap {

namespace {

uint64_t load_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

void mask_words(uint8_t prefix_len, uint64_t& hi, uint64_t& lo) {
  const uint64_t ones = ~0ULL;
  hi = prefix_len >= 64 ? ones : (prefix_len == 0 ? 0 : ones << (64 - prefix_len));
  lo = prefix_len <= 64 ? 0 : (prefix_len == 128 ? ones : ones << (128 - prefix_len));
}

std::string network_text(const std::array<uint8_t, 16>& addr, uint8_t prefix_len, bool v4) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (v4)
    inet_ntop(AF_INET, addr.data() + 12, buf, sizeof buf);
  else
    inet_ntop(AF_INET6, addr.data(), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(v4 ? prefix_len - 96 : prefix_len);
}

}  // namespace

std::string parse_cidr(std::string_view text, Cidr& out) {
  const std::size_t slash = text.find('/');
  const std::string addr_text(text.substr(0, slash));
  const bool v6 = addr_text.find(':') != std::string::npos;
  Cidr c;
  c.v4 = !v6;
  if (v6) {
    if (inet_pton(AF_INET6, addr_text.c_str(), c.addr.data()) != 1)
      return "bad IPv6 address \"" + addr_text + "\"";
    if (is_v4_mapped(c.addr)) return "write IPv4 networks in IPv4 notation, not as IPv4-mapped IPv6";
  } else {
    in_addr v4{};
    if (inet_pton(AF_INET, addr_text.c_str(), &v4) != 1)
      return "bad IPv4 address \"" + addr_text + "\" (expected a.b.c.d/len or an IPv6 network)";
    c.addr[10] = c.addr[11] = 0xff;
    std::memcpy(c.addr.data() + 12, &v4, 4);
  }
  const unsigned max_len = v6 ? 128 : 32;
  unsigned len = max_len;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    const auto r = std::from_chars(p.data(), p.data() + p.size(), len);
    if (p.empty() || r.ec != std::errc() || r.ptr != p.data() + p.size() || len > max_len)
      return "bad prefix length \"" + std::string(p) + "\" (expected 0.." + std::to_string(max_len) + ")";
  }
  c.prefix_len = static_cast<uint8_t>(v6 ? len : 96 + len);

  uint64_t mhi, mlo;
  mask_words(c.prefix_len, mhi, mlo);
  const uint64_t hi = load_be64(c.addr.data()), lo = load_be64(c.addr.data() + 8);
  if ((hi & ~mhi) != 0 || (lo & ~mlo) != 0) {
    std::array<uint8_t, 16> net = c.addr;
    for (int i = 0; i < 16; ++i) {
      const int bits = std::clamp(static_cast<int>(c.prefix_len) - i * 8, 0, 8);
      net[static_cast<std::size_t>(i)] &= static_cast<uint8_t>(0xff00 >> bits);
    }
    return "host bits are set (the network is " + network_text(net, c.prefix_len, c.v4) + ")";
  }
  out = c;
  return {};
}

ServiceMap::ServiceMap(std::vector<ServiceRule> rules, UnmatchedServers unmatched, std::size_t cache_slots)
    : rules_(std::move(rules)), unmatched_(unmatched) {
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    Cidr c;
    if (std::string err = parse_cidr(rules_[i].cidr, c); !err.empty())
      throw ConfigError("service_map.rules[" + std::to_string(i) + "].cidr", err);
    if (rules_[i].service.empty())
      throw ConfigError("service_map.rules[" + std::to_string(i) + "].service", "required (a non-empty name)");
    auto& levels = c.v4 ? v4_levels_ : v6_levels_;
    auto it = std::find_if(levels.begin(), levels.end(),
                           [&](const Level& l) { return l.prefix_len == c.prefix_len; });
    if (it == levels.end()) {
      Level l;
      l.prefix_len = c.prefix_len;
      l.first_rule = static_cast<uint32_t>(i);
      mask_words(c.prefix_len, l.mask.hi, l.mask.lo);
      levels.push_back(std::move(l));
      it = levels.end() - 1;
    }
    // Rules are visited in order, so each list stays ascending.
    it->table[Prefix{load_be64(c.addr.data()), load_be64(c.addr.data() + 8)}].push_back(static_cast<uint32_t>(i));
  }
  auto by_first = [](const Level& a, const Level& b) { return a.first_rule < b.first_rule; };
  std::sort(v4_levels_.begin(), v4_levels_.end(), by_first);
  std::sort(v6_levels_.begin(), v6_levels_.end(), by_first);

  std::size_t slots = 1;
  while (slots < cache_slots) slots <<= 1;
  cache_.resize(slots);
  cache_mask_ = slots - 1;
}

bool ServiceMap::extra_fields_match(const ServiceRule& r, const ServiceKey& key) const {
  if (r.has_vlan && !(key.has_vlan && key.vlan == r.vlan)) return false;
  if (r.has_tunnel_id && !(key.has_tunnel_id && key.tunnel_id == r.tunnel_id)) return false;
  if (r.ports.empty()) return true;
  for (const PortRange& p : r.ports)
    if (key.port >= p.first && key.port <= p.last) return true;
  return false;
}

int ServiceMap::lookup_uncached(const ServiceKey& key) const {
  const auto& levels = is_v4_mapped(key.ip) ? v4_levels_ : v6_levels_;
  const uint64_t hi = load_be64(key.ip.data()), lo = load_be64(key.ip.data() + 8);
  uint32_t best = UINT32_MAX;
  for (const Level& level : levels) {
    if (level.first_rule >= best) break;  // levels are sorted by their first rule: none can win
    const auto it = level.table.find(Prefix{hi & level.mask.hi, lo & level.mask.lo});
    if (it == level.table.end()) continue;
    for (uint32_t idx : it->second) {
      if (idx >= best) break;
      if (extra_fields_match(rules_[idx], key)) {
        best = idx;
        break;
      }
    }
  }
  return best == UINT32_MAX ? kNoMatch : static_cast<int>(best);
}

int ServiceMap::lookup(const ServiceKey& key) {
  uint64_t h = load_be64(key.ip.data()) * 0x9e3779b97f4a7c15ULL;
  h ^= load_be64(key.ip.data() + 8) + 0xbf58476d1ce4e5b9ULL + (h << 6) + (h >> 2);
  h ^= (static_cast<uint64_t>(key.port) << 32 | static_cast<uint64_t>(key.vlan) << 16 |
        static_cast<uint64_t>(key.has_vlan) << 1 | static_cast<uint64_t>(key.has_tunnel_id)) *
       0x94d049bb133111ebULL;
  h ^= static_cast<uint64_t>(key.tunnel_id) * 0xff51afd7ed558ccdULL;
  h ^= h >> 31;
  CacheSlot& slot = cache_[static_cast<std::size_t>(h) & cache_mask_];
  if (slot.valid && slot.key == key) {
    ++hits_;
    return slot.result;
  }
  ++misses_;
  slot.key = key;
  slot.result = lookup_uncached(key);
  slot.valid = true;
  return slot.result;
}

void format_address(const std::array<uint8_t, 16>& ip, std::string& out) {
  IpTextBuffer buf;
  out.assign(format_ip(ip, buf));
}

void format_address_port(const std::array<uint8_t, 16>& ip, uint16_t port, std::string& out) {
  IpTextBuffer buf;
  const std::string_view text = format_ip(ip, buf);
  out.clear();
  // A colon in the text means IPv6 (IPv4-mapped addresses are printed dotted): bracket it.
  const bool v6 = text.find(':') != std::string_view::npos;
  if (v6) out.push_back('[');
  out.append(text);
  if (v6) out.push_back(']');
  out.push_back(':');
  char digits[8];
  const auto r = std::to_chars(digits, digits + sizeof digits, port);
  out.append(digits, static_cast<std::size_t>(r.ptr - digits));
}

}  // namespace l7tap
