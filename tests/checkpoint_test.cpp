// Checkpoints, the engine's side: a user's state saved as bytes and restored into
// another engine goes on exactly as in the engine that never stopped.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "engine/user_bytes.hpp"
#include "engine_harness.hpp"

namespace spur::testing {
namespace {

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every example rule file as one rule set: waiting rules, windows over past events,
// sessions, cooldowns, group limits and segments.
std::string example_rules() {
  std::string all;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(SPUR_TEST_DATA) + "/../rules/examples")) {
    if (entry.path().extension() == ".rules") all += read_text_file(entry.path()) + "\n";
  }
  return all;
}

std::vector<std::string> example_events() {
  std::vector<std::string> lines;
  std::ifstream in(std::string(SPUR_TEST_DATA) + "/../rules/examples/demo-events.ndjson");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Saves every user of `from` with a pass of save_some() calls of a few slots each.
std::vector<std::pair<std::string, std::string>> save_all(Engine& from) {
  std::vector<std::pair<std::string, std::string>> saved;
  from.begin_save_pass();
  while (!from.save_some(3, [&](const std::string& user, const UserState& state) {
    append_user_bytes(saved.emplace_back(user, "").second, state);
  })) {
  }
  return saved;
}

}  // namespace

TEST_CASE("a state saved mid-stream and restored elsewhere gives the same firings after it") {
  const std::string rules = example_rules();
  const std::vector<std::string> events = example_events();
  REQUIRE(events.size() > 100);
  for (const size_t cut : {events.size() / 4, events.size() / 2, 3 * events.size() / 4}) {
    CAPTURE(cut);
    Harness straight(rules), restored(rules);
    for (size_t i = 0; i < cut; ++i)
      straight.send(events[i]);
    const size_t before = straight.lines.size();

    const auto saved = save_all(*straight.engine);
    size_t pending = 0;
    for (const auto& [user, bytes] : saved)
      pending += restored.engine->restore_user(user, bytes).pending.size();
    CHECK(pending == straight.engine->pending_count());
    CHECK(restored.engine->pending_count() == straight.engine->pending_count());
    std::vector<RecentIds::Entry> ids;
    uint64_t position = 0;
    while (straight.engine->copy_recent_ids(position, 7, ids)) {
    }
    restored.engine->merge_recent_ids(std::move(ids));

    // An event sent again is a duplicate in both.
    CHECK(straight.send(events[cut - 1]) == Outcome::kDuplicate);
    CHECK(restored.send(events[cut - 1]) == Outcome::kDuplicate);
    for (size_t i = cut; i < events.size(); ++i) {
      straight.send(events[i]);
      restored.send(events[i]);
    }
    straight.drain();
    restored.drain();
    const std::vector<std::string> after(straight.lines.begin() + static_cast<ptrdiff_t>(before),
                                         straight.lines.end());
    CHECK(!after.empty());
    CHECK(Harness::join(restored.lines) == Harness::join(after));
  }
}

TEST_CASE("a pass saves every user once while the table grows meanwhile") {
  Harness h("rule r when ping then send log {} end");
  for (int i = 0; i < 200; ++i)
    h.send(ev("ping", "u" + std::to_string(i), "2026-01-01T00:00:00Z"));
  h.engine->begin_save_pass();
  std::map<std::string, int> saved;
  int next = 200;
  // Users come between calls, and the table grows (moving every node).
  while (!h.engine->save_some(5, [&](const std::string& user, const UserState&) { ++saved[user]; }))
    h.send(ev("ping", "u" + std::to_string(next++), "2026-01-01T00:00:01Z"));
  CHECK(next > 256);
  for (int i = 0; i < 200; ++i)
    CHECK_MESSAGE(saved["u" + std::to_string(i)] == 1, i);
  for (const auto& saved_user : saved)  // not a structured binding: clang 14 cannot capture one
    CHECK_MESSAGE(saved_user.second == 1, saved_user.first);
}

TEST_CASE("a pass saves every user once while users behind it are erased") {
  Harness h("rule r when ping then send log {} end");
  for (int i = 0; i < 2000; ++i)
    h.send(ev("ping", "u" + std::to_string(i), "2026-01-01T00:00:00Z"));
  h.engine->begin_save_pass();
  std::map<std::string, int> saved;
  std::vector<std::string> just_saved;
  // Each user saved is erased before the next call: the nodes after it in its run move
  // back, some of them from ahead of the walk to behind it.
  while (!h.engine->save_some(16, [&](const std::string& user, const UserState&) {
    ++saved[user];
    just_saved.push_back(user);
  })) {
    for (const std::string& user : just_saved)
      h.engine->erase_user(user);
    just_saved.clear();
  }
  CHECK(saved.size() == 2000);
  for (const auto& saved_user : saved)  // not a structured binding: clang 14 cannot capture one
    CHECK_MESSAGE(saved_user.second == 1, saved_user.first);
}

TEST_CASE("bytes cut short or run on are refused, not misread") {
  Harness h("rule r when ping and no pong within 1h then send log {} end");
  h.send(ev("ping", "u1", "2026-01-01T00:00:00Z", R"({"a": "some text"})", "p1"));
  const auto saved = save_all(*h.engine);
  REQUIRE(saved.size() == 1);
  const std::string& bytes = saved[0].second;
  Harness other("rule r when ping and no pong within 1h then send log {} end");
  // Cut anywhere (each cut in a buffer of its own, so that a sanitizer sees a read past it).
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    const std::unique_ptr<char[]> copy(new char[cut + 1]);
    std::memcpy(copy.get(), bytes.data(), cut);
    CHECK_THROWS_AS(other.engine->restore_user("u1", std::string_view(copy.get(), cut)),
                    UserBytesError);
  }
  CHECK_THROWS_AS(other.engine->restore_user("u1", bytes + "x"), UserBytesError);
  other.engine->restore_user("u1", bytes);
  other.until("2026-01-01T01:00:00Z");
  CHECK(other.text() == "r u1 2026-01-01T01:00:00.000Z p1\n");
}

}  // namespace spur::testing
