// Hashes of texts for the engine's in-memory tables (users, dedup fingerprints, equality
// index keys, event plans): XXH3 (libxxhash), seeded per process, which reads a short text a word
// at a time where a byte-at-a-time hash (FNV-1a, std::hash's Murmur) spent more on the user, id and
// index keys of an event than the lookups they lead to. Nothing stored is keyed by the seeded
// hashes: what must stay the same across versions (firing ids, rule fingerprints, a user's shard)
// uses fnv.hpp, and the dedup fingerprints that checkpoints keep use fingerprint_128.
#pragma once

#include <cstdint>
#include <string_view>

namespace spur {

struct TextHash128 {
  uint64_t low = 0, high = 0;
};

// This process's seed, drawn from the system's random source at start.
uint64_t hash_seed();
// XXH3 seeded with hash_seed(): a client that knows the hash function still cannot pick
// ids that collide in these tables (hash flooding), since the seed is drawn anew by each
// process. Nothing may depend on these values across processes, nor on the order they
// give a table.
uint64_t hash_text(std::string_view text);
// XXH3-128 with an explicit seed.
TextHash128 hash_text_128(std::string_view text, uint64_t seed);
// A 128-bit fingerprint of (user, id), the same in every process: the dedup set's keys,
// which checkpoints keep in the data folder. A table keyed by it must mix the seed into
// its slot numbers (mix_seeded) to stay safe from hash flooding.
TextHash128 fingerprint_128(std::string_view user, std::string_view id);
// A 64-bit value mixed with this process's seed (the SplitMix64 finalizer): every bit of
// the result depends on every bit of `x` and of the seed.
inline uint64_t mix_seeded(uint64_t x) {
  x ^= hash_seed();
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace spur
