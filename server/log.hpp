// Structured log lines: one JSON object per line on stderr (stdout carries firings by
// default). Never pass a secret in `fields`.
//
// Thread-safety: a line is written with one write(2), so lines of different threads do
// not interleave.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace spur::server {

// {"time": RFC 3339, "level": "info" | "warning" | "error", "msg": ..., fields...}
void log_line(std::string_view level, std::string_view msg,
              const nlohmann::ordered_json& fields = nlohmann::ordered_json::object());

}  // namespace spur::server
