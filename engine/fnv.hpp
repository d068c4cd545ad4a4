// FNV-1a, 64 bits: the one text hash of the engine (firing ids, rule fingerprints, the
// keys of the dedup set and of the equality index). Stable across runs and machines,
// which firing ids and fingerprints need.
#pragma once

#include <cstdint>
#include <string_view>

namespace spur {

inline constexpr uint64_t kFnvOffset = 14695981039346656037ULL;

inline uint64_t fnv1a(std::string_view text, uint64_t hash = kFnvOffset) {
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace spur
