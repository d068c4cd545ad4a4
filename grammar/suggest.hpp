// "Did you mean" suggestions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace spur {

// Optimal string alignment distance (Levenshtein with adjacent transpositions).
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, or "" when none is close enough to be a likely typo:
// at most 1 edit for words of up to 4 characters, 2 up to 8, 3 beyond. Ties go to the
// earlier candidate. A candidate equal to `word` is never suggested.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace spur
