// Per-direction TCP stream reassembly. In-order payload is handed to the consumer straight from
// the packet (no copy). Out-of-order segments are copied into a holding block from the worker's
// BufferPool, sized to what is held (it grows with the held bytes up to `max_out_of_order_bytes`
// and goes back to the pool as soon as the hole is filled, so a flow pins memory only while it
// really holds bytes); retransmitted and overlapping bytes are trimmed so every stream byte is
// delivered exactly once. A direction first seen without SYN (capture started mid-connection)
// starts at the first segment's sequence number.
//
// What an attacker on the mirror can forge is judged against the peer's acknowledgements and
// window, as Suricata and Zeek do:
//  - a segment further ahead than the peer's window allows is dropped (counted out_of_window);
//  - a hole is only given up on (reported as a gap, delivery jumping past it) when the peer has
//    acknowledged bytes beyond it — the receiver got them, so only the capture lost them — or when
//    the peer's acknowledgements are never seen (a one-way capture). A segment that cannot be held
//    while the hole is unconfirmed is dropped instead (counted unconfirmed_drops): forged data far
//    ahead can never move the stream position and turn the real data into "retransmissions".
//  - a hole the peer has acknowledged bytes of is lost to the capture for good (the sender will
//    not send acknowledged bytes again): release_confirmed() reports it and delivers the held data
//    at once, each run with the time it arrived, instead of when the holding area fills up or the
//    flow ends (a mirror that drops a packet would otherwise delay the rest of the conversation
//    and lose its response times). It never moves past bytes this direction really carried.
#pragma once

#include <cstdint>
#include <span>

#include "protocols/core/buffer_pool.hpp"

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
  uint64_t out_of_order = 0;       // segments held
  uint64_t retransmitted = 0;      // segments entirely already delivered
  uint64_t overlaps_trimmed = 0;   // segments partly already delivered/held
  uint64_t gaps = 0;               // gap events
  uint64_t gap_bytes = 0;
  uint64_t cap_drops = 0;          // times the holding cap (or the worker's budget) forced a gap
  uint64_t out_of_window = 0;      // segments beyond the peer's window: dropped
  uint64_t unconfirmed_drops = 0;  // segments not held while an unacknowledged hole stays open
};

class TcpReassembler {
 public:
  // Without a window scale from the handshake, the farthest a segment may lie ahead of the bytes
  // the peer acknowledged (real windows beyond this need the handshake's window scale).
  static constexpr uint32_t kUnknownWindow = 8u << 20;
  static constexpr uint32_t kMinWindow = 64u << 10;

  explicit TcpReassembler(uint32_t max_out_of_order_bytes = 65536);
  TcpReassembler(const TcpReassembler&) = delete;
  TcpReassembler& operator=(const TcpReassembler&) = delete;
  ~TcpReassembler() { reset(); }

  // Feeds one segment of this direction. `syn`: the segment carries SYN (consumes one sequence
  // number); `fin`: carries FIN. Calls `out` zero or more times. Data handed to `out` is only
  // valid during the call (it points into the packet or into the holding block).
  //
  // The direction is initialised by the first segment with SYN or payload (a pure ACK or a
  // keep-alive does not fix the stream position). fin_seen() becomes true as soon as a FIN is
  // seen, whether or not all bytes before it have arrived (with capture loss they never might).
  void on_segment(uint32_t seq, bool syn, bool fin, std::span<const uint8_t> payload, uint64_t ts_us,
                  StreamConsumer& out, ReassemblyStats& stats);
  // The peer acknowledged this direction's bytes up to `ack` and allows `window` bytes beyond it
  // (0 = window not known: no window scale seen in the handshake).
  void on_peer_ack(uint32_t ack, uint32_t window);
  // After on_peer_ack: when held bytes wait behind a hole the peer acknowledged (part of), reports
  // the acknowledged part of the hole as a gap and delivers what can then be delivered, with the
  // arrival time of each held run. Cheap to call: nothing to do unless bytes are held.
  void release_confirmed(StreamConsumer& out, ReassemblyStats& stats);

  // Delivers held segments, reporting the holes before them as gaps (flow end).
  void flush(uint64_t ts_us, StreamConsumer& out, ReassemblyStats& stats);

  bool fin_seen() const { return fin_seen_; }
  bool initialized() const { return init_; }
  uint32_t held_bytes() const { return held_bytes_; }
  // Bytes of pool memory the holding block takes (0 when nothing is held).
  uint32_t held_capacity() const { return hold_.capacity; }
  // Back to the initial state; the holding block goes back to the pool.
  void reset();
  // Changes the holding cap; only while nothing is held.
  void set_max_out_of_order_bytes(uint32_t n) {
    if (held_n_ == 0) max_ooo_ = n;
  }
  // The worker's pool the holding block comes from. Without one nothing can be held (every
  // out-of-order segment is then treated as not fitting).
  void set_pool(BufferPool* pool) { pool_ = pool; }

 private:
  // One held (out-of-order) run of bytes: stream position and where its bytes sit in the data
  // area. Runs are sorted by seq, never overlap, and runs that touch are merged, so held_n_ bounds
  // the number of holes, not of segments. Their bytes are stored in the same order, back to back,
  // in data()[head_, head_ + held_bytes_).
  struct Held {
    uint32_t seq;
    uint32_t len;
    uint32_t off;
    uint32_t pad;
    uint64_t ts_us;  // arrival of the segment that carried the run's first byte
  };
  static constexpr uint32_t kMaxHeld = 64;
  static constexpr uint32_t kHeaderBytes = kMaxHeld * sizeof(Held);  // the runs, then the data

  Held* held() { return reinterpret_cast<Held*>(hold_.data); }
  uint8_t* data() { return hold_.data + kHeaderBytes; }
  uint32_t data_capacity() const { return hold_.capacity > kHeaderBytes ? hold_.capacity - kHeaderBytes : 0; }

  // Payload whose first byte has stream position `seq` (after any SYN).
  void on_payload(uint32_t seq, std::span<const uint8_t> data, uint64_t ts_us, StreamConsumer& out,
                  ReassemblyStats& stats);
  void deliver_in_order(uint32_t seq, std::span<const uint8_t> data, uint64_t ts_us, StreamConsumer& out,
                        ReassemblyStats& stats);
  void drain(uint64_t ts_us, StreamConsumer& out, ReassemblyStats& stats);
  void flush_held(uint64_t ts_us, StreamConsumer& out, ReassemblyStats& stats);
  // Holds the parts of `data` (ahead of next_) not already held. False, holding nothing, when they
  // do not fit (cap, run count or pool); `any_new` tells whether any byte was new.
  bool hold(uint32_t seq, std::span<const uint8_t> data, uint64_t ts_us, ReassemblyStats& stats, bool& any_new);
  bool grow(uint32_t data_bytes);
  void insert_run(uint32_t seq, const uint8_t* bytes, uint32_t len, uint64_t ts_us);
  void report_gap(uint32_t lost, uint64_t ts_us, StreamConsumer& out, ReassemblyStats& stats);
  void pop_front_held();
  void release_if_empty();
  // The peer's acknowledgements show bytes beyond next_ were received: the hole is real loss.
  bool hole_confirmed() const { return !ack_seen_ || static_cast<int32_t>(peer_ack_ - next_) > 0; }

  BufferPool* pool_ = nullptr;
  PoolBlock hold_;
  uint32_t max_ooo_;
  uint32_t next_ = 0;        // stream position of the next byte to deliver
  uint32_t held_bytes_ = 0;  // bytes in data()[head_, head_ + held_bytes_)
  uint32_t head_ = 0;
  uint32_t held_n_ = 0;      // runs in held()
  uint32_t peer_ack_ = 0;    // highest acknowledgement the peer sent for this direction
  uint32_t peer_window_ = 0; // its window (bytes), 0 = unknown
  bool init_ = false;
  bool fin_seen_ = false;
  bool ack_seen_ = false;
};

}  // namespace l7tap
