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
class DroppingRingSink final : public RecordSink {
 public:
  DroppingRingSink(RecordRing& ring, Counter& drops) : ring_(ring), drops_(drops) {}
  void on_record(FlowRecord& r) override {
    if (!ring_.push(r)) drops_.add();
  }
  void flush() override { ring_.flush(); }

 private:
  RecordRing& ring_;
  Counter& drops_;
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
