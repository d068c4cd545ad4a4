// Reads an NDJSON event stream (events and decision requests) and decodes it on a thread of its
// own, handing the events over in batches, in the stream's order (`spur replay`).
//
// Decoding and matching then run on two cores, as in `spur serve`, where I/O threads
// decode and shards match: a replay takes the longer of the two instead of their sum
// (docs/performance.md, "replay"). Only the order of the events matters to the engine,
// and it is kept: one reader, one queue, one consumer.
//
// Thread-safety: next() is called from one thread, the consumer's.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <istream>
#include <mutex>
#include <thread>
#include <vector>

#include "formats/json_codec.hpp"

namespace spur::cli {

struct ReadEvent {
  uint64_t line = 0;  // 1-based line number in the stream
  DecodedEvent decoded;
  bool decision = false;  // a decision request (decode_stream_line)
};

class DecodingReader {
 public:
  // Starts reading `in`, which must outlive this reader.
  explicit DecodingReader(std::istream& in);
  // Stops the reading thread, whether or not the stream was read to its end.
  ~DecodingReader();
  DecodingReader(const DecodingReader&) = delete;
  DecodingReader& operator=(const DecodingReader&) = delete;

  // The next events in stream order, blank lines left out; empty once the stream is
  // exhausted.
  std::vector<ReadEvent> next();

 private:
  void read(std::istream& in);

  // Batches of this many events; at most kQueued batches wait, so memory stays bounded
  // when decoding runs ahead of matching.
  static constexpr size_t kBatch = 512;
  static constexpr size_t kQueued = 8;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<ReadEvent>> queue_;  // guarded by mutex_
  bool done_ = false;                         // guarded by mutex_: no more batches
  bool stop_ = false;                         // guarded by mutex_: the consumer left
  std::thread thread_;                        // last: started once the rest is made
};

}  // namespace spur::cli
