// A blocking HTTP/1.1 client for one endpoint, over a keep-alive connection, http or
// https (OpenSSL, the system's CA store, host name verified): what the webhook adapter
// delivers firings with and what http scorers are asked through. Beast stays in the .cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace spur::actions {

// Where a URL points; throws std::invalid_argument saying what is wrong with it.
struct HttpTarget {
  bool tls = false;
  std::string host, port, path;
  static HttpTarget parse(const std::string& url);
};

// One connection, used by one thread at a time. Each request's phases (resolving,
// connecting, the TLS handshake, the exchange) run on the connection's own io_context
// until they complete or `timeout_ms` closes the socket.
class HttpConnection {
 public:
  struct Answer {
    int status = 0;               // 0: no answer (the error says why)
    int64_t retry_after_ms = -1;  // the answer's Retry-After, -1 when none
    std::string error;            // set for status 0 and for answers other than 2xx
    std::string body;             // at most 64 KiB
  };

  // `target` must outlive the connection.
  HttpConnection(const HttpTarget& target, int64_t timeout_ms);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // POSTs `body` as application/json to the target's path with `headers`. A keep-alive
  // connection that the server had closed meanwhile is opened again and the request sent
  // once more (it was not received).
  Answer post(const std::string& body,
              const std::vector<std::pair<std::string, std::string>>& headers);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spur::actions
