// What a conf's sizes make l7tap allocate at start, per key, from the data structures' own sizes
// (control/ checks these against the machine's memory without knowing the structures). Only what
// is allocated up front and grows with a key counts: per worker a flow table (flows.capacity) and a
// record ring (records.ring_size). Budgets filled on demand (flows.max_buffered_total) and DPDK's
// memory (eal.args -m, which the EAL checks itself) are not part of it.
#pragma once

#include <vector>

#include "control/config.hpp"

namespace l7tap {

// `workers`: how many flow tables and record rings the mode builds (offline: 1; live:
// workers.count).
std::vector<MemoryNeed> memory_needs(const Config& c, uint32_t workers);

}  // namespace l7tap
