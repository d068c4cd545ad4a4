#include "storage/stall_listener.hpp"

#include <rocksdb/listener.h>

#include "storage/background_priority.hpp"

namespace spur::storage {
namespace {

// Called on RocksDB's threads (the writer's, a flush's), and quickly: RocksDB waits.
class StallListener : public rocksdb::EventListener {
 public:
  void OnStallConditionsChanged(const rocksdb::WriteStallInfo& info) override {
    set_background_class(info.condition.cur == rocksdb::WriteStallCondition::kNormal
                             ? BackgroundClass::kIdle
                             : BackgroundClass::kNice);
  }
};

}  // namespace

std::shared_ptr<rocksdb::EventListener> make_stall_listener() {
  return std::make_shared<StallListener>();
}

}  // namespace spur::storage
