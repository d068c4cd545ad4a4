// Reading rule files from the paths a user gives (language.md section 13, "Files").
#pragma once

#include <string>
#include <vector>

#include "grammar/source.hpp"

namespace spur {

// Adds to `sources` every rule file named by `paths`, in the order given: a file as it
// is (whatever its name), a folder recursively, `*.rules` only, in bytewise order of the
// path relative to that folder. A file named twice is read twice (and its declarations
// are then reported as duplicates). Returns the problems that stopped a path from being
// read ("cannot read ...", "no *.rules files under ..."); empty on success.
std::vector<std::string> load_rule_files(const std::vector<std::string>& paths, SourceSet& sources);

}  // namespace spur
