// The HTTP/1.1 listener (Boost.Beast, keep-alive) in front of handle_request(). Beast is
// included only by http_server.cpp.
//
// Limits of http-api.md: body size, header size, connections, idle keep-alive, and a
// request that must arrive whole within request_timeout (a client that sends too slowly
// is cut off).
#pragma once

#include <cstdint>
#include <memory>

#include "server/config.hpp"

namespace spur::server {

class EventLoops;
class Server;

class HttpServer {
 public:
  // Binds the listening socket and makes max(io_loops, all_loops) event loops (not
  // running yet), the first io_loops of which take connections; throws ConfigError
  // naming the address when it cannot bind.
  HttpServer(Server& server, const Config& config, size_t io_loops, size_t all_loops);
  ~HttpServer();

  // The loops connections are spread over; the shards run on them too.
  EventLoops& loops();
  // Starts the loops' threads, accepting and serving.
  void start();
  // Closes the listening socket; connections get `Connection: close` from now on.
  void stop_accepting();
  // Requests read whose response has not been written yet.
  size_t in_flight() const;
  // Stops the loops (open connections are dropped) and joins their threads.
  void stop();
  uint16_t port() const;

  struct Impl;  // the Beast side, defined in http_server.cpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace spur::server
