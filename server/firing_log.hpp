// The recent firings of one shard's users, as the JSON lines the adapters got, for
// GET /v1/users/{user}/firings.
//
// One circular buffer of records per shard, each record linked to the same user's
// previous one, rather than a ring of strings per user: keeping a firing allocates
// nothing and writes memory in sequence, and the whole takes a fixed number of bytes
// however many users there are (100 lines a user took about 30 KB a user, unbounded in
// all). The price: once the buffer is full the shard's oldest firings are overwritten
// first, so a user's recent firings are those still in the buffer.
//
// A firing is named by a handle, its offset in the stream of bytes ever written (never
// reused); a handle is live while it is not older than the oldest record kept.
//
// Not thread-safe: owned by one shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace spur::server {

class FiringLog {
 public:
  static constexpr uint64_t kNone = UINT64_MAX;

  // `capacity_bytes`, rounded down to a multiple of 8, at least 64. The memory is
  // reserved, not touched, until records are written.
  explicit FiringLog(size_t capacity_bytes);

  // Keeps `json` as the newest firing of a user whose newest was `previous` (kNone when
  // none) and returns its handle. A record larger than the whole buffer is not kept:
  // `previous` is returned.
  uint64_t append(std::string_view json, uint64_t previous);

  // The firings from `newest` back along the user's links, newest first, at most
  // `limit`; the views are valid until the next append.
  std::vector<std::string_view> newest_first(uint64_t newest, size_t limit) const;

  // Overwrites the bytes of the firings from `newest` back (a user forgotten); they
  // are no longer linked from anywhere.
  void erase(uint64_t newest);

 private:
  struct Header {
    uint64_t previous;  // handle of the user's previous firing, or kNone
    uint32_t length;    // bytes of JSON after the header
    uint32_t padding;   // 1: the rest of the buffer up to its end is unused
  };
  static constexpr size_t kHeader = sizeof(Header);

  static size_t record_size(size_t length) { return (kHeader + length + 7) / 8 * 8; }
  size_t at(uint64_t handle) const { return static_cast<size_t>(handle % capacity_); }
  bool live(uint64_t handle) const { return handle != kNone && handle >= oldest_; }
  Header header(uint64_t handle) const;
  // Moves oldest_ past the oldest record (or the unused end of the buffer).
  void drop_oldest();

  size_t capacity_;
  std::unique_ptr<char[]> bytes_;
  uint64_t oldest_ = 0;  // handle of the oldest record kept; == next_ when none
  uint64_t next_ = 0;    // handle the next record gets
};

}  // namespace spur::server
