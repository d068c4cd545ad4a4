#include "support/alloc_counter.hpp"

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace spur::support {
namespace {

std::atomic<uint64_t> g_allocations{0};
std::atomic<int64_t> g_live_bytes{0};

void* counted_alloc(std::size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  g_live_bytes.fetch_add(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  return p;
}

void counted_free(void* p) noexcept {
  if (p == nullptr) return;
  g_live_bytes.fetch_sub(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  std::free(p);
}

}  // namespace

AllocStats alloc_stats() {
  return {g_allocations.load(std::memory_order_relaxed),
          g_live_bytes.load(std::memory_order_relaxed)};
}

}  // namespace spur::support

// Over-aligned allocations are left to the library's own operators: nothing here uses
// them, and counting them would need aligned malloc.
void* operator new(std::size_t size) {
  return spur::support::counted_alloc(size);
}
void* operator new[](std::size_t size) {
  return spur::support::counted_alloc(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return spur::support::counted_alloc(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* p) noexcept {
  spur::support::counted_free(p);
}
void operator delete[](void* p) noexcept {
  spur::support::counted_free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  spur::support::counted_free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  spur::support::counted_free(p);
}
