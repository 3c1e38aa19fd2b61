// The service map: CIDR parsing, IPv4/IPv6 rules, ports and port ranges, VLAN and tunnel id
// conditions, first match wins across prefix lengths, and the lookup cache giving the same answers
// as an uncached linear scan (also when every key collides in a one-slot cache).
#include "control/service_map.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "tests/control/test_support.hpp"

namespace l7tap {
namespace {

using test::ip;
using test::rule;
using test::with_tunnel;
using test::with_vlan;

ServiceKey key(const char* addr, uint16_t port = 0) {
  ServiceKey k;
  k.ip = ip(addr);
  k.port = port;
  return k;
}

// The name of the rule `map` picks, or "-" for none.
std::string name(ServiceMap& map, const ServiceKey& k) {
  const int i = map.lookup(k);
  return i == ServiceMap::kNoMatch ? "-" : map.rule(i).service;
}

TEST(ParseCidr, Forms) {
  Cidr c;
  EXPECT_EQ(parse_cidr("10.1.0.0/16", c), "");
  EXPECT_TRUE(c.v4);
  EXPECT_EQ(c.prefix_len, 96 + 16);
  EXPECT_EQ(c.addr, ip("10.1.0.0"));
  EXPECT_EQ(parse_cidr("10.1.2.3", c), "");
  EXPECT_EQ(c.prefix_len, 128);
  EXPECT_EQ(parse_cidr("0.0.0.0/0", c), "");
  EXPECT_EQ(c.prefix_len, 96);
  EXPECT_EQ(parse_cidr("2001:db8::/32", c), "");
  EXPECT_FALSE(c.v4);
  EXPECT_EQ(c.prefix_len, 32);
  EXPECT_EQ(parse_cidr("::1", c), "");
  EXPECT_EQ(c.prefix_len, 128);
  EXPECT_EQ(parse_cidr("::/0", c), "");
  EXPECT_EQ(c.prefix_len, 0);
}

TEST(ParseCidr, Errors) {
  Cidr c;
  EXPECT_NE(parse_cidr("10.1.2.0/33", c).find("bad prefix length \"33\" (expected 0..32)"), std::string::npos);
  EXPECT_NE(parse_cidr("2001:db8::/129", c).find("expected 0..128"), std::string::npos);
  EXPECT_NE(parse_cidr("10.1.2.0/", c).find("bad prefix length"), std::string::npos);
  EXPECT_NE(parse_cidr("10.1.2.0/2x", c).find("bad prefix length"), std::string::npos);
  EXPECT_NE(parse_cidr("10.1.2/24", c).find("bad IPv4 address \"10.1.2\""), std::string::npos);
  EXPECT_NE(parse_cidr("300.1.2.0/24", c).find("bad IPv4 address"), std::string::npos);
  EXPECT_NE(parse_cidr("2001:db8::g/64", c).find("bad IPv6 address"), std::string::npos);
  EXPECT_NE(parse_cidr("", c).find("bad IPv4 address"), std::string::npos);
  EXPECT_EQ(parse_cidr("10.1.2.3/24", c), "host bits are set (the network is 10.1.2.0/24)");
  EXPECT_EQ(parse_cidr("2001:db8::1/64", c), "host bits are set (the network is 2001:db8::/64)");
  EXPECT_EQ(parse_cidr("10.0.0.129/25", c), "host bits are set (the network is 10.0.0.128/25)");
  EXPECT_NE(parse_cidr("::ffff:10.0.0.0/104", c).find("IPv4 notation"), std::string::npos);
}

TEST(ServiceMap, Ipv4AndIpv6Prefixes) {
  ServiceMap map({rule("10.0.0.0/8", "ten"), rule("192.168.1.0/24", "lan"), rule("2001:db8::/32", "doc6"),
                  rule("2001:db8:1::5", "host6"), rule("172.16.0.1", "host4")});
  EXPECT_EQ(name(map, key("10.200.3.4")), "ten");
  EXPECT_EQ(name(map, key("192.168.1.77")), "lan");
  EXPECT_EQ(name(map, key("192.168.2.77")), "-");
  EXPECT_EQ(name(map, key("11.0.0.1")), "-");
  EXPECT_EQ(name(map, key("172.16.0.1")), "host4");
  EXPECT_EQ(name(map, key("172.16.0.2")), "-");
  EXPECT_EQ(name(map, key("2001:db8:ffff::1")), "doc6");
  EXPECT_EQ(name(map, key("2001:db8:1::5")), "doc6");  // the /32 comes first
  EXPECT_EQ(name(map, key("2001:db9::1")), "-");
}

TEST(ServiceMap, FamiliesDoNotMix) {
  ServiceMap map({rule("::/0", "any6")});
  EXPECT_EQ(name(map, key("10.0.0.1")), "-");  // IPv4 (stored IPv4-mapped) is not matched by ::/0
  EXPECT_EQ(name(map, key("fe80::1")), "any6");
  ServiceMap map4({rule("0.0.0.0/0", "any4")});
  EXPECT_EQ(name(map4, key("10.0.0.1")), "any4");
  EXPECT_EQ(name(map4, key("::1")), "-");
  EXPECT_EQ(name(map4, key("::a00:1")), "-");  // IPv4-compatible ::10.0.0.1 is IPv6
}

TEST(ServiceMap, FirstMatchWinsNotLongestPrefix) {
  ServiceMap map({rule("10.0.0.0/8", "broad"), rule("10.1.2.3", "narrow"), rule("10.1.0.0/16", "mid")});
  EXPECT_EQ(name(map, key("10.1.2.3")), "broad");
  ServiceMap map2({rule("10.1.2.3", "narrow"), rule("10.1.0.0/16", "mid"), rule("10.0.0.0/8", "broad")});
  EXPECT_EQ(name(map2, key("10.1.2.3")), "narrow");
  EXPECT_EQ(name(map2, key("10.1.9.9")), "mid");
  EXPECT_EQ(name(map2, key("10.9.9.9")), "broad");
}

TEST(ServiceMap, PortsAndRanges) {
  ServiceRule kafka = rule("10.0.0.0/24", "kafka");
  kafka.ports = {{9092, 9092}, {9093, 9094}};
  ServiceRule web = rule("10.0.0.0/24", "web");
  web.ports = {{8000, 8010}};
  ServiceRule rest = rule("10.0.0.0/16", "other");
  ServiceMap map({kafka, web, rest});
  EXPECT_EQ(name(map, key("10.0.0.5", 9092)), "kafka");
  EXPECT_EQ(name(map, key("10.0.0.5", 9094)), "kafka");
  EXPECT_EQ(name(map, key("10.0.0.5", 9095)), "other");
  EXPECT_EQ(name(map, key("10.0.0.5", 8000)), "web");
  EXPECT_EQ(name(map, key("10.0.0.5", 8010)), "web");
  EXPECT_EQ(name(map, key("10.0.0.5", 8011)), "other");
  EXPECT_EQ(name(map, key("10.0.0.5", 7999)), "other");
  EXPECT_EQ(name(map, key("10.0.1.5", 9092)), "other");  // outside the /24s
  EXPECT_EQ(name(map, key("10.2.0.5", 9092)), "-");
}

TEST(ServiceMap, VlanAndTunnelConditions) {
  ServiceMap map({with_vlan(rule("10.0.0.0/24", "vlan100"), 100), with_tunnel(rule("10.0.0.0/24", "vni4242"), 4242),
                  with_vlan(rule("10.0.0.0/24", "priority-tagged"), 0), rule("10.0.0.0/24", "plain")});

  const ServiceKey k = key("10.0.0.1", 1883);
  EXPECT_EQ(name(map, k), "plain");
  EXPECT_EQ(name(map, with_vlan(k, 100)), "vlan100");
  EXPECT_EQ(name(map, with_vlan(k, 101)), "plain");
  EXPECT_EQ(name(map, with_vlan(k, 0)), "priority-tagged");
  EXPECT_EQ(name(map, with_tunnel(k, 4242)), "vni4242");
  EXPECT_EQ(name(map, with_tunnel(k, 4243)), "plain");
  ServiceKey flagless = k;
  flagless.tunnel_id = 4242;  // an id without the flag is no tunnel
  EXPECT_EQ(name(map, flagless), "plain");
}

TEST(ServiceMap, EmptyMapMatchesNothing) {
  ServiceMap map({});
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(name(map, key("10.0.0.1", 1)), "-");
  EXPECT_EQ(name(map, key("::1", 1)), "-");
  EXPECT_EQ(map.unmatched(), UnmatchedServers::kName);
  EXPECT_EQ(ServiceMap({}, UnmatchedServers::kDrop).unmatched(), UnmatchedServers::kDrop);
}

TEST(ServiceMap, BadRuleThrowsWithKeyPath) {
  try {
    ServiceMap map({rule("10.0.0.0/8", "a"), rule("10.0.0.1/8", "b")});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), "service_map.rules[1].cidr");
  }
  try {
    ServiceMap map({rule("10.0.0.0/8", "")});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), "service_map.rules[0].service");
  }
}

// Reference: the first rule that matches, by a plain scan.
int linear_lookup(const std::vector<ServiceRule>& rules, const ServiceKey& k) {
  for (std::size_t i = 0; i < rules.size(); ++i) {
    Cidr c;
    EXPECT_EQ(parse_cidr(rules[i].cidr, c), "");
    bool in = is_v4_mapped(k.ip) == c.v4;
    for (int bit = 0; in && bit < c.prefix_len; ++bit) {
      const int byte = bit / 8, shift = 7 - bit % 8;
      in = ((k.ip[byte] >> shift) & 1) == ((c.addr[byte] >> shift) & 1);
    }
    if (!in) continue;
    const ServiceRule& r = rules[i];
    if (r.has_vlan && !(k.has_vlan && k.vlan == r.vlan)) continue;
    if (r.has_tunnel_id && !(k.has_tunnel_id && k.tunnel_id == r.tunnel_id)) continue;
    bool port_ok = r.ports.empty();
    for (const auto& p : r.ports) port_ok = port_ok || (k.port >= p.first && k.port <= p.last);
    if (port_ok) return static_cast<int>(i);
  }
  return ServiceMap::kNoMatch;
}

TEST(ServiceMap, CacheGivesTheSameAnswersAsALinearScan) {
  std::vector<ServiceRule> rules;
  for (int i = 0; i < 40; ++i) {
    ServiceRule r;
    const int len = 8 + (i * 7) % 25;
    // Networks inside 10.0.0.0/8 with varied prefix lengths; host bits cleared.
    uint32_t addr = (10u << 24) | ((static_cast<uint32_t>(i) * 2654435761u) & 0x00ffffffu);
    addr &= len == 0 ? 0 : ~0u << (32 - len);
    char text[32];
    std::snprintf(text, sizeof text, "%u.%u.%u.%u/%d", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255,
                  len);
    r.cidr = text;
    r.service = "s" + std::to_string(i);
    if (i % 3 == 0) r.ports = {{static_cast<uint16_t>(1000 + i), static_cast<uint16_t>(1010 + i)}};
    if (i % 5 == 0) r.has_vlan = true, r.vlan = static_cast<uint16_t>(i % 2);
    if (i % 7 == 0) r.has_tunnel_id = true, r.tunnel_id = 7;
    rules.push_back(r);
  }
  for (std::size_t slots : {std::size_t{1}, std::size_t{16}, ServiceMap::kDefaultCacheSlots}) {
    ServiceMap map(rules, UnmatchedServers::kName, slots);
    std::mt19937 rng(42);
    std::vector<ServiceKey> keys;
    for (int i = 0; i < 300; ++i) {
      ServiceKey k;
      const uint32_t addr = (10u << 24) | (rng() & 0x00ffffffu);
      k.ip = ip("0.0.0.0");
      k.ip[12] = static_cast<uint8_t>(addr >> 24);
      k.ip[13] = static_cast<uint8_t>(addr >> 16);
      k.ip[14] = static_cast<uint8_t>(addr >> 8);
      k.ip[15] = static_cast<uint8_t>(addr);
      // Bias towards addresses inside rules so many keys match.
      if (rng() % 2) {
        Cidr c;
        parse_cidr(rules[rng() % rules.size()].cidr, c);
        for (int b = 12; b < 16; ++b) {
          const int bits = std::clamp(static_cast<int>(c.prefix_len) - b * 8, 0, 8);
          const uint8_t m = static_cast<uint8_t>(0xff00 >> bits);
          k.ip[b] = static_cast<uint8_t>((c.addr[b] & m) | (k.ip[b] & ~m));
        }
      }
      k.port = static_cast<uint16_t>(995 + rng() % 60);
      k.has_vlan = rng() % 2;
      k.vlan = static_cast<uint16_t>(rng() % 2);
      k.has_tunnel_id = rng() % 2;
      k.tunnel_id = 7;
      keys.push_back(k);
    }
    int matched = 0;
    // Each key three times, interleaved, so answers come from the cache and from misses.
    for (int round = 0; round < 3; ++round)
      for (const ServiceKey& k : keys) {
        const int want = linear_lookup(rules, k);
        ASSERT_EQ(map.lookup(k), want) << "slots " << slots;
        matched += want != ServiceMap::kNoMatch;
      }
    EXPECT_GT(matched, 300);
    EXPECT_EQ(map.cache_hits() + map.cache_misses(), 900u);
    if (slots == 1) {
      EXPECT_GE(map.cache_misses(), 890u);  // every key evicts the last one
    }
    if (slots == ServiceMap::kDefaultCacheSlots) {
      EXPECT_GE(map.cache_hits(), 550u);
    }
  }
}

TEST(ServiceMap, CacheKeyIncludesPortVlanAndTunnel) {
  ServiceRule p = rule("10.0.0.0/24", "port-rule");
  p.ports = {{80, 80}};
  ServiceMap map({p, with_vlan(rule("10.0.0.0/24", "vlan-rule"), 5),
                  with_tunnel(rule("10.0.0.0/24", "tunnel-rule"), 9)},
                 UnmatchedServers::kName, 1);
  ServiceKey k = key("10.0.0.1", 80);
  EXPECT_EQ(name(map, k), "port-rule");
  k.port = 81;
  EXPECT_EQ(name(map, k), "-");
  k = with_vlan(k, 5);
  EXPECT_EQ(name(map, k), "vlan-rule");
  k.has_vlan = false;  // the stale vlan value stays in the key
  k = with_tunnel(k, 9);
  EXPECT_EQ(name(map, k), "tunnel-rule");
  EXPECT_EQ(name(map, k), "tunnel-rule");
  EXPECT_EQ(map.cache_hits(), 1u);
}

TEST(FormatAddress, Forms) {
  std::string s = "junk";
  format_address_port(ip("10.0.0.9"), 9092, s);
  EXPECT_EQ(s, "10.0.0.9:9092");
  format_address_port(ip("2001:db8::1"), 50051, s);
  EXPECT_EQ(s, "[2001:db8::1]:50051");
  format_address(ip("2001:db8::1"), s);
  EXPECT_EQ(s, "2001:db8::1");
  format_address(ip("10.0.0.1"), s);
  EXPECT_EQ(s, "10.0.0.1");
}

}  // namespace
}  // namespace l7tap
