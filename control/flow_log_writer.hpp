// The l7_flow_log writer: one JSON object per line (../shared/spec/l7-flow-log-schema.md), written
// to a file with size-based rotation, or to stdout. Runs on the control thread only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "control/stats.hpp"
#include "protocols/core/record.hpp"

namespace l7tap {

// Appends `rec` as one JSON object followed by '\n' to `out` and returns the bytes appended.
// Field order follows the schema table; fields without a value are omitted. Only grows `out`
// (reuse one string and its capacity: nothing else is allocated).
std::size_t format_record_json(const FlowRecord& rec, std::string& out);

// Appends `s` as a JSON string literal (quotes included). Control characters are escaped, and
// every byte that is not part of a well-formed UTF-8 sequence is written as \u00XX of the byte,
// so the output is valid JSON and valid UTF-8 whatever the input.
void append_json_string(std::string& out, std::string_view s);

// Appends `s` with every byte that is not part of a well-formed UTF-8 sequence, and every control
// character (C0, DEL), replaced by U+FFFD: Prometheus label values must be valid UTF-8, and one bad
// value would make the server reject the whole scrape.
void append_utf8_sanitized(std::string& out, std::string_view s);

// Text form of a 16-byte address: IPv4-mapped (::ffff:a.b.c.d) as dotted quad, anything else as
// IPv6 text. Writes into `buf` (no allocation) and returns a view of it.
using IpTextBuffer = std::array<char, 48>;
std::string_view format_ip(const std::array<uint8_t, 16>& addr, IpTextBuffer& buf);

// Writer counters, read by the self-metrics collector from the scrape thread.
struct FlowLogCounters {
  Counter lines;         // lines written successfully
  Counter bytes;         // their bytes
  Counter rotations;
  Counter write_errors;  // failed write/rename/open calls (the affected lines are lost)
  Counter lines_lost;    // lines dropped because of write errors
};

class FlowLogWriter {
 public:
  // path: file name, "-" for stdout, "" for disabled (every call is then a no-op).
  // max_bytes: rotate before a line would take the file past this size (0 = never rotate).
  // max_files: rotated files kept (f.1 … f.N; 0 = the file is simply truncated on rotation).
  // Throws std::runtime_error("flow_log.path <path>: <strerror>") when the file cannot be opened.
  FlowLogWriter(std::string path, uint64_t max_bytes, uint32_t max_files);
  ~FlowLogWriter();
  FlowLogWriter(const FlowLogWriter&) = delete;
  FlowLogWriter& operator=(const FlowLogWriter&) = delete;

  bool enabled() const { return mode_ != Mode::kOff; }
  const std::string& path() const { return path_; }

  // Appends one complete line (ending in '\n'). Lines are buffered and written whole: rotation
  // happens between lines, never inside one.
  void append(std::string_view line);
  // Writes everything buffered (the control thread calls this after every batch).
  void flush();
  // Flushes and closes the file (stdout is flushed, not closed). Idempotent.
  void close();

  const FlowLogCounters& counters() const { return counters_; }
  // Size of the current file including what is still buffered.
  uint64_t current_size() const { return size_; }

 private:
  enum class Mode { kOff, kStdout, kFile };

  void open_file();  // throws
  bool reopen_after_error();
  void rotate();

  // Buffered bytes beyond this are written at once, even mid-batch.
  static constexpr std::size_t kBufferLimit = 256 * 1024;

  std::string path_;
  uint64_t max_bytes_;
  uint32_t max_files_;
  Mode mode_ = Mode::kOff;
  int fd_ = -1;
  uint64_t size_ = 0;          // bytes in the current file + buffered
  std::string buf_;            // pending whole lines
  uint64_t buf_lines_ = 0;     // lines in buf_
  std::string rename_from_;    // scratch for rotation file names
  std::string rename_to_;
  FlowLogCounters counters_;
};

}  // namespace l7tap
