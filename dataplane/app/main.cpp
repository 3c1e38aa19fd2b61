// l7tap command line: parse options, load the conf, run live (DPDK) or offline (pcap files).
#include <getopt.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include "control/config.hpp"
#include "dataplane/app/memory_estimate.hpp"
#include "dataplane/app/pcap_reader.hpp"
#include "dataplane/app/runners.hpp"

std::atomic<bool> l7tap::g_stop{false};
std::atomic<bool> l7tap::g_reload{false};

namespace {

const char kUsage[] =
    "usage: l7tap [options] [-- EAL arguments]\n"
    "\n"
    "Turns mirrored traffic into l7_flow_log records (JSON lines) and RED metrics (/metrics).\n"
    "\n"
    "Modes:\n"
    "  live (default)            DPDK: capture from the ports in the conf (eal.args + ports)\n"
    "  offline (--pcap)          replay capture files with packet timestamps, exit at the end\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE         YAML conf (default: built-in defaults; see conf/l7tap.yaml)\n"
    "  -r, --pcap FILE           offline mode: read FILE (pcap or pcapng); repeatable, read in order\n"
    "  -o, --flow-log PATH|-     write the flow log to PATH, '-' = stdout, '' = off\n"
    "                            (overrides flow_log.path)\n"
    "  -m, --metrics-listen H:P  serve /metrics on H:P, '' = off (overrides metrics.listen; in offline\n"
    "                            mode /metrics is off unless this option is given)\n"
    "  -w, --workers N           worker lcores in live mode (overrides workers.count)\n"
    "      --linger              offline: keep serving /metrics after the end of input until\n"
    "                            SIGINT/SIGTERM\n"
    "      --progress            offline: show progress and a summary on stderr even when it is not\n"
    "                            a terminal (default: only on a terminal the flow log does not use)\n"
    "      --no-progress         offline: no progress line and no summary\n"
    "      --check-config        load and validate the conf, print 'ok' and exit\n"
    "  -V, --version             print the version and exit\n"
    "  -h, --help                print this help and exit\n"
    "  -- ARGS...                extra DPDK EAL arguments for live mode (appended to eal.args),\n"
    "                            e.g. -- -l 0,1 --no-huge --no-pci -m 512 --vdev=net_pcap0,rx_pcap=x.pcap\n"
    "\n"
    "The flow log goes to stdout only when asked; logs always go to stderr.\n"
    "Exit status: 0 ok; 1 error during the run (e.g. a capture file that breaks off: the frames\n"
    "before it are processed); 2 bad usage, bad conf, or a capture file that cannot be opened or is\n"
    "not a capture (found before anything runs).\n";

// A conf error as the operator reads it: "<conf file>: <key>: <reason>", the file named once (errors
// from loading the file already carry it), and a key set on the command line said so.
std::string conf_error_text(const l7tap::ConfigError& e, const std::string& config_path,
                            const l7tap::ConfigOverrides& ov) {
  const std::string option = ov.option_for(e.path());
  if (!option.empty()) return e.what() + std::string(" (set by ") + option + ")";
  if (e.source().empty() && !config_path.empty()) return config_path + ": " + e.what();
  return e.what();
}

// SIGINT/SIGTERM: the first asks for an orderly stop (rx stops, rings drain, every open session
// and the flow log are flushed, exit 0); a second one, while that runs, exits at once (128 + the
// signal, as a shell reports a signal death), for when the orderly stop is stuck (e.g. the flow
// log on a pipe nobody reads).
std::atomic<int> g_stop_signals{0};
void on_signal(int sig) {
  if (g_stop_signals.fetch_add(1) != 0) {
    static const char kMsg[] = "l7tap: second signal: exiting without flushing\n";
    [[maybe_unused]] ssize_t n = write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
    _exit(128 + sig);
  }
  l7tap::g_stop.store(true);
}
void on_hangup(int) { l7tap::g_reload.store(true); }

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, flow_log, metrics_listen;
  bool have_flow_log = false, have_metrics = false, check_only = false;
  int workers = 0;
  l7tap::RunOptions run;

  enum { kLinger = 1000, kCheck, kProgress, kNoProgress };
  static const option longopts[] = {
      {"config", required_argument, nullptr, 'c'},     {"pcap", required_argument, nullptr, 'r'},
      {"flow-log", required_argument, nullptr, 'o'},   {"metrics-listen", required_argument, nullptr, 'm'},
      {"workers", required_argument, nullptr, 'w'},    {"linger", no_argument, nullptr, kLinger},
      {"check-config", no_argument, nullptr, kCheck},  {"version", no_argument, nullptr, 'V'},
      {"progress", no_argument, nullptr, kProgress},   {"no-progress", no_argument, nullptr, kNoProgress},
      {"help", no_argument, nullptr, 'h'},             {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "c:r:o:m:w:Vh", longopts, nullptr)) != -1) {
    switch (c) {
      case 'c': config_path = optarg; break;
      case 'r': run.pcaps.emplace_back(optarg); break;
      case 'o': flow_log = optarg; have_flow_log = true; break;
      case 'm': metrics_listen = optarg; have_metrics = true; break;
      case 'w': {
        char* end = nullptr;
        long v = std::strtol(optarg, &end, 10);
        if (end == optarg || *end != '\0' || v < 1 || v > 64) {
          std::fprintf(stderr, "l7tap: --workers: expected a number from 1 to 64, got '%s'\n", optarg);
          return 2;
        }
        workers = static_cast<int>(v);
        break;
      }
      case kLinger: run.linger = true; break;
      case kCheck: check_only = true; break;
      case kProgress: run.progress = l7tap::RunOptions::Progress::kOn; break;
      case kNoProgress: run.progress = l7tap::RunOptions::Progress::kOff; break;
      case 'V': std::printf("l7tap 0.1.0\n"); return 0;
      case 'h': std::fputs(kUsage, stdout); return 0;
      default: std::fputs(kUsage, stderr); return 2;
    }
  }
  for (int i = optind; i < argc; ++i) run.eal_args.emplace_back(argv[i]);
  run.config_path = config_path;

  // Command-line settings replace conf keys, at start and on every SIGHUP reload alike.
  l7tap::ConfigOverrides& ov = run.overrides;
  if (have_flow_log) ov.flow_log_path = flow_log;
  if (have_metrics) ov.metrics_listen = metrics_listen;
  else if (!run.pcaps.empty()) ov.metrics_listen = "";  // offline: /metrics only when asked for
  if (workers != 0) ov.workers = static_cast<uint16_t>(workers);

  l7tap::Config config;
  try {
    config = config_path.empty() ? l7tap::load_config_text("{}") : l7tap::load_config_file(config_path);
    ov.apply(config);
    l7tap::validate_config(config);
    // Sizes that cannot be allocated are refused here, naming the key, instead of ending the run
    // later with a bare std::bad_alloc.
    std::string where;
    const uint64_t available = l7tap::available_memory_bytes(&where);
    l7tap::check_memory(l7tap::memory_needs(config, run.pcaps.empty() ? config.workers : 1), available, where);
  } catch (const l7tap::ConfigError& e) {
    std::fprintf(stderr, "l7tap: %s\n", conf_error_text(e, config_path, ov).c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "l7tap: %s%s%s\n", config_path.c_str(), config_path.empty() ? "" : ": ", e.what());
    return 2;
  }
  if (check_only) {
    std::printf("ok\n");
    return 0;
  }
  // A capture file that cannot be read is bad usage (exit 2), found before anything starts.
  for (const std::string& p : run.pcaps) {
    if (const std::string problem = l7tap::capture_file_problem(p); !problem.empty()) {
      std::fprintf(stderr, "l7tap: %s\n", problem.c_str());
      return 2;
    }
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGHUP, on_hangup);  // reload the service map and endpoint rules (--config file)
  try {
    return run.pcaps.empty() ? l7tap::run_live(config, run) : l7tap::run_offline(config, run);
  } catch (const l7tap::ConfigError& e) {
    std::fprintf(stderr, "l7tap: %s\n", conf_error_text(e, config_path, ov).c_str());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr,
                 "l7tap: out of memory (std::bad_alloc); lower flows.capacity, records.ring_size, "
                 "flows.max_buffered_total or workers.count, or give l7tap more memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "l7tap: %s\n", e.what());
    return 1;
  }
}
