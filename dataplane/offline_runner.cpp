// Offline mode: pcap files → the same FlowProcessor the live workers run → record ring → control
// thread. Lossless: when the ring is full the reader waits for the control thread instead of
// dropping (there is no wire to keep up with).
#include <chrono>
#include <cstdio>
#include <exception>
#include <thread>

#include "control/control_thread.hpp"
#include "dataplane/pcap_reader.hpp"
#include "dataplane/pipeline_setup.hpp"
#include "dataplane/runners.hpp"

namespace l7tap {
namespace {

class BlockingRingSink final : public RecordSink {
 public:
  explicit BlockingRingSink(RecordRing& ring) : ring_(ring) {}
  void on_record(FlowRecord& r) override {
    while (!ring_.push(r)) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }

 private:
  RecordRing& ring_;
};

}  // namespace

int run_offline(const Config& config, const RunOptions& options) {
  PipelineSetup setup(config);
  RecordRing ring(config.record_ring_size);
  WorkerStats stats;
  ControlInputs inputs;
  inputs.rings.push_back(&ring);
  inputs.workers.push_back(&stats);
  inputs.config_path = options.config_path;
  inputs.reload_requested = &g_reload;
  ControlPlane control(config, inputs);
  control.start();

  BlockingRingSink sink(ring);
  FlowProcessor processor(0, setup.processor_config(), setup.signatures(), setup.port_hints(), sink, stats);
  int rc = 0;
  uint64_t last_ts = 0;
  for (const std::string& path : options.pcaps) {
    try {
      PcapReader reader(path);
      std::span<const uint8_t> frame;
      uint64_t ts = 0;
      uint32_t n = 0;
      while (!g_stop.load(std::memory_order_relaxed) && reader.next(frame, ts)) {
        processor.process_frame(frame, ts);
        last_ts = ts > last_ts ? ts : last_ts;
        if (++n % 64 == 0) {
          processor.housekeeping(last_ts);
          processor.publish_stats();
        }
      }
      if (!reader.error().empty()) {
        std::fprintf(stderr, "l7tap: %s (the frames before it were processed)\n", reader.error().c_str());
        rc = 1;
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "l7tap: %s\n", e.what());
      rc = 2;
    }
  }
  processor.housekeeping(last_ts);
  processor.flush_all();
  if (options.linger && control.metrics_port() != 0) {
    std::fprintf(stderr, "l7tap: end of input; serving /metrics on port %u until SIGINT/SIGTERM\n",
                 control.metrics_port());
    while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  control.stop();
  return rc;
}

}  // namespace l7tap
