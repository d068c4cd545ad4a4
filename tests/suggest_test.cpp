#include "grammar/suggest.hpp"

#include <doctest/doctest.h>

namespace spur {

TEST_CASE("edit distance counts transpositions as one edit") {
  CHECK(edit_distance("purchase", "purchase") == 0);
  CHECK(edit_distance("purchse", "purchase") == 1);
  CHECK(edit_distance("prucahse", "purchase") == 2);
  CHECK(edit_distance("", "abc") == 3);
}

TEST_CASE("closest suggests likely typos only") {
  const std::vector<std::string> names{"cart", "profile", "event", "HIGH_LTV"};
  CHECK(closest("crat", names) == "cart");
  CHECK(closest("profil", names) == "profile");
  CHECK(closest("Profile", names) == "profile");
  CHECK(closest("xyz", names).empty());
  CHECK(closest("cart", names).empty());
}

}  // namespace spur
