// The two ways l7tap runs. Both build the same pipeline (PipelineSetup → FlowProcessor per worker →
// record rings → ControlPlane); they differ in where frames come from.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "control/config.hpp"

namespace l7tap {

struct RunOptions {
  std::string config_path;            // re-read on SIGHUP (kLiveKeys in control/config.hpp); "" = none
  std::vector<std::string> pcaps;     // offline mode when non-empty
  std::vector<std::string> eal_args;  // after "--" on the command line (added to eal.args)
  bool linger = false;                // keep serving /metrics after the end of input until a signal
  // Offline progress line and summary on stderr: kAuto = when stderr is a terminal.
  enum class Progress { kAuto, kOn, kOff } progress = Progress::kAuto;
  ConfigOverrides overrides;          // command-line settings, re-applied to every reloaded conf
};

// Set by SIGINT/SIGTERM; every loop polls it.
extern std::atomic<bool> g_stop;
// Set by SIGHUP; the control thread reloads the service map and clears it.
extern std::atomic<bool> g_reload;

// Replays capture files through one worker with packet timestamps; exits after flushing every
// open session. Returns the process exit code.
int run_offline(const Config& config, const RunOptions& options);

// DPDK: EAL, ports, worker lcores (and a dispatcher when a port has fewer queues than workers).
int run_live(const Config& config, const RunOptions& options);

}  // namespace l7tap
