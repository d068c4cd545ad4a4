#pragma once

namespace spur::storage {

// RocksDB's flushes and compactions run on the threads of its default environment
// ("rocksdb:high", "rocksdb:low", ...), at the priority of the thread that opened the
// database. On a server whose cores the shards keep busy, a memtable flush then takes
// its core's time slices from the shard beside it, and requests queue behind it for
// milliseconds. kBackgroundNice lets a busy shard go first while still giving the
// flushes about a tenth of a contended core (CFS weights 110 against 1024), so that they
// keep up with the log; nice 19 (RocksDB's own kLow) let them fall behind until writes
// stalled (docs/performance.md, "Checkpoint passes and RocksDB's flushes").
inline constexpr int kBackgroundNice = 10;

// Sets every RocksDB thread of this process that is less nice than kBackgroundNice to
// it. Linux only (a thread's nice value is its own there); elsewhere it does nothing.
// Call after opening a database: its pools have their threads by then, and later opens
// that grow a pool call it again.
void lower_background_priority();

}  // namespace spur::storage
