// Counts the heap allocations of the whole process, for the tests and benchmarks that
// show a path allocates nothing, or how many bytes a structure costs.
//
// Linking alloc_counter.cpp replaces the global operator new and delete (all forms) with
// versions that count and then call malloc and free; link it only into test and
// benchmark binaries. Bytes are malloc_usable_size: what the allocator really hands out.
// Thread-safe (relaxed atomics).
#pragma once

#include <cstdint>

namespace spur::support {

struct AllocStats {
  uint64_t allocations = 0;  // operator new calls so far
  int64_t live_bytes = 0;    // allocated and not yet freed
};

AllocStats alloc_stats();

}  // namespace spur::support
