// What moves RocksDB's threads between the background classes (background_priority.hpp).
#pragma once

#include <memory>

namespace rocksdb {
class EventListener;
}

namespace spur::storage {

// A listener for a database's options: its threads go to BackgroundClass::kNice while
// RocksDB slows or stops writes for a flush or compaction that fell behind, and back to
// kIdle once writes run freely. For a process that can_leave_idle().
std::shared_ptr<rocksdb::EventListener> make_stall_listener();

}  // namespace spur::storage
