// Requests and responses as the API handlers see them: plain data, no Beast, so that the
// handlers compile without it and the HTTP layer (http_server.cpp) stays the only place
// that knows the wire.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spur::server {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded, without the query
  // The path's segments between `/`, each percent-decoded on its own: `%2F` inside a user
  // id stays in its segment.
  std::vector<std::string> segments;
  std::vector<std::pair<std::string, std::string>> query;  // percent-decoded
  std::string content_type;                                // media type, lower case, no parameters
  std::string authorization;
  std::string body;

  // The value of query parameter `name`, or nullptr.
  const std::string* param(std::string_view name) const {
    for (const auto& [key, value] : query) {
      if (key == name) return &value;
    }
    return nullptr;
  }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra, e.g. Retry-After
};

// Answers a request; may be called from any thread, exactly once.
using Respond = std::function<void(Response)>;

}  // namespace spur::server
