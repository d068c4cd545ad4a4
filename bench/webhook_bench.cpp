// Webhook delivery to a loopback receiver over keep-alive connections (issue 19: at
// least 20,000 firings/s). The receiver is a minimal Beast server on one thread of this
// process that answers 200 to every POST, so that the figure is the adapter's: its
// queue, its threads, HMAC signing, HTTP framing and the loopback round trips.
//
// usage: build/bench/webhook_bench [FIRINGS] [CONNECTIONS]   (default 200000 8)
// prints: firings/s of the whole run, from the first submit to the last settled.
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "actions/webhook_adapter.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// One keep-alive connection of the receiver: read a request, answer 200, again.
class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : stream_(std::move(socket)) {}
  void read() {
    request_ = {};
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->answer();
                     });
  }

 private:
  void answer() {
    response_ = {http::status::ok, 11};
    response_.keep_alive(request_.keep_alive());
    response_.body() = "{}";
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (!ec) self->read();
                      });
  }
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](beast::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket))->read();
    }
    accept(acceptor);
  });
}

}  // namespace

int main(int argc, char** argv) {
  const int firings = argc > 1 ? std::atoi(argv[1]) : 200000;
  const int connections = argc > 2 ? std::atoi(argv[2]) : 8;
  net::io_context receiver;
  tcp::acceptor acceptor(receiver, {net::ip::make_address("127.0.0.1"), 0});
  accept(acceptor);
  std::thread receiving([&receiver] { receiver.run(); });

  const auto dead_path = std::filesystem::temp_directory_path() / "spur-webhook-bench.dead.ndjson";
  spur::actions::DeadLetter dead("bench", dead_path.string());
  spur::actions::WebhookSettings settings;
  settings.url = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/hook";
  settings.secret = "bench-secret";
  settings.connections = connections;
  settings.queue = static_cast<size_t>(firings);
  std::atomic<int> settled{0};
  const std::string payload =
      ",\"rule\":\"cart_recovery_high_ltv\",\"user\":\"u42\",\"time\":\"2026-11-24T10:00:00.000Z\","
      "\"trigger\":\"e-1001\",\"priority\":100,\"scores\":{\"churn\":0.82},\"actions\":[{\"send\":"
      "\"email\",\"payload\":{\"template\":\"cart_recovery\",\"items\":[\"A1\"],\"churn\":0.82}}]}";
  double seconds = 0;
  {
    spur::actions::WebhookAdapter adapter("bench", settings, dead);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < firings; ++i) {
      adapter.submit({.user = "u" + std::to_string(i % 1000),
                      .json = "{\"firing_id\":\"" + std::to_string(i) + "\"" + payload,
                      .settled = [&settled] { settled.fetch_add(1, std::memory_order_relaxed); }});
    }
    while (settled.load(std::memory_order_relaxed) < firings)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto counts = adapter.counts();
    if (counts.delivered != static_cast<uint64_t>(firings)) {
      std::fprintf(stderr, "delivered %llu of %d\n",
                   static_cast<unsigned long long>(counts.delivered), firings);
      return 1;
    }
  }
  receiver.stop();
  receiving.join();
  std::filesystem::remove(dead_path);
  std::printf("webhook: %d firings over %d connections in %.2f s: %.0f firings/s\n", firings,
              connections, seconds, firings / seconds);
  return 0;
}
