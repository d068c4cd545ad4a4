// Randomized differential test (fixed seeds): random conditions over random events, the
// compiled evaluation (checker + compiler + engine) against a plain evaluation written
// here from language.md sections 4 and 13, sharing no code with the engine's values.
#include <doctest/doctest.h>

#include <cmath>
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

}  // namespace spur::testing
