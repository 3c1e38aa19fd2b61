// The two ways a worker hands records to the control thread's ring (control/record_ring.hpp).
// Records are staged by push() and published once per burst by flush(), one ring operation per
// burst rather than per record.
#pragma once

#include <chrono>
#include <thread>

#include "control/record_ring.hpp"
#include "protocols/core/counters.hpp"
#include "protocols/core/session_pairing.hpp"

namespace l7tap {

// Live capture: the wire does not wait, so a full ring costs the record, counted in `drops`.
// What the ring has no room for at flush() stays staged for the next flush (new records are
// dropped while staging is full).
//
// At shutdown there is no wire left to keep up with: after wait_for_room_until() a full ring is
// waited for (the control thread is draining it) until the deadline, and only what still finds
// no room after it is dropped and counted — so the final flush of every open session is whole
// unless the control thread is stalled.
class DroppingRingSink final : public RecordSink {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  DroppingRingSink(RecordRing& ring, Counter& drops) : ring_(ring), drops_(drops) {}
  void wait_for_room_until(Deadline deadline) {
    deadline_ = deadline;
    waiting_ = true;
  }
  void on_record(FlowRecord& r) override {
    if (ring_.push(r)) return;
    while (waiting_ && std::chrono::steady_clock::now() < deadline_) {
      std::this_thread::sleep_for(kPoll);
      if (ring_.push(r)) return;
    }
    drops_.add();
  }
  void flush() override {
    if (ring_.flush() == 0 || !waiting_) return;
    while (std::chrono::steady_clock::now() < deadline_) {
      std::this_thread::sleep_for(kPoll);
      if (ring_.flush() == 0) return;
    }
    // Past the deadline the staged records will never be published: they are lost, say so once.
    drops_.add(ring_.staged());
    waiting_ = false;
  }

 private:
  static constexpr auto kPoll = std::chrono::microseconds(50);
  RecordRing& ring_;
  Counter& drops_;
  bool waiting_ = false;
  Deadline deadline_{};
};

// Offline (pcap): nothing is lost, the reader waits for the control thread instead.
class BlockingRingSink final : public RecordSink {
 public:
  explicit BlockingRingSink(RecordRing& ring) : ring_(ring) {}
  void on_record(FlowRecord& r) override {
    while (!ring_.push(r)) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  void flush() override {
    while (ring_.flush() != 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }

 private:
  RecordRing& ring_;
};

}  // namespace l7tap
