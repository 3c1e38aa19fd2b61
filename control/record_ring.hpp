// Worker → control thread: one single-producer/single-consumer lock-free byte ring per worker
// (boost::lockfree::spsc_queue of bytes). A record travels in its compact wire form — only the
// fields and bytes it has, typically 200–600 bytes, at most FlowRecord::max_wire_size() — behind a
// 4-byte length.
//
// Both ends work in batches, so the two cores touch the ring's shared indexes once per burst, not
// once per record: the worker serialises records into a staging area and publishes them with one
// push (flush(), after each burst); the control thread pops everything available at once and
// hands the records out one by one. A push only publishes whole records, so whatever the consumer
// finds is whole records. No allocation per record.
//
// A full ring: live workers drop the records that do not fit and count them; offline replay waits.
#pragma once

#include <boost/lockfree/spsc_queue.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "protocols/core/record.hpp"

namespace l7tap {

class RecordRing {
 public:
  // `bytes`: what the ring holds (records in flight take their wire size + 4 bytes each).
  explicit RecordRing(std::size_t bytes, std::size_t staging = 64 * 1024)
      : q_(bytes),
        staging_(std::max(staging, FlowRecord::max_wire_size() + 4)),
        consume_(new uint8_t[bytes]),  // not zero-filled: only bytes popped into it are read
        consume_size_(bytes) {}
  // What a ring of `bytes` allocates: the queue (one slot more than it holds), the consumer's buffer
  // of the same size and the staging area. The start-up memory check uses it.
  static uint64_t memory_bytes_for(std::size_t bytes, std::size_t staging = 64 * 1024) {
    return uint64_t{bytes} + 1 + bytes + std::max(staging, FlowRecord::max_wire_size() + 4);
  }
  RecordRing(const RecordRing&) = delete;
  RecordRing& operator=(const RecordRing&) = delete;

  // --- producer (the worker) ---
  // Stages a record; publishes staged ones first when the staging area is full. False when the
  // record cannot be taken now (the ring and the staging area are full): the caller drops or waits.
  bool push(const FlowRecord& r) {
    const auto n = static_cast<uint32_t>(r.wire_size());
    if (staged_ + n + 4 > staging_.size() && (flush(), staged_ + n + 4 > staging_.size())) return false;
    std::memcpy(staging_.data() + staged_, &n, 4);
    r.write(staging_.data() + staged_ + 4);
    staged_ += n + 4;
    ++staged_records_;
    return true;
  }
  // Publishes as many staged records as the ring has room for, in one push. Returns the records
  // still staged (0 unless the ring is full).
  std::size_t flush() {
    if (staged_ == 0) return 0;
    const std::size_t room = q_.write_available();
    std::size_t bytes = 0, records = 0;
    while (bytes < staged_) {
      uint32_t n;
      std::memcpy(&n, staging_.data() + bytes, 4);
      if (bytes + 4 + n > room) break;
      bytes += 4 + n;
      ++records;
    }
    if (bytes != 0) {
      q_.push(staging_.data(), bytes);  // all of it: there is room and this is the only producer
      std::memmove(staging_.data(), staging_.data() + bytes, staged_ - bytes);
      staged_ -= bytes;
      staged_records_ -= records;
    }
    return staged_records_;
  }
  std::size_t staged() const { return staged_records_; }

  // --- consumer (the control thread) ---
  // Next record, false when none is published.
  bool pop(FlowRecord& r) {
    if (read_ == filled_) {
      filled_ = q_.pop(consume_.get(), consume_size_);  // whole records only (see flush)
      read_ = 0;
      if (filled_ == 0) return false;
    }
    uint32_t n;
    std::memcpy(&n, consume_.get() + read_, 4);
    const bool ok = r.read({consume_.get() + read_ + 4, n});
    read_ += 4 + n;
    return ok;
  }
  bool empty() const { return read_ == filled_ && q_.read_available() == 0; }

 private:
  boost::lockfree::spsc_queue<uint8_t> q_;
  std::vector<uint8_t> staging_;  // producer's: records not yet published
  std::size_t staged_ = 0;
  std::size_t staged_records_ = 0;
  std::unique_ptr<uint8_t[]> consume_;  // consumer's: records popped, not yet handed out
  std::size_t consume_size_;
  std::size_t filled_ = 0;
  std::size_t read_ = 0;
};

}  // namespace l7tap
