#include "actions/http_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <stdexcept>

namespace spur::actions {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

HttpTarget HttpTarget::parse(const std::string& url) {
  HttpTarget t;
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    t.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    throw std::invalid_argument("`" + url + "` is not an http:// or https:// URL");
  }
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  t.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  const size_t colon = authority.rfind(':');
  const bool bracketed = authority.starts_with('[');  // [::1]:8080
  if (colon != std::string_view::npos && (!bracketed || authority[colon - 1] == ']')) {
    t.host = std::string(authority.substr(0, colon));
    t.port = std::string(authority.substr(colon + 1));
  } else {
    t.host = std::string(authority);
    t.port = t.tls ? "443" : "80";
  }
  if (bracketed && t.host.size() >= 2) t.host = t.host.substr(1, t.host.size() - 2);
  int port = 0;
  const auto [end, ec] = std::from_chars(t.port.data(), t.port.data() + t.port.size(), port);
  if (t.host.empty() || ec != std::errc() || end != t.port.data() + t.port.size() || port <= 0 ||
      port > 65535)
    throw std::invalid_argument("`" + url + "` has no host, or a bad port");
  return t;
}

class HttpConnection::Impl {
 public:
  using Answer = HttpConnection::Answer;

  Impl(const HttpTarget& target, int64_t timeout_ms)
      : target_(target),
        timeout_(timeout_ms),
        tls_context_(ssl::context::tls_client),
        host_(target.host.find(':') != std::string::npos ? "[" + target.host + "]" : target.host) {
    if (target_.tls) {
      tls_context_.set_default_verify_paths();
      tls_context_.set_verify_mode(ssl::verify_peer);
    }
    if (target_.port != (target_.tls ? "443" : "80")) host_ += ":" + target_.port;
  }

  Answer post(const std::string& body,
              const std::vector<std::pair<std::string, std::string>>& headers) {
    http::request<http::string_body> request{http::verb::post, target_.path, 11};
    request.set(http::field::host, host_);
    request.set(http::field::user_agent, "spur");
    request.set(http::field::content_type, "application/json");
    for (const auto& [field, value] : headers)
      request.set(field, value);
    request.keep_alive(true);
    request.body() = body;
    request.prepare_payload();
    for (;;) {
      std::string error;
      if (!tcp_ && !tls_ && !open(error))
        return {.status = 0, .retry_after_ms = -1, .error = error, .body = {}};
      const bool reused = used_;
      bool stale = false;
      Answer answer = tls_ ? exchange(*tls_, request, stale) : exchange(*tcp_, request, stale);
      // A keep-alive connection the receiver closed meanwhile: the request is sent again
      // on a new one, and uses no attempt.
      if (!(stale && reused)) return answer;
    }
  }

 private:
  void run() {
    ioc_.restart();
    ioc_.run();
  }

  beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *tcp_; }

  void close() {
    if (tcp_ || tls_) {
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      lowest().socket().close(ignored);
    }
    tls_.reset();
    tcp_.reset();
    used_ = false;
  }

  bool open(std::string& error) {
    beast::error_code ec;
    if (endpoints_.empty()) {
      tcp::resolver resolver(ioc_);
      bool done = false;
      resolver.async_resolve(target_.host, target_.port,
                             [&](beast::error_code e, tcp::resolver::results_type results) {
                               done = true;
                               ec = e;
                               if (!e) endpoints_ = std::move(results);
                             });
      ioc_.restart();
      ioc_.run_for(timeout_);
      if (!done) {
        resolver.cancel();
        run();
        error = "resolving " + target_.host + " timed out";
        return false;
      }
      if (ec) {
        error = "cannot resolve " + target_.host + ": " + ec.message();
        return false;
      }
    }
    if (target_.tls) {
      tls_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, tls_context_);
      if (!SSL_set_tlsext_host_name(tls_->native_handle(), target_.host.c_str())) {
        error = "cannot set the TLS server name " + target_.host;
        close();
        return false;
      }
      tls_->set_verify_callback(ssl::host_name_verification(target_.host));
    } else {
      tcp_ = std::make_unique<beast::tcp_stream>(ioc_);
    }
    lowest().expires_after(timeout_);
    lowest().async_connect(endpoints_, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    run();
    if (!ec && tls_) {
      lowest().socket().set_option(tcp::no_delay(true), ec);
      tls_->async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
      run();
    } else if (!ec) {
      lowest().socket().set_option(tcp::no_delay(true), ec);
    }
    if (ec) {
      error = "cannot connect to " + target_.host + ":" + target_.port + ": " + ec.message();
      endpoints_ = {};  // resolved again next time: the address may have moved
      close();
      return false;
    }
    return true;
  }

  template <class Stream>
  Answer exchange(Stream& stream, const http::request<http::string_body>& request, bool& stale) {
    beast::error_code ec;
    http::response_parser<http::string_body> parser;
    parser.body_limit(uint64_t{64} * 1024);
    lowest().expires_after(timeout_);
    bool answered = false;  // some of the answer was read
    http::async_write(stream, request, [&](beast::error_code e, size_t) {
      ec = e;
      if (e) return;
      http::async_read(stream, buffer_, parser, [&](beast::error_code e2, size_t n) {
        ec = e2;
        answered = n > 0;
      });
    });
    run();
    if (ec) {
      stale = !answered && ec != beast::error::timeout;
      close();
      return {.status = 0,
              .retry_after_ms = -1,
              .error = ec == beast::error::timeout
                           ? "no answer within " + std::to_string(timeout_.count()) + " ms"
                           : "connection to " + target_.host + ":" + target_.port +
                                 " failed: " + ec.message(),
              .body = {}};
    }
    used_ = true;
    const auto& response = parser.get();
    if (!response.keep_alive()) close();
    Answer answer{.status = static_cast<int>(response.result_int()),
                  .retry_after_ms = -1,
                  .error = {},
                  .body = response.body()};
    if (const auto it = response.find(http::field::retry_after); it != response.end()) {
      int64_t seconds = 0;
      const std::string_view text(it->value().data(), it->value().size());
      const auto [end, e] = std::from_chars(text.data(), text.data() + text.size(), seconds);
      if (e == std::errc() && end == text.data() + text.size() && seconds >= 0)
        answer.retry_after_ms = seconds * 1000;  // an HTTP date is not honoured: backoff
    }
    if (answer.status < 200 || answer.status > 299)
      answer.error = "HTTP " + std::to_string(answer.status) + " " +
                     std::string(response.reason().substr(0, 200));
    return answer;
  }

  const HttpTarget& target_;
  const std::chrono::milliseconds timeout_;
  net::io_context ioc_;  // before the streams, which it outlives
  ssl::context tls_context_;
  tcp::resolver::results_type endpoints_;
  std::unique_ptr<beast::tcp_stream> tcp_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  bool used_ = false;  // a request was answered on this connection
  std::string host_;   // the Host header: the port only when not the scheme's
};

HttpConnection::HttpConnection(const HttpTarget& target, int64_t timeout_ms)
    : impl_(std::make_unique<Impl>(target, timeout_ms)) {}

HttpConnection::~HttpConnection() = default;

HttpConnection::Answer HttpConnection::post(
    const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers) {
  return impl_->post(body, headers);
}

}  // namespace spur::actions
