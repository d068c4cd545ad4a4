#include "engine/text_hash.hpp"

// The whole of XXH3 compiled into this file (its header-only mode): no library to link,
// and calls into it specialised for the short inputs hashed here.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <random>

namespace spur {
namespace {

uint64_t draw_seed() {
  std::random_device random;  // getrandom(2) on Linux
  return (uint64_t{random()} << 32) ^ random();
}

// Drawn before main(); read-only after. Nothing hashes text during static
// initialisation in another file (the tables are made at run time), so the order of
// initialisation across files does not matter.
const uint64_t process_seed = draw_seed();

}  // namespace

uint64_t hash_seed() {
  return process_seed;
}

uint64_t hash_text(std::string_view text) {
  return XXH3_64bits_withSeed(text.data(), text.size(), process_seed);
}

TextHash128 hash_text_128(std::string_view text, uint64_t seed) {
  const XXH128_hash_t h = XXH3_128bits_withSeed(text.data(), text.size(), seed);
  return {h.low64, h.high64};
}

TextHash128 fingerprint_128(std::string_view user, std::string_view id) {
  return hash_text_128(id, XXH3_64bits(user.data(), user.size()));
}

}  // namespace spur
