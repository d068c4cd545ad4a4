// Hashes of texts for the engine's in-memory tables (users, dedup fingerprints, equality
// index keys, event plans): XXH3 (libxxhash), which reads a short text a word at a time
// where a byte-at-a-time hash (FNV-1a, std::hash's Murmur) spent more on the user, id
// and index keys of an event than the lookups they lead to. Nothing stored is keyed by
// these: what must stay the same across versions (firing ids, rule fingerprints, a
// user's shard) uses fnv.hpp.
#pragma once

#include <cstdint>
#include <string_view>

namespace spur {

struct TextHash128 {
  uint64_t low = 0, high = 0;
};

uint64_t hash_text(std::string_view text, uint64_t seed = 0);
TextHash128 hash_text_128(std::string_view text, uint64_t seed = 0);

}  // namespace spur
