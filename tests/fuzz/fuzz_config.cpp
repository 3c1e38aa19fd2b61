// libFuzzer target for the conf loader (control/config) and the SIGHUP reload: the input is the
// conf file l7tap starts with and, after the first NUL byte if there is one, the file a SIGHUP
// then finds in its place.
//
// Both go through the code l7tap runs: load_config_file on a real file (main at start-up, the
// control thread on SIGHUP), then for the reload what ControlPlane's reload() does with a conf
// that loaded: RedRules::from_config and RedMetrics::set_rules, replacing the rules of the first
// conf; a few records are then labelled with whatever rules are in place.
//
// Checks: a bad conf is only ever a ConfigError (anything else escaping would stop l7tap at
// start-up with a bare exception, or end the control thread on SIGHUP: control_thread.cpp catches
// ConfigError only); what loaded passes validation again; a reload that fails keeps the previous
// rules. tools/fuzz runs it with -max_len=4096 (a conf, not a bulk input: longer texts only slow
// the YAML parser down).
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "control/config.hpp"
#include "control/red_metrics.hpp"
#include "control/service_map.hpp"
#include "protocols/registry.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace l7tap;

// The conf file the target rewrites for every load (a per-process temporary file).
std::string g_path;

void write_file(const char* data, std::size_t size) {
  const int fd = ::open(g_path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  FUZZ_CHECK(fd >= 0);
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    FUZZ_CHECK(n > 0);
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  ::close(fd);
}

// Loads `text` as the conf file; nullopt when it is refused (with a ConfigError, nothing else).
std::optional<Config> load(const char* text, std::size_t size) {
  write_file(text, size);
  try {
    Config c = load_config_file(g_path);
    validate_config(c);  // what loaded is valid
    return c;
  } catch (const ConfigError& e) {
    FUZZ_CHECK(std::strlen(e.what()) != 0);
    return std::nullopt;
  }
}

// Compiles the rules of a conf that loaded; nullopt when they are refused (a ConfigError).
std::optional<RedRules> rules_of(const Config& c) {
  try {
    return RedRules::from_config(c);
  } catch (const ConfigError&) {
    return std::nullopt;
  }
}

FlowRecord record(uint8_t a, uint8_t b, uint16_t port, std::string_view endpoint) {
  FlowRecord r;
  r.protocol = 1;
  r.net.server_ip[10] = r.net.server_ip[11] = 0xff;
  r.net.server_ip[12] = 10;
  r.net.server_ip[13] = a;
  r.net.server_ip[14] = b;
  r.net.server_ip[15] = 7;
  r.net.client_ip = r.net.server_ip;
  r.net.client_ip[15] = 8;
  r.net.server_port = port;
  r.net.client_port = 40000;
  r.start_time_us = 1'700'000'000'000'000ull;
  r.end_time_us = r.start_time_us + 1500;
  r.has_rrt = true;
  r.rrt_us = 1500;
  r.l7.set(Field::kEndpoint, endpoint);
  r.l7.set(Field::kRequestType, "PUBLISH");
  return r;
}

void observe_some(RedMetrics& red) {
  static const FlowRecord records[] = {
      record(0, 0, 1883, "/users/12345/orders"),
      record(1, 2, 9092, "topic-0f3a9c2e-0000-4000-8000-000000000000"),
      record(200, 3, 80, ""),
  };
  RedLabelValues labels;
  for (const FlowRecord& r : records) {
    red.series_labels(r, labels);
    red.observe(r);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/l7tap-fuzz-conf-XXXXXX";
  const int fd = ::mkstemp(templ.data());
  if (fd < 0) {
    std::perror("fuzz_config: mkstemp");
    std::abort();
  }
  ::close(fd);
  g_path = templ;
  // Removed at exit (libFuzzer exits through exit() when it is done).
  std::atexit([] { ::unlink(g_path.c_str()); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One RedMetrics for many inputs, as the control thread has one for its life; every input
  // starts by putting its own rules in, so earlier inputs only leave series behind.
  static RedMetrics* red = nullptr;
  // Series pile up across inputs (service names are the fuzzer's): start over now and then, so a
  // long run stays far below -rss_limit_mb (a fresh one per input would cost its 3 MB endpoint
  // cache each time).
  if (red == nullptr || red->series_count() > 2000) {
    delete red;
    const Config defaults = load_config_text("{}");
    red = new RedMetrics(RedOptions::from_config(defaults), RedRules::from_config(defaults));
  }
  const char* text = reinterpret_cast<const char*>(data);
  const auto* nul = static_cast<const char*>(std::memchr(text, '\0', size));
  const std::size_t first_size = nul != nullptr ? static_cast<std::size_t>(nul - text) : size;

  // Start-up.
  const std::optional<Config> start = load(text, first_size);
  if (!start) return 0;  // l7tap would not start
  std::optional<RedRules> rules = rules_of(*start);
  if (!rules) return 0;  // ControlPlane::start would refuse it
  const std::size_t start_rules = rules->service_map->size();
  FUZZ_CHECK(start_rules == start->service_rules.size());
  red->set_rules(std::move(*rules));
  observe_some(*red);
  if (nul == nullptr) return 0;

  // SIGHUP: the file now holds the rest of the input.
  const std::optional<Config> fresh = load(nul + 1, size - first_size - 1);
  std::optional<RedRules> fresh_rules;
  if (fresh) fresh_rules = rules_of(*fresh);
  if (fresh_rules) {
    const std::size_t n = fresh_rules->service_map->size();
    FUZZ_CHECK(n == fresh->service_rules.size());
    red->set_rules(std::move(*fresh_rules));
    FUZZ_CHECK(red->service_map().size() == n);
  } else {
    FUZZ_CHECK(red->service_map().size() == start_rules);  // a failed reload keeps the old rules
  }
  observe_some(*red);
  return 0;
}
