// Offline mode's progress line and end-of-run summary, on stderr. On a terminal the line is redrawn
// in place (\r) four times a second; written to a file or a pipe (--progress) it is one line per
// second, so a log stays readable. The reader calls due() once per burst: a counter test, and a
// clock read every 16th burst, so a replay pays nothing per packet for it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace l7tap {

// What the summary reports, read once the run has ended.
struct OfflineTotals {
  uint64_t packets = 0;
  uint64_t bytes = 0;  // of the capture files (0 when one of them is a pipe)
  uint64_t flows = 0;
  std::vector<uint64_t> records_by_protocol;  // by ProtocolId, 0 = unknown
  uint64_t parse_errors = 0;
  uint64_t gaps = 0;
};

class OfflineProgress {
 public:
  // total_bytes: the capture files' sizes summed, 0 when one is not a regular file (no percentage
  // and no ETA then). terminal: redraw in place, else one line per update.
  OfflineProgress(bool enabled, bool terminal, uint64_t total_bytes);

  bool enabled() const { return enabled_; }
  // True when a line is due; cheap enough to call once per burst.
  bool due() {
    if (!enabled_ || (++bursts_ & 15u) != 0) return false;
    return std::chrono::steady_clock::now() >= next_;
  }
  // bytes_done: bytes of the capture files consumed so far.
  void draw(uint64_t bytes_done, uint64_t packets, uint64_t records);
  // Takes a redrawn line off the terminal before another message is printed on stderr.
  void clear();
  // The last progress line (the state at the end), then the one-line summary.
  void finish(uint64_t bytes_done, uint64_t records, const OfflineTotals& totals);

  // The summary line, without the "l7tap: " prefix and the newline (tests read it).
  static std::string summary(const OfflineTotals& t, double seconds);

 private:
  bool enabled_;
  bool terminal_;
  bool shown_ = false;  // a redrawn line is on the terminal
  uint64_t total_bytes_;
  uint32_t bursts_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point next_;
};

}  // namespace l7tap
