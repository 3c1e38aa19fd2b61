// One TCP connection between a client and a server, written as complete Ethernet frames:
// Ethernet II (RFC 894), optional 802.1Q tag, IPv4 (RFC 791) or IPv6 (RFC 8200), TCP (RFC 9293)
// with consistent sequence and acknowledgement numbers, and optionally wrapped in VXLAN (RFC 7348:
// outer Ethernet / IPv4 / UDP 4789 / VXLAN header with the VNI / the frame above).
//
//   gen::FlowSpec s;                       // addresses, ports, VLAN, VXLAN, ISNs, MSS
//   gen::TcpConversation c(s);
//   gen::FrameArena frames;
//   c.handshake(frames);                   // SYN (MSS + window scale), SYN-ACK, ACK
//   c.send(frames, gen::Dir::kToServer, request);          // MSS-sized segments
//   c.send(frames, gen::Dir::kToClient, response, true);   // ... and the client's pure ACK
//   c.close(frames, gen::Dir::kToServer);  // FIN, FIN, ACK
//
// A segment acknowledges everything its peer has sent so far (the capture point sees both
// directions in order). For adversarial sequences: next() describes the segment send() would
// emit without emitting it, emit() writes any segment, advance() moves a direction's sequence
// space on without sending — together: reorder (hold a segment back, emit it later), duplicate
// (emit it twice), drop (advance only, a gap). datagram() sends UDP with the same endpoints.
//
// The object is small (about 60 bytes, no pointers): the traffic generator keeps one per open
// conversation and builds each frame in place with build().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace gen {

// Direction of travel.
enum class Dir : uint8_t { kToServer = 0, kToClient = 1 };
inline Dir opposite(Dir d) { return d == Dir::kToServer ? Dir::kToClient : Dir::kToServer; }

namespace tcp {
inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
}

// An address: IPv4 in the first 4 bytes, IPv6 in all 16.
using Ip = std::array<uint8_t, 16>;
inline Ip ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return Ip{a, b, c, d}; }
// Text forms ("10.0.0.1", "fd00::1"); an unparsable text gives the all-zero address.
Ip ip4(const char* text);
Ip ip6(const char* text);

struct FlowSpec {
  bool ipv6 = false;
  Ip client_ip = ip4(10, 0, 0, 1);
  Ip server_ip = ip4(10, 0, 0, 2);
  uint16_t client_port = 40000;
  uint16_t server_port = 1883;
  uint16_t vlan = 0;   // 802.1Q VLAN id 1..4094 on the (inner) frame; 0 = untagged
  bool vxlan = false;  // wrap in VXLAN with `vni`
  uint32_t vni = 0;    // 24 bits
  uint32_t client_isn = 1000;
  uint32_t server_isn = 2000;
  uint16_t mss = 1448;
  uint8_t window_scale = 7;
  bool tcp_checksum = false;  // fill TCP checksums (IPv4 header checksums are always filled)
};

// Where frames go. begin_frame returns room for at most max_len bytes; end_frame says how many
// were written. Implementations must not throw.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual uint8_t* begin_frame(std::size_t max_len) = 0;
  virtual void end_frame(std::size_t len) = 0;
};

// Frames appended to one byte arena (no allocation per frame once it has grown; clear() keeps it).
class FrameArena final : public FrameSink {
 public:
  uint8_t* begin_frame(std::size_t max_len) override;
  void end_frame(std::size_t len) override;
  std::size_t size() const { return ends_.size(); }
  std::span<const uint8_t> operator[](std::size_t i) const {
    const std::size_t from = i == 0 ? 0 : ends_[i - 1];
    return {bytes_.data() + from, ends_[i] - from};
  }
  void clear() {
    bytes_.clear();
    ends_.clear();
  }

 private:
  std::vector<uint8_t> bytes_;
  std::vector<std::size_t> ends_;
  std::size_t start_ = 0;
};

// Frames handed to a function as each is written, from one reused buffer:
//   gen::FrameCallback out([&](std::span<const uint8_t> f) { worker.process(f); });
template <class F>
class FrameCallback final : public FrameSink {
 public:
  explicit FrameCallback(F f) : f_(std::move(f)) {}
  uint8_t* begin_frame(std::size_t max_len) override {
    if (buf_.size() < max_len) buf_.resize(max_len);
    return buf_.data();
  }
  void end_frame(std::size_t len) override { f_(std::span<const uint8_t>(buf_.data(), len)); }

 private:
  F f_;
  std::vector<uint8_t> buf_;
};

class TcpConversation {
 public:
  struct Segment {
    Dir dir = Dir::kToServer;
    uint32_t seq = 0;
    uint32_t ack = 0;
    uint8_t flags = tcp::kAck;
    std::span<const uint8_t> payload{};  // must stay valid until emitted
  };

  // Largest frame build() writes: tunnel + VLAN + IPv6 + TCP with options, then the payload.
  static constexpr std::size_t kMaxHeaders = 50 + 18 + 40 + 28;

  TcpConversation() = default;
  explicit TcpConversation(const FlowSpec& s);

  // --- a normal connection ---------------------------------------------------------------
  void handshake(FrameSink& out);
  // Data from `d` in MSS-sized segments (PSH on the last). With `ack`, the peer then sends a pure
  // ACK. Returns the number of data segments.
  std::size_t send(FrameSink& out, Dir d, std::span<const uint8_t> data, bool ack = false);
  void ack(FrameSink& out, Dir d);               // pure ACK from d
  void fin(FrameSink& out, Dir d);               // FIN|ACK from d
  void close(FrameSink& out, Dir first);         // FIN|ACK, FIN|ACK, ACK
  void rst(FrameSink& out, Dir d);               // RST|ACK from d
  void datagram(FrameSink& out, Dir d, std::span<const uint8_t> payload);  // UDP, same endpoints

  // --- adversarial sequences --------------------------------------------------------------
  // The segment send() would emit next from d for `payload` (one segment), without sending it.
  Segment next(Dir d, std::span<const uint8_t> payload, uint8_t flags = tcp::kPsh | tcp::kAck) const;
  // Emits exactly `s` (any seq/ack/flags/payload); the conversation's state does not change.
  void emit(FrameSink& out, const Segment& s);
  // d's sequence space moves on by n bytes without anything being sent.
  void advance(Dir d, uint32_t n) { seq_[idx(d)] += n; }
  // next() + advance(): a segment held back, to emit() later (reordering) or twice (duplicate).
  Segment hold(Dir d, std::span<const uint8_t> payload);
  // advance() by name: n bytes that were "sent" but never reach the capture (a gap).
  void drop(Dir d, uint32_t n) { advance(d, n); }

  // --- state and in-place frame building (the traffic generator) ------------------------
  uint32_t seq(Dir d) const { return seq_[idx(d)]; }
  uint16_t mss() const { return mss_; }
  bool ipv6() const { return (flags_ & kV6) != 0; }
  bool has_vxlan() const { return (flags_ & kVxlan) != 0; }
  uint16_t vlan() const { return vlan_; }
  uint32_t vni() const { return vni_; }
  const Ip& client_ip() const { return cip_; }
  const Ip& server_ip() const { return sip_; }
  uint16_t client_port() const { return cport_; }
  uint16_t server_port() const { return sport_; }

  // Bytes in front of the TCP payload (SYN segments carry 8 bytes of options).
  std::size_t header_len(bool syn) const;
  // Writes the headers of a segment whose `payload_len` bytes are already at
  // frame + header_len(flags & SYN); returns the frame length. Nothing else changes but the
  // sender's IP identification counter.
  std::size_t build(uint8_t* frame, Dir d, uint32_t seq, uint32_t ack, uint8_t flags, std::size_t payload_len);
  // build() for the next segment of d with `payload_len` bytes, then advances d's sequence
  // (by the payload, plus one for SYN or FIN).
  std::size_t build_next(uint8_t* frame, Dir d, uint8_t flags, std::size_t payload_len);

 private:
  static constexpr uint8_t kV6 = 1, kVxlan = 2, kCsum = 4;
  static int idx(Dir d) { return static_cast<int>(d); }
  std::size_t l2_len() const;  // tunnel + Ethernet (+ VLAN)
  // Writes Ethernet (+VLAN) and the IP header for an L4 segment of l4_len bytes at `frame`
  // (+ the VXLAN outer headers when enabled); returns the offset of the L4 header.
  std::size_t write_l2_l3(uint8_t* frame, Dir d, uint8_t proto, std::size_t l4_len);

  Ip cip_{};
  Ip sip_{};
  std::array<uint32_t, 2> seq_{};
  uint32_t vni_ = 0;
  uint16_t cport_ = 0;
  uint16_t sport_ = 0;
  uint16_t vlan_ = 0;
  std::array<uint16_t, 2> ipid_{};
  uint16_t mss_ = 1448;
  uint8_t wscale_ = 7;
  uint8_t flags_ = 0;
};

}  // namespace gen
