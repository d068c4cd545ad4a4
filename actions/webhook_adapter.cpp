#include "actions/webhook_adapter.hpp"

#include <openssl/hmac.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <random>
#include <stdexcept>

namespace spur::actions {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

WebhookTarget WebhookTarget::parse(const std::string& url) {
  WebhookTarget t;
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

std::string hmac_sha256_hex(std::string_view key, std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

// One keep-alive connection, used by one thread. Each operation runs on the connection's
// own io_context until it completes or its deadline (the adapter's timeout) closes the
// socket.
class WebhookAdapter::Connection {
 public:
  struct Answer {
    int status = 0;               // 0: no answer (the error says why)
    int64_t retry_after_ms = -1;  // the answer's Retry-After, -1 when none
    std::string error;
  };

  Connection(const WebhookTarget& target, int64_t timeout_ms)
      : target_(target), timeout_(timeout_ms), tls_context_(ssl::context::tls_client) {
    if (target_.tls) {
      tls_context_.set_default_verify_paths();
      tls_context_.set_verify_mode(ssl::verify_peer);
    }
  }

  Answer post(const http::request<http::string_body>& request) {
    for (;;) {
      std::string error;
      if (!tcp_ && !tls_ && !open(error))
        return {.status = 0, .retry_after_ms = -1, .error = error};
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
    parser.body_limit(64 * 1024);  // an answer's body is read only to keep the connection
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
                                 " failed: " + ec.message()};
    }
    used_ = true;
    const auto& response = parser.get();
    if (!response.keep_alive()) close();
    Answer answer{
        .status = static_cast<int>(response.result_int()), .retry_after_ms = -1, .error = {}};
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

  const WebhookTarget& target_;
  const std::chrono::milliseconds timeout_;
  net::io_context ioc_;  // before the streams, which it outlives
  ssl::context tls_context_;
  tcp::resolver::results_type endpoints_;
  std::unique_ptr<beast::tcp_stream> tcp_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  bool used_ = false;  // a request was answered on this connection
};

WebhookAdapter::WebhookAdapter(std::string name, WebhookSettings settings, DeadLetter& dead_letter)
    : name_(std::move(name)),
      settings_(std::move(settings)),
      target_(WebhookTarget::parse(settings_.url)),
      dead_letter_(dead_letter),
      cool_down_(std::chrono::seconds(1)) {
  for (int i = 0; i < std::max(1, settings_.connections); ++i)
    threads_.emplace_back([this] { work(); });
}

WebhookAdapter::~WebhookAdapter() {
  stop(Clock::now());
}

void WebhookAdapter::submit(Delivery delivery) {
  {
    const std::lock_guard lock(mutex_);
    if (!stopping_ && held_ < settings_.queue) {
      ++held_;
      fresh_.push_back(std::make_unique<Pending>(Pending{
          .delivery = std::move(delivery), .attempts = 0, .last_error = {}, .probe = false}));
      wake_.notify_one();
      return;
    }
    ++dead_lettered_;
  }
  Pending refused{.delivery = std::move(delivery),
                  .attempts = 0,
                  .last_error = "queue full: " + std::to_string(settings_.queue) +
                                " firings wait for the receiver (actions." + name_ + ".queue)",
                  .probe = false};
  if (dead_letter(refused) && refused.delivery.settled) refused.delivery.settled();
}

std::unique_ptr<WebhookAdapter::Pending> WebhookAdapter::take() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (halted_) return nullptr;
    const auto now = Clock::now();
    const bool broken = failures_in_row_ >= kBreakerFailures;
    // Waits take copies of the times: wait_until reads its deadline again after it
    // wakes, when another worker may have taken (and freed) the retry that held it.
    if (broken && now < open_until_) {
      const Clock::time_point until = open_until_;
      wake_.wait_until(lock, until);
      continue;
    }
    if (broken && probing_) {  // half open: one probe at a time
      wake_.wait(lock);
      continue;
    }
    std::unique_ptr<Pending> next;
    if (!retries_.empty() && retries_.begin()->first <= now) {
      next = std::move(retries_.extract(retries_.begin()).mapped());
    } else if (!fresh_.empty()) {
      next = std::move(fresh_.front());
      fresh_.pop_front();
    }
    if (next) {
      next->probe = broken;
      probing_ = probing_ || broken;
      return next;
    }
    if (stopping_ && retries_.empty()) return nullptr;
    if (retries_.empty()) {
      wake_.wait(lock);
    } else {
      const Clock::time_point due = retries_.begin()->first;
      wake_.wait_until(lock, due);
    }
  }
}

void WebhookAdapter::work() {
  Connection connection(target_, settings_.timeout_ms);
  std::string host =
      target_.host.find(':') != std::string::npos ? "[" + target_.host + "]" : target_.host;
  if (target_.port != (target_.tls ? "443" : "80")) host += ":" + target_.port;
  while (std::unique_ptr<Pending> pending = take()) {
    const std::string& body = pending->delivery.json;
    http::request<http::string_body> request{http::verb::post, target_.path, 11};
    request.set(http::field::host, host);
    request.set(http::field::user_agent, "spur");
    request.set(http::field::content_type, "application/json");
    request.set("Idempotency-Key", firing_id_of(body));
    if (!settings_.secret.empty())
      request.set("X-Spur-Signature", "sha256=" + hmac_sha256_hex(settings_.secret, body));
    for (const auto& [field, value] : settings_.headers)
      request.set(field, value);
    request.keep_alive(true);
    request.body() = body;
    request.prepare_payload();
    Connection::Answer answer = connection.post(request);
    finish(std::move(pending), answer.status, std::move(answer.error), answer.retry_after_ms);
  }
}

WebhookAdapter::Clock::duration WebhookAdapter::backoff(int attempts, int64_t retry_after_ms) {
  // Full jitter (uniform in [0, bound]), the bound doubling per attempt up to its cap:
  // many firings failing together spread their retries instead of coming back at once.
  thread_local std::minstd_rand random(std::random_device{}());
  const int64_t bound =
      std::min(settings_.max_backoff_ms, settings_.backoff_ms << std::min(attempts - 1, 20));
  std::uniform_int_distribution<int64_t> jitter(0, std::max<int64_t>(bound, 0));
  const int64_t wait = std::max(jitter(random), std::min<int64_t>(retry_after_ms, 300'000));
  return std::chrono::milliseconds(wait);
}

void WebhookAdapter::finish(std::unique_ptr<Pending> pending, int status, std::string error,
                            int64_t retry_after_ms) {
  const bool delivered = status >= 200 && status <= 299;
  const bool retryable = status == 0 || status == 408 || status == 429 || status >= 500;
  {
    const std::lock_guard lock(mutex_);
    ++pending->attempts;
    if (pending->probe) probing_ = false;
    const auto now = Clock::now();
    if (!retryable) {
      // The receiver answered: the breaker closes.
      failures_in_row_ = 0;
      cool_down_ = std::chrono::seconds(1);
    } else if (++failures_in_row_ >= kBreakerFailures && now >= open_until_) {
      open_until_ = now + cool_down_;
      cool_down_ = std::min<Clock::duration>(cool_down_ * 2, std::chrono::seconds(30));
    }
    if (delivered) {
      ++delivered_;
    } else if (retryable && pending->attempts <= settings_.retries) {
      ++retried_;
      pending->last_error = std::move(error);
      retries_.emplace(now + backoff(pending->attempts, retry_after_ms), std::move(pending));
      wake_.notify_all();
      return;
    } else {
      ++dead_lettered_;
      pending->last_error = std::move(error);
    }
    wake_.notify_all();  // the breaker may have closed
  }
  if ((delivered || dead_letter(*pending)) && pending->delivery.settled)
    pending->delivery.settled();
  const std::lock_guard lock(mutex_);
  --held_;
  settled_.notify_all();
}

bool WebhookAdapter::dead_letter(Pending& pending) {
  return dead_letter_.write(pending.delivery.json, pending.last_error, pending.attempts);
}

void WebhookAdapter::stop(Clock::time_point deadline) {
  {
    std::unique_lock lock(mutex_);
    if (threads_.empty()) return;
    stopping_ = true;
    wake_.notify_all();
    settled_.wait_until(lock, deadline, [this] { return held_ == 0; });
    halted_ = true;
    wake_.notify_all();
  }
  for (std::thread& thread : threads_)
    thread.join();
  threads_.clear();
}

DeliveryCounts WebhookAdapter::counts() const {
  const std::lock_guard lock(mutex_);
  return {.delivered = delivered_,
          .retried = retried_,
          .dead_lettered = dead_lettered_,
          .queued = held_};
}

bool WebhookAdapter::circuit_open() const {
  const std::lock_guard lock(mutex_);
  return failures_in_row_ >= kBreakerFailures && Clock::now() < open_until_;
}

}  // namespace spur::actions
