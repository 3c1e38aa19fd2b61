// Worker → control thread: one single-producer/single-consumer lock-free ring per worker, holding
// fixed-size FlowRecords by value (no allocation per record). A full ring drops the record and the
// worker counts it (WorkerStats::record_ring_drops); offline replay waits instead of dropping.
#pragma once

#include <boost/lockfree/spsc_queue.hpp>

#include "protocols/core/record.hpp"

namespace l7tap {

using RecordRing = boost::lockfree::spsc_queue<FlowRecord>;  // capacity set at construction

}  // namespace l7tap
