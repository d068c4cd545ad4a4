#include "cli/decoding_reader.hpp"

#include <string>
#include <utility>

namespace spur::cli {

DecodingReader::DecodingReader(std::istream& in) : thread_([this, &in] { read(in); }) {}

DecodingReader::~DecodingReader() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

std::vector<ReadEvent> DecodingReader::next() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return !queue_.empty() || done_; });
  if (queue_.empty()) return {};
  std::vector<ReadEvent> batch = std::move(queue_.front());
  queue_.pop_front();
  lock.unlock();
  changed_.notify_all();
  return batch;
}

void DecodingReader::read(std::istream& in) {
  std::string line;
  std::vector<ReadEvent> batch;
  const auto hand_over = [this, &batch] {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return queue_.size() < kQueued || stop_; });
    if (stop_) return false;
    queue_.push_back(std::exchange(batch, {}));
    lock.unlock();
    changed_.notify_all();
    return true;
  };
  for (uint64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines
    // Events mostly carry their id (ids are never empty): the default is made only for
    // those that do not.
    ReadEvent& event = batch.emplace_back();
    event.line = number;
    event.decision = decode_stream_line(line, "", event.decoded);
    if (event.decoded.ok && event.decoded.event.id.empty())
      event.decoded.event.id = "auto-" + std::to_string(number);
    if (batch.size() == kBatch && !hand_over()) return;
  }
  if (!batch.empty() && !hand_over()) return;
  {
    const std::lock_guard lock(mutex_);
    done_ = true;
  }
  changed_.notify_all();
}

}  // namespace spur::cli
