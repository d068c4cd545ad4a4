// Diagnostics as JSON (cli.md, `spur check --format json`; the HTTP API's reload and
// validate answers use the same objects).
#pragma once

#include <nlohmann/json.hpp>

#include "grammar/diagnostic.hpp"
#include "grammar/source.hpp"

namespace spur {

// {"file", "line", "column", "end_line", "end_column", "severity", "message", "hint"?}
nlohmann::ordered_json diagnostic_json(const SourceSet& sources, const Diagnostic& d);

}  // namespace spur
