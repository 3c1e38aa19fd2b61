#include "dataplane/app/memory_estimate.hpp"

#include <string>

#include "control/record_ring.hpp"
#include "dataplane/flow_processor.hpp"

namespace l7tap {

namespace {

// a * b, saturating (a conf value times a worker count cannot reach it, but keep the check honest).
uint64_t times(uint64_t a, uint64_t b) { return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b; }

std::string per(uint32_t workers) { return std::to_string(workers) + (workers == 1 ? " worker x " : " workers x "); }

}  // namespace

std::vector<MemoryNeed> memory_needs(const Config& c, uint32_t workers) {
  std::vector<MemoryNeed> needs;
  const uint64_t table = FlowProcessor::Table::memory_bytes_for(c.flow_capacity);
  const uint64_t per_flow = (table + c.flow_capacity - 1) / c.flow_capacity;
  needs.push_back({"flows.capacity", times(table, workers),
                   per(workers) + std::to_string(c.flow_capacity) + " flows x ~" + std::to_string(per_flow) +
                       " bytes per flow (a " + std::to_string(sizeof(FlowProcessor::Table::Entry)) +
                       "-byte entry, its index slots and timer)"});
  const uint64_t ring = RecordRing::memory_bytes_for(c.record_ring_size);
  needs.push_back({"records.ring_size", times(ring, workers),
                   per(workers) + std::to_string(ring) + " bytes per record ring: the ring, the consumer's buffer of the "
                                                         "same size and a staging area"});
  return needs;
}

}  // namespace l7tap
