// The l7_flow_log writer: one JSON object per line (flow_log_json.hpp), written to a file with
// size-based rotation, or to stdout. Runs on the control thread only. Records are formatted
// straight into the writer's buffer, which is written out once per drained batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "control/flow_log_json.hpp"
#include "protocols/core/counters.hpp"
#include "protocols/core/record.hpp"

namespace l7tap {

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
  // max_bytes: rotate before a line would take the file past this size (0 = never rotate). A path
  // that is not a regular file (/dev/null, a FIFO, a character device) is never rotated.
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
  // Appends `rec`'s JSON line, formatted in place in the buffer (no copy, no allocation).
  void append(const FlowRecord& rec);
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
  // Makes room for `n` more bytes after the buffered ones (flushing, or for a line longer than
  // the buffer, growing it).
  void reserve(std::size_t n);
  // Takes the `n` bytes just written after the buffered ones as the next line (rotating first
  // when it would take the file past max_bytes).
  void commit(std::size_t n);

  // Buffered bytes beyond this are written at once, even mid-batch.
  static constexpr std::size_t kBufferLimit = 256 * 1024;

  std::string path_;
  uint64_t max_bytes_;
  uint32_t max_files_;
  Mode mode_ = Mode::kOff;
  int fd_ = -1;
  bool regular_ = false;       // the path is a regular file: only then rotate and truncate
  uint64_t size_ = 0;          // bytes in the current file + buffered
  std::unique_ptr<char[]> buf_;  // pending whole lines: [0, len_)
  std::size_t len_ = 0;
  std::size_t cap_ = 0;
  uint64_t buf_lines_ = 0;     // lines in buf_
  bool failing_ = false;       // the last flush failed (reported once on stderr)
  std::string rename_from_;    // scratch for rotation file names
  std::string rename_to_;
  FlowLogCounters counters_;
};

}  // namespace l7tap
