#include "server/log.hpp"

#include <unistd.h>

#include "server/clock.hpp"
#include "time/time_text.hpp"

namespace spur::server {

void log_line(std::string_view level, std::string_view msg, const nlohmann::ordered_json& fields) {
  nlohmann::ordered_json line = {
      {"time", format_rfc3339(wall_ms())}, {"level", level}, {"msg", msg}};
  for (const auto& [key, value] : fields.items())
    line[key] = value;
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
}

}  // namespace spur::server
