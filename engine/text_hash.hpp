// Hashes of texts for the engine's in-memory tables (users, dedup fingerprints, equality
// index keys, event plans): XXH3 (libxxhash), seeded per process, which reads a short text a word
// at a time where a byte-at-a-time hash (FNV-1a, std::hash's Murmur) spent more on the user, id and
// index keys of an event than the lookups they lead to. Nothing stored is keyed by these: what must
// stay the same across versions (firing ids, rule fingerprints, a user's shard) uses fnv.hpp.
#pragma once

#include <cstdint>
#include <string_view>

namespace spur {

struct TextHash128 {
  uint64_t low = 0, high = 0;
};

// XXH3 seeded with hash_seed(): a client that knows the hash function still cannot pick
// ids that collide in these tables (hash flooding), since the seed is drawn anew by each
// process. Nothing may depend on these values across processes, nor on the order they
// give a table.
uint64_t hash_text(std::string_view text);
// XXH3-128 with an explicit seed (the dedup set seeds it with hash_text of the user).
TextHash128 hash_text_128(std::string_view text, uint64_t seed);
// This process's seed, drawn from the system's random source at start.
uint64_t hash_seed();

}  // namespace spur
