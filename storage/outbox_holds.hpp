// The outbox records that an adapter which confirms later (webhook, Kafka) has taken and
// not yet settled (delivered, or written to its dead letter). The outbox is trimmed only
// below the earliest of them, so that a crash before the confirmation delivers those
// firings again after the restart (docs/architecture.md, "Firings").
//
// Thread-safety: every member from any thread (holds are taken on the writer's thread
// and released on the adapters').
#pragma once

#include <cstdint>
#include <map>
#include <mutex>

namespace spur::storage {

class OutboxHolds {
 public:
  // One more adapter holds the record at `seq`.
  void hold(uint64_t seq);
  // One adapter settled its firing of the record at `seq`.
  void release(uint64_t seq);
  // The greatest seq at or below `delivered_through` at and below which no record is held:
  // how far the outbox may be trimmed.
  uint64_t settled_through(uint64_t delivered_through) const;

 private:
  mutable std::mutex mutex_;
  std::map<uint64_t, uint32_t> held_;  // seq -> holds; guarded by mutex_
};

}  // namespace spur::storage
