// The doctest runner. `spur_tests --print-hash-seed` prints this process's hash seed
// instead, for the test that checks the seed is drawn anew per process.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>

#include "engine/text_hash.hpp"

// Under AddressSanitizer, also catch reads of a frame that has returned (a pointer kept
// to an object that lived there). Ignored without the sanitizer.
extern "C" const char* __asan_default_options() {  // NOLINT(readability-identifier-naming)
  return "detect_stack_use_after_return=1";
}

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--print-hash-seed") == 0) {
    std::printf("%llu\n", static_cast<unsigned long long>(spur::hash_seed()));
    return 0;
  }
  return doctest::Context(argc, argv).run();
}
