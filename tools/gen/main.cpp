// l7tap-gen: writes a pcap of generated MQ traffic (see traffic_gen.hpp) and, optionally, the
// flow-log records l7tap should produce from it.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "tools/gen/pcap_writer.hpp"
#include "tools/gen/traffic_gen.hpp"

namespace {

constexpr const char* kUsage =
    "usage: l7tap-gen [--out FILE.pcap] --packets N [options]\n"
    "\n"
    "  --out FILE.pcap        write the frames to FILE (without it: generate only, and report the speed)\n"
    "  --packets N            frames of steady traffic; then the open conversations finish (drain)\n"
    "  --concurrency C        conversations open at once (default 1000)\n"
    "  --seed S               (default 1); same seed and options: the same bytes\n"
    "  --mix mqtt=1,kafka=1,amqp=1,nats=1,openwire=1,pulsar=1,zmtp=1,rocketmq=1   relative protocol weights (missing ones: 0)\n"
    "  --errors F             share of refusable requests that are refused (default 0.05)\n"
    "  --vlan F --vxlan F --ipv6 F          shares of conversations (default 0)\n"
    "  --exchanges MIN-MAX    exchanges per conversation (default 1-20)\n"
    "  --large F              share of messages of 10-200 KB (default 0.01)\n"
    "  --high-ports F         share of servers on random high ports (default 0.1)\n"
    "  --rst F                share of conversations reset after a request (default 0.02)\n"
    "  --gap-us F             mean inter-packet gap in microseconds (default 1)\n"
    "  --start-us T           timestamp of the first frame (default 1700000000000000)\n"
    "  --mss N                TCP maximum segment size (default 1448)\n"
    "  --tcp-checksum         fill TCP checksums (default: 0, as with checksum offload)\n"
    "  --expected FILE.json   write the flow-log records l7tap should produce\n";

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "l7tap-gen: %s\n\n%s", why, kUsage);
  std::exit(2);
}

double number(const char* opt, const char* v) {
  char* end = nullptr;
  const double d = std::strtod(v, &end);
  if (end == v || *end != '\0' || d < 0) usage((std::string("bad value for ") + opt + ": " + v).c_str());
  return d;
}

double share(const char* opt, const char* v) {
  const double d = number(opt, v);
  if (d > 1) usage((std::string(opt) + " is a share between 0 and 1").c_str());
  return d;
}

uint64_t integer(const char* opt, const char* v) {
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v, &end, 10);
  if (end == v || *end != '\0' || v[0] == '-') usage((std::string("bad value for ") + opt + ": " + v).c_str());
  return n;
}

void parse_mix(const char* v, gen::Options& o) {
  o.mix = {};
  std::string_view s(v);
  while (!s.empty()) {
    const std::size_t comma = s.find(',');
    const std::string_view item = s.substr(0, comma);
    s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) usage("--mix wants name=weight,...");
    const std::string name(item.substr(0, eq));
    const std::string weight(item.substr(eq + 1));
    bool known = false;
    for (std::size_t p = 0; p < gen::kProtocols; ++p) {
      if (gen::protocol_name(static_cast<gen::Protocol>(p)) == name) {
        o.mix[p] = number("--mix", weight.c_str());
        known = true;
      }
    }
    if (!known) {
      std::string names;
      for (std::size_t p = 0; p < gen::kProtocols; ++p)
        names += std::string(p == 0 ? "" : ", ") + std::string(gen::protocol_name(static_cast<gen::Protocol>(p)));
      usage(("--mix: unknown protocol " + name + " (" + names + ")").c_str());
    }
  }
  double total = 0;
  for (double w : o.mix) total += w;
  if (total <= 0) usage("--mix: all weights are 0");
}

}  // namespace

int main(int argc, char** argv) {
  gen::Options o;
  std::string out, expected;
  uint64_t packets = 0;
  bool have_packets = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a == "--tcp-checksum") {
      o.tcp_checksum = true;
      continue;
    }
    if (i + 1 >= argc) usage((std::string("missing value for ") + argv[i]).c_str());
    const char* opt = argv[i];
    const char* v = argv[++i];
    if (a == "--out") {
      out = v;
    } else if (a == "--packets") {
      packets = integer(opt, v);
      have_packets = true;
    } else if (a == "--concurrency") {
      o.concurrency = static_cast<uint32_t>(integer(opt, v));
      if (o.concurrency == 0 || o.concurrency > 100000000) usage("--concurrency must be 1..100000000");
    } else if (a == "--seed") {
      o.seed = integer(opt, v);
    } else if (a == "--mix") {
      parse_mix(v, o);
    } else if (a == "--errors") {
      o.errors = share(opt, v);
    } else if (a == "--vlan") {
      o.vlan = share(opt, v);
    } else if (a == "--vxlan") {
      o.vxlan = share(opt, v);
    } else if (a == "--ipv6") {
      o.ipv6 = share(opt, v);
    } else if (a == "--exchanges") {
      const std::string s(v);
      const std::size_t dash = s.find('-');
      if (dash == std::string::npos) usage("--exchanges wants MIN-MAX");
      o.min_exchanges = static_cast<uint32_t>(integer(opt, s.substr(0, dash).c_str()));
      o.max_exchanges = static_cast<uint32_t>(integer(opt, s.substr(dash + 1).c_str()));
      if (o.max_exchanges < o.min_exchanges || o.max_exchanges > 65535) usage("--exchanges: MIN <= MAX <= 65535");
    } else if (a == "--large") {
      o.large_share = share(opt, v);
    } else if (a == "--high-ports") {
      o.high_port_share = share(opt, v);
    } else if (a == "--rst") {
      o.rst_share = share(opt, v);
    } else if (a == "--gap-us") {
      o.gap_us = number(opt, v);
    } else if (a == "--start-us") {
      o.start_us = integer(opt, v);
    } else if (a == "--mss") {
      const uint64_t m = integer(opt, v);
      if (m < 64 || m > 9000) usage("--mss must be 64..9000");
      o.mss = static_cast<uint16_t>(m);
    } else if (a == "--expected") {
      expected = v;
    } else {
      usage((std::string("unknown option ") + opt).c_str());
    }
  }
  if (!have_packets) usage("--packets is required");

  gen::PcapWriter pcap;
  if (!out.empty() && !pcap.open(out)) {
    std::fprintf(stderr, "l7tap-gen: %s\n", pcap.error().c_str());
    return 1;
  }
  gen::TrafficGenerator g(o);
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const bool write = !out.empty();
  for (uint64_t n = 0; n < packets; ++n) {
    const gen::Frame f = g.next();
    if (write) pcap.write(f.ts_us, f.bytes);
  }
  const auto t1 = Clock::now();
  const uint64_t steady = g.stats().frames;
  g.drain();
  for (gen::Frame f = g.next(); !f.bytes.empty(); f = g.next())
    if (write) pcap.write(f.ts_us, f.bytes);
  const double steady_s = std::chrono::duration<double>(t1 - t0).count();
  const double total_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (write && !pcap.close()) {
    std::fprintf(stderr, "l7tap-gen: %s: %s\n", out.c_str(), pcap.error().c_str());
    return 1;
  }
  const gen::Stats& s = g.stats();
  if (!expected.empty()) {
    std::FILE* f = std::fopen(expected.c_str(), "w");
    const std::string json = s.to_json() + "\n";
    if (f == nullptr || std::fwrite(json.data(), 1, json.size(), f) != json.size() || std::fclose(f) != 0) {
      std::fprintf(stderr, "l7tap-gen: cannot write %s\n", expected.c_str());
      return 1;
    }
  }
  const auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::fprintf(stderr,
               "l7tap-gen: %llu frames (%llu steady + %llu closing), %llu bytes, %llu conversations, %llu expected "
               "records; steady %.0f frames/s, all %.3f s%s\n",
               u(s.frames), u(steady), u(s.frames - steady), u(s.bytes), u(s.conversations_started),
               u(s.expected_total()), steady / (steady_s > 0 ? steady_s : 1e-9), total_s,
               write ? " (pcap writing included)" : "");
  return 0;
}
