// An open-loop HTTP load at a constant rate, for latency at a given fraction of the peak
// (issue 19: decide p99 < 1 ms at half of the peak). wrk paces a connection only in
// whole milliseconds (its `delay`), so a paced wrk run sends bursts: every connection
// whose millisecond has come at once, each burst queued behind itself at the server.
// Here request k is due at start + k / RATE, to the nanosecond, on the first idle
// connection; when none is idle it waits, and its latency still counts from the time it
// was due (no coordinated omission: a slow server cannot slow the load down and hide
// its own tail).
//
// usage: build/bench/paced_load PORT PATH BODIES RATE SECONDS [CONNECTIONS=64] [sleep|spin]
//   BODIES: a file of request bodies, one per line (NDJSON), POSTed in turn.
//   sleep (the default): between requests the generator sleeps in epoll until the next
//     is due or an answer comes, and every latency it measures includes its own wake-up
//     (on this VM an interprocessor interrupt: p50 0.20 ms against 0.05 ms spinning,
//     with the same server CPU per request).
//   spin: the generator polls epoll without sleeping, so that what it measures is the
//     server's time; for a generator alone on its core.
// prints one line: rate reached, then latency p50 p90 p99 p99.9 max in ms, then counts.
//
// One thread, one epoll set: the generator takes one core's share at most, and its
// clock is CLOCK_MONOTONIC. Loopback only (127.0.0.1).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using Nanos = std::chrono::nanoseconds;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "paced_load: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

int connect_loopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) fail("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);  // connected: I/O through epoll
  return fd;
}

// The size of a complete HTTP/1.1 answer at the front of `in`, or 0 if not all read.
// The server frames every answer with Content-Length.
size_t complete_answer(const std::string& in) {
  size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos) return 0;
  size_t length = 0;
  for (size_t line = in.find("\r\n") + 2; line < head_end;) {
    size_t next = in.find("\r\n", line);
    if (strncasecmp(in.data() + line, "content-length:", 15) == 0)
      length = std::strtoul(in.data() + line + 15, nullptr, 10);
    line = next + 2;
  }
  size_t total = head_end + 4 + length;
  return in.size() >= total ? total : 0;
}

double percentile_ms(const std::vector<int64_t>& sorted_ns, double p) {
  if (sorted_ns.empty()) return 0;
  size_t index = std::min(sorted_ns.size() - 1, static_cast<size_t>(p * sorted_ns.size()));
  return static_cast<double>(sorted_ns[index]) / 1e6;
}

// One keep-alive connection with at most one request in flight.
struct Connection {
  int fd = -1;
  bool busy = false;
  Clock::time_point due;  // when the request in flight was due (its latency starts here)
  std::string out;        // the request in flight; `written` of its bytes are sent
  size_t written = 0;
  std::string in;  // bytes of the answer read so far
};

// The load: `total` requests due `interval` apart from the start, the answers' latencies.
// Single-threaded.
class OpenLoopLoad {
 public:
  OpenLoopLoad(int port, int connections, std::vector<std::string> requests, double rate,
               double seconds, bool spin)
      : requests_(std::move(requests)),
        connections_(static_cast<size_t>(connections)),
        spin_(spin),
        interval_(static_cast<int64_t>(1e9 / rate)),
        total_(static_cast<int64_t>(rate * seconds)) {
    epoll_ = epoll_create1(0);
    for (Connection& connection : connections_) {
      connection.fd = connect_loopback(port);
      epoll_event event{};
      event.events = EPOLLIN | EPOLLOUT | EPOLLET;
      event.data.ptr = &connection;
      if (epoll_ctl(epoll_, EPOLL_CTL_ADD, connection.fd, &event) != 0) fail("epoll_ctl");
      idle_.push_back(&connection);
    }
    latencies_ns_.reserve(static_cast<size_t>(total_));
  }
  ~OpenLoopLoad() {
    for (const Connection& connection : connections_)
      close(connection.fd);
    close(epoll_);
  }

  // Until every request is answered; false if the server closed a connection.
  bool run() {
    start_ = Clock::now();
    std::vector<epoll_event> events(connections_.size());
    while (static_cast<int64_t>(latencies_ns_.size()) < total_) {
      const Clock::time_point now = Clock::now();
      send_due(now);
      timespec timeout = wait_until_next(now);
      int ready =
          epoll_pwait2(epoll_, events.data(), static_cast<int>(events.size()), &timeout, nullptr);
      if (ready < 0 && errno != EINTR) fail("epoll_pwait2");
      for (int i = 0; i < ready; ++i) {
        auto& connection = *static_cast<Connection*>(events[i].data.ptr);
        if ((events[i].events & (EPOLLERR | EPOLLHUP)) != 0) return false;
        if ((events[i].events & EPOLLOUT) != 0) flush(connection);
        if ((events[i].events & EPOLLIN) != 0 && !receive(connection)) return false;
      }
    }
    elapsed_s_ = std::chrono::duration<double>(Clock::now() - start_).count();
    return true;
  }

  void report(double rate) {
    std::sort(latencies_ns_.begin(), latencies_ns_.end());
    std::printf(
        "rate %.0f/s (asked %.0f/s); latency ms p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f max %.3f; "
        "%zu answers, %lld not 2xx\n",
        static_cast<double>(latencies_ns_.size()) / elapsed_s_, rate,
        percentile_ms(latencies_ns_, 0.50), percentile_ms(latencies_ns_, 0.90),
        percentile_ms(latencies_ns_, 0.99), percentile_ms(latencies_ns_, 0.999),
        percentile_ms(latencies_ns_, 1.0), latencies_ns_.size(), static_cast<long long>(non_2xx_));
  }

 private:
  Clock::time_point due(int64_t request) const { return start_ + request * interval_; }

  // Queues the requests due by `now`, then sends the queued ones on the idle connections.
  void send_due(Clock::time_point now) {
    for (; issued_ < total_ && due(issued_) <= now; ++issued_)
      waiting_.push_back(due(issued_));
    while (!waiting_.empty() && !idle_.empty()) {
      Connection& connection = *idle_.back();
      idle_.pop_back();
      connection.busy = true;
      connection.due = waiting_.front();
      waiting_.pop_front();
      connection.out = requests_[next_body_];
      next_body_ = (next_body_ + 1) % requests_.size();
      connection.written = 0;
      flush(connection);
    }
  }

  // How long epoll may wait: until the next request is due, unless some are queued.
  timespec wait_until_next(Clock::time_point now) const {
    if (spin_ || !waiting_.empty()) return {0, 0};
    if (issued_ >= total_) return {1, 0};  // answers only
    const int64_t wait = std::max(Nanos(0), due(issued_) - now).count();
    return {wait / 1'000'000'000, wait % 1'000'000'000};
  }

  static void flush(Connection& connection) {
    while (connection.written < connection.out.size()) {
      ssize_t n = write(connection.fd, connection.out.data() + connection.written,
                        connection.out.size() - connection.written);
      if (n < 0) {
        if (errno == EAGAIN) return;
        fail("write");
      }
      connection.written += static_cast<size_t>(n);
    }
  }

  // Reads what came; an answer complete frees its connection. False when closed.
  bool receive(Connection& connection) {
    char buffer[16384];
    for (;;) {
      ssize_t n = read(connection.fd, buffer, sizeof buffer);
      if (n > 0) {
        connection.in.append(buffer, static_cast<size_t>(n));
      } else if (n < 0 && errno == EAGAIN) {
        break;
      } else {
        return false;
      }
    }
    const size_t size = complete_answer(connection.in);
    if (size == 0 || !connection.busy) return true;
    latencies_ns_.push_back(
        std::chrono::duration_cast<Nanos>(Clock::now() - connection.due).count());
    if (connection.in.compare(9, 1, "2") != 0) ++non_2xx_;  // "HTTP/1.1 2.."
    connection.in.erase(0, size);
    connection.busy = false;
    idle_.push_back(&connection);
    return true;
  }

  const std::vector<std::string> requests_;
  std::vector<Connection> connections_;  // not resized: epoll holds their addresses
  std::vector<Connection*> idle_;
  const bool spin_;  // epoll never sleeps (see the usage above)
  const Nanos interval_;
  const int64_t total_;
  int epoll_ = -1;
  Clock::time_point start_;
  int64_t issued_ = 0;                     // requests queued or sent
  std::deque<Clock::time_point> waiting_;  // due times of the requests with no idle connection
  size_t next_body_ = 0;
  std::vector<int64_t> latencies_ns_;
  int64_t non_2xx_ = 0;
  double elapsed_s_ = 0;
};

std::vector<std::string> post_requests(const char* bodies_path, const std::string& path) {
  std::vector<std::string> requests;
  std::ifstream bodies(bodies_path);
  for (std::string line; std::getline(bodies, line);) {
    if (line.empty()) continue;
    std::string& request = requests.emplace_back("POST ");
    request += path;
    request += " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ";
    request += std::to_string(line.size());
    request += "\r\n\r\n";
    request += line;
  }
  return requests;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s PORT PATH BODIES RATE SECONDS [CONNECTIONS=64] [sleep|spin]\n",
                 argv[0]);
    return 2;
  }
  const double rate = std::atof(argv[4]);
  const double seconds = std::atof(argv[5]);
  const int connections = argc > 6 ? std::atoi(argv[6]) : 64;
  const std::string wait = argc > 7 ? argv[7] : "sleep";
  std::vector<std::string> requests = post_requests(argv[3], argv[2]);
  if (requests.empty() || rate <= 0 || seconds <= 0 || connections <= 0 ||
      (wait != "sleep" && wait != "spin")) {
    std::fprintf(stderr,
                 "paced_load: no bodies in %s, or RATE, SECONDS or CONNECTIONS <= 0, or a last "
                 "argument other than sleep or spin\n",
                 argv[3]);
    return 2;
  }
  OpenLoopLoad load(std::atoi(argv[1]), connections, std::move(requests), rate, seconds,
                    wait == "spin");
  if (!load.run()) {
    std::fprintf(stderr, "paced_load: the server closed a connection\n");
    return 1;
  }
  load.report(rate);
  return 0;
}
