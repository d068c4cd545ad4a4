// The log adapter never leaves a half-written line, and a failing output is counted.
#include "actions/log_adapter.hpp"

#include <doctest/doctest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <string>

#include "test_support.hpp"

namespace spur::actions {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Caps the size of files this process writes, as a full disk would; restored on exit.
class FileSizeCap {
 public:
  explicit FileSizeCap(rlim_t bytes) {
    std::signal(SIGXFSZ, SIG_IGN);  // a write past the cap then fails with EFBIG
    getrlimit(RLIMIT_FSIZE, &saved_);
    rlimit capped = saved_;
    capped.rlim_cur = bytes;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &capped) == 0);
  }
  ~FileSizeCap() { setrlimit(RLIMIT_FSIZE, &saved_); }

 private:
  rlimit saved_{};
};

}  // namespace

TEST_CASE("a line a killed process left half written is removed before anything is appended") {
  const auto path = testing::process_temp_path("spur-log-adapter-torn.ndjson").string();
  for (const std::string& before :
       {std::string("{\"a\":1}\n{\"b\":"), std::string("{\"half"), std::string("{\"a\":1}\n")}) {
    { std::ofstream(path, std::ios::trunc) << before; }
    {
      actions::LogAdapter adapter(path);
      adapter.write("{\"c\":3}");
      CHECK(adapter.flush());
    }
    const std::string kept = before.substr(0, before.rfind('\n') + 1);
    CHECK(read_file(path) == kept + "{\"c\":3}\n");
  }
  std::remove(path.c_str());
}

TEST_CASE("a line cut off by a failing write is completed before any other") {
  const auto path = testing::process_temp_path("spur-log-adapter.ndjson").string();
  std::remove(path.c_str());
  const std::string one(59, '1'), two(59, '2'), three(59, '3'), four(59, '4');
  LogAdapter adapter(path);
  {
    const FileSizeCap cap(100);  // the first line and 40 bytes of the second fit
    adapter.write(one);
    adapter.write(two);
    adapter.write(three);
    CHECK_FALSE(adapter.flush());
    CHECK(adapter.failing());
    CHECK(adapter.last_error() == EFBIG);
  }
  CHECK(adapter.delivered() == 1);
  CHECK(adapter.failed() == 1);  // the third line; the second is half out, to be completed
  adapter.write(four);
  CHECK(adapter.flush());
  CHECK_FALSE(adapter.failing());
  CHECK(read_file(path) == one + "\n" + two + "\n" + four + "\n");
  CHECK(adapter.delivered() == 3);
  CHECK(adapter.failed() == 1);
}

TEST_CASE("a closed pipe fails the lines, counted, and does not kill the process") {
  std::signal(SIGPIPE, SIG_IGN);  // as spur serve does
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  ::close(fds[0]);
  LogAdapter adapter("/proc/self/fd/" + std::to_string(fds[1]));
  adapter.write("{\"a\":1}");
  adapter.write("{\"a\":2}");
  CHECK_FALSE(adapter.flush());
  CHECK(adapter.failed() == 2);
  CHECK(adapter.last_error() == EPIPE);
  ::close(fds[1]);
}

}  // namespace spur::actions
