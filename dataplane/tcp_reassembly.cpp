// Per-direction TCP reassembly. Stream positions are TCP sequence numbers (mod 2^32); every
// comparison is a signed 32-bit difference from next_, so wrap-around needs no special case.
#include "dataplane/tcp_reassembly.hpp"

#include <algorithm>
#include <cstring>

namespace l7tap {

namespace {
// A TCP segment is at most 64 KiB (or a GRO super-frame of a few hundred KiB); anything near 2^31
// would break signed sequence arithmetic, so longer spans are cut (never happens with real frames).
constexpr size_t kMaxSegment = size_t{1} << 30;
}  // namespace

TcpReassembler::TcpReassembler(uint32_t max_out_of_order_bytes) : max_ooo_(max_out_of_order_bytes) {}

void TcpReassembler::reset() {
  init_ = false;
  fin_seen_ = false;
  ack_seen_ = false;
  next_ = 0;
  peer_ack_ = 0;
  peer_window_ = 0;
  held_bytes_ = 0;
  held_n_ = 0;
  head_ = 0;
  if (pool_ != nullptr) hold_.free(*pool_);
}

void TcpReassembler::release_if_empty() {
  // Only after every callback of the call: delivered bytes point into the block until then.
  if (held_n_ == 0 && !hold_.empty() && pool_ != nullptr) {
    hold_.free(*pool_);
    head_ = 0;
    held_bytes_ = 0;
  }
}

void TcpReassembler::on_peer_ack(uint32_t ack, uint32_t window) {
  if (!ack_seen_ || static_cast<int32_t>(ack - peer_ack_) > 0) peer_ack_ = ack;
  ack_seen_ = true;
  peer_window_ = window;
}

void TcpReassembler::release_confirmed(StreamConsumer& out, ReassemblyStats& stats) {
  uint64_t last_ts = 0;  // delivery times never go backwards (runs may have arrived out of order)
  while (held_n_ > 0 && ack_seen_ && static_cast<int32_t>(peer_ack_ - next_) > 0) {
    const Held h = held()[0];
    const uint64_t ts = std::max(h.ts_us, last_ts);
    last_ts = ts;
    // Only the acknowledged part of the hole is known lost; bytes past the acknowledgement may
    // still be retransmitted and captured.
    const uint32_t to = static_cast<int32_t>(peer_ack_ - h.seq) >= 0 ? h.seq : peer_ack_;
    report_gap(to - next_, ts, out, stats);
    next_ = to;
    if (to != h.seq) break;
    drain(ts, out, stats);
  }
  release_if_empty();
}

void TcpReassembler::on_segment(uint32_t seq, bool syn, bool fin, std::span<const uint8_t> payload,
                                uint64_t ts_us, StreamConsumer& out, ReassemblyStats& stats) {
  ++stats.segments;
  if (payload.size() > kMaxSegment) payload = payload.first(kMaxSegment);
  if (fin) fin_seen_ = true;
  const uint32_t data_seq = syn ? seq + 1 : seq;  // SYN occupies one sequence number
  if (!init_) {
    // A pure ACK does not fix the position: a keep-alive carries seq = next - 1.
    if (!syn && payload.empty()) return;
    init_ = true;
    next_ = data_seq;
  }
  if (payload.empty()) return;
  on_payload(data_seq, payload, ts_us, out, stats);
  release_if_empty();
}

void TcpReassembler::on_payload(uint32_t seq, std::span<const uint8_t> data, uint64_t ts_us,
                                StreamConsumer& out, ReassemblyStats& stats) {
  if (static_cast<int32_t>(seq - next_) <= 0) {
    deliver_in_order(seq, data, ts_us, out, stats);
    return;
  }
  // Ahead of the stream. Further than the peer's window allows beyond what it acknowledged: no
  // sender could have sent it (forged, or garbage).
  const uint32_t ref = ack_seen_ && static_cast<int32_t>(peer_ack_ - next_) > 0 ? peer_ack_ : next_;
  const uint32_t window = peer_window_ != 0 ? std::max(peer_window_, kMinWindow) : kUnknownWindow;
  if (static_cast<int32_t>(seq - ref) > 0 && seq - ref > window) {
    ++stats.out_of_window;
    return;
  }
  bool any_new = false;
  if (hold(seq, data, ts_us, stats, any_new)) {
    if (any_new) ++stats.out_of_order; else ++stats.retransmitted;
    return;
  }
  // The holding area cannot take it. Giving up the hole before the held data is only right when
  // the bytes in it are known lost (the peer acknowledged past it); otherwise they may still come
  // and this segment is what gives way.
  if (!hole_confirmed()) {
    ++stats.unconfirmed_drops;
    return;
  }
  ++stats.cap_drops;
  flush_held(ts_us, out, stats);
  const int32_t ahead = static_cast<int32_t>(seq - next_);
  if (ahead <= 0) {
    deliver_in_order(seq, data, ts_us, out, stats);
    return;
  }
  if (hold(seq, data, ts_us, stats, any_new)) {  // the holding area is empty now
    ++stats.out_of_order;
    return;
  }
  // Larger than the whole holding area: skip the hole and deliver it straight from the packet.
  report_gap(static_cast<uint32_t>(ahead), ts_us, out, stats);
  next_ = seq;
  deliver_in_order(seq, data, ts_us, out, stats);
}

void TcpReassembler::deliver_in_order(uint32_t seq, std::span<const uint8_t> data, uint64_t ts_us,
                                      StreamConsumer& out, ReassemblyStats& stats) {
  const uint32_t behind = next_ - seq;  // bytes already delivered (seq is at or before next_)
  if (behind >= data.size()) {
    ++stats.retransmitted;
    return;
  }
  if (behind > 0) {
    ++stats.overlaps_trimmed;
    data = data.subspan(behind);
  }
  ++stats.in_order;
  next_ += static_cast<uint32_t>(data.size());
  out.on_stream_data(data, ts_us);
  drain(ts_us, out, stats);
}

void TcpReassembler::drain(uint64_t ts_us, StreamConsumer& out, ReassemblyStats& stats) {
  while (held_n_ > 0) {
    const Held h = held()[0];
    if (static_cast<int32_t>(h.seq - next_) > 0) break;
    const uint32_t behind = next_ - h.seq;
    // Pop before calling out: the bytes stay in the block until the next hold(), which cannot run
    // during the callback.
    pop_front_held();
    if (behind > 0) ++stats.overlaps_trimmed;
    if (behind < h.len) {
      next_ += h.len - behind;
      out.on_stream_data(std::span<const uint8_t>(data() + h.off + behind, h.len - behind), ts_us);
    }
  }
}

void TcpReassembler::flush_held(uint64_t ts_us, StreamConsumer& out, ReassemblyStats& stats) {
  while (held_n_ > 0) {
    const int32_t ahead = static_cast<int32_t>(held()[0].seq - next_);
    if (ahead > 0) {
      report_gap(static_cast<uint32_t>(ahead), ts_us, out, stats);
      next_ = held()[0].seq;
    }
    drain(ts_us, out, stats);
  }
}

void TcpReassembler::flush(uint64_t ts_us, StreamConsumer& out, ReassemblyStats& stats) {
  flush_held(ts_us, out, stats);
  release_if_empty();
}

void TcpReassembler::report_gap(uint32_t lost, uint64_t ts_us, StreamConsumer& out,
                                ReassemblyStats& stats) {
  ++stats.gaps;
  stats.gap_bytes += lost;
  out.on_stream_gap(lost, ts_us);
}

void TcpReassembler::pop_front_held() {
  Held* h = held();
  head_ += h[0].len;
  held_bytes_ -= h[0].len;
  std::memmove(h, h + 1, (held_n_ - 1) * sizeof(Held));
  --held_n_;
  if (held_n_ == 0) head_ = 0;  // empty: the next hold starts at the front again
}

bool TcpReassembler::grow(uint32_t data_bytes) {
  // At least double, so a flow holding more and more regrows a handful of times, not per segment.
  const uint64_t want = std::min<uint64_t>(std::max<uint64_t>(data_bytes, 2ull * data_capacity()), max_ooo_);
  PoolBlock nb;
  if (pool_ == nullptr || !nb.reserve(*pool_, kHeaderBytes + std::max<uint64_t>(want, data_bytes), 0)) return false;
  if (!hold_.empty()) {
    auto* runs = reinterpret_cast<Held*>(nb.data);
    std::memcpy(runs, held(), held_n_ * sizeof(Held));
    for (uint32_t j = 0; j < held_n_; ++j) runs[j].off -= head_;
    std::memcpy(nb.data + kHeaderBytes, data() + head_, held_bytes_);
    hold_.free(*pool_);
  }
  hold_ = nb;
  head_ = 0;
  return true;
}

bool TcpReassembler::hold(uint32_t seq, std::span<const uint8_t> data, uint64_t ts_us, ReassemblyStats& stats,
                          bool& any_new) {
  // Work in positions relative to next_: held runs and the segment are all ahead of it
  // (0 < rel < 2^31), so plain unsigned comparisons order them.
  struct Piece {
    uint64_t s, e;
  };
  Piece pieces[kMaxHeld + 1];  // the segment minus held runs: at most one piece per hole + 1
  uint32_t np = 0;
  uint64_t bytes = 0;
  // Change in the number of runs: a piece that touches a run on either side merges into it.
  int delta = 0;
  const uint64_t s = seq - next_;
  const uint64_t e = s + data.size();
  uint64_t c = s;              // first position of the segment not yet accounted for
  bool c_at_run_end = false;   // a held run ends exactly at c
  bool run_starts_at_e = false;
  for (uint32_t k = 0; k < held_n_ && c < e; ++k) {
    const uint64_t hs = static_cast<uint32_t>(held()[k].seq - next_);
    const uint64_t he = hs + held()[k].len;
    if (he < c) continue;
    if (he == c) {
      c_at_run_end = true;
      continue;
    }
    if (hs >= e) {
      run_starts_at_e = hs == e;
      break;
    }
    if (hs > c) {  // the hole [c, hs) before this run; it merges into this run
      pieces[np++] = {c, hs};
      bytes += hs - c;
      delta += c_at_run_end ? -1 : 0;
    }
    c = he;
    c_at_run_end = true;
  }
  if (c < e) {
    pieces[np++] = {c, e};
    bytes += e - c;
    delta += 1 - (c_at_run_end ? 1 : 0) - (run_starts_at_e ? 1 : 0);
  }
  any_new = np > 0;
  if (np == 0) return true;  // every byte already held: a retransmission
  if (held_bytes_ + bytes > max_ooo_) return false;
  if (static_cast<int>(held_n_) + delta > static_cast<int>(kMaxHeld)) return false;

  if (data_capacity() < held_bytes_ + bytes && !grow(static_cast<uint32_t>(held_bytes_ + bytes)))
    return false;  // the worker's budget refuses: like not fitting
  if (bytes < data.size()) ++stats.overlaps_trimmed;
  // Every piece but the last ends at a held run and merges into it, and every piece but the first
  // starts at one; so only a lone piece can add a run and the count never overshoots on the way.
  for (uint32_t p = 0; p < np; ++p)
    insert_run(next_ + static_cast<uint32_t>(pieces[p].s), data.data() + (pieces[p].s - s),
               static_cast<uint32_t>(pieces[p].e - pieces[p].s), ts_us);
  return true;
}

void TcpReassembler::insert_run(uint32_t seq, const uint8_t* bytes, uint32_t len, uint64_t ts_us) {
  const uint32_t rel = seq - next_;
  uint32_t k = 0;  // first run after the new bytes
  Held* h = held();
  while (k < held_n_ && static_cast<uint32_t>(h[k].seq - next_) < rel) ++k;

  uint8_t* buf = data();
  if (head_ + held_bytes_ + len > data_capacity()) {  // no room at the end: move everything to the front
    std::memmove(buf, buf + head_, held_bytes_);
    for (uint32_t j = 0; j < held_n_; ++j) h[j].off -= head_;
    head_ = 0;
  }
  // Open a hole of `len` bytes at the insertion point (the bytes of runs k.. move up).
  const uint32_t end = head_ + held_bytes_;
  const uint32_t at = k < held_n_ ? h[k].off : end;
  std::memmove(buf + at + len, buf + at, end - at);
  std::memcpy(buf + at, bytes, len);
  for (uint32_t j = k; j < held_n_; ++j) h[j].off += len;
  held_bytes_ += len;

  const bool merge_prev = k > 0 && h[k - 1].seq + h[k - 1].len == seq;
  const bool merge_next = k < held_n_ && h[k].seq == seq + len;
  if (merge_prev && merge_next) {
    h[k - 1].len += len + h[k].len;
    std::memmove(h + k, h + k + 1, (held_n_ - k - 1) * sizeof(Held));
    --held_n_;
  } else if (merge_prev) {
    h[k - 1].len += len;
  } else if (merge_next) {  // the run now starts with these bytes, and at their time
    h[k].seq = seq;
    h[k].len += len;
    h[k].off = at;
    h[k].ts_us = ts_us;
  } else {
    std::memmove(h + k + 1, h + k, (held_n_ - k) * sizeof(Held));
    h[k] = Held{seq, len, at, 0, ts_us};
    ++held_n_;
  }
}

}  // namespace l7tap
