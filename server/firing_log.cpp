#include "server/firing_log.hpp"

#include <algorithm>
#include <cstring>

namespace spur::server {

FiringLog::FiringLog(size_t capacity_bytes)
    : capacity_(std::max<size_t>(capacity_bytes / 8 * 8, 64)),
      bytes_(new char[capacity_]) {}  // not value-initialised: pages are touched when written

FiringLog::Header FiringLog::header(uint64_t handle) const {
  Header h;
  std::memcpy(&h, bytes_.get() + at(handle), kHeader);
  return h;
}

void FiringLog::drop_oldest() {
  const size_t to_end = capacity_ - at(oldest_);
  if (to_end < kHeader) {  // too short for a header: always unused
    oldest_ += to_end;
    return;
  }
  const Header h = header(oldest_);
  oldest_ += h.padding != 0 ? to_end : record_size(h.length);
}

uint64_t FiringLog::append(std::string_view json, uint64_t previous) {
  const size_t size = record_size(json.size());
  if (size > capacity_) return previous;
  // A record never wraps round: the end of the buffer is left unused (and marked when a
  // header fits), once what was there is dropped.
  if (const size_t to_end = capacity_ - at(next_); to_end < size) {
    while (next_ + to_end - oldest_ > capacity_)
      drop_oldest();
    if (to_end >= kHeader) {
      const Header pad{kNone, 0, 1};
      std::memcpy(bytes_.get() + at(next_), &pad, kHeader);
    }
    next_ += to_end;
  }
  while (next_ + size - oldest_ > capacity_)
    drop_oldest();
  const Header h{live(previous) ? previous : kNone, static_cast<uint32_t>(json.size()), 0};
  char* record = bytes_.get() + at(next_);
  std::memcpy(record, &h, kHeader);
  std::memcpy(record + kHeader, json.data(), json.size());
  const uint64_t handle = next_;
  next_ += size;
  return handle;
}

std::vector<std::string_view> FiringLog::newest_first(uint64_t newest, size_t limit) const {
  std::vector<std::string_view> out;
  for (uint64_t h = newest; live(h) && out.size() < limit;) {
    const Header head = header(h);
    out.emplace_back(bytes_.get() + at(h) + kHeader, head.length);
    h = head.previous;
  }
  return out;
}

void FiringLog::erase(uint64_t newest) {
  for (uint64_t h = newest; live(h);) {
    Header head = header(h);
    char* record = bytes_.get() + at(h);
    std::memset(record + kHeader, 0, head.length);
    const uint64_t previous = head.previous;
    head.previous = kNone;
    std::memcpy(record, &head, kHeader);
    h = previous;
  }
}

}  // namespace spur::server
