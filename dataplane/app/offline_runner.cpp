// Offline mode: pcap files → the same FlowProcessor the live workers run → record ring → control
// thread. Lossless: when the ring is full the reader waits for the control thread instead of
// dropping (there is no wire to keep up with).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <thread>
#include <vector>

#include "control/control_thread.hpp"
#include "dataplane/app/offline_progress.hpp"
#include "dataplane/app/pcap_reader.hpp"
#include "dataplane/app/pipeline_setup.hpp"
#include "dataplane/app/runners.hpp"
#include "dataplane/ring_sink.hpp"

namespace l7tap {
namespace {

// The capture files' sizes summed; 0 when one is not a regular file (a pipe has no size).
uint64_t total_size(const std::vector<std::string>& paths) {
  uint64_t total = 0;
  for (const std::string& p : paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    total += static_cast<uint64_t>(st.st_size);
  }
  return total;
}

// --progress / --no-progress, else on when stderr is a terminal that the flow log does not also
// go to (JSON lines on the same terminal would tear the redrawn line apart).
bool progress_wanted(const Config& config, const RunOptions& options) {
  if (options.progress != RunOptions::Progress::kAuto) return options.progress == RunOptions::Progress::kOn;
  if (::isatty(STDERR_FILENO) == 0) return false;
  return !(config.flow_log_path == "-" && ::isatty(STDOUT_FILENO) != 0);
}

}  // namespace

int run_offline(const Config& config, const RunOptions& options) {
  PipelineSetup setup(config);
  RecordRing ring(config.record_ring_size);
  WorkerStats stats(setup.protocol_ids());
  ControlInputs inputs;
  inputs.rings.push_back(&ring);
  inputs.workers.push_back(&stats.block());
  inputs.config_path = options.config_path;
  inputs.reload_requested = &g_reload;
  inputs.overrides = options.overrides;
  inputs.trace_headers = &setup.trace_headers();
  ControlPlane control(config, inputs);
  control.start();

  BlockingRingSink sink(ring);
  FlowProcessor processor(0, setup.processor_config(), setup.signatures(), setup.port_hints(), sink, stats);
  const uint64_t total_bytes = total_size(options.pcaps);
  OfflineProgress progress(progress_wanted(config, options), ::isatty(STDERR_FILENO) != 0, total_bytes);
  uint64_t packets = 0, bytes_before = 0;  // frames read, and the sizes of the files already read
  int rc = 0;
  uint64_t last_ts = 0;
  // Frames go to the processor a burst at a time, as a NIC queue would hand them. Frames from a
  // mapped file are handed over in place; libpcap reuses its buffer for every frame, so those are
  // copied into a batch arena first.
  constexpr uint32_t kBurst = 32;
  std::vector<uint8_t> arena(1u << 20);
  std::span<const uint8_t> frames[kBurst];
  uint64_t stamps[kBurst];
  uint32_t n = 0;
  std::size_t used = 0;
  auto run_burst = [&] {
    if (n == 0) return;
    processor.process_burst(frames, stamps, n);
    processor.housekeeping(last_ts);
    processor.publish_stats();
    n = 0;
    used = 0;
  };
  for (const std::string& path : options.pcaps) {
    try {
      PcapReader reader(path);
      std::span<const uint8_t> frame;
      uint64_t ts = 0;
      while (!g_stop.load(std::memory_order_relaxed) && reader.next(frame, ts)) {
        if (n == kBurst || used + frame.size() > arena.size()) {
          run_burst();
          if (progress.due())
            progress.draw(bytes_before + reader.offset(), packets + reader.frames(), control.records_written());
        }
        if (reader.frames_stay_valid()) {
          frames[n] = frame;  // in the mapped file, valid until the reader goes
        } else {
          if (frame.size() > arena.size()) frame = frame.first(arena.size());  // cannot happen: 256 KiB at most
          std::memcpy(arena.data() + used, frame.data(), frame.size());
          frames[n] = {arena.data() + used, frame.size()};
          used += frame.size();
        }
        stamps[n] = ts;
        ++n;
        last_ts = ts > last_ts ? ts : last_ts;
      }
      run_burst();
      packets += reader.frames();
      bytes_before += reader.offset();
      if (!reader.error().empty()) {
        progress.clear();
        std::fprintf(stderr, "l7tap: %s (the frames before it were processed)\n", reader.error().c_str());
        rc = std::max(rc, 1);  // the worst status wins, whatever the files' order
      }
    } catch (const std::exception& e) {
      // main opened every file before the run; this one went away since (bad usage, as then).
      progress.clear();
      std::fprintf(stderr, "l7tap: %s\n", e.what());
      rc = 2;
    }
  }
  processor.housekeeping(last_ts);
  processor.flush_all();
  if (progress.enabled()) {
    // Drains every ring, so the per-protocol counts are final. (With --linger no record comes
    // after this, so a SIGHUP while lingering, no longer read, would have had nothing to relabel.)
    control.stop();
    OfflineTotals totals;
    totals.packets = packets;
    totals.bytes = total_bytes;
    totals.flows = stats[WorkerStats::kFlowsCreated].get();
    totals.records_by_protocol = control.records_by_protocol();
    for (std::size_t id = 1; id < totals.records_by_protocol.size(); ++id)
      totals.parse_errors += stats.parse_errors(static_cast<ProtocolId>(id)).get();
    totals.gaps = stats[WorkerStats::kGaps].get();
    progress.finish(bytes_before, control.records_written(), totals);
  }
  if (options.linger && control.metrics_port() != 0) {
    std::fprintf(stderr, "l7tap: end of input; serving /metrics on port %u until SIGINT/SIGTERM\n",
                 control.metrics_port());
    while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  control.stop();
  return rc;
}

}  // namespace l7tap
