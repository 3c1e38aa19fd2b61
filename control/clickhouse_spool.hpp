// The ClickHouse sink's spool: batches that could not be inserted (ClickHouse down or slow, or the
// sink's queue full) kept on disk, one file per batch, until they are.
//
// Files are "<sequence>-<rows>.jsonl" (the batch's JSON lines, uncompressed), written to a ".tmp"
// name and renamed, so a crash never leaves half a batch under a real name (leftover .tmp files are
// deleted at start). The sequence orders them: replay takes the oldest first. The directory is
// scanned at start, so batches spooled before a restart of l7tap are replayed after it. Total size
// is capped (spool_max_bytes): a batch that does not fit is refused and its records are counted as
// dropped by the caller. A batch ClickHouse keeps refusing (its content, e.g. a value the table's
// column type cannot take) is set aside as "<name>.rejected": no longer replayed, so it cannot block
// the batches behind it, but kept for the operator (moved back to its .jsonl name it is replayed
// at the next start) and still counted against the cap. Thread-safe: the control thread spools when the queue is full, the sink
// thread spools failed batches and replays.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace l7tap {

class ClickHouseSpool {
 public:
  // dir "" = no spool (every put() fails). Creates the directory if missing; throws
  // std::runtime_error("flow_log.clickhouse.spool_dir <dir>: <reason>") when it cannot be used.
  ClickHouseSpool(std::string dir, uint64_t max_bytes);

  bool enabled() const { return !dir_.empty(); }
  // Writes one batch; false when the spool is off, full, or the write failed (reason logged once).
  bool put(const std::string& lines, uint32_t rows);
  // The oldest batch: its lines, rows and sequence; false when empty (or it cannot be read: such
  // a file is moved aside to "<name>.bad" and counted, so one damaged file does not block replay).
  bool oldest(std::string& lines, uint32_t& rows, uint64_t& seq);
  // Deletes a batch once ClickHouse took it.
  void remove(uint64_t seq);
  // Sets a batch aside as "<name>.rejected" (see above); its bytes stay charged to the cap.
  void reject(uint64_t seq);
  // Moves a batch to the back (a new, highest sequence); returns it, or 0 when the rename failed
  // (the batch then stays where it was).
  uint64_t requeue(uint64_t seq);

  uint64_t bytes() const;  // waiting batches and rejected ones
  std::size_t files() const;
  uint64_t bad_files() const;

 private:
  struct Entry {
    uint32_t rows;
    uint64_t bytes;
  };
  std::string name(uint64_t seq, uint32_t rows) const;

  const std::string dir_;
  const uint64_t max_bytes_;
  mutable std::mutex mu_;
  std::map<uint64_t, Entry> entries_;  // by sequence: begin() is the oldest
  uint64_t next_seq_ = 1;
  uint64_t bytes_ = 0;           // waiting batches
  uint64_t rejected_bytes_ = 0;  // .rejected files (from this run and earlier ones)
  uint64_t bad_ = 0;
  bool failing_ = false;  // the last write failed (logged once)
};

}  // namespace l7tap
