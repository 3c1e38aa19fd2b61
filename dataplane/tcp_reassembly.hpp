// Per-direction TCP stream reassembly. In-order payload is handed to the consumer straight from
// the packet (no copy). Out-of-order segments are copied into a per-direction holding area bounded
// by `max_out_of_order_bytes`; retransmitted and overlapping bytes are trimmed so every stream byte
// is delivered exactly once. When the hole before held data cannot be filled (holding area full,
// or flush at flow end) the consumer is told how many bytes were lost (a gap) and delivery resumes
// after it. A direction first seen without SYN (capture started mid-connection) starts at the first
// segment's sequence number.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "protocols/core/memory_budget.hpp"

namespace l7tap {

class StreamConsumer {
 public:
  virtual ~StreamConsumer() = default;
  // In-order bytes. `ts_us` is the timestamp of the packet that made them deliverable.
  virtual void on_stream_data(std::span<const uint8_t> data, uint64_t ts_us) = 0;
  // `lost` bytes will never arrive; the next on_stream_data continues after them.
  virtual void on_stream_gap(uint64_t lost, uint64_t ts_us) = 0;
};

struct ReassemblyStats {
  uint64_t segments = 0;
  uint64_t in_order = 0;
  uint64_t out_of_order = 0;     // segments held
  uint64_t retransmitted = 0;    // segments entirely already delivered
  uint64_t overlaps_trimmed = 0; // segments partly already delivered/held
  uint64_t gaps = 0;             // gap events
  uint64_t gap_bytes = 0;
  uint64_t cap_drops = 0;        // times the holding cap forced a gap
};

class TcpReassembler {
 public:
  explicit TcpReassembler(uint32_t max_out_of_order_bytes = 65536);

  // Feeds one segment of this direction. `syn`: the segment carries SYN (consumes one sequence
  // number); `fin`: carries FIN. Calls `out` zero or more times. Data handed to `out` is only
  // valid during the call (it points into the packet or into the holding area).
  //
  // The direction is initialised by the first segment with SYN or payload (a pure ACK or a
  // keep-alive does not fix the stream position). fin_seen() becomes true as soon as a FIN is
  // seen, whether or not all bytes before it have arrived (with capture loss they never might).
  void on_segment(uint32_t seq, bool syn, bool fin, std::span<const uint8_t> payload, uint64_t ts_us,
                  StreamConsumer& out, ReassemblyStats& stats);

  // Delivers held segments, reporting the holes before them as gaps (flow end).
  void flush(uint64_t ts_us, StreamConsumer& out, ReassemblyStats& stats);

  bool fin_seen() const;
  bool initialized() const;
  uint32_t held_bytes() const;
  void reset();
  // Changes the holding cap; only while nothing is held (a flow's reassemblers are default-built
  // by the flow table and configured when the flow starts).
  void set_max_out_of_order_bytes(uint32_t n);
  // The worker's buffer budget: holding storage is charged when allocated and returned by reset().
  // When the budget refuses, the segment is treated as not fitting (a counted gap). Null = none.
  void set_budget(MemoryBudget* budget) { budget_ = budget; }

 private:
  // One held (out-of-order) run of bytes: stream position and where its bytes sit in buf_.
  // Runs are sorted by seq, never overlap, and runs that touch are merged, so held_ bounds the
  // number of holes, not of segments. Their bytes are stored in the same order, back to back,
  // in buf_[head_, head_ + held_bytes_). Filling a hole in the middle moves the bytes after it
  // (at most the cap); the common cases, appending after a loss and draining from the front,
  // move nothing.
  struct Held {
    uint32_t seq;
    uint32_t len;
    uint32_t off;
  };
  static constexpr uint32_t kMaxHeld = 64;

  // Payload whose first byte has stream position `seq` (after any SYN).
  void on_payload(uint32_t seq, std::span<const uint8_t> data, uint64_t ts_us, StreamConsumer& out,
                  ReassemblyStats& stats);
  // Delivers `data` (which starts at or before next_) from next_ on, then held runs that became
  // contiguous.
  void deliver_in_order(uint32_t seq, std::span<const uint8_t> data, uint64_t ts_us,
                        StreamConsumer& out, ReassemblyStats& stats);
  // Delivers leading held runs that start at or before next_ (trimming what was already delivered).
  void drain(uint64_t ts_us, StreamConsumer& out, ReassemblyStats& stats);
  // Delivers all held runs, reporting holes as gaps.
  void flush_held(uint64_t ts_us, StreamConsumer& out, ReassemblyStats& stats);
  // Holds the parts of `data` (stream position `seq`, ahead of next_) not already held. Returns
  // false, holding nothing, when they do not fit; `any_new` tells whether any byte was new.
  bool hold(uint32_t seq, std::span<const uint8_t> data, ReassemblyStats& stats, bool& any_new);
  // Inserts new bytes at stream position `seq` (which touches no held byte) in order.
  void insert_run(uint32_t seq, const uint8_t* data, uint32_t len);
  void report_gap(uint32_t lost, uint64_t ts_us, StreamConsumer& out, ReassemblyStats& stats);
  void pop_front_held();

  uint32_t max_ooo_;
  bool init_ = false;
  bool fin_seen_ = false;
  uint32_t next_ = 0;        // stream position of the next byte to deliver
  uint32_t held_bytes_ = 0;  // bytes in buf_[head_, head_ + held_bytes_)
  uint32_t head_ = 0;
  uint32_t held_n_ = 0;      // entries used in held_
  // Allocated the first time a segment must be held (charged to budget_), freed by reset() when
  // the flow ends, so only flows that lose packets hold memory. No allocation per packet.
  std::vector<uint8_t> buf_;
  std::vector<Held> held_;
  MemoryBudget* budget_ = nullptr;
  uint64_t charged_ = 0;
  void release_storage();
};

}  // namespace l7tap
