// Randomized differential tests (fixed seeds): random conditions over random events, the
// compiled evaluation (checker + compiler + engine) against a plain evaluation written
// here from language.md sections 4 and 13, sharing no code with the engine's values; and
// random rules with the options of section 14 (split, holdout, cooldown and limit `by`,
// goal) over random streams of many users, against a plain model of that section.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <random>
#include <variant>

#include "engine_harness.hpp"

namespace spur::testing {
namespace {

// A JSON-ish value of the reference evaluator.
struct RefValue;
using RefList = std::vector<RefValue>;
struct RefValue {
  std::variant<std::monostate, bool, double, std::string, RefList> v;
  bool is_null() const { return v.index() == 0; }
  bool is_true() const { return v.index() == 1 && std::get<bool>(v); }
};

bool ref_equal(const RefValue& a, const RefValue& b) {
  if (a.v.index() != b.v.index()) return false;
  if (a.v.index() == 4) {
    const RefList& x = std::get<RefList>(a.v);
    const RefList& y = std::get<RefList>(b.v);
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!ref_equal(x[i], y[i])) return false;
    }
    return true;
  }
  switch (a.v.index()) {
    case 0:
      return true;
    case 1:
      return std::get<bool>(a.v) == std::get<bool>(b.v);
    case 2:
      return std::get<double>(a.v) == std::get<double>(b.v);
    default:
      return std::get<std::string>(a.v) == std::get<std::string>(b.v);
  }
}

// -1/0/1, or 2 when the values do not order (section 4: numbers with numbers, strings
// with strings; anything else is false).
int ref_compare(const RefValue& a, const RefValue& b) {
  if (a.v.index() == 2 && b.v.index() == 2) {
    const double x = std::get<double>(a.v), y = std::get<double>(b.v);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.v.index() == 3 && b.v.index() == 3) {
    const int c = std::get<std::string>(a.v).compare(std::get<std::string>(b.v));
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  return 2;
}

bool ref_in(const RefValue& needle, const RefValue& haystack) {
  if (haystack.v.index() == 4) {
    for (const RefValue& item : std::get<RefList>(haystack.v)) {
      if (ref_equal(needle, item)) return true;
    }
    return false;
  }
  if (haystack.v.index() == 3 && needle.v.index() == 3) {
    return std::get<std::string>(haystack.v).find(std::get<std::string>(needle.v)) !=
           std::string::npos;
  }
  return false;
}

std::string text_of(const RefValue& v) {
  switch (v.v.index()) {
    case 0:
      return "null";
    case 1:
      return std::get<bool>(v.v) ? "true" : "false";
    case 2: {
      std::string s = std::to_string(std::get<double>(v.v));
      s.erase(s.find_last_not_of('0') + 1);
      if (s.back() == '.') s.pop_back();
      return s;
    }
    case 3:
      return "\"" + std::get<std::string>(v.v) + "\"";
    default: {
      std::string s = "[";
      for (const RefValue& item : std::get<RefList>(v.v))
        s += (s.size() > 1 ? ", " : "") + text_of(item);
      return s + "]";
    }
  }
}

// The expression tree of the generator: rule text and its plain evaluation.
struct Gen {
  enum Kind {
    kProp,
    kLit,
    kNot,
    kAnd,
    kOr,
    kCmp,
    kIn,
    kNotIn,
    kContains,
    kBetween,
    kIsNull,
    kArith
  };
  Kind kind;
  std::string op;  // comparison or arithmetic operator
  std::string prop;
  RefValue literal;
  std::vector<Gen> kids;

  std::string text() const {
    switch (kind) {
      case kProp:
        return "e." + prop;
      case kLit:
        return text_of(literal);
      case kNot:
        return "not (" + kids[0].text() + ")";
      case kAnd:
        return "(" + kids[0].text() + " and " + kids[1].text() + ")";
      case kOr:
        return "(" + kids[0].text() + " or " + kids[1].text() + ")";
      case kCmp:
      case kArith:
        return "(" + kids[0].text() + " " + op + " " + kids[1].text() + ")";
      case kIn:
        return "(" + kids[0].text() + " in " + kids[1].text() + ")";
      case kNotIn:
        return "(" + kids[0].text() + " not in " + kids[1].text() + ")";
      case kContains:
        return "(" + kids[0].text() + " contains " + kids[1].text() + ")";
      case kBetween:
        return "(" + kids[0].text() + " between " + kids[1].text() + " and " + kids[2].text() + ")";
      case kIsNull:
        return "(" + kids[0].text() + " is null)";
    }
    return "";
  }

  RefValue eval(const std::map<std::string, RefValue>& props) const {
    const auto b = [](bool x) { return RefValue{x}; };
    switch (kind) {
      case kProp: {
        const auto it = props.find(prop);
        return it == props.end() ? RefValue{} : it->second;
      }
      case kLit:
        return literal;
      case kNot:
        return b(!kids[0].eval(props).is_true());
      case kAnd:
        return b(kids[0].eval(props).is_true() && kids[1].eval(props).is_true());
      case kOr:
        return b(kids[0].eval(props).is_true() || kids[1].eval(props).is_true());
      case kCmp: {
        const RefValue x = kids[0].eval(props), y = kids[1].eval(props);
        if (op == "==") return b(ref_equal(x, y));
        if (op == "!=") return b(!ref_equal(x, y));
        const int c = ref_compare(x, y);
        if (c == 2) return b(false);
        return b(op == "<" ? c < 0 : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0);
      }
      case kIn:
        return b(ref_in(kids[0].eval(props), kids[1].eval(props)));
      case kNotIn:
        return b(!ref_in(kids[0].eval(props), kids[1].eval(props)));
      case kContains:
        return b(ref_in(kids[1].eval(props), kids[0].eval(props)));
      case kBetween: {
        const RefValue x = kids[0].eval(props);
        const int lo = ref_compare(x, kids[1].eval(props)),
                  hi = ref_compare(x, kids[2].eval(props));
        return b(lo != 2 && hi != 2 && lo >= 0 && hi <= 0);
      }
      case kIsNull:
        return b(kids[0].eval(props).is_null());
      case kArith: {
        const RefValue x = kids[0].eval(props), y = kids[1].eval(props);
        if (x.v.index() != 2 || y.v.index() != 2) return {};
        const double p = std::get<double>(x.v), q = std::get<double>(y.v);
        double r = op == "+"   ? p + q
                   : op == "-" ? p - q
                   : op == "*" ? p * q
                               : (q == 0 ? NAN : p / q);
        if (!std::isfinite(r)) return {};
        return RefValue{r};
      }
    }
    return {};
  }
};

class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  RefValue scalar() {
    switch (pick(5)) {
      case 0:
        return {};
      case 1:
        return RefValue{pick(2) == 0};
      case 2:
      case 3:
        return RefValue{static_cast<double>(pick(7) - 2)};
      default:
        return RefValue{std::string(1, static_cast<char>('a' + pick(3)))};
    }
  }
  RefValue value() {
    if (pick(5) > 0) return scalar();
    RefList items;
    for (int i = pick(3); i >= 0; --i)
      items.push_back(scalar());
    return RefValue{items};
  }
  Gen operand() {
    if (pick(3) == 0) return Gen{Gen::kLit, "", "", value(), {}};
    if (pick(5) == 0) {
      static const char* ops[] = {"+", "-", "*", "/"};
      return Gen{Gen::kArith, ops[pick(4)], "", {}, {operand(), operand()}};
    }
    return Gen{Gen::kProp, "", std::string(1, static_cast<char>('p' + pick(4))), {}, {}};
  }
  Gen condition(int depth) {
    const int k = depth > 2 ? 3 + pick(6) : pick(9);
    static const char* cmps[] = {"==", "!=", "<", "<=", ">", ">="};
    switch (k) {
      case 0:
        return Gen{Gen::kNot, "", "", {}, {condition(depth + 1)}};
      case 1:
        return Gen{Gen::kAnd, "", "", {}, {condition(depth + 1), condition(depth + 1)}};
      case 2:
        return Gen{Gen::kOr, "", "", {}, {condition(depth + 1), condition(depth + 1)}};
      case 3:
      case 4:
        return Gen{Gen::kCmp, cmps[pick(6)], "", {}, {operand(), operand()}};
      case 5:
        return Gen{pick(2) ? Gen::kIn : Gen::kNotIn, "", "", {}, {operand(), operand()}};
      case 6:
        return Gen{Gen::kContains, "", "", {}, {operand(), operand()}};
      case 7:
        return Gen{Gen::kBetween, "", "", {}, {operand(), operand(), operand()}};
      default:
        return Gen{Gen::kIsNull, "", "", {}, {operand()}};
    }
  }
  std::map<std::string, RefValue> event() {
    std::map<std::string, RefValue> props;
    for (const char* name : {"p", "q", "r", "s"}) {
      if (pick(4) > 0) props[name] = value();
    }
    return props;
  }

 private:
  std::mt19937 rng_;
};

std::string properties_json(const std::map<std::string, RefValue>& props) {
  std::string json = "{";
  for (const auto& [key, value] : props)
    json += (json.size() > 1 ? ", " : "") + ("\"" + key + "\": ") + text_of(value);
  return json + "}";
}

// bucket(kind, name, user) of language.md section 14, written again from its text.
uint32_t ref_bucket(const std::string& kind, const std::string& name, const std::string& user) {
  uint64_t hash = 14695981039346656037ULL;
  for (const char c : kind + "\x1f" + name + "\x1f" + user) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return static_cast<uint32_t>(hash % 10000);
}

// A random rule with section 14's options, and a plain model of what it does.
struct ExperimentRule {
  int holdout_percent = 0;        // 0: none
  std::vector<int> arm_percents;  // empty: no split
  int restriction = 0;            // 0: none; 1: cooldown by e.k; 2: limit 2 per W by e.k
  int64_t restriction_ms = 0;
  bool goal = false;
  bool goal_filtered = false;  // goal g[v > 1]
  int64_t goal_ms = 0;
  // `quiet HH:MM..HH:MM [drop]` in minutes of the day, in UTC (engine.timezone's default);
  // quiet_from < 0: none.
  int quiet_from = -1, quiet_to = 0;
  bool quiet_drop = false;
  std::optional<Gen> condition;

  static std::string clock(int minutes) {
    char text[16];
    std::snprintf(text, sizeof text, "%02d:%02d", minutes / 60, minutes % 60);
    return text;
  }

  std::string text() const {
    std::string out = "rule r\n";
    if (holdout_percent) out += "  holdout " + std::to_string(holdout_percent) + "%\n";
    if (quiet_from >= 0)
      out += "  quiet " + clock(quiet_from) + ".." + clock(quiet_to) + (quiet_drop ? " drop" : "") +
             "\n";
    const std::string period = std::to_string(restriction_ms / 60000) + "m";
    if (restriction == 1) out += "  cooldown " + period + " by e.k\n";
    if (restriction == 2) out += "  limit 2 per " + period + " by e.k\n";
    if (goal) {
      out += std::string("  goal g") + (goal_filtered ? "[v > 1]" : "") + " within " +
             std::to_string(goal_ms / 60000) + "m\n";
    }
    out += "when probe as e" + (condition ? " and " + condition->text() : std::string()) + "\n";
    out += "then\n";
    if (arm_percents.empty()) {
      out += "  send log\n";
    } else {
      out += "  split {\n";
      for (size_t i = 0; i < arm_percents.size(); ++i)
        out +=
            "    " + std::to_string(arm_percents[i]) + "%: send arm" + std::to_string(i + 1) + "\n";
      out += "  }\n";
    }
    return out + "end\n";
  }
};

// One firing or conversion as the model and the engine both describe it.
struct Outcome14 {
  std::string user;
  int64_t fired_ms = 0;
  int64_t converted_ms = -1;  // -1: a firing; else the goal event's time
  bool holdout = false;
  int arm = -1;              // -1: no arm drawn (no split, or held out)
  int64_t deferred_ms = -1;  // a deferred firing's activation time; -1: not deferred
  bool operator==(const Outcome14&) const = default;
};

std::string describe(const Outcome14& o) {
  return o.user + " fired " + std::to_string(o.fired_ms) +
         (o.deferred_ms >= 0 ? " deferred from " + std::to_string(o.deferred_ms) : "") +
         (o.converted_ms >= 0 ? " converted " + std::to_string(o.converted_ms) : "") +
         (o.holdout ? " holdout" : "") + " arm " + std::to_string(o.arm) + "\n";
}

class ExperimentModel {
 public:
  explicit ExperimentModel(const ExperimentRule& rule) : rule_(rule) {}

  // Before each event at t: the deferred firings due before t, in due order, then in the
  // order they were deferred (events at an instant come before its timers).
  void advance(int64_t t, std::vector<Outcome14>& out) {
    while (!deferred_.empty() && deferred_.begin()->first.first < t) {
      const auto [due_and_order, user] = *deferred_.begin();
      deferred_.erase(deferred_.begin());
      const Held held = held_.at(user);
      held_.erase(user);
      // Re-checked, then the agenda at the new time: the cooldown or limit there.
      if (!rule_.condition || rule_.condition->eval(held.props).is_true())
        admit(user, due_and_order.first, held.activated_ms, held.props, out);
    }
  }

  void probe(const std::string& user, int64_t t, const std::map<std::string, RefValue>& props,
             std::vector<Outcome14>& out) {
    if (rule_.condition && !rule_.condition->eval(props).is_true()) return;
    // Section 14: one deferred firing per rule and user; while it is held, also at the
    // instant it comes due, an activation is suppressed (quiet).
    if (held_.count(user) != 0) return;
    if (rule_.quiet_from >= 0) {
      constexpr int64_t kDay = 86'400'000;
      const int64_t of_day = ((t % kDay) + kDay) % kDay;
      const int64_t from = rule_.quiet_from * 60'000LL, to = rule_.quiet_to * 60'000LL;
      const bool inside = from < to ? of_day >= from && of_day < to : of_day >= from || of_day < to;
      if (inside) {
        if (rule_.quiet_drop) return;
        const int64_t due = t - of_day + to + (to <= of_day ? kDay : 0);
        held_[user] = {t, props};
        deferred_.emplace(std::pair(due, next_order_++), user);
        return;
      }
    }
    admit(user, t, -1, props, out);
  }

  // An activation past quiet hours at t (deferred from `deferred_ms`, or -1), through its
  // cooldown or limit.
  void admit(const std::string& user, int64_t t, int64_t deferred_ms,
             const std::map<std::string, RefValue>& props, std::vector<Outcome14>& out) {
    const auto k = props.find("k");
    const RefValue key = k == props.end() ? RefValue{} : k->second;
    std::vector<int64_t>* times = nullptr;
    if (rule_.restriction != 0) {
      auto& keyed = keyed_[user];
      auto it = std::find_if(keyed.begin(), keyed.end(),
                             [&](const auto& entry) { return ref_equal(entry.first, key); });
      if (it == keyed.end()) it = keyed.insert(keyed.end(), {key, {}});
      times = &it->second;
      // Section 13: a cooldown C blocks firings strictly before last + C; `limit n per W`
      // blocks a firing at t when n firings lie in (t - W, t].
      if (rule_.restriction == 1 && !times->empty() && t < times->back() + rule_.restriction_ms)
        return;
      if (rule_.restriction == 2 && std::count_if(times->begin(), times->end(), [&](int64_t f) {
                                      return f > t - rule_.restriction_ms && f <= t;
                                    }) >= 2) {
        return;
      }
    }
    if (times) times->push_back(t);
    Outcome14 firing{user, t, -1, false, -1, deferred_ms};
    firing.holdout =
        rule_.holdout_percent > 0 &&
        ref_bucket("holdout", "r", user) < static_cast<uint32_t>(rule_.holdout_percent * 100);
    if (!firing.holdout && !rule_.arm_percents.empty()) {
      const uint32_t b = ref_bucket("split", "r", user);
      uint32_t cumulative = 0;
      firing.arm = 0;
      for (size_t i = 0; i < rule_.arm_percents.size(); ++i) {
        cumulative += static_cast<uint32_t>(rule_.arm_percents[i] * 100);
        if (cumulative > b) {
          firing.arm = static_cast<int>(i + 1);
          break;
        }
      }
    }
    out.push_back(firing);
    if (rule_.goal) awaiting_[user].push_back(firing);
  }

  void goal_event(const std::string& user, int64_t t, const std::map<std::string, RefValue>& props,
                  std::vector<Outcome14>& out) {
    if (!rule_.goal) return;
    if (rule_.goal_filtered) {
      const auto v = props.find("v");
      if (v == props.end() || ref_compare(v->second, RefValue{1.0}) != 1) return;
    }
    auto& waiting = awaiting_[user];
    for (auto it = waiting.begin(); it != waiting.end();) {
      if (t > it->fired_ms && t <= it->fired_ms + rule_.goal_ms) {
        Outcome14 conversion = *it;
        conversion.converted_ms = t;
        out.push_back(conversion);
        it = waiting.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  struct Held {
    int64_t activated_ms = 0;
    std::map<std::string, RefValue> props;
  };
  const ExperimentRule& rule_;
  std::map<std::string, std::vector<std::pair<RefValue, std::vector<int64_t>>>> keyed_;
  std::map<std::string, std::vector<Outcome14>> awaiting_;
  std::map<std::string, Held> held_;                              // user -> its deferred firing
  std::map<std::pair<int64_t, uint64_t>, std::string> deferred_;  // (due, order) -> user
  uint64_t next_order_ = 0;
};

// The engine's side: firings and conversions in the order they are reported.
class ExperimentHarness : public Harness {
 public:
  using Harness::Harness;
  void on_firing(const Firing& f) override {
    Harness::on_firing(f);
    const FiringRecord& r = firings.back();
    Outcome14 o{r.user,    r.time_ms, -1,
                r.holdout, -1,        r.deferred_ms == Firing::kNotDeferred ? -1 : r.deferred_ms};
    if (!r.actions.empty() && r.actions.front().op == ActionOp::kSplit)
      o.arm = static_cast<int>(r.actions.front().value.as_number());
    fired_at[r.firing_id] = o;
    outcomes.push_back(o);
  }
  void on_conversion(const Conversion& c) override {
    char hex[16];
    write_firing_hex(c.firing_hash, hex);
    Outcome14 o = fired_at.at(std::string(hex, sizeof hex));
    o.converted_ms = c.time_ms;
    CHECK(o.holdout == c.holdout);
    CHECK(o.arm == c.arm);
    outcomes.push_back(o);
  }
  std::map<std::string, Outcome14> fired_at;
  std::vector<Outcome14> outcomes;
};

}  // namespace

TEST_CASE("differential: compiled conditions agree with a plain evaluation on random input") {
  int cases = 0, true_cases = 0;
  for (const unsigned seed : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u}) {
    Generator gen(seed);
    for (int rule = 0; rule < 60; ++rule) {
      const Gen condition = gen.condition(0);
      const std::string text =
          "rule r when probe as e and " + condition.text() + " then send log end\n";
      Harness h(text);
      for (int i = 0; i < 20; ++i) {
        const auto props = gen.event();
        const size_t before = h.firings.size();
        h.send(ev("probe", "u", "2026-01-01T10:00:00Z", properties_json(props)));
        const bool fired = h.firings.size() > before;
        INFO("seed " << seed << ": " << text << "event properties: " << properties_json(props));
        REQUIRE(fired == condition.eval(props).is_true());
        ++cases;
        true_cases += fired ? 1 : 0;
      }
    }
  }
  // Both outcomes must be well represented, or agreement would prove little.
  CHECK(true_cases > cases / 5);
  CHECK(true_cases < cases * 4 / 5);
  MESSAGE(true_cases << " of " << cases << " random cases were true");
}

TEST_CASE(
    "differential: split, holdout, keyed cooldowns and limits, goals, quiet hours on random "
    "streams") {
  size_t firings = 0, conversions = 0, held_out = 0, controls = 0, deferred = 0;
  for (const unsigned seed : {11u, 12u, 13u, 14u, 15u, 16u}) {
    Generator gen(seed);
    for (int round = 0; round < 20; ++round) {
      ExperimentRule rule;
      static const int kHoldouts[] = {0, 10, 25, 50};
      rule.holdout_percent = kHoldouts[gen.pick(4)];
      if (gen.pick(3) > 0)
        rule.arm_percents = gen.pick(2) ? std::vector{30, 50} : std::vector{50, 50};
      rule.restriction = gen.pick(3);
      static const int64_t kPeriods[] = {30 * 60000, 2 * 3600000, 24 * 3600000};
      rule.restriction_ms = kPeriods[gen.pick(3)];
      rule.goal = gen.pick(4) > 0;
      rule.goal_filtered = gen.pick(2) == 0;
      rule.goal_ms = kPeriods[gen.pick(3)];
      if (gen.pick(3) == 0) rule.condition = gen.condition(1);
      if (gen.pick(3) == 0) {  // on the quarter hours that the events hit
        rule.quiet_from = 15 * gen.pick(96);
        rule.quiet_to = (rule.quiet_from + 15 * (1 + gen.pick(95))) % 1440;
        rule.quiet_drop = gen.pick(4) == 0;
      }

      const std::string text = rule.text();
      ExperimentHarness h(text);
      ExperimentModel model(rule);
      std::vector<Outcome14> expected;
      int64_t t = *parse_rfc3339("2026-01-01T00:00:00Z");
      for (int i = 0; i < 300; ++i) {
        t += 15 * 60000LL * gen.pick(6);  // sometimes 0: events at one instant; boundaries hit
        const std::string user = "u" + std::to_string(gen.pick(12));
        auto props = gen.event();
        if (gen.pick(5) > 0) props["k"] = gen.scalar();
        const bool goal = gen.pick(10) < 3;
        if (goal) props["v"] = RefValue{static_cast<double>(gen.pick(4))};
        h.send(ev(goal ? "g" : "probe", user, format_rfc3339(t), properties_json(props),
                  "e" + std::to_string(i)));
        model.advance(t, expected);
        if (goal) {
          model.goal_event(user, t, props, expected);
        } else {
          model.probe(user, t, props, expected);
        }
      }
      std::string want, got;
      for (const Outcome14& o : expected)
        want += describe(o);
      for (const Outcome14& o : h.outcomes)
        got += describe(o);
      INFO("seed " << seed << ", rule:\n" << text);
      REQUIRE(got == want);
      for (const Outcome14& o : expected) {
        firings += o.converted_ms < 0 ? 1 : 0;
        conversions += o.converted_ms >= 0 ? 1 : 0;
        held_out += o.holdout && o.converted_ms < 0 ? 1 : 0;
        controls += o.arm == 0 && o.converted_ms < 0 ? 1 : 0;
        deferred += o.deferred_ms >= 0 && o.converted_ms < 0 ? 1 : 0;
      }
    }
  }
  // Every kind of outcome must be well represented, or agreement would prove little.
  CHECK(firings > 2000);
  CHECK(conversions > 300);
  CHECK(held_out > 200);
  CHECK(controls > 100);
  CHECK(deferred > 100);
  MESSAGE(firings << " firings, " << conversions << " conversions, " << held_out << " held out, "
                  << controls << " in control arms, " << deferred << " deferred");
}

}  // namespace spur::testing
