#pragma once

namespace spur::storage {

// RocksDB flushes its memtables and compacts its files on threads of its own
// ("rocksdb:high", "rocksdb:low", ...), at first at the priority of the thread that
// opened the database. On a core that a shard's event loop shares with them, two things
// go wrong (docs/performance.md, "What delays the loop in disk mode" and "RocksDB's
// threads in the spare time"):
//   - at the opener's priority, a flush takes half of the core's time from the loop;
//   - at any nice value, a loop woken by a request waits for a running flush to end its
//     time slice, which on a 250 Hz kernel ends at the next tick: up to 4 ms.
// kIdle (SCHED_IDLE) fixes both: a woken thread of any other policy takes the core from
// an idle-policy thread at once, and the flush runs in the core's spare time. But a
// core that stays busy gives it almost nothing, so when a flush or compaction falls
// behind until RocksDB slows or stops writes, its threads go to kNice until writes run
// freely again: nice 10, about a tenth of a busy core (CFS weights 110 against 1024),
// which kept up with 90 s of ingestion at full speed. Leaving SCHED_IDLE takes
// CAP_SYS_NICE or an RLIMIT_NICE that allows nice 10; a process without either keeps
// its threads at kNice from the start, since it could not take them out of kIdle again.
enum class BackgroundClass { kIdle, kNice };
inline constexpr int kBackgroundNice = 10;

// Whether this process may move a thread from SCHED_IDLE back to SCHED_OTHER at nice
// kBackgroundNice: tried once, on a thread made for it. Linux only; false elsewhere.
bool can_leave_idle();

// The class the threads get at open: kIdle if they can leave it again, else kNice.
BackgroundClass opening_background_class();

// Puts every RocksDB thread of this process in `cls`: SCHED_IDLE, or SCHED_OTHER at
// kBackgroundNice (or the thread's own value when it is nicer: a server started at nice
// 10 or more keeps it). Call after opening a database (its pools have their threads by
// then) and whenever the class changes; from any thread. Linux only; elsewhere it does
// nothing.
void set_background_class(BackgroundClass cls);

}  // namespace spur::storage
