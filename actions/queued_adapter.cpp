#include "actions/queued_adapter.hpp"

#include <string_view>

namespace spur::actions {

std::string firing_id_of(const std::string& json) {
  constexpr std::string_view kStart = "{\"firing_id\":\"";
  if (!json.starts_with(kStart)) return "";
  const size_t end = json.find('"', kStart.size());
  return end == std::string::npos ? "" : json.substr(kStart.size(), end - kStart.size());
}

}  // namespace spur::actions
