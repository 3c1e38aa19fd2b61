// A worker's budget for per-flow buffers that grow with traffic: parsers' incomplete tails (stream
// driver) and held out-of-order TCP data (reassembly). Each is bounded per flow already; this bounds
// their sum, so a flood of flows that each buffer a little cannot take the machine's memory. A
// refused charge costs that flow its buffered bytes (a counted gap/resync), nothing else.
// One worker owns it: no atomics.
#pragma once

#include <cstdint>

namespace l7tap {

struct MemoryBudget {
  uint64_t limit = UINT64_MAX;
  uint64_t used = 0;
  uint64_t refused = 0;  // charges refused since start

  bool take(uint64_t n) {
    if (n > limit - used) {
      ++refused;
      return false;
    }
    used += n;
    return true;
  }
  void give(uint64_t n) { used -= n < used ? n : used; }
};

}  // namespace l7tap
