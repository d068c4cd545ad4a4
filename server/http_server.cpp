#include "server/http_server.hpp"

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
// GCC 12 at -O2 with -fsanitize=address inlines Beast's parser into this file's handlers
// and then takes the boost::optional that its content_length() returns for uninitialized
// (-Wmaybe-uninitialized, a false positive inside Beast's own code).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/beast/http.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <chrono>
#include <optional>
#include <vector>

#include "server/api.hpp"
#include "server/clock.hpp"
#include "server/event_loops.hpp"
#include "server/metrics.hpp"
#include "server/server.hpp"

namespace spur::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
// A connection's handlers run on its strand. The strand's concrete type, not Beast's
// type-erased default executor: copying that one costs atomic reference counts on every
// operation.
using Strand = net::strand<net::io_context::executor_type>;
using Socket = net::basic_stream_socket<tcp, Strand>;
using Clock = std::chrono::steady_clock;
using DeadlineTimer = net::basic_waitable_timer<Clock, net::wait_traits<Clock>, Strand>;

namespace {

std::string_view view(boost::beast::string_view text) {
  return {text.data(), text.size()};
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoded; `plus_is_space` for query strings.
std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
        hex_digit(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2])));
      i += 2;
    } else {
      out.push_back(plus_is_space && text[i] == '+' ? ' ' : text[i]);
    }
  }
  return out;
}

// "application/JSON; charset=utf-8" -> "application/json"
std::string media_type(std::string_view header) {
  std::string out(header.substr(0, header.find(';')));
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The request without its body.
Request request_head(const http::request<http::string_body>& message) {
  Request r;
  r.method = std::string(view(message.method_string()));
  const std::string_view target = view(message.target());
  const size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  r.path = percent_decode(path, false);
  // Split first, then decode each segment: `/v1/profiles/a%2Fb` is the user `a/b`.
  for (size_t start = 1; start <= path.size();) {
    const size_t end = std::min(path.find('/', start), path.size());
    r.segments.push_back(percent_decode(path.substr(start, end - start), false));
    start = end + 1;
  }
  if (question != std::string_view::npos) {
    std::string_view query = target.substr(question + 1);
    while (!query.empty()) {
      const std::string_view pair = query.substr(0, query.find('&'));
      query.remove_prefix(std::min(query.size(), pair.size() + 1));
      const size_t eq = pair.find('=');
      r.query.emplace_back(
          percent_decode(pair.substr(0, eq), true),
          eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1), true));
    }
  }
  r.content_type = media_type(view(message[http::field::content_type]));
  r.authorization = std::string(view(message[http::field::authorization]));
  return r;
}

// A request's Transfer-Encoding (RFC 9112 section 6): the 400 or 501 to answer, or
// nullopt when the body's framing is one this server reads. Only `chunked` is read: with
// another final coding the body has no length a server can know (the bytes after the
// header would be taken as the next request), and a coding before `chunked` (gzip,
// deflate) is one this server does not decode.
std::optional<Response> framing_refusal(const http::request<http::string_body>& message,
                                        bool chunked) {
  const auto coding = message.find(http::field::transfer_encoding);
  if (coding == message.end()) return std::nullopt;
  const std::string_view codings = view(coding->value());
  if (!chunked) {
    return error_response(400, "bad_transfer_encoding",
                          "Transfer-Encoding `" + std::string(codings) +
                              "` does not end with `chunked`, so the body's length is unknown; "
                              "send Content-Length or a chunked body");
  }
  std::string_view only = codings;
  while (!only.empty() && (only.front() == ' ' || only.front() == '\t'))
    only.remove_prefix(1);
  while (!only.empty() && (only.back() == ' ' || only.back() == '\t'))
    only.remove_suffix(1);
  if (beast::iequals(beast::string_view(only.data(), only.size()), "chunked")) return std::nullopt;
  return error_response(501, "unsupported_transfer_encoding",
                        "Transfer-Encoding `" + std::string(codings) +
                            "` names a coding this server does not decode; send the body "
                            "uncompressed, with Content-Length or `chunked` alone");
}

// The bytes of an answer, as Beast's serializer writes an http::response that has Server,
// Content-Type, the extra headers, keep_alive() and prepare_payload() (a 204 has neither
// body nor Content-Type nor Content-Length), built in one string: Beast's serializer
// walks its fields through chains of buffer views, which cost a decision as much as its
// evaluation (docs/performance.md, "Decisions over HTTP"). The handlers' extra headers
// have distinct names, so appending them is what setting them would be.
void append_response(std::string& out, const Response& r, bool keep_alive) {
  const bool no_content = r.status == 204;
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += view(http::obsolete_reason(http::int_to_status(static_cast<unsigned>(r.status))));
  out += "\r\nServer: spur\r\n";
  if (!no_content) {
    out += "Content-Type: ";
    out += r.content_type;
    out += "\r\n";
  }
  for (const auto& [name, value] : r.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!keep_alive) out += "Connection: close\r\n";
  if (!no_content) {
    out += "Content-Length: ";
    out += std::to_string(r.body.size());
    out += "\r\n";
  }
  out += "\r\n";
  if (!no_content) out += r.body;
}

}  // namespace

struct HttpServer::Impl {
  Impl(Server& s, const Config& c, size_t io_loops, size_t all_loops)
      : loops(std::max(io_loops, all_loops)),
        io_loops(std::max<size_t>(1, io_loops)),
        server(s),
        limits(c.limits),
        acceptor(loops.context(0)) {}

  // Before the loops, so that it outlives them: connections still in a loop when it is
  // destroyed give back their count here.
  std::atomic<size_t> connections{0};
  // The loops keep running while no socket operation is pending: during a drain the
  // acceptor is closed and every connection may be waiting for its shards, whose answers
  // are then posted to loops that must still be running.
  EventLoops loops;
  const size_t io_loops;  // connections go to the first io_loops loops
  Server& server;
  Limits limits;
  tcp::acceptor acceptor;
  size_t next_loop = 0;  // the loop of the next connection (round robin; accept handler only)
  std::atomic<size_t> in_flight{0};
  std::atomic<bool> draining{false};
  uint16_t port = 0;

  void accept();
};

namespace {

// Room in a connection's buffer beyond the header limit: a chunk's size line with its
// extensions must fit there whole, and a longer one is refused (400), so that no line a
// client sends grows the buffer without bound.
constexpr size_t kLineRoom = size_t{64} * 1024;
// Lingering close (as nginx's): after an early answer the server stops sending and reads
// what the client is still sending, for at most this long and this much, so that the
// client reads the answer instead of a reset.
constexpr auto kLingerTime = std::chrono::seconds(5);
constexpr size_t kLingerBytes = size_t{64} << 20;
// The most of an answer's buffer a connection keeps between answers.
constexpr size_t kKeptAnswerBytes = size_t{64} * 1024;

// The shortest time limit a connection is given (Session::check_deadline).
Clock::duration shortest_limit(const Limits& limits) {
  return std::min<Clock::duration>({std::chrono::milliseconds(limits.idle_timeout_ms),
                                    std::chrono::milliseconds(limits.request_timeout_ms),
                                    kLingerTime});
}

// One connection. Its handlers run on its strand; responses computed elsewhere (shards)
// are posted back to it.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Socket socket, HttpServer::Impl& impl)
      : socket_(std::move(socket)),
        deadline_timer_(socket_.get_executor()),
        check_period_(shortest_limit(impl.limits)),
        impl_(impl),
        buffer_(impl.limits.header_bytes + kLineRoom) {}
  ~Session() {
    end_request();
    impl_.connections.fetch_sub(1, std::memory_order_relaxed);
  }

  void start() {
    // For send()'s direct write: would_block instead of a wait when the buffer is full.
    beast::error_code ignored;
    socket_.non_blocking(true, ignored);
    net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      self->check_deadline();
      self->await_request();
    });
  }

 private:
  using Message = http::request<http::string_body>;

  // Time limits without a timer operation per request. Setting a deadline only stores
  // it; one timer per connection checks it, at the deadline or check_period_ after its
  // last check, whichever comes first, and closes the socket once it has passed (the
  // pending operations then end with operation_aborted). No check comes late: a deadline
  // is set check_period_ (the shortest limit) or more after the moment it is set, so at
  // or after the check armed before it. Per request, arming and cancelling a timer at
  // every read (Beast's basic_stream) cost timer-queue work and often a timerfd_settime
  // call (docs/performance.md, "Decisions over HTTP").
  void expire_after(Clock::duration limit) { deadline_ = Clock::now() + limit; }
  void expire_never() { deadline_ = Clock::time_point::max(); }
  void check_deadline() {
    deadline_timer_.expires_at(std::min(deadline_, Clock::now() + check_period_));
    deadline_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || !self->socket_.is_open()) return;  // cancelled: the connection closed
      if (Clock::now() < self->deadline_) return self->check_deadline();
      beast::error_code ignored;
      self->socket_.close(ignored);
    });
  }

  // An idle keep-alive connection may wait idle_timeout for its next request; once its
  // first byte is in, the whole request must arrive within request_timeout.
  void await_request() {
    if (buffer_.size() > 0) return read_header();
    expire_after(std::chrono::milliseconds(impl_.limits.idle_timeout_ms));
    socket_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->close();
                              self->buffer_.commit(n);
                              self->read_header();
                            });
  }

  void read_header() {
    begin_request();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(impl_.limits.header_bytes));
    parser_->body_limit(impl_.limits.body_bytes);
    expire_after(std::chrono::milliseconds(impl_.limits.request_timeout_ms));
    http::async_read_header(socket_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->refuse(ec);
                              self->read_body();
                            });
  }

  // The header is in: what it alone decides (framing, route, method, token) is answered
  // before any of the body is read, and before a `100 Continue`.
  void read_body() {
    const auto& header = parser_->get();
    if (auto refusal = framing_refusal(header, parser_->chunked())) return refuse_early(*refusal);
    head_ = request_head(header);
    if (auto refusal = screen_request(impl_.server, *head_)) return refuse_early(*refusal);
    const auto body = [self = shared_from_this()] {
      http::async_read(self->socket_, self->buffer_, *self->parser_,
                       [self](beast::error_code ec, size_t) {
                         if (ec) return self->refuse(ec);
                         self->dispatch();
                       });
    };
    if (beast::iequals(header[http::field::expect], "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      return net::async_write(socket_, net::buffer(kContinue),
                              [body](beast::error_code ec, size_t) {
                                if (!ec) body();
                              });
    }
    body();
  }

  // An answer given before the request was read whole; the connection then closes.
  void refuse_early(const Response& r) {
    keep_alive_ = false;
    linger_ = true;
    send(r);
  }

  // A request that could not be read: answer what can be answered, then close. The
  // deadline timer closes the socket: a read under way then ends with operation_aborted,
  // and one that a composed read starts after it with bad_descriptor.
  void refuse(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == net::error::bad_descriptor || ec == net::error::connection_reset ||
        ec == net::error::eof) {
      return close();
    }
    keep_alive_ = false;
    linger_ = true;
    if (ec == http::error::buffer_overflow) {
      return send(error_response(
          400, "line_too_long",
          "a line of the request (a chunk size with its extensions) is longer than " +
              std::to_string(kLineRoom) + " bytes; send chunks without extensions"));
    }
    if (ec == http::error::body_limit) {
      return send(error_response(413, "body_too_large",
                                 "the body is larger than the body limit of " +
                                     std::to_string(impl_.limits.body_bytes) +
                                     " bytes; send smaller batches or raise server.limits.body"));
    }
    if (ec == http::error::header_limit) {
      return send(error_response(431, "headers_too_large",
                                 "the request headers are larger than the header limit of " +
                                     std::to_string(impl_.limits.header_bytes) + " bytes"));
    }
    send(error_response(400, "bad_request", "not a valid HTTP/1.1 request: " + ec.message()));
  }

  void dispatch() {
    Message message = parser_->release();
    keep_alive_ = message.keep_alive() && !impl_.draining.load(std::memory_order_relaxed);
    // Sequentially consistent with shut_down(), which sets `draining` and then waits for
    // `in_flight` to reach 0: either this request was counted (from its first byte)
    // before the wait, or it sees `draining` here and takes nothing.
    if (impl_.draining.load()) {
      // Read after shutdown began: the shards may be gone, so nothing is taken.
      Response r = error_response(503, "shutting_down",
                                  "the server is shutting down; nothing of this request was "
                                  "taken; send it again to another instance or after restart");
      r.headers.emplace_back("Retry-After", "1");
      return send(r);
    }
    expire_never();  // the shards take their time; the write sets its own
    Request request = std::move(*head_);
    request.body = std::move(message.body());
    handle_request(impl_.server, request, [self = shared_from_this()](Response r) {
      net::post(self->socket_.get_executor(), [self, r = std::move(r)] { self->send(r); });
    });
  }

  // An answer usually fits in the socket's buffer: it is written at once, without arming
  // the stream's timer (timer-queue work, and often a timerfd_settime call) or a reactor
  // operation. What does not fit is written asynchronously, under the request timeout.
  void send(const Response& r) {
    out_.clear();
    append_response(out_, r, keep_alive_);
    beast::error_code ec;
    const size_t sent = socket_.write_some(net::buffer(out_), ec);
    if (ec == net::error::would_block || ec == net::error::try_again) ec = {};
    if (ec || sent == out_.size()) return written(ec);
    expire_after(std::chrono::milliseconds(impl_.limits.request_timeout_ms));
    net::async_write(
        socket_, net::buffer(out_.data() + sent, out_.size() - sent),
        [self = shared_from_this()](beast::error_code ec, size_t) { self->written(ec); });
  }

  // A request is in flight from its first byte until its answer is written or the
  // connection closes: shutdown waits for it (up to its drain timeout), so that a request
  // being read when SIGTERM comes is answered (503 shutting_down) rather than reset.
  void begin_request() {
    if (answering_) return;
    answering_ = true;
    started_ns_ = steady_ns();
    impl_.in_flight.fetch_add(1);
  }
  void end_request() {
    if (!answering_) return;
    answering_ = false;
    impl_.in_flight.fetch_sub(1);
  }

  void written(beast::error_code ec) {
    // The buffer's capacity is kept for the next answer, unless a large one (a listing
    // of rules, /metrics) grew it: idle connections do not each hold megabytes.
    if (out_.capacity() > kKeptAnswerBytes) std::string().swap(out_);
    if (answering_) impl_.server.metrics().http.observe(steady_ns() - started_ns_);
    end_request();
    if (ec) return close();
    if (!keep_alive_) return linger_ ? linger() : close();
    await_request();
  }

  void close() {
    end_request();
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    closed();
  }
  void closed() {
    beast::error_code ignored;
    socket_.close(ignored);
    deadline_timer_.cancel();
  }

  // Closes after reading and dropping what the client still sends, up to kLingerTime and
  // kLingerBytes: closing with unread input would reset the connection, and the client
  // could lose the answer it has not read yet.
  void linger() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    expire_after(kLingerTime);
    discard_ = std::make_unique<std::array<char, size_t{16} * 1024>>();
    discard();
  }
  void discard() {
    socket_.async_read_some(net::buffer(*discard_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->lingered_ += n;
                              if (ec || self->lingered_ > kLingerBytes) return self->closed();
                              self->discard();
                            });
  }

  Socket socket_;
  DeadlineTimer deadline_timer_;
  const Clock::duration check_period_;
  Clock::time_point deadline_ = Clock::time_point::max();
  HttpServer::Impl& impl_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<Request> head_;  // the request being read, from its header
  std::string out_;              // the answer being written; its capacity is kept for the next one
  bool keep_alive_ = true;
  bool linger_ = false;     // the answer went out before the request was read whole
  bool answering_ = false;  // a request is in flight (counted in impl_.in_flight)
  std::unique_ptr<std::array<char, size_t{16} * 1024>> discard_;  // what lingering reads into
  size_t lingered_ = 0;                                           // bytes read while lingering
  int64_t started_ns_ = 0;
};

}  // namespace

void HttpServer::Impl::accept() {
  next_loop = (next_loop + 1) % io_loops;
  acceptor.async_accept(net::make_strand(loops.context(next_loop)), [this](beast::error_code ec,
                                                                           Socket socket) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) {
      if (connections.fetch_add(1, std::memory_order_relaxed) >= limits.connections) {
        connections.fetch_sub(1, std::memory_order_relaxed);
        // Over the connection limit: a short answer written in one go, then closed.
        const std::string body =
            error_response(503, "too_many_connections",
                           "the server holds its limit of " + std::to_string(limits.connections) +
                               " connections; retry later or raise server.limits.connections")
                .body;
        const std::string text =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: "
            "1\r\nConnection: close\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body;
        beast::error_code ignored;
        net::write(socket, net::buffer(text), ignored);
        socket.close(ignored);
      } else {
        // Answers are written whole; Nagle's algorithm would hold them back for the
        // client's delayed ACK (tens of ms per request).
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Session>(std::move(socket), *this)->start();
      }
    }
    accept();
  });
}

HttpServer::HttpServer(Server& server, const Config& config, size_t io_loops, size_t all_loops)
    : impl_(std::make_unique<Impl>(server, config, io_loops, all_loops)) {
  beast::error_code ec;
  const auto address = net::ip::make_address(config.host, ec);
  if (ec) {
    throw ConfigError("server.listen: `" + config.host +
                      "` is not an IP address; use one such as 127.0.0.1 or 0.0.0.0");
  }
  const tcp::endpoint endpoint(address, config.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (!ec) impl_->port = acceptor.local_endpoint(ec).port();
  if (ec) {
    throw ConfigError("cannot listen on " + config.host + ":" + std::to_string(config.port) + ": " +
                      ec.message() + "; stop what uses the port or change server.listen");
  }
}

HttpServer::~HttpServer() {
  stop();
}

EventLoops& HttpServer::loops() {
  return impl_->loops;
}

void HttpServer::start() {
  impl_->accept();
  impl_->loops.start();
}

void HttpServer::stop_accepting() {
  impl_->draining = true;
  net::post(impl_->acceptor.get_executor(), [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
}

size_t HttpServer::in_flight() const {
  return impl_->in_flight.load();
}

void HttpServer::stop() {
  impl_->loops.stop();
}

uint16_t HttpServer::port() const {
  return impl_->port;
}

}  // namespace spur::server
