#include "control/clickhouse_spool.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace l7tap {

namespace {

bool write_file(const std::string& path, const std::string& data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::close(fd);
      errno = e;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  // fsync: a spooled batch stands for records already taken from the workers; it must survive a
  // power cut as well as a restart.
  const bool ok = ::fsync(fd) == 0;
  const int e = errno;
  ::close(fd);
  errno = e;
  return ok;
}

bool read_file(const std::string& path, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.clear();
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return true;
}

}  // namespace

ClickHouseSpool::ClickHouseSpool(std::string dir, uint64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {
  if (dir_.empty()) return;
  auto fail = [&](const std::string& why) {
    throw std::runtime_error("flow_log.clickhouse.spool_dir " + dir_ + ": " + why);
  };
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) fail(std::strerror(errno));
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) fail(std::strerror(errno));
  std::vector<std::string> stale;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n.size() > 4 && n.compare(n.size() - 4, 4, ".tmp") == 0) {
      stale.push_back(n);  // a batch whose write a crash interrupted: never renamed, never counted
      continue;
    }
    struct stat st;
    if (n.size() > 9 && n.compare(n.size() - 9, 9, ".rejected") == 0) {
      if (::stat((dir_ + "/" + n).c_str(), &st) == 0) rejected_bytes_ += static_cast<uint64_t>(st.st_size);
      continue;  // set aside by an earlier run: kept, charged to the cap, not replayed
    }
    uint64_t seq = 0;
    uint32_t rows = 0;
    int used = 0;
    if (std::sscanf(n.c_str(), "%" SCNu64 "-%" SCNu32 ".jsonl%n", &seq, &rows, &used) != 2 ||
        used != static_cast<int>(n.size()))
      continue;  // not ours (e.g. a .bad file): left alone
    if (::stat((dir_ + "/" + n).c_str(), &st) != 0) continue;
    entries_[seq] = Entry{rows, static_cast<uint64_t>(st.st_size)};
    bytes_ += static_cast<uint64_t>(st.st_size);
    if (seq >= next_seq_) next_seq_ = seq + 1;
  }
  ::closedir(d);
  for (const std::string& n : stale) ::unlink((dir_ + "/" + n).c_str());
  // A probe write now, so a read-only or foreign directory stops the start rather than every batch.
  const std::string probe = dir_ + "/.probe.tmp";
  if (!write_file(probe, "")) fail(std::string("cannot write: ") + std::strerror(errno));
  ::unlink(probe.c_str());
  if (!entries_.empty())
    std::fprintf(stderr, "l7tap: flow_log.clickhouse.spool_dir %s: %zu batches (%" PRIu64
                 " bytes) from before the start, replayed oldest first\n", dir_.c_str(), entries_.size(), bytes_);
}

std::string ClickHouseSpool::name(uint64_t seq, uint32_t rows) const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "/%020" PRIu64 "-%" PRIu32 ".jsonl", seq, rows);
  return dir_ + buf;
}

bool ClickHouseSpool::put(const std::string& lines, uint32_t rows) {
  if (dir_.empty()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (bytes_ + rejected_bytes_ + lines.size() > max_bytes_) return false;
  const uint64_t seq = next_seq_++;
  const std::string path = name(seq, rows);
  const std::string tmp = path + ".tmp";
  // Written under the lock: the writes are rare (only when ClickHouse cannot keep up) and the
  // lock keeps the size check and the sequence order exact.
  const bool ok = write_file(tmp, lines) && ::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) {
    const int e = errno;
    ::unlink(tmp.c_str());
    if (!failing_)
      std::fprintf(stderr, "l7tap: flow_log.clickhouse.spool_dir %s: cannot write a batch: %s (its records are "
                   "dropped and counted)\n", dir_.c_str(), std::strerror(e));
    failing_ = true;
    return false;
  }
  failing_ = false;
  entries_[seq] = Entry{rows, lines.size()};
  bytes_ += lines.size();
  return true;
}

bool ClickHouseSpool::oldest(std::string& lines, uint32_t& rows, uint64_t& seq) {
  std::lock_guard<std::mutex> lock(mu_);
  while (!entries_.empty()) {
    auto it = entries_.begin();
    const std::string path = name(it->first, it->second.rows);
    if (read_file(path, lines)) {
      rows = it->second.rows;
      seq = it->first;
      return true;
    }
    std::fprintf(stderr, "l7tap: flow_log.clickhouse.spool_dir: cannot read %s: %s (moved aside as .bad)\n",
                 path.c_str(), std::strerror(errno));
    ::rename(path.c_str(), (path + ".bad").c_str());
    bytes_ -= it->second.bytes;
    entries_.erase(it);
    ++bad_;
  }
  return false;
}

void ClickHouseSpool::remove(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(seq);
  if (it == entries_.end()) return;
  ::unlink(name(seq, it->second.rows).c_str());
  bytes_ -= it->second.bytes;
  entries_.erase(it);
}

void ClickHouseSpool::reject(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(seq);
  if (it == entries_.end()) return;
  const std::string path = name(seq, it->second.rows);
  if (::rename(path.c_str(), (path + ".rejected").c_str()) == 0) {
    rejected_bytes_ += it->second.bytes;
  } else {
    ::unlink(path.c_str());  // cannot keep it aside: it must not block the spool either
  }
  bytes_ -= it->second.bytes;
  entries_.erase(it);
}

uint64_t ClickHouseSpool::requeue(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(seq);
  if (it == entries_.end()) return 0;
  const uint64_t to = next_seq_++;
  if (::rename(name(seq, it->second.rows).c_str(), name(to, it->second.rows).c_str()) != 0) return 0;
  entries_[to] = it->second;
  entries_.erase(it);
  return to;
}

uint64_t ClickHouseSpool::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_ + rejected_bytes_;
}

std::size_t ClickHouseSpool::files() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

uint64_t ClickHouseSpool::bad_files() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bad_;
}

}  // namespace l7tap
