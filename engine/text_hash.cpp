#include "engine/text_hash.hpp"

// The whole of XXH3 compiled into this file (its header-only mode): no library to link,
// and calls into it specialised for the short inputs hashed here.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace spur {

uint64_t hash_text(std::string_view text, uint64_t seed) {
  return XXH3_64bits_withSeed(text.data(), text.size(), seed);
}

TextHash128 hash_text_128(std::string_view text, uint64_t seed) {
  const XXH128_hash_t h = XXH3_128bits_withSeed(text.data(), text.size(), seed);
  return {h.low64, h.high64};
}

}  // namespace spur
