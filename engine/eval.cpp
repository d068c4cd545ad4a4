// The evaluator: one switch over the node's op; children by index.
#include "engine/eval.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>

#include "engine/functions.hpp"

namespace spur {
namespace {

using Kind = Value::Kind;

Value boolean(bool b) {
  return Value::boolean(b);
}

bool in(const Value& needle, const Value& haystack) {
  if (haystack.kind() == Kind::kList) {
    const List& items = haystack.as_list();
    return std::any_of(items.begin(), items.end(),
                       [&](const Value& v) { return equal(needle, v); });
  }
  if (haystack.kind() == Kind::kString && needle.kind() == Kind::kString) {
    return haystack.as_string().find(needle.as_string()) != std::string::npos;
  }
  return false;
}

Value arithmetic(Op op, const Value& a, const Value& b) {
  if (a.kind() == Kind::kNumber && b.kind() == Kind::kNumber) {
    const double x = a.as_number(), y = b.as_number();
    switch (op) {
      case Op::kAdd:
        return Value::number(x + y);
      case Op::kSub:
        return Value::number(x - y);
      case Op::kMul:
        return Value::number(x * y);
      default:
        return y == 0 ? Value() : Value::number(x / y);
    }
  }
  // Time arithmetic: time - time is a duration, time +- duration a time (strings holding
  // RFC 3339 times count as times where a time is expected).
  if (op == Op::kAdd || op == Op::kSub) {
    const bool time_a = a.kind() == Kind::kTime, time_b = b.kind() == Kind::kTime;
    // Operands are bounded (event times, durations, RFC 3339 years), so these cannot
    // overflow today; should one ever, the answer is null, not a wrapped time.
    int64_t out = 0;
    if (b.kind() == Kind::kDuration) {
      if (const auto t = time_of(a)) {
        const bool over = op == Op::kAdd ? __builtin_add_overflow(*t, b.as_duration(), &out)
                                         : __builtin_sub_overflow(*t, b.as_duration(), &out);
        return over ? Value() : Value::time(out);
      }
    }
    if (op == Op::kAdd && a.kind() == Kind::kDuration) {
      if (const auto t = time_of(b))
        return __builtin_add_overflow(*t, a.as_duration(), &out) ? Value() : Value::time(out);
    }
    if (op == Op::kSub && (time_a || time_b)) {
      const auto ta = time_of(a), tb = time_of(b);
      if (ta && tb) return __builtin_sub_overflow(*ta, *tb, &out) ? Value() : Value::duration(out);
    }
  }
  return Value();
}

bool in_window(const EvalContext& c, const PastPattern& p, int64_t t) {
  if (p.window == Window::kSession) return t >= c.session.begin && t <= c.session.end;
  return t > c.window_end_ms - p.length_ms && t <= c.window_end_ms;
}

Value past(const EvalContext& c, uint32_t index, bool aggregate) {
  const PastPattern& p = c.program->past[index];
  const Fifo<HistoryEntry>* found = c.user->events_named(p.event);
  double sum = 0, extreme = 0;
  int64_t count = 0;
  List distinct;
  if (found != nullptr) {
    for (const HistoryEntry& entry : *found) {
      if (!in_window(c, p, entry.time_ms)) continue;
      if (p.filter != kNoNode) {
        EvalContext inner = c;
        inner.candidate = &entry.properties;
        if (!holds(inner, p.filter)) continue;
      }
      if (p.aggregate == Aggregate::kAny) return boolean(true);
      if (p.aggregate == Aggregate::kCount) {
        ++count;
        continue;
      }
      const Value v = lookup(entry.properties, p.field);
      if (p.aggregate == Aggregate::kDistinct) {
        if (!v.is_null() && !in(v, Value::list(distinct))) distinct.push_back(v);
        continue;
      }
      if (v.kind() != Kind::kNumber) continue;  // non-numbers are skipped
      const double x = v.as_number();
      if (count == 0 || (p.aggregate == Aggregate::kMin && x < extreme) ||
          (p.aggregate == Aggregate::kMax && x > extreme)) {
        extreme = x;
      }
      sum += x;
      ++count;
    }
  }
  if (!aggregate) return boolean(false);
  switch (p.aggregate) {
    case Aggregate::kCount:
      return Value::number(static_cast<double>(count));
    case Aggregate::kSum:
      return Value::number(sum);
    case Aggregate::kAvg:
      return count ? Value::number(sum / static_cast<double>(count)) : Value();
    case Aggregate::kMin:
    case Aggregate::kMax:
      return count ? Value::number(extreme) : Value();
    case Aggregate::kDistinct:
      return Value::number(static_cast<double>(distinct.size()));
    case Aggregate::kAny:
      break;
  }
  return Value();
}

Value envelope(const EvalContext& c, Envelope which) {
  const UserState& u = *c.user;
  switch (which) {
    case Envelope::kTime:
      return c.trigger.event ? Value::time(c.trigger.event->time_ms) : Value();
    case Envelope::kUser:
      return c.trigger.event ? Value::string(c.trigger.event->user) : Value();
    case Envelope::kId:
      return c.trigger.event ? Value::string(c.trigger.event->id) : Value();
    case Envelope::kName:
      return c.trigger.event ? Value::string(c.trigger.event->name) : Value();
    case Envelope::kFirstSeen:
      return u.first_seen() ? Value::time(u.first_seen_ms) : Value();
    case Envelope::kLastSeen:
      return u.last_seen() ? Value::time(u.last_seen_ms) : Value();
  }
  return Value();
}

}  // namespace

std::vector<BoundModel> bind_models(const Program& program, const Scorers* scorers) {
  std::vector<BoundModel> out(program.models.size());
  if (scorers == nullptr) return out;
  for (size_t m = 0; m < program.models.size(); ++m) {
    const Program::Model& declared = program.models[m];
    const auto found = scorers->find(declared.name);
    if (found == scorers->end()) continue;
    BoundModel& bound = out[m];
    bound.scorer = found->second.get();
    const std::vector<std::string>& names = bound.scorer->inputs();
    if (names.empty()) {
      for (size_t f = 0; f < declared.features.size(); ++f)
        bound.inputs.push_back(static_cast<int32_t>(f));
      continue;
    }
    for (const std::string& name : names) {
      const auto at = std::find(declared.feature_names.begin(), declared.feature_names.end(), name);
      bound.inputs.push_back(at == declared.feature_names.end()
                                 ? -1
                                 : static_cast<int32_t>(at - declared.feature_names.begin()));
    }
  }
  return out;
}

Score score(const EvalContext& c, std::string_view model) {
  const int64_t index = c.program->model_index(model);
  if (index < 0) {
    const Value* scores = c.user->attributes.find("scores");
    const Value* value = scores != nullptr ? scores->find(model) : nullptr;
    return {value != nullptr ? *value : Value()};
  }
  const auto m = static_cast<size_t>(index);
  if (m >= c.models.size() || c.models[m].scorer == nullptr) return {};
  std::optional<Score>* cached = c.score_cache != nullptr && m < c.score_cache->values.size()
                                     ? &c.score_cache->values[m]
                                     : nullptr;
  if (cached != nullptr && cached->has_value()) return **cached;
  const std::vector<Value> values = model_features(c, m);
  Score out = c.models[m].scorer->score({c.user_id, c.clock_ms, values});
  if (cached != nullptr) *cached = out;
  return out;
}

std::vector<Value> model_features(const EvalContext& c, size_t model) {
  const BoundModel& bound = c.models[model];
  const Program::Model& declared = c.program->models[model];
  // Features read the user, not the trigger (the checker's kFeature place).
  EvalContext features = c;
  features.trigger = {};
  features.candidate = nullptr;
  std::vector<Value> values;
  values.reserve(bound.inputs.size());
  for (const int32_t input : bound.inputs) {
    values.push_back(input < 0 ? Value()
                               : evaluate(features, declared.features[static_cast<size_t>(input)]));
  }
  return values;
}

void freeze_past(const EvalContext& c, uint32_t index, FrozenValues& out) {
  const Node& n = c.program->nodes[index];
  if (n.op == Op::kPast || n.op == Op::kAggregate) {
    out.emplace_back(index, evaluate(c, index));
    return;
  }
  for (uint32_t i = 0; i < n.count; ++i)
    freeze_past(c, c.program->child(n, i), out);
}

Session session_at(const UserState& user, int64_t at, int64_t gap_ms, int64_t max_ms) {
  if (!user.activity) return Session{};
  const Fifo<int64_t>& times = user.activity->input_times;
  if (times.empty() || at - times.back() > gap_ms || times.back() <= at - max_ms) return Session{};
  // From the first input event of the run later than at - max_ms, through `at` itself
  // (section 13): a derived trigger's or a firing's time may follow the latest input.
  int64_t begin = times.back();
  for (auto it = times.rbegin() + 1; it != times.rend(); ++it) {
    if (begin - *it > gap_ms || *it <= at - max_ms) break;
    begin = *it;
  }
  return Session{begin, at};
}

namespace {

const Value kNull;

// The node's value without a copy where it already exists: a constant, a trigger slot,
// a profile or candidate path (none of them changes while a condition is evaluated).
// nullptr for a node whose value must be computed.
const Value* borrowed(const EvalContext& c, uint32_t index) {
  const Program& p = *c.program;
  const Node& n = p.nodes[index];
  const Value* found = nullptr;
  switch (n.op) {
    case Op::kConst:
      return &p.consts[n.a];
    case Op::kTriggerPath:
      found = c.trigger.slots ? c.trigger.slots[n.a] : nullptr;
      break;
    case Op::kProfilePath:
      found = find_path(c.user->attributes, p.paths[n.a]);
      break;
    case Op::kCandidatePath:
      found = c.candidate ? find_path(*c.candidate, p.paths[n.a]) : nullptr;
      break;
    default:
      return nullptr;
  }
  return found ? found : &kNull;
}

// The node's value, borrowed where it exists, else evaluated into `scratch`.
const Value& value_ref(const EvalContext& c, uint32_t index, Value& scratch) {
  if (const Value* v = borrowed(c, index)) return *v;
  scratch = evaluate(c, index);
  return scratch;
}

// Applies `test` to the node's first two operands; a Value is constructed only for an
// operand that is computed (the common `e.x > 3` borrows both).
template <typename Test>
bool test_operands(const EvalContext& c, const Node& n, Test test) {
  const Program& p = *c.program;
  const Value* a = borrowed(c, p.child(n, 0));
  const Value* b = borrowed(c, p.child(n, 1));
  if (a && b) return test(*a, *b);
  Value scratch_a, scratch_b;
  return test(a ? *a : value_ref(c, p.child(n, 0), scratch_a),
              b ? *b : value_ref(c, p.child(n, 1), scratch_b));
}

// `<` and the other orderings: false for values that have no order (section 13).
bool ordered(Op op, const std::optional<int>& r) {
  if (!r) return false;
  switch (op) {
    case Op::kLt:
      return *r < 0;
    case Op::kLe:
      return *r <= 0;
    case Op::kGt:
      return *r > 0;
    default:
      return *r >= 0;
  }
}

}  // namespace

bool holds(const EvalContext& c, uint32_t index) {
  const Program& p = *c.program;
  const Node& n = p.nodes[index];
  switch (n.op) {
    case Op::kNot:
      return !holds(c, p.child(n, 0));
    case Op::kAnd:
      for (uint32_t i = 0; i < n.count; ++i) {
        if (!holds(c, p.child(n, i))) return false;
      }
      return true;
    case Op::kOr:
      for (uint32_t i = 0; i < n.count; ++i) {
        if (holds(c, p.child(n, i))) return true;
      }
      return false;
    case Op::kEq:
      return test_operands(c, n, equal);
    case Op::kNe:
      return !test_operands(c, n, equal);
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe:
      return test_operands(c, n, [op = n.op](const Value& a, const Value& b) {
        // Numbers, the common case, without the general ordering's checks for times.
        if (a.kind() == Kind::kNumber && b.kind() == Kind::kNumber) {
          const double x = a.as_number(), y = b.as_number();
          return ordered(op, x < y ? -1 : (y < x ? 1 : 0));
        }
        return ordered(op, compare(a, b));
      });
    case Op::kIn:
      return test_operands(c, n, in);
    case Op::kNotIn:
      return !test_operands(c, n, in);
    case Op::kContains:
      return test_operands(c, n, [](const Value& a, const Value& b) { return in(b, a); });
    case Op::kBetween: {
      Value scratch0, scratch1, scratch2;
      const Value& v = value_ref(c, p.child(n, 0), scratch0);
      return ordered(Op::kGe, compare(v, value_ref(c, p.child(n, 1), scratch1))) &&
             ordered(Op::kLe, compare(v, value_ref(c, p.child(n, 2), scratch2)));
    }
    case Op::kMatches: {
      Value scratch;
      const Value& v = value_ref(c, p.child(n, 0), scratch);
      return v.kind() == Kind::kString && re2::RE2::PartialMatch(v.as_string(), *p.regexes[n.a]);
    }
    case Op::kIsNull:
    case Op::kIsNotNull: {
      Value scratch;
      return value_ref(c, p.child(n, 0), scratch).is_null() == (n.op == Op::kIsNull);
    }
    default:
      return evaluate(c, index).is_true();
  }
}

Value evaluate(const EvalContext& c, uint32_t index) {
  const Program& p = *c.program;
  const Node& n = p.nodes[index];
  const auto arg = [&](uint32_t i) { return evaluate(c, p.child(n, i)); };
  switch (n.op) {
    case Op::kConst:
    case Op::kTriggerPath:
    case Op::kProfilePath:
    case Op::kCandidatePath: {
      Value scratch;
      return value_ref(c, index, scratch);
    }
    case Op::kTriggerEnvelope:
    case Op::kProfileEnvelope:
      return envelope(c, static_cast<Envelope>(n.a));
    case Op::kProfileSegments: {
      List names;
      for (const uint32_t s : c.user->segments())
        names.push_back(Value::string(p.segments[s].name));
      return Value::list(std::move(names));
    }
    case Op::kList: {
      List items;
      for (uint32_t i = 0; i < n.count; ++i)
        items.push_back(arg(i));
      return Value::list(std::move(items));
    }
    case Op::kObject: {
      Object members;
      for (uint32_t i = 0; i < n.count; ++i)
        members.emplace_back(p.keys[n.a + i], arg(i));
      return Value::object(std::move(members));
    }
    case Op::kNot:
    case Op::kAnd:
    case Op::kOr:
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe:
    case Op::kIn:
    case Op::kNotIn:
    case Op::kContains:
    case Op::kBetween:
    case Op::kMatches:
    case Op::kIsNull:
    case Op::kIsNotNull:
      return boolean(holds(c, index));
    case Op::kNeg: {
      const Value v = arg(0);
      return v.kind() == Kind::kNumber ? Value::number(-v.as_number()) : Value();
    }
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kDiv:
      return arithmetic(n.op, arg(0), arg(1));
    case Op::kCall: {
      std::vector<Value> args;
      for (uint32_t i = 0; i < n.count; ++i)
        args.push_back(arg(i));
      if (static_cast<Function>(n.a) == Function::kScore) {
        return args[0].kind() == Kind::kString ? score(c, args[0].as_string()).value : Value();
      }
      return call(static_cast<Function>(n.a), args, c.clock_ms);
    }
    case Op::kPast:
    case Op::kAggregate: {
      if (c.frozen) {
        for (const auto& [node, value] : *c.frozen) {
          if (node == index) return value;
        }
      }
      return past(c, n.a, n.op == Op::kAggregate);
    }
  }
  return Value();
}

}  // namespace spur
