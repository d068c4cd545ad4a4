// A pending match as one allocation (engine/pending_match.hpp) and the value bytes it
// keeps its trigger in (engine/value_bytes.hpp): what goes in comes back out.
#include "engine/pending_match.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/value_bytes.hpp"

namespace spur {
namespace {

Value round_trip(const Value& v) {
  std::string bytes;
  append_value_bytes(bytes, v);
  const char* p = bytes.data();
  Value back = read_value_bytes(p);
  CHECK(p == bytes.data() + bytes.size());  // the whole encoding read, nothing more
  return back;
}

// Equal under `==` and of the same kind (`==` alone takes a time for its RFC 3339 text).
void check_same(const Value& a, const Value& b) {
  CHECK(a.kind() == b.kind());
  CHECK(equal(a, b));
}

PendingContents sample(size_t patterns) {
  PendingContents c;
  c.id = 42;
  c.rule = 7;
  c.trigger_ms = 1'700'000'000'000;
  c.trigger_id = "cart-12345";
  c.trigger_time_ms = c.trigger_ms;
  c.held.assign((patterns + 63) / 64, 0);
  c.slots = {{0, Value::string("sku123")}, {5, Value::number(19.5)}};
  return c;
}

}  // namespace

TEST_CASE("value bytes give back every kind of value, nested, long and short") {
  const Value nested =
      Value::object({{"a", Value::list({Value::number(-1.25), Value(), Value::boolean(true)})},
                     {"long key of more than fifteen bytes", Value::string(std::string(300, 'x'))},
                     {"é\"\\", Value::object({{"t", Value::time(1'700'000'000'123)}})}});
  for (const Value& v : {Value(), Value::boolean(false), Value::boolean(true), Value::number(0),
                         Value::number(-1e300), Value::number(1.0 / 3), Value::string(""),
                         Value::string("fr"), Value::string(std::string(16, 'y')), Value::time(-5),
                         Value::duration(86'400'000), Value::list({}), Value::object({}), nested}) {
    CAPTURE(v.kind());
    check_same(round_trip(v), v);
  }
  const Value back = round_trip(nested);
  CHECK(back.as_object()[1].first == "long key of more than fifteen bytes");
  CHECK(back.as_object()[2].second.find("t")->kind() == Value::Kind::kTime);
}

TEST_CASE("varints round-trip at the edges of their byte counts") {
  for (const uint64_t n : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{16'383},
                           uint64_t{16'384}, uint64_t{1} << 35, ~uint64_t{0}}) {
    std::string bytes;
    append_varint(bytes, n);
    const char* p = bytes.data();
    CHECK(read_varint(p) == n);
    CHECK(p == bytes.data() + bytes.size());
  }
}

TEST_CASE("a pending match gives back what it was made of") {
  std::string scratch;
  PendingContents c = sample(2);
  c.frozen = {{3, Value::number(4)}, {9, Value::list({Value::string("a")})}};
  SUBCASE("the trigger's time and name when they are kept") {
    c.trigger_name = "add_to_cart";
    c.trigger_time_ms = c.trigger_ms - 5'000;  // a late event: handled after its time
  }
  SUBCASE("without them") {}
  const PendingMatch::Ptr m = PendingMatch::make(c, scratch);
  CHECK(m->id() == 42);
  CHECK(m->rule() == 7);
  CHECK(m->trigger_ms() == c.trigger_ms);
  CHECK(m->trigger_id() == "cart-12345");
  PendingContents back;
  back.slots = {{1, Value::string("stale")}};  // decode replaces what was there
  m->decode(back);
  CHECK(back.id == c.id);
  CHECK(back.rule == c.rule);
  CHECK(back.trigger_id == c.trigger_id);
  CHECK(back.trigger_name == c.trigger_name);
  CHECK(back.trigger_time_ms == c.trigger_time_ms);
  CHECK(back.held == c.held);
  REQUIRE(back.slots.size() == 2);
  CHECK(back.slots[0].first == 0);
  check_same(back.slots[0].second, c.slots[0].second);
  CHECK(back.slots[1].first == 5);
  check_same(back.slots[1].second, c.slots[1].second);
  REQUIRE(back.frozen.size() == 2);
  CHECK(back.frozen[1].first == 9);
  check_same(back.frozen[1].second, c.frozen[1].second);
}

TEST_CASE("a match's patterns are all held exactly when each one is, past 64 too") {
  std::string scratch;
  for (const size_t count : {1, 63, 64, 65, 130}) {
    CAPTURE(count);
    const PendingMatch::Ptr m = PendingMatch::make(sample(count), scratch);
    // Held from the last to the first: all_held must not hold until the first is.
    for (size_t p = count; p-- > 0;) {
      CHECK_FALSE(m->all_held(count));
      CHECK_FALSE(m->held(p));
      m->hold(p);
      CHECK(m->held(p));
    }
    CHECK(m->all_held(count));
    CHECK(m->trigger_id() == "cart-12345");  // the bits did not run into the bytes after
  }
}

TEST_CASE("a pending list keeps creation order through takes and erasures") {
  std::string scratch;
  PendingList list;
  CHECK(list.empty());
  for (uint64_t id = 1; id <= 5; ++id) {
    PendingContents c = sample(1);
    c.id = id;
    c.rule = static_cast<uint32_t>(id % 2);
    list.push_back(PendingMatch::make(c, scratch));
  }
  const auto ids = [&list] {
    std::vector<uint64_t> out;
    for (const PendingMatch& m : list)
      out.push_back(m.id());
    return out;
  };
  CHECK(list.size() == 5);
  const PendingMatch::Ptr last = list.take(*std::next(list.begin(), 4));
  CHECK(last->id() == 5);
  CHECK(ids() == std::vector<uint64_t>{1, 2, 3, 4});
  list.push_back(PendingMatch::make(sample(1), scratch));  // after the new tail
  CHECK(ids() == std::vector<uint64_t>{1, 2, 3, 4, 42});
  CHECK(list.erase_if([](const PendingMatch& m) { return m.rule() == 1; }) == 2);
  CHECK(ids() == std::vector<uint64_t>{2, 4, 42});
  PendingList moved = std::move(list);
  CHECK(list.empty());  // NOLINT(bugprone-use-after-move): a moved-from list is empty
  list = std::move(moved);
  CHECK(ids() == std::vector<uint64_t>{2, 4, 42});
  while (!list.empty())
    list.take(*list.begin());
  list.push_back(PendingMatch::make(sample(1), scratch));  // head and tail both reset
  CHECK(ids() == std::vector<uint64_t>{42});
}

}  // namespace spur
