// Reading the conf: only a regular file, read completely and bounded, never an empty one; errors
// name the file once; every integer key states the range that really applies; the memory check
// names the key and the bytes it would need.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "control/config.hpp"
#include "tests/control/test_support.hpp"

namespace l7tap {
namespace {

using ::testing::HasSubstr;

// The ConfigError load_config_file(path) throws; fails the test when it loads.
ConfigError file_error(const std::string& path) {
  try {
    load_config_file(path);
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << path << " was accepted as a conf";
  return ConfigError("", "");
}

void write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

TEST(ConfigFileRead, DirectoryIsRefused) {
  const test::TempDir dir("l7tap_conf");
  const ConfigError e = file_error(dir.path());
  EXPECT_EQ(e.path(), "");
  EXPECT_EQ(e.source(), dir.path());
  EXPECT_EQ(std::string(e.what()), dir.path() + ": is a directory, not a conf file");
}

TEST(ConfigFileRead, DevicesAndPipesAreRefused) {
  EXPECT_THAT(file_error("/dev/null").what(), HasSubstr("is a character device, not a conf file"));
  EXPECT_THAT(file_error("/dev/zero").what(), HasSubstr("is a character device"));
  const test::TempDir dir("l7tap_conf");
  const std::string fifo = dir.path() + "/fifo.yaml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Opened without blocking (nobody writes to it) and refused.
  EXPECT_THAT(file_error(fifo).what(), HasSubstr("is a pipe"));
}

// procfs files are "regular" with a stat size of 0 whatever they hold: what is read must be what
// stat said, so they are refused like an empty file (and /proc/self/mem is never read at all).
TEST(ConfigFileRead, ProcFilesAreRefused) {
  EXPECT_THAT(file_error("/proc/self/mem").what(), HasSubstr("empty (0 bytes"));
  EXPECT_THAT(file_error("/proc/self/status").what(), HasSubstr("empty (0 bytes"));
}

// A file caught mid-rewrite (truncated, not yet written) must not load as "every default".
TEST(ConfigFileRead, EmptyOrKeylessConfIsRefused) {
  const test::TempDir dir("l7tap_conf");
  const std::string f = dir.path() + "/l7tap.yaml";
  write(f, "");
  EXPECT_EQ(std::string(file_error(f).what()),
            f + ": the conf file is empty (0 bytes; a file being rewritten looks like this); write {} for a conf "
                "with every default");
  for (const char* keyless : {"\n", "# only a comment\n", "---\n", "~\n", "null\n", "   \n\n"}) {
    write(f, keyless);
    EXPECT_THAT(file_error(f).what(), HasSubstr("the conf is empty (no keys)")) << keyless;
  }
  for (const char* not_a_map : {"- a\n", "42\n", "just words\n"}) {
    write(f, not_a_map);
    EXPECT_THAT(file_error(f).what(), HasSubstr("expected a map of sections")) << not_a_map;
  }
  write(f, "{}\n");
  EXPECT_NO_THROW(load_config_file(f));
}

TEST(ConfigFileRead, OverSixteenMebibytesIsRefused) {
  const test::TempDir dir("l7tap_conf");
  const std::string f = dir.path() + "/big.yaml";
  const int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(kMaxConfigFileBytes) + 1), 0);  // sparse: no disk used
  ::close(fd);
  EXPECT_THAT(file_error(f).what(), HasSubstr("16777217 bytes; at most 16777216 (16 MiB) are read"));
}

// A conf far larger than one read() buffer loads completely: the last rule is there.
TEST(ConfigFileRead, LargeFileIsReadCompletely) {
  const test::TempDir dir("l7tap_conf");
  const std::string f = dir.path() + "/l7tap.yaml";
  std::string text = "service_map:\n  unmatched: drop\n  rules:\n";
  constexpr int kRules = 8000;
  for (int i = 0; i < kRules; ++i)
    text += "    - { cidr: 10." + std::to_string(i / 250) + "." + std::to_string(i % 250) +
            ".0/24, service: s" + std::to_string(i) + " }\n";
  ASSERT_GT(text.size(), 256u << 10);
  write(f, text);
  const Config c = load_config_file(f);
  ASSERT_EQ(c.service_rules.size(), static_cast<std::size_t>(kRules));
  EXPECT_EQ(c.service_rules.back().service, "s7999");
  EXPECT_EQ(c.unmatched, UnmatchedServers::kDrop);
}

// The fuzz target and tests load from memory; NUL bytes and garbage are a ConfigError, nothing else.
TEST(ConfigText, BufferWithoutFile) {
  EXPECT_EQ(load_config_text("workers: { count: 3 }\n").workers, 3);
  // Loads or is a ConfigError; anything else would escape main's and the reload's handlers.
  auto loads_or_config_error = [](const std::string& text) {
    try {
      load_config_text(text);
    } catch (const ConfigError&) {
    }
  };
  const char kNul[] = "workers:\0 { count: 3 }\n";
  EXPECT_NO_THROW(loads_or_config_error(std::string(kNul, sizeof kNul - 1)));
  EXPECT_NO_THROW(loads_or_config_error(std::string("\xff\xfe\x00\x01", 4)));
  EXPECT_THROW(load_config_text(""), ConfigError);
}

TEST(ConfigFileErrors, KeyErrorsNameTheFileOnce) {
  const test::TempDir dir("l7tap_conf");
  const std::string f = dir.path() + "/x.yaml";
  write(f, "workers: { count: two }\n");
  const ConfigError e = file_error(f);
  EXPECT_EQ(e.path(), "workers.count");
  EXPECT_EQ(e.source(), f);
  EXPECT_EQ(std::string(e.what()), f + ": workers.count: expected an integer in 1..64, got \"two\"");
}

// Every integer key's message states the range that applies, for a word and for a value past it.
TEST(ConfigRanges, EveryIntegerKeyStatesItsRealRange) {
  struct Case {
    std::string yaml_prefix, yaml_suffix, key, range, too_big;
  };
  const std::vector<Case> cases = {
      {"ports: [ { name: a, device: b, rx_queues: ", " } ]", "ports[0].rx_queues", "1..64", "65"},
      {"ports: [ { name: a, device: b, rx_descriptors: ", " } ]", "ports[0].rx_descriptors", "1..65535", "65536"},
      {"workers: { count: ", " }", "workers.count", "1..64", "65"},
      {"workers: { burst_size: ", " }", "workers.burst_size", "1..512", "513"},
      {"workers: { dispatch_ring_size: ", " }", "workers.dispatch_ring_size", "64..1073741824", "2147483648"},
      {"workers: { mbuf_pool_size: ", " }", "workers.mbuf_pool_size", "1..4294967295", "4294967296"},
      {"flows: { capacity: ", " }", "flows.capacity", "1..4294967294", "4294967295"},
      {"sessions: { max_pending_per_flow: ", " }", "sessions.max_pending_per_flow", "1..4294967295", "4294967296"},
      {"flow_log: { max_files: ", " }", "flow_log.max_files", "1..4294967295", "4294967296"},
      {"metrics: { max_series_per_metric: ", " }", "metrics.max_series_per_metric", "0..4294967295", "4294967296"},
      {"metrics: { max_endpoints_per_service: ", " }", "metrics.max_endpoints_per_service", "0..4294967295",
       "4294967296"},
      {"protocols: { port_hints: { mqtt: [", "] } }", "protocols.port_hints.mqtt[0]", "1..65535", "65536"},
      {"service_map: { rules: [ { cidr: 10.0.0.0/8, service: a, ports: [", "] } ] }",
       "service_map.rules[0].ports[0]", "1..65535", "65536"},
      {"service_map: { rules: [ { cidr: 10.0.0.0/8, service: a, vlan: ", " } ] }", "service_map.rules[0].vlan",
       "0..4095", "4096"},
      {"service_map: { rules: [ { cidr: 10.0.0.0/8, service: a, tunnel_id: ", " } ] }",
       "service_map.rules[0].tunnel_id", "0..4294967295", "4294967296"},
  };
  for (const Case& c : cases) {
    for (const std::string& value : {std::string("two"), c.too_big}) {
      const std::string yaml = c.yaml_prefix + value + c.yaml_suffix + "\n";
      try {
        load_config_text(yaml);
        ADD_FAILURE() << "accepted: " << yaml;
      } catch (const ConfigError& e) {
        EXPECT_EQ(e.path(), c.key) << yaml;
        EXPECT_THAT(e.what(), HasSubstr("expected an integer in " + c.range + ", got")) << yaml;
      }
    }
  }
}

// Sizes that cannot be allocated: the key, the bytes, and where the available figure comes from.
TEST(ConfigMemory, NeedOverAvailableNamesKeyAndBytes) {
  const std::vector<MemoryNeed> needs = {{"flows.capacity", 54'600'000'000, "1 worker x 100000000 flows x ~546 bytes"},
                                         {"records.ring_size", 8'454'145, "1 worker x 8454145 bytes"}};
  try {
    check_memory(needs, 8ull << 30, "physical memory");
    ADD_FAILURE() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), "flows.capacity");
    EXPECT_EQ(std::string(e.what()),
              "flows.capacity: needs 50.9 GiB (54600000000 bytes: 1 worker x 100000000 flows x ~546 bytes) but only "
              "8.0 GiB (8589934592 bytes, physical memory) is available");
  }
  // Each fits, together they do not: the largest is named, with every part.
  try {
    check_memory({{"flows.capacity", 6ull << 30, "a"}, {"records.ring_size", 3ull << 30, "b"}}, 8ull << 30, "x");
    ADD_FAILURE() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), "flows.capacity");
    EXPECT_THAT(e.what(), HasSubstr("together need 9.0 GiB (flows.capacity 6.0 GiB, records.ring_size 3.0 GiB)"));
  }
  EXPECT_NO_THROW(check_memory(needs, 64ull << 30, "x"));
  EXPECT_NO_THROW(check_memory(needs, 0, "unknown"));  // nothing known: no check
}

TEST(ConfigMemory, AvailableMemoryIsKnownHere) {
  std::string what;
  const uint64_t have = available_memory_bytes(&what);
  EXPECT_GT(have, 16u << 20);
  EXPECT_FALSE(what.empty());
  EXPECT_EQ(format_bytes(1023), "1023 bytes");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(3ull << 40), "3.0 TiB");
}

}  // namespace
}  // namespace l7tap
