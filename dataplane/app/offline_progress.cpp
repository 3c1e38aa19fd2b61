#include "dataplane/app/offline_progress.hpp"

#include <cinttypes>
#include <cstdio>

#include "protocols/registry.hpp"

namespace l7tap {
namespace {

using Clock = std::chrono::steady_clock;

// A terminal is redrawn a few times a second; a file or pipe gets a line a second at most.
constexpr auto kTerminalInterval = std::chrono::milliseconds(250);
constexpr auto kLogInterval = std::chrono::seconds(1);

double mib(uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// "m:ss", or "h:mm:ss" from an hour up.
std::string clock_text(double seconds) {
  const uint64_t s = static_cast<uint64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%" PRIu64 ":%02" PRIu64, s / 60, s % 60);
  return buf;
}

}  // namespace

OfflineProgress::OfflineProgress(bool enabled, bool terminal, uint64_t total_bytes)
    : enabled_(enabled), terminal_(terminal), total_bytes_(total_bytes), start_(Clock::now()) {
  next_ = start_ + (terminal_ ? kTerminalInterval : kLogInterval);
}

void OfflineProgress::draw(uint64_t bytes_done, uint64_t packets, uint64_t records) {
  const Clock::time_point now = Clock::now();
  next_ = now + (terminal_ ? kTerminalInterval : kLogInterval);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(packets) / elapsed : 0;
  char line[256];
  int n = 0;
  if (total_bytes_ != 0) {
    const uint64_t done = bytes_done < total_bytes_ ? bytes_done : total_bytes_;
    n = std::snprintf(line, sizeof line, "%.0f%% %.1f/%.1f MiB, ",
                      100.0 * static_cast<double>(done) / static_cast<double>(total_bytes_), mib(done),
                      mib(total_bytes_));
  }
  n += std::snprintf(line + n, sizeof line - n, "%" PRIu64 " packets (%.0f/s), %" PRIu64 " records", packets, rate,
                     records);
  // ETA from the byte rate so far; only once there is a rate to go by.
  if (total_bytes_ != 0 && bytes_done != 0 && bytes_done < total_bytes_ && elapsed > 0) {
    const double left = static_cast<double>(total_bytes_ - bytes_done) * elapsed / static_cast<double>(bytes_done);
    std::snprintf(line + n, sizeof line - n, ", ETA %s", clock_text(left).c_str());
  }
  // \x1b[K clears what a longer previous line left behind.
  if (terminal_) {
    std::fprintf(stderr, "\rl7tap: %s\x1b[K", line);
    shown_ = true;
  } else {
    std::fprintf(stderr, "l7tap: %s\n", line);
  }
  std::fflush(stderr);
}

void OfflineProgress::clear() {
  if (!shown_) return;
  std::fputs("\r\x1b[K", stderr);
  shown_ = false;
}

void OfflineProgress::finish(uint64_t bytes_done, uint64_t records, const OfflineTotals& totals) {
  if (!enabled_) return;
  draw(bytes_done, totals.packets, records);
  if (shown_) std::fputc('\n', stderr);  // the final state stays on the terminal, above the summary
  shown_ = false;
  const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  std::fprintf(stderr, "l7tap: %s\n", summary(totals, seconds).c_str());
}

std::string OfflineProgress::summary(const OfflineTotals& t, double seconds) {
  uint64_t records = 0;
  std::string per_protocol;
  for (std::size_t id = 0; id < t.records_by_protocol.size(); ++id) {
    const uint64_t r = t.records_by_protocol[id];
    records += r;
    if (id == 0 && r == 0) continue;  // "unknown" only when it happened
    if (!per_protocol.empty()) per_protocol += ", ";
    per_protocol += std::string(protocol_name(static_cast<ProtocolId>(id))) + " " + std::to_string(r);
  }
  char head[160];
  std::snprintf(head, sizeof head, "done: %" PRIu64 " packets", t.packets);
  std::string s = head;
  if (t.bytes != 0) {
    std::snprintf(head, sizeof head, " (%.1f MiB)", mib(t.bytes));
    s += head;
  }
  std::snprintf(head, sizeof head, " in %.2f s, %" PRIu64 " flows, %" PRIu64 " records (", seconds, t.flows, records);
  s += head;
  s += per_protocol;
  std::snprintf(head, sizeof head, "), %" PRIu64 " parse errors, %" PRIu64 " gaps", t.parse_errors, t.gaps);
  s += head;
  return s;
}

}  // namespace l7tap
