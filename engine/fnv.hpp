// FNV-1a, 64 bits: the text hash for what must stay the same across runs, machines and
// versions (firing ids, rule fingerprints, a user's shard). The in-memory tables use
// text_hash.hpp.
#pragma once

#include <cstdint>
#include <string_view>

namespace spur {

inline constexpr uint64_t kFnvOffset = 14695981039346656037ULL;
inline constexpr uint64_t kFnvPrime = 1099511628211ULL;

inline uint64_t fnv1a(std::string_view text, uint64_t hash = kFnvOffset) {
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
  return hash;
}

}  // namespace spur
