// The data folder of storage mode disk: its records, the log, the writer's group commit,
// outbox and erasure, and folders it must refuse. A real RocksDB in a temporary folder.
#include <doctest/doctest.h>
#include <rocksdb/db.h>
#ifdef __linux__
#include <sched.h>
#include <sys/resource.h>
#endif

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "engine/fnv.hpp"
#include "storage/background_priority.hpp"
#include "storage/event_log.hpp"
#include "storage/log_writer.hpp"
#include "storage/stall_listener.hpp"
#include "test_support.hpp"

namespace spur::storage {
namespace {

// A data folder of this test process, removed at the end of the case.
struct Folder {
  std::filesystem::path path = testing::process_temp_path("spur-storage-test");
  Folder() { std::filesystem::remove_all(path); }
  ~Folder() { std::filesystem::remove_all(path); }
};

void ignore_warning(const std::string&) {}

Event ping(const std::string& user, const std::string& id, int64_t time_ms) {
  Event e{.name = "ping", .user = user, .id = id, .time_ms = time_ms, .has_time = true};
  e.properties = Value::object(Object{{"n", Value::number(7)}, {"tag", Value::string("a\nb\"c")}});
  return e;
}

// The key of one step as spur-log-2 and spur-log-3 wrote it (storage/record.hpp).
std::string one_step_key(uint32_t partition, const std::string& user, uint64_t seq) {
  std::string out = steps_from(partition, seq);
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((user.size() >> shift) & 0xff));
  return out + user;
}

// `count` other users than `user` in its partition of 256.
std::vector<std::string> neighbours_of(const std::string& user, size_t count) {
  std::vector<std::string> out;
  for (int i = 0; out.size() < count; ++i) {
    std::string other = "n" + std::to_string(i);
    if (partition_of(other, 256) == partition_of(user, 256)) out.push_back(other);
  }
  return out;
}

// The keys of the folder's records of steps, read with RocksDB itself.
std::vector<std::string> step_keys(const std::filesystem::path& folder) {
  rocksdb::DB* db = nullptr;
  REQUIRE(rocksdb::DB::OpenForReadOnly({}, folder, &db).ok());
  std::vector<std::string> keys;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}));
  for (it->Seek("L"); it->Valid() && it->key().starts_with("L"); it->Next())
    keys.push_back(it->key().ToString());
  it.reset();
  delete db;
  return keys;
}

std::vector<LogRecord> steps_of(EventLog& log) {
  std::vector<LogRecord> out;
  log.for_each_step([&out](size_t, LogRecord& r) { out.push_back(std::move(r)); });
  return out;
}

TEST_CASE("a record of steps reads back as it was written, and bytes cut short never do") {
  const Event event = ping("u42", "e1", 1'700'000'000'123);
  const std::string first = event_value(1'700'000'000'500, event);
  const std::string second = attributes_value(RecordKind::kSetAttributes, 1'700'000'000'600,
                                              Value::object(Object{{"ltv", Value::number(9)}}));
  const std::string key = steps_from(partition_of("u42", 256), 100);
  CHECK(is_steps_key(key));
  const std::string value = steps_value({{99, "u42", first}, {100, "u7", second}});
  std::vector<LogRecord> records;
  std::string error;
  REQUIRE(decode_records(key, value, records, error));
  REQUIRE(records.size() == 2);
  const LogRecord& record = records[0];
  CHECK(record.kind == RecordKind::kEvent);
  CHECK(record.seq == 99);
  CHECK(record.clock_ms == 1'700'000'000'500);
  CHECK(record.user == "u42");
  CHECK(record.event.user == "u42");
  CHECK(record.event.id == "e1");
  CHECK(record.event.name == "ping");
  CHECK(record.event.time_ms == 1'700'000'000'123);
  CHECK(record.event.has_time);
  CHECK_FALSE(record.event.id_unique);
  CHECK(equal(record.event.properties, event.properties));
  CHECK(records[1].kind == RecordKind::kSetAttributes);
  CHECK((records[1].seq == 100 && records[1].user == "u7"));
  CHECK(equal(records[1].attributes, Value::object(Object{{"ltv", Value::number(9)}})));
  for (size_t cut = 0; cut < value.size(); ++cut) {
    std::string why;
    records.clear();
    CHECK_FALSE(decode_records(key, value.substr(0, cut), records, why));
    CHECK_FALSE(why.empty());
  }
  std::string why;
  CHECK_FALSE(decode_records(key, value + "x", records, why));
  CHECK_FALSE(decode_records(key.substr(0, key.size() - 1), value, records, why));
}

TEST_CASE("a step as spur-log-3 wrote it, a record of its own, reads back") {
  const Event event = ping("u42", "e1", 1'700'000'000'123);
  const std::string key = one_step_key(partition_of("u42", 256), "u42", 99);
  CHECK_FALSE(is_steps_key(key));
  CHECK(user_of_key(key) == "u42");
  std::vector<LogRecord> records;
  std::string error;
  REQUIRE(decode_records(key, event_value(1'700'000'000'500, event), records, error));
  REQUIRE(records.size() == 1);
  CHECK((records[0].seq == 99 && records[0].user == "u42" && records[0].event.id == "e1"));
  CHECK_FALSE(decode_records(key + "x", event_value(1, event), records, error));
}

TEST_CASE("ticks, rule switches and rule files read back as they were written") {
  std::string error;
  const auto tick = decode_record(tick_key(7), tick_value(1'000, 1, 4), error);
  REQUIRE(tick);
  CHECK(tick->kind == RecordKind::kTick);
  CHECK(tick->user.empty());
  CHECK((tick->clock_ms == 1'000 && tick->shard == 1 && tick->shards == 4));
  const auto program = decode_record(tick_key(8), program_value(2'000, 0xabcdef, 3, 4), error);
  REQUIRE(program);
  CHECK(program->kind == RecordKind::kProgram);
  CHECK((program->version == 0xabcdef && program->shard == 3 && program->shards == 4));
  CHECK_FALSE(decode_record(tick_key(9), program_value(2'000, 1, 4, 4), error));  // 4 of 4
  const RuleFiles files = {{"a.rules", "rule a when x then send log end"}, {"b.rules", ""}};
  const auto rules = decode_rules(rules_key(42), rules_value(files), error);
  REQUIRE(rules);
  CHECK(rules->first == 42);
  CHECK(rules->second == files);
  const std::string value = rules_value(files);
  CHECK_FALSE(decode_rules(rules_key(42), value.substr(0, value.size() - 1), error));
}

TEST_CASE("a partition's steps sort by seq, and a checkpoint's key names its user") {
  CHECK(steps_from(3, 1) < steps_from(3, 256));  // numerically
  CHECK(steps_from(2, 999) < steps_from(3, 0));  // partition before seq
  CHECK(steps_from(3, 0) < one_step_key(3, "zz", 1));
  CHECK(one_step_key(3, "ab", 256) < steps_from(3, 257));
  CHECK_FALSE(user_of_key(steps_from(3, 7)));
  CHECK(user_of_key(checkpoint_key(3, "a\0b")) == "a\0b");
  CHECK_FALSE(user_of_key(tick_key(7)));
  CHECK_FALSE(user_of_key(checkpoint_key(3, "ab") + "x"));
  // Stable across processes and versions: a folder's users stay in their partitions.
  CHECK(partition_of("u42", 256) == partition_of("u42", 256));
  CHECK(partition_of("u42", 256) == fnv1a("u42") % 256);
}

TEST_CASE("the log keeps every step of a commit across a reopen, in seq order per user") {
  Folder folder;
  {
    EventLog log(folder.path, ignore_warning);
    Commit commit(log);
    commit.add_event(10, ping("u1", "a", 5));
    commit.add_attributes(RecordKind::kMergeAttributes, 11, "u1",
                          Value::object(Object{{"ltv", Value::number(900)}}));
    commit.add_event(12, ping("u2", "b", 12));
    commit.add_tick(13, 1, 2);
    std::vector<Commit*> commits{&commit};
    REQUIRE(log.write(commits, true, 0).empty());
  }
  EventLog log(folder.path, ignore_warning);
  const auto steps = steps_of(log);
  REQUIRE(steps.size() == 4);
  size_t u1 = 0;
  for (const LogRecord& r : steps) {
    if (r.user != "u1") continue;
    CHECK(r.kind == (u1 == 0 ? RecordKind::kEvent : RecordKind::kMergeAttributes));
    ++u1;
  }
  CHECK(u1 == 2);
  CHECK(steps.back().kind == RecordKind::kTick);
  CHECK(steps.back().clock_ms == 13);
  // New steps are numbered after every seq in the folder.
  CHECK(log.next_seq() > steps.back().seq);
}

#ifdef __linux__
// The scheduling policy (SCHED_*) and nice value of every RocksDB thread of this process.
struct ThreadClass {
  std::string name;
  int policy = -1;
  int nice = 0;
};
std::vector<ThreadClass> rocksdb_threads() {
  std::vector<ThreadClass> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::string name;
    std::getline(std::ifstream(task.path() / "comm"), name);
    if (!name.starts_with("rocksdb:")) continue;
    const auto tid = static_cast<pid_t>(std::stoul(task.path().filename()));
    out.push_back(
        {name, sched_getscheduler(tid), getpriority(PRIO_PROCESS, static_cast<id_t>(tid))});
  }
  return out;
}

TEST_CASE("RocksDB's flush and compaction threads run in the core's spare time, or nicer") {
  Folder folder;
  const int opener_nice = getpriority(PRIO_PROCESS, 0);
  EventLog log(folder.path, ignore_warning);
  const auto threads = rocksdb_threads();
  CHECK(threads.size() >= 2);  // at least the flush pool's thread and the compaction pool's
  for (const ThreadClass& thread : threads) {
    CAPTURE(thread.name);
    CHECK(thread.policy == (can_leave_idle() ? SCHED_IDLE : SCHED_OTHER));
    CHECK(thread.nice >= std::max(opener_nice, kBackgroundNice));
  }
  CHECK(sched_getscheduler(0) == SCHED_OTHER);
  CHECK(getpriority(PRIO_PROCESS, 0) == opener_nice);
}

TEST_CASE("RocksDB's threads leave the spare time while writes stall, and go back after") {
  if (!can_leave_idle()) return;  // then they never enter it (the case above)
  Folder folder;
  rocksdb::Options options;
  options.create_if_missing = true;
  options.write_buffer_size = 64 * 1024;
  options.max_write_buffer_number = 4;
  options.listeners.push_back(make_stall_listener());
  rocksdb::DB* opened = nullptr;
  REQUIRE(rocksdb::DB::Open(options, folder.path.string(), &opened).ok());
  const std::unique_ptr<rocksdb::DB> db(opened);
  set_background_class(BackgroundClass::kIdle);
  // RocksDB tells its listeners after the change, on its own thread: waits a while.
  const auto all_in = [](int policy) {
    for (int tries = 0; tries < 500; ++tries) {
      const auto threads = rocksdb_threads();
      if (!threads.empty() && std::ranges::all_of(threads, [&](const ThreadClass& t) {
            return t.policy == policy && t.nice >= kBackgroundNice;
          }))
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };
  REQUIRE(all_in(SCHED_IDLE));
  // With no flush allowed, the memtables fill until RocksDB slows writes down, then
  // stops them (a write that would wait fails instead).
  REQUIRE(db->PauseBackgroundWork().ok());
  rocksdb::WriteOptions no_wait;
  no_wait.no_slowdown = true;
  const std::string value(16 * 1024, 'v');
  int written = 0;
  while (written < 1000 && db->Put(no_wait, "k" + std::to_string(written), value).ok())
    ++written;
  CHECK(written < 1000);
  CHECK(all_in(SCHED_OTHER));
  REQUIRE(db->ContinueBackgroundWork().ok());
  REQUIRE(db->Flush({}).ok());
  CHECK(all_in(SCHED_IDLE));
}
#endif

TEST_CASE("an erasure removes the user's earlier steps, and only those, in order") {
  Folder folder;
  EventLog log(folder.path, ignore_warning);
  Commit first(log);
  first.add_event(1, ping("gone", "a", 1));
  first.add_event(1, ping("kept", "b", 1));
  std::vector<Commit*> commits{&first};
  REQUIRE(log.write(commits, false, 0).empty());
  Commit second(log);
  second.add_event(2, ping("gone", "c", 2));  // in the batch of the erasure, before it
  second.erase_user("gone");
  second.add_event(3, ping("gone", "d", 3));  // after it: stays
  commits = {&second};
  REQUIRE(log.write(commits, false, 0).empty());
  std::vector<std::string> ids;
  for (const LogRecord& r : steps_of(log))
    ids.push_back(r.user + "/" + r.event.id);
  CHECK(ids == std::vector<std::string>{"gone/d", "kept/b"});
}

TEST_CASE("a batch's steps are one record a partition, written again without an erased user") {
  Folder folder;
  const std::vector<std::string> near = neighbours_of("u", 2);
  const std::string& n = near[0];
  const std::string& m = near[1];
  const std::string far = partition_of("x", 256) != partition_of("u", 256) ? "x" : "y";
  const auto sorted = [](std::vector<std::string> ids) {
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  const auto ids = [&sorted](EventLog& log) {
    std::vector<std::string> out;
    for (const LogRecord& r : steps_of(log))
      out.push_back(r.user + "/" + r.event.id);
    return sorted(out);
  };
  const auto write = [](EventLog& log, Commit& commit) {
    std::vector<Commit*> commits{&commit};
    REQUIRE(log.write(commits, false, 0).empty());
  };
  {
    EventLog log(folder.path, ignore_warning);
    Commit first(log), second(log);
    first.add_event(1, ping("u", "a", 1));
    first.add_event(1, ping(n, "b", 1));
    second.add_event(1, ping("u", "c", 1));
    second.add_event(1, ping(m, "d", 1));
    second.add_event(1, ping(far, "e", 1));
    std::vector<Commit*> commits{&first, &second};
    REQUIRE(log.write(commits, false, 0).empty());
  }
  CHECK(step_keys(folder.path).size() == 2);  // one for the partition of u, n, m; one for far
  {
    EventLog log(folder.path, ignore_warning);
    CHECK(ids(log) == sorted({"u/a", "u/c", n + "/b", m + "/d", far + "/e"}));
    // Two erasures of one batch, in the same record: both users leave it.
    Commit erasures(log);
    erasures.erase_user("u");
    erasures.erase_user(n);
    write(log, erasures);
    CHECK(ids(log) == sorted({m + "/d", far + "/e"}));
  }
  CHECK(step_keys(folder.path).size() == 2);
  {
    EventLog log(folder.path, ignore_warning);
    Commit erasure(log);  // the record's last user: the record goes
    erasure.erase_user(m);
    write(log, erasure);
    CHECK(ids(log) == std::vector<std::string>{far + "/e"});
  }
  CHECK(step_keys(folder.path).size() == 1);
}

TEST_CASE(
    "a trim keeps a record of steps whose last step it does not cover, not replaying the rest") {
  Folder folder;
  const auto write = [](EventLog& log, Commit& commit) {
    std::vector<Commit*> commits{&commit};
    REQUIRE(log.write(commits, false, 0).empty());
  };
  const auto events = [](EventLog& log) {
    std::vector<std::string> out;
    for (const LogRecord& r : steps_of(log))
      out.push_back(r.kind == RecordKind::kEvent ? r.event.id : "checkpoint");
    return out;
  };
  {
    EventLog log(folder.path, ignore_warning);
    Commit turn(log), next_turn(log);
    turn.add_event(1'000, ping("u", "covered", 1'000));
    const uint64_t began = log.next_seq();
    next_turn.add_event(1'000, ping("u", "after", 1'000));  // one batch: one record
    std::vector<Commit*> commits{&turn, &next_turn};
    REQUIRE(log.write(commits, false, 0).empty());
    Commit pass(log);
    pass.add_checkpoint("u", 2'000, 1, "state of u", "");
    pass.end_pass({.shard = 0, .shards = 1, .began_at = began});
    write(log, pass);
    CHECK(step_keys(folder.path).size() == 1);
    CHECK(events(log) == std::vector<std::string>{"checkpoint", "after"});
  }
  EventLog log(folder.path, ignore_warning);
  CHECK(events(log) == std::vector<std::string>{"checkpoint", "after"});
  Commit pass(log);  // a later pass covers the record's last step
  pass.end_pass({.shard = 0, .shards = 1, .began_at = log.next_seq()});
  write(log, pass);
  CHECK(step_keys(folder.path).empty());
}

TEST_CASE("the writer answers in order, delivers firings after the write, and empties the outbox") {
  for (const Fsync fsync : {Fsync::kBatch, Fsync::kAlways, Fsync::kNever}) {
    CAPTURE(static_cast<int>(fsync));
    Folder folder;
    EventLog log(folder.path, ignore_warning);
    std::mutex mutex;
    std::vector<std::string> seen;  // deliveries and answers, in order
    {
      LogWriter writer(log, fsync, 2,
                       {.deliver =
                            [&](const OutboxEntry& f, OutboxHolds&) {
                              const std::lock_guard lock(mutex);
                              seen.push_back("deliver " + f.json);
                            },
                        .flush = [] {},
                        .drain = {},
                        .health = [](const std::string&) {}});
      for (int i = 0; i < 3; ++i) {
        auto commit = std::make_unique<Commit>(log);
        commit->add_event(i, ping("u", "e" + std::to_string(i), i));
        commit->add_firing("u", "-", "f" + std::to_string(i), false);
        commit->on_done([&, i](const std::string& error) {
          const std::lock_guard lock(mutex);
          seen.push_back("done " + std::to_string(i) + error);
        });
        writer.submit(std::move(commit));
      }
      writer.stop();
      CHECK(writer.commits_written() == 3);
    }
    // Deliveries in order, answers in order, each commit's firing before its answer (a
    // round of several commits delivers all its firings first).
    const auto at = [&seen](const std::string& what) {
      return std::find(seen.begin(), seen.end(), what) - seen.begin();
    };
    REQUIRE(seen.size() == 6);
    for (int i = 0; i < 3; ++i) {
      const std::string n = std::to_string(i);
      CHECK(at("deliver f" + n) < at("done " + n));
      if (i > 0) CHECK(at("done " + std::to_string(i - 1)) < at("done " + n));
      if (i > 0) CHECK(at("deliver f" + std::to_string(i - 1)) < at("deliver f" + n));
    }
    CHECK(log.outbox().empty());
    CHECK(steps_of(log).size() == 3);
  }
}

TEST_CASE("a batch's steps are recorded as undelivered until the next batch, firings not") {
  Folder folder;
  {
    EventLog log(folder.path, ignore_warning);
    CHECK(log.undelivered().empty());
    Commit first(log);
    first.add_event(1, ping("u", "e1", 1));
    first.add_firing("u", "crm", "{\"firing_id\":\"1\"}", false);
    Commit second(log);
    second.add_tick(2, 0, 1);
    second.add_event(2, ping("v", "e2", 2));
    std::vector<Commit*> commits{&first, &second};
    REQUIRE(log.write(commits, true, 0).empty());
    // Found by replaying steps 1 to 3 again: nothing in the outbox.
    CHECK(log.undelivered() == SeqRange{1, 3});
    CHECK(log.outbox().empty());
  }
  EventLog log(folder.path, ignore_warning);
  CHECK(log.undelivered() == SeqRange{1, 3});
  log.for_each_step([](size_t, LogRecord&) {});  // as a recovery does: seqs go on after the last
  // The writer wrote the next batch once the first was delivered.
  Commit third(log);
  third.add_event(3, ping("u", "e3", 3));
  std::vector<Commit*> commits{&third};
  REQUIRE(log.write(commits, false, 0).empty());
  CHECK(log.undelivered().first == log.undelivered().last);
  CHECK(log.undelivered().first > 3);
  // A clean stop's last batch holds no step: nothing is undelivered.
  commits.clear();
  REQUIRE(log.write(commits, true, 0).empty());
  CHECK(log.undelivered().empty());
}

TEST_CASE("the firings of a batch that holds a checkpoint are in the outbox at the next open") {
  Folder folder;
  {
    EventLog log(folder.path, ignore_warning);
    Commit commit(log);
    commit.add_event(1, ping("u", "e", 1));
    commit.add_firing("u", "crm,audit", "{\"firing_id\":\"x\"}", false);
    // The checkpoint replaces the state a replay of the step would start from.
    commit.add_checkpoint("u", 1, 1, "engine", "server");
    std::vector<Commit*> commits{&commit};
    REQUIRE(log.write(commits, true, 0).empty());
    CHECK(log.undelivered().empty());
  }
  EventLog log(folder.path, ignore_warning);
  const auto outbox = log.outbox();
  REQUIRE(outbox.size() == 1);
  CHECK(outbox[0].user == "u");
  CHECK(outbox[0].targets == "crm,audit");
  CHECK(outbox[0].json == "{\"firing_id\":\"x\"}");
  // Delivered: the next batch trims it.
  std::vector<Commit*> none;
  REQUIRE(log.write(none, true, outbox[0].seq).empty());
  CHECK(log.outbox().empty());
}

TEST_CASE("a firing for an adapter that confirms later stays in the outbox until settled") {
  Folder folder;
  EventLog log(folder.path, ignore_warning);
  std::vector<uint64_t> delivered;
  OutboxHolds* holds_seen = nullptr;  // the writer's
  {
    LogWriter writer(log, Fsync::kBatch, 1,
                     {.deliver =
                          [&](const OutboxEntry& f, OutboxHolds& holds) {
                            holds.hold(f.seq);  // as a webhook adapter takes it
                            holds_seen = &holds;
                            delivered.push_back(f.seq);
                          },
                      .flush = [] {},
                      .drain = {},
                      .health = [](const std::string&) {}});
    for (int i = 0; i < 2; ++i) {
      auto commit = std::make_unique<Commit>(log);
      commit->add_event(i, ping("u", "e" + std::to_string(i), i));
      // No checkpoint in the batch: only confirmed_later puts it in the outbox.
      commit->add_firing("u", "hook", "{\"firing_id\":\"" + std::to_string(i) + "\"}", true);
      writer.submit(std::move(commit));
    }
    writer.stop();  // its last batch would trim what was settled: nothing was
    REQUIRE(delivered.size() == 2);
    CHECK(delivered[0] != 0);
    CHECK(log.outbox().size() == 2);
    // Settled out of order: the outbox is trimmed only below the earliest held record.
    holds_seen->release(delivered[1]);
    CHECK(holds_seen->settled_through(delivered[1]) == delivered[0] - 1);
    holds_seen->release(delivered[0]);
    CHECK(holds_seen->settled_through(delivered[1]) == delivered[1]);
    std::vector<Commit*> none;
    REQUIRE(log.write(none, true, holds_seen->settled_through(delivered[1])).empty());
    CHECK(log.outbox().empty());
  }
}

TEST_CASE("until a recovery's firings are delivered, the undelivered steps stay named") {
  Folder folder;
  EventLog log(folder.path, ignore_warning);
  Commit before(log);
  before.add_event(1, ping("u", "e1", 1));
  std::vector<Commit*> commits{&before};
  REQUIRE(log.write(commits, true, 0).empty());
  const SeqRange crashed = log.undelivered();
  REQUIRE(!crashed.empty());
  // At recovery: one shard's firings made again, with the other shard's first new step.
  Commit again(log);
  again.add_firing("u", "-", "made again", false);
  again.mark_rederived();
  Commit late(log);
  late.add_tick(5, 1, 2);
  late.add_firing("w", "-", "late", false);
  commits = {&again, &late};
  REQUIRE(log.write(commits, true, 0).empty());
  CHECK(log.undelivered() == crashed);
  // The new step's firing cannot be found by replay: it is in the outbox, alone.
  const auto outbox = log.outbox();
  REQUIRE(outbox.size() == 1);
  CHECK(outbox[0].json == "late");
}

TEST_CASE("an erasure takes the user's waiting firings out of their commits' records") {
  Folder folder;
  EventLog log(folder.path, ignore_warning);
  Commit first(log);
  first.add_firing("gone", "-", "g1", false);
  first.add_firing("kept", "-", "k1", false);
  first.add_checkpoint("kept", 1, 1, "engine", "server");  // the firings go to the outbox
  Commit second(log);
  second.add_firing("gone", "-", "g2", false);
  std::vector<Commit*> commits{&first, &second};
  REQUIRE(log.write(commits, false, 0).empty());
  Commit erasure(log);
  erasure.erase_user("gone");
  commits = {&erasure};
  REQUIRE(log.write(commits, false, 0).empty());
  const auto outbox = log.outbox();
  REQUIRE(outbox.size() == 1);
  CHECK(outbox[0].user == "kept");
  CHECK(outbox[0].json == "k1");
}

TEST_CASE("checkpoint, pass and dedup-window records read back as written, and cut ones do not") {
  std::string error;
  const std::string key = checkpoint_key(partition_of("u1", 256), "u1");
  const std::string value = checkpoint_value(77, 1'000, 5, "engine bytes", "server bytes");
  const auto record = decode_record(key, value, error);
  REQUIRE(record);
  CHECK(record->kind == RecordKind::kCheckpoint);
  CHECK(record->user == "u1");
  CHECK(record->seq == 77);
  CHECK(record->clock_ms == 1'000);
  CHECK(record->version == 5);
  CHECK(record->engine_state == "engine bytes");
  CHECK(record->server_state == "server bytes");
  for (size_t cut = 0; cut < value.size(); ++cut)
    CHECK_FALSE(decode_record(key, value.substr(0, cut), error));
  // A checkpoint's value under a step's key, and a step's under a checkpoint's: refused.
  CHECK_FALSE(decode_record(one_step_key(1, "u1", 77), value, error));
  CHECK_FALSE(decode_record(key, event_value(1'000, ping("u1", "e1", 1'000)), error));

  const PassRecord pass{.shard = 1, .shards = 2, .began_at = 1234};
  const auto read = decode_pass(pass_key(1), pass_value(pass), error);
  REQUIRE(read);
  CHECK(read->shard == 1);
  CHECK(read->shards == 2);
  CHECK(read->began_at == 1234);
  CHECK_FALSE(decode_pass(pass_key(2), pass_value(pass), error));  // shard 2 of 2
  const std::vector<RecentId> ids{{5, 1, 2}, {6, UINT64_MAX, 3}};
  std::vector<RecentId> back;
  REQUIRE(decode_recent_ids(recent_ids_value(ids), back, error));
  REQUIRE(back.size() == 2);
  CHECK(back[1].at_ms == 6);
  CHECK(back[1].a == UINT64_MAX);
  CHECK(back[1].b == 3);
  CHECK_FALSE(decode_recent_ids(recent_ids_value(ids).substr(0, 30), back, error));
}

TEST_CASE("once every shard has ended a pass, the steps before the earliest one leave the log") {
  Folder folder;
  EventLog log(folder.path, ignore_warning);
  auto write = [&log](Commit& commit) {
    std::vector<Commit*> commits{&commit};
    REQUIRE(log.write(commits, false, 0).empty());
  };
  Commit before(log);
  before.add_event(1'000, ping("u1", "a", 1'000));
  before.add_event(1'000, ping("u2", "b", 1'000));
  before.add_tick(1'000, 0, 2);
  write(before);
  const uint64_t began0 = log.next_seq();
  const uint64_t began1 = log.next_seq();
  Commit pass0(log);
  pass0.add_checkpoint("u1", 2'000, 1, "state of u1", "");
  pass0.add_recent_ids(0, began0, 0, {{1'000, 11, 12}});
  pass0.end_pass({.shard = 0, .shards = 2, .began_at = began0});
  pass0.add_event(2'000, ping("u1", "c", 2'000));
  write(pass0);
  CHECK(steps_of(log).size() == 5);  // nothing trimmed while shard 1 has not ended a pass

  Commit pass1(log);
  pass1.add_checkpoint("u2", 2'000, 1, "state of u2", "");
  pass1.add_recent_ids(1, began1, 0, {{1'000, 21, 22}});
  pass1.end_pass({.shard = 1, .shards = 2, .began_at = began1});
  write(pass1);
  // Checkpoints are kinds 6, events 1; the tick went with the steps before the passes.
  const auto left = [&log] {
    std::vector<std::string> out;
    for (const LogRecord& r : steps_of(log))
      out.push_back(r.user + ":" + std::to_string(static_cast<int>(r.kind)));
    std::sort(out.begin(), out.end());
    return out;
  };
  CHECK(left() == std::vector<std::string>{"u1:1", "u1:6", "u2:6"});

  // The next pass's copy of the dedup window replaces the last one's.
  Commit again(log);
  const uint64_t began2 = log.next_seq();
  again.add_recent_ids(0, began2, 0, {{2'000, 13, 14}});
  again.end_pass({.shard = 0, .shards = 2, .began_at = began2});
  write(again);
  const auto copies = log.recent_ids();
  REQUIRE(copies.size() == 2);
  CHECK(copies[0].pass.began_at == began2);
  REQUIRE(copies[0].ids.size() == 1);
  CHECK(copies[0].ids[0].a == 13);
  CHECK(copies[1].ids[0].a == 21);

  // An erasure takes the user's checkpoint with its steps.
  Commit erasure(log);
  erasure.erase_user("u1");
  write(erasure);
  CHECK(left() == std::vector<std::string>{"u2:6"});
}

TEST_CASE("folders of the formats before are read as they are and marked with this one") {
  for (const std::string_view earlier : kEarlierFormatVersions) {
    CAPTURE(earlier);
    Folder folder;
    {
      EventLog log(folder.path, ignore_warning);
      Commit commit(log);  // spur-log-2 put every firing in the outbox, as this batch does
      commit.add_firing("u", "-", "waiting", false);
      commit.add_checkpoint("u", 1, 1, "engine", "server");
      std::vector<Commit*> commits{&commit};
      REQUIRE(log.write(commits, true, 0).empty());
    }
    const auto format = [&folder] {
      rocksdb::DB* db = nullptr;
      REQUIRE(rocksdb::DB::Open({}, folder.path, &db).ok());
      std::string value;
      CHECK(db->Get({}, meta_key("format"), &value).ok());
      delete db;
      return value;
    };
    {
      rocksdb::DB* db = nullptr;
      REQUIRE(rocksdb::DB::Open({}, folder.path, &db).ok());
      CHECK(db->Put({}, meta_key("format"), std::string(earlier)).ok());
      CHECK(db->Put({}, one_step_key(partition_of("old", 256), "old", 7),
                    event_value(1, ping("old", "e", 1)))
                .ok());
      delete db;
    }
    REQUIRE(format() == earlier);
    {
      EventLog log(folder.path, ignore_warning);
      CHECK(log.undelivered().empty());
      const auto outbox = log.outbox();
      REQUIRE(outbox.size() == 1);
      CHECK(outbox[0].json == "waiting");
      std::vector<std::string> users;
      for (const LogRecord& r : steps_of(log))
        users.push_back(r.user + ":" + std::to_string(static_cast<int>(r.kind)));
      std::sort(users.begin(), users.end());
      CHECK(users == std::vector<std::string>{"old:1", "u:6"});  // an event, a checkpoint
      Commit erasure(log);  // a step of its own goes, as it went then
      erasure.erase_user("old");
      std::vector<Commit*> commits{&erasure};
      REQUIRE(log.write(commits, true, 0).empty());
      CHECK(steps_of(log).size() == 1);
    }
    CHECK(format() == "spur-log-4");
  }
}

TEST_CASE("folders of another format, or not Spur's, are refused with what to do") {
  Folder folder;
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    REQUIRE(rocksdb::DB::Open(options, folder.path, &db).ok());
    CHECK(db->Put({}, meta_key("format"), "spur-log-0").ok());
    delete db;
  }
  CHECK_THROWS_WITH_AS(EventLog(folder.path, ignore_warning),
                       doctest::Contains("was written in format `spur-log-0`"), StorageError);
  Folder other;
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    REQUIRE(rocksdb::DB::Open(options, other.path, &db).ok());
    delete db;
  }
  CHECK_THROWS_WITH_AS(EventLog(other.path, ignore_warning), doctest::Contains("no format record"),
                       StorageError);
}

}  // namespace
}  // namespace spur::storage
