#include "control/flow_log_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace l7tap {

FlowLogWriter::FlowLogWriter(std::string path, uint64_t max_bytes, uint32_t max_files)
    : path_(std::move(path)), max_bytes_(max_bytes), max_files_(max_files) {
  if (path_.empty()) return;
  // Room for a full buffer plus the largest record: append(rec) never has to grow it.
  cap_ = kBufferLimit + max_record_json_size();
  buf_ = std::make_unique<char[]>(cap_);
  if (path_ == "-") {
    mode_ = Mode::kStdout;
    fd_ = STDOUT_FILENO;
    return;
  }
  mode_ = Mode::kFile;
  open_file();
}

FlowLogWriter::~FlowLogWriter() { close(); }

void FlowLogWriter::open_file() {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("flow_log.path " + path_ + ": " + std::strerror(errno));
  struct stat st;
  const bool have = ::fstat(fd_, &st) == 0;
  // Only a regular file is rotated or truncated: renaming a device or a FIFO (/dev/null, a pipe
  // into a shipper) would replace it with a regular file that then grows without bound.
  regular_ = have && S_ISREG(st.st_mode);
  size_ = (have && regular_) ? static_cast<uint64_t>(st.st_size) : 0;
}

bool FlowLogWriter::reopen_after_error() {
  if (mode_ != Mode::kFile) return false;
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return false;
  struct stat st;
  const bool have = ::fstat(fd_, &st) == 0;
  regular_ = have && S_ISREG(st.st_mode);
  size_ = len_ + ((have && regular_) ? static_cast<uint64_t>(st.st_size) : 0);
  return true;
}

void FlowLogWriter::reserve(std::size_t n) {
  if (cap_ - len_ >= n) return;
  flush();
  if (cap_ >= n) return;
  cap_ = n;  // only append(line) of a line longer than the whole buffer gets here
  buf_ = std::make_unique<char[]>(cap_);
}

void FlowLogWriter::commit(std::size_t n) {
  // Rotate before the line that would take the file past the limit; a line longer than the
  // limit gets a file of its own rather than being split.
  if (mode_ == Mode::kFile && regular_ && max_bytes_ != 0 && size_ != 0 && size_ + n > max_bytes_) {
    const std::size_t at = len_;
    flush();  // the lines before this one (it sits after them, untouched)
    rotate();
    std::memmove(buf_.get(), buf_.get() + at, n);  // to the front of the emptied buffer (rare)
  }
  len_ += n;
  ++buf_lines_;
  size_ += n;
  if (len_ >= kBufferLimit) flush();
}

void FlowLogWriter::append(std::string_view line) {
  if (mode_ == Mode::kOff) return;
  reserve(line.size());
  std::memcpy(buf_.get() + len_, line.data(), line.size());
  commit(line.size());
}

void FlowLogWriter::append(const FlowRecord& rec) {
  if (mode_ == Mode::kOff) return;
  reserve(max_record_json_size(rec));
  char* start = buf_.get() + len_;
  commit(static_cast<std::size_t>(write_record_json(rec, start) - start));
}

void FlowLogWriter::flush() {
  if (mode_ == Mode::kOff || len_ == 0) return;
  bool ok = fd_ >= 0 || reopen_after_error();
  int err = ok ? 0 : errno;
  const uint64_t file_size_before = size_ - len_;
  std::size_t done = 0;
  while (ok && done < len_) {
    ssize_t n = ::write(fd_, buf_.get() + done, len_ - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      ok = false;
    } else {
      done += static_cast<std::size_t>(n);
    }
  }
  // Say it once when writes start failing (disk full, a removed directory) and once when they
  // work again; the counters tell how many lines were lost in between.
  if (ok != !failing_) {
    failing_ = !ok;
    if (failing_)
      std::fprintf(stderr, "l7tap: flow_log.path %s: write failed: %s (lines are lost and counted in "
                   "l7tap_flow_log_lines_lost_total until writes work again)\n", path_.c_str(), std::strerror(err));
    else
      std::fprintf(stderr, "l7tap: flow_log.path %s: writing again (%llu lines lost so far)\n", path_.c_str(),
                   static_cast<unsigned long long>(counters_.lines_lost.get()));
  }
  if (ok) {
    counters_.lines.add(buf_lines_);
    counters_.bytes.add(len_);
  } else {
    counters_.write_errors.add();
    counters_.lines_lost.add(buf_lines_);
    // Cut a partly written batch so the file keeps whole lines only.
    if (mode_ == Mode::kFile && regular_ && fd_ >= 0 && done != 0)
      if (::ftruncate(fd_, static_cast<off_t>(file_size_before)) != 0) counters_.write_errors.add();
    size_ = file_size_before;
  }
  len_ = 0;
  buf_lines_ = 0;
}

void FlowLogWriter::rotate() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  // f.(N-1) → f.N, …, f → f.1; rename() replaces the oldest file in place.
  auto numbered = [this](std::string& s, uint32_t i) {
    s.assign(path_);
    s.push_back('.');
    s.append(std::to_string(i));
  };
  for (uint32_t i = max_files_; i >= 1; --i) {
    if (i == 1)
      rename_from_.assign(path_);
    else
      numbered(rename_from_, i - 1);
    numbered(rename_to_, i);
    if (::rename(rename_from_.c_str(), rename_to_.c_str()) != 0 && errno != ENOENT)
      counters_.write_errors.add();
  }
  // With max_files == 0 the current file is simply truncated.
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) counters_.write_errors.add();  // flush() retries the open
  size_ = 0;
  counters_.rotations.add();
}

void FlowLogWriter::close() {
  if (mode_ == Mode::kOff) return;
  flush();
  if (mode_ == Mode::kFile && fd_ >= 0) ::close(fd_);
  fd_ = -1;
  mode_ = Mode::kOff;
}

}  // namespace l7tap
