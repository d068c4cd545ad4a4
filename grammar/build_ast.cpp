// Parse tree -> AST. The shapes of the nodes follow the selector in peg_tree.hpp.
#include <charconv>
#include <cmath>

#include "grammar/lexical.hpp"
#include "grammar/peg_tree.hpp"

namespace spur::grammar::peg {

namespace {

// Free nodes, linked through their first bytes.
struct FreeNode {
  FreeNode* next;
};
// A thread's free nodes go back to the heap when the thread ends: the server parses on
// threads that come and go (reload, validate), and would leak them otherwise.
struct FreeList {
  FreeNode* head = nullptr;
  ~FreeList() {
    while (head != nullptr) {
      FreeNode* next = head->next;
      ::operator delete(head);
      head = next;
    }
  }
};
thread_local FreeList free_nodes;

}  // namespace

void* Node::operator new(std::size_t size) {
  if (size == sizeof(Node) && free_nodes.head != nullptr) {
    FreeNode* node = free_nodes.head;
    free_nodes.head = node->next;
    return node;
  }
  return ::operator new(size);
}

void Node::operator delete(void* node, std::size_t size) noexcept {
  if (size != sizeof(Node)) {
    ::operator delete(node);
    return;
  }
  free_nodes.head = new (node) FreeNode{free_nodes.head};
}

namespace {

using ast::BinaryOp;
using ast::Expr;
using ast::ExprKind;

class Builder {
 public:
  Builder(const char* base, uint32_t file, Diagnostics& diagnostics)
      : base_(base), file_(file), diagnostics_(diagnostics) {}

  ast::Declaration declaration(const Node& n);

 private:
  Span span(const Node& n) const {
    return Span{file_, static_cast<uint32_t>(n.m_begin.data - base_),
                static_cast<uint32_t>(n.m_end.data - base_)};
  }
  // The span of the keyword that starts the node.
  Span keyword_span(const Node& n) const {
    Span s = span(n);
    s.end = s.begin;
    while (base_ + s.end < n.m_end.data && lexical::is_identifier_char(base_[s.end]))
      ++s.end;
    return s;
  }
  // The span from the node's opening bracket to its closing `close`, which follows
  // `last_end` after layout (white space, comments).
  Span bracketed(const Node& n, uint32_t last_end, char close) const;

  ast::Name name(const Node& n) const { return {n.string(), span(n)}; }
  ast::EventName event_name(const Node& n);
  std::string string_value(const Node& n);
  double number_value(const Node& n);
  ast::Duration duration_value(const Node& n);
  int64_t integer_value(const Node& n);
  std::optional<std::string> title_of(const Node& n, size_t& next);

  Expr expr_of(const Node& n);
  Expr chain_of(const Node& n, BinaryOp op);
  Expr arithmetic_of(const Node& n);
  Expr comparison_of(const Node& n);
  Expr pattern_of(const Node& n);
  Expr aggregate_of(const Node& n);
  Expr leaf_of(const Node& n);
  void window_of(const Node& n, Expr& e);

  ast::Const const_decl_of(const Node& n);
  Expr const_literal_of(const Node& n);
  ast::Group group_decl_of(const Node& n);
  ast::Segment segment_decl_of(const Node& n);
  ast::Model model_decl_of(const Node& n);
  ast::EventDecl event_decl_of(const Node& n);
  ast::Rule rule_decl_of(const Node& n);
  ast::RuleOption rule_option_of(const Node& n);
  ast::Trigger trigger_of(const Node& n);
  ast::Action action_of(const Node& n);
  ast::Limit limit_of(const Node& count, const Node& period);
  // The `by EXPR` of a cooldown or limit option: its child at `at`, when there is one.
  ast::RestrictionKey key_of(const Node& option, size_t at);
  ast::Quiet quiet_of(const Node& option);

  const char* base_;
  uint32_t file_;
  Diagnostics& diagnostics_;
  // Depth of the AST being built. The grammar bounds nesting (kMaxNesting), but a chain
  // such as 1 + 1 + ... parses flat and folds into a left-deep tree; every later pass
  // recurses over the tree, so its depth is bounded here.
  size_t depth_ = 0;
};

Span Builder::bracketed(const Node& n, uint32_t last_end, char close) const {
  const char* p = base_ + last_end;
  const char* end = n.m_end.data;
  while (p < end && *p != close) {
    if (*p == '#') {
      while (p < end && *p != '\n')
        ++p;
    } else {
      ++p;
    }
  }
  const auto stop = static_cast<uint32_t>(p - base_ + (p < end ? 1 : 0));
  return Span{file_, static_cast<uint32_t>(n.m_begin.data - base_), stop};
}

ast::EventName Builder::event_name(const Node& n) {
  if (n.is_type<string_literal>()) return {string_value(n), span(n)};
  return {n.string(), span(n)};
}

std::string Builder::string_value(const Node& n) {
  const std::string_view quoted = n.string_view();
  size_t error_offset = 0;
  std::string error;
  auto value = lexical::unescape(quoted.substr(1, quoted.size() - 2), error_offset, error);
  if (!value) {
    const auto at = static_cast<uint32_t>(n.m_begin.data - base_ + 1 + error_offset);
    diagnostics_.error(Span{file_, at, at + 2}, error,
                       "the escapes are \\\" \\\\ \\n \\t and \\uXXXX (a surrogate pair for "
                       "code points above U+FFFF)");
    return {};
  }
  return std::move(*value);
}

double Builder::number_value(const Node& n) {
  std::string_view text = n.string_view();
  if (!text.empty() && text.back() == '%') text.remove_suffix(1);
  double value = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  if (r.ec != std::errc() || !std::isfinite(value)) {
    diagnostics_.error(span(n), "number out of range", "numbers are IEEE doubles");
    return 0;
  }
  return value;
}

ast::Duration Builder::duration_value(const Node& n) {
  std::string error;
  const auto ms = lexical::parse_duration(n.string_view(), error);
  if (!ms) diagnostics_.error(span(n), error);
  return {ms.value_or(0), ms.has_value(), n.string(), span(n)};
}

int64_t Builder::integer_value(const Node& n) {
  const std::string_view text = n.string_view();
  int64_t value = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  if (r.ec != std::errc()) diagnostics_.error(span(n), "whole number out of range");
  return value;
}

std::optional<std::string> Builder::title_of(const Node& n, size_t& next) {
  if (next < n.children.size() && n.children[next]->is_type<string_literal>()) {
    return string_value(*n.children[next++]);
  }
  return std::nullopt;
}

// ---- Expressions -----------------------------------------------------------------------

// Deepest AST the builder makes; deeper expressions are an error.
constexpr size_t kMaxExprDepth = 256;

// Adds `levels` to a depth counter for the lifetime of the guard.
class DepthGuard {
 public:
  DepthGuard(size_t& depth, size_t levels) : depth_(depth), levels_(levels) { depth_ += levels_; }
  ~DepthGuard() { depth_ -= levels_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  size_t& depth_;
  size_t levels_;
};

Expr Builder::expr_of(const Node& n) {
  if (depth_ >= kMaxExprDepth) {
    diagnostics_.error(span(n), "expression nested too deeply",
                       "at most " + std::to_string(kMaxExprDepth) +
                           " levels; break long chains of `+ - * /` into several conditions");
    Expr null;
    null.span = span(n);
    return null;
  }
  const DepthGuard guard(depth_, 1);
  if (n.is_type<or_expr>()) return chain_of(n, BinaryOp::kOr);
  if (n.is_type<and_expr>() || n.is_type<or_operand>()) return chain_of(n, BinaryOp::kAnd);
  if (n.is_type<comparison>()) return comparison_of(n);
  if (n.is_type<sum>() || n.is_type<operand>() || n.is_type<product>()) return arithmetic_of(n);
  if (n.is_type<not_expr>() || n.is_type<no_expr>() || n.is_type<negation>()) {
    Expr e;
    e.kind = n.is_type<not_expr>()  ? ExprKind::kNot
             : n.is_type<no_expr>() ? ExprKind::kNo
                                    : ExprKind::kNeg;
    e.children.push_back(expr_of(*n.children.front()));
    e.span = cover(span(n), e.children.front().span);
    e.span.begin = static_cast<uint32_t>(n.m_begin.data - base_);
    const Expr& operand = e.children.front();
    if (e.kind == ExprKind::kNeg && operand.kind == ExprKind::kNumber && !operand.parens) {
      Expr folded = operand;  // `-5` is the literal -5
      folded.number = -folded.number;
      folded.span = e.span;
      return folded;
    }
    return e;
  }
  if (n.is_type<paren>()) {
    Expr e = expr_of(*n.children.front());
    e.parens = true;
    e.span = bracketed(n, e.span.end, ')');
    return e;
  }
  if (n.is_type<list>()) {
    Expr e;
    e.kind = ExprKind::kList;
    for (const auto& child : n.children)
      e.children.push_back(expr_of(*child));
    e.span = bracketed(n, e.children.empty() ? span(n).begin + 1 : e.children.back().span.end, ']');
    return e;
  }
  if (n.is_type<object>() || n.is_type<action_object>()) {
    Expr e;
    e.kind = ExprKind::kObject;
    for (const auto& entry : n.children) {
      const Node& key = *entry->children[0];
      e.keys.push_back(
          {key.is_type<string_literal>() ? string_value(key) : key.string(), span(key)});
      e.children.push_back(expr_of(*entry->children[1]));
    }
    e.span = bracketed(n, e.children.empty() ? span(n).begin + 1 : e.children.back().span.end, '}');
    return e;
  }
  if (n.is_type<path>() || n.is_type<target_path>()) {
    Expr e;
    e.kind = ExprKind::kPath;
    for (const auto& part : n.children) {
      ast::PathMember member{part->string(), part->is_type<envelope_name>(), span(*part)};
      if (member.envelope) --member.span.begin;  // include the `@`
      e.path.push_back(std::move(member));
    }
    e.span = cover(e.path.front().span, e.path.back().span);
    return e;
  }
  if (n.is_type<call>()) {
    Expr e;
    e.kind = ExprKind::kCall;
    e.text = n.children.front()->string();
    e.name_span = span(*n.children.front());
    for (size_t i = 1; i < n.children.size(); ++i)
      e.children.push_back(expr_of(*n.children[i]));
    e.span = bracketed(n, e.children.empty() ? e.name_span.end : e.children.back().span.end, ')');
    return e;
  }
  if (n.is_type<pattern>() || n.is_type<no_pattern>()) return pattern_of(n);
  if (n.is_type<aggregate>()) return aggregate_of(n);
  return leaf_of(n);
}

Expr Builder::leaf_of(const Node& n) {
  Expr e;
  e.span = span(n);
  if (n.is_type<string_literal>()) {
    e.kind = ExprKind::kString;
    e.text = string_value(n);
  } else if (n.is_type<number>() || n.is_type<percent>()) {
    e.kind = ExprKind::kNumber;
    e.percent = n.is_type<percent>();
    e.number = number_value(n);
    if (e.percent) {
      e.text = n.string();  // printed as written: 7% is not exactly 0.07 * 100
      e.text.pop_back();
      e.number /= 100;
    }
  } else if (n.is_type<duration>()) {
    e.kind = ExprKind::kDuration;
    e.duration = duration_value(n);
  } else if (n.is_type<true_literal>() || n.is_type<false_literal>()) {
    e.kind = ExprKind::kBool;
    e.boolean = n.is_type<true_literal>();
  } else {
    e.kind = ExprKind::kNull;  // null_literal: the only leaf left
  }
  return e;
}

Expr Builder::chain_of(const Node& n, BinaryOp op) {
  if (n.children.size() == 1) return expr_of(*n.children.front());
  Expr e;
  e.kind = ExprKind::kBinary;
  e.op = op;
  for (const auto& child : n.children)
    e.children.push_back(expr_of(*child));
  e.span = cover(e.children.front().span, e.children.back().span);
  return e;
}

Expr Builder::arithmetic_of(const Node& n) {
  // k operators fold into a tree k levels deep above the operands.
  const DepthGuard guard(depth_, n.children.size() / 2);
  if (depth_ >= kMaxExprDepth) return expr_of(n);  // reports the error once
  Expr left = expr_of(*n.children.front());
  for (size_t i = 1; i + 1 < n.children.size(); i += 2) {
    const char symbol = n.children[i]->string_view().front();
    Expr e;
    e.kind = ExprKind::kBinary;
    e.op = symbol == '+'   ? BinaryOp::kAdd
           : symbol == '-' ? BinaryOp::kSub
           : symbol == '*' ? BinaryOp::kMul
                           : BinaryOp::kDiv;
    e.children.push_back(std::move(left));
    e.children.push_back(expr_of(*n.children[i + 1]));
    e.span = cover(e.children.front().span, e.children.back().span);
    left = std::move(e);
  }
  return left;
}

Expr Builder::comparison_of(const Node& n) {
  Expr left = expr_of(*n.children.front());
  if (n.children.size() == 1) return left;
  const Node& tail = *n.children[1];
  Expr e;
  e.children.push_back(std::move(left));
  if (tail.is_type<compare_tail>()) {
    const std::string_view symbol = tail.children[0]->string_view();
    e.kind = ExprKind::kBinary;
    e.op = symbol == "=="   ? BinaryOp::kEq
           : symbol == "!=" ? BinaryOp::kNe
           : symbol == "<=" ? BinaryOp::kLe
           : symbol == ">=" ? BinaryOp::kGe
           : symbol == "<"  ? BinaryOp::kLt
                            : BinaryOp::kGt;
    e.name_span = span(*tail.children[0]);
    e.children.push_back(expr_of(*tail.children[1]));
  } else if (tail.is_type<in_tail>() || tail.is_type<not_in_tail>() ||
             tail.is_type<contains_tail>()) {
    e.kind = ExprKind::kBinary;
    e.op = tail.is_type<in_tail>()       ? BinaryOp::kIn
           : tail.is_type<not_in_tail>() ? BinaryOp::kNotIn
                                         : BinaryOp::kContains;
    e.children.push_back(expr_of(*tail.children[0]));
  } else if (tail.is_type<between_tail>()) {
    e.kind = ExprKind::kBetween;
    e.children.push_back(expr_of(*tail.children[0]));
    e.children.push_back(expr_of(*tail.children[1]));
  } else if (tail.is_type<matches_tail>()) {
    e.kind = ExprKind::kMatches;
    e.text = string_value(*tail.children[0]);
    e.name_span = span(*tail.children[0]);
    e.span = cover(e.children.front().span, e.name_span);
    return e;
  } else {
    e.kind = ExprKind::kIsNull;  // is_null_tail
    e.negated = !tail.children.empty();
    e.span = cover(e.children.front().span, span(tail));
    return e;
  }
  e.span = cover(e.children.front().span, e.children.back().span);
  return e;
}

void Builder::window_of(const Node& n, Expr& e) {
  if (n.is_type<within_window>()) {
    e.window = ast::WindowKind::kWithin;
  } else if (n.is_type<last_window>()) {
    e.window = ast::WindowKind::kLast;
  } else {
    e.window = ast::WindowKind::kSession;
    e.window_length.span = span(n);
    return;
  }
  e.window_length = duration_value(*n.children.front());
}

Expr Builder::pattern_of(const Node& n) {
  Expr e;
  e.kind = ExprKind::kPattern;
  e.event = event_name(*n.children.front());
  size_t next = 1;
  if (n.children[next]->is_type<filter>()) {
    e.has_filter = true;
    e.children.push_back(expr_of(*n.children[next++]->children.front()));
  }
  window_of(*n.children[next], e);
  e.span = cover(e.event.span, e.window_length.span);
  return e;
}

Expr Builder::aggregate_of(const Node& n) {
  Expr e;
  e.kind = ExprKind::kAggregate;
  const std::string_view fn = n.children.front()->string_view();
  e.aggregate = fn == "count" ? ast::AggregateFn::kCount
                : fn == "sum" ? ast::AggregateFn::kSum
                : fn == "avg" ? ast::AggregateFn::kAvg
                : fn == "min" ? ast::AggregateFn::kMin
                : fn == "max" ? ast::AggregateFn::kMax
                              : ast::AggregateFn::kDistinct;
  e.name_span = span(*n.children.front());
  e.event = event_name(*n.children[1]);
  size_t next = 2;
  if (n.children[next]->is_type<filter>()) {
    e.has_filter = true;
    e.children.push_back(expr_of(*n.children[next++]->children.front()));
  }
  while (n.children[next]->is_type<word>())
    e.field.push_back(name(*n.children[next++]));
  window_of(*n.children[next], e);
  e.span = bracketed(n, e.window_length.span.end, ')');
  return e;
}

// ---- Declarations ----------------------------------------------------------------------

Expr Builder::const_literal_of(const Node& n) {
  if (n.is_type<literal_list>()) {
    Expr e;
    e.kind = ExprKind::kList;
    for (const auto& item : n.children)
      e.children.push_back(const_literal_of(*item));
    e.span = bracketed(n, e.children.empty() ? span(n).begin + 1 : e.children.back().span.end, ']');
    return e;
  }
  if (n.is_type<negative_number>()) {
    Expr e = leaf_of(*n.children.front());
    e.number = -e.number;
    e.span = span(n);
    return e;
  }
  return leaf_of(n);
}

ast::Const Builder::const_decl_of(const Node& n) {
  return ast::Const{name(*n.children[0]), const_literal_of(*n.children[1]), span(n)};
}

ast::Limit Builder::limit_of(const Node& count, const Node& period) {
  if (period.is_type<session_period>()) {
    return ast::Limit{
        integer_value(count), span(count),
        ast::Duration{.ms = 0, .valid = false, .text = "session", .span = span(period)}, true};
  }
  return ast::Limit{integer_value(count), span(count), duration_value(period), false};
}

ast::RestrictionKey Builder::key_of(const Node& option, size_t at) {
  if (option.children.size() <= at) return std::nullopt;
  return expr_of(*option.children[at]);
}

ast::Quiet Builder::quiet_of(const Node& option) {
  ast::Quiet q;
  for (size_t i = 0; i < 2; ++i) {
    const std::string_view text = option.children[i]->string_view();
    const size_t colon = text.find(':');
    int hours = 0, minutes = 0;
    std::from_chars(text.data(), text.data() + colon, hours);
    std::from_chars(text.data() + colon + 1, text.data() + text.size(), minutes);
    if (hours > 23 || minutes > 59) {
      diagnostics_.error(span(*option.children[i]), "not a time of day",
                         "write hours 00-23 and minutes 00-59, such as `22:00`");
    } else if (colon != 2) {
      // The grammar reads one digit too, so that `9:00` gets this hint, not a syntax error.
      diagnostics_.error(span(*option.children[i]), "a time of day is written `HH:MM`",
                         "write the hour with two digits: `0" + std::string(text) + "`");
    }
    (i == 0 ? q.from : q.to) = ast::TimeOfDay{hours * 60 + minutes, span(*option.children[i])};
  }
  for (size_t i = 2; i < option.children.size(); ++i) {
    const Node& part = *option.children[i];
    if (part.is_type<quiet_drop>()) {
      q.drop = true;
    } else {
      q.zone = expr_of(part);
    }
  }
  return q;
}

ast::Group Builder::group_decl_of(const Node& n) {
  ast::Group g;
  g.name = name(*n.children[0]);
  g.span = span(n);
  size_t next = 1;
  g.title = title_of(n, next);
  for (; next < n.children.size(); ++next) {
    const Node& option = *n.children[next];
    ast::GroupOption o;
    o.span = keyword_span(option);
    if (option.is_type<group_cooldown>()) {
      o.kind = ast::GroupOptionKind::kCooldown;
      o.cooldown = duration_value(*option.children[0]);
      o.by = key_of(option, 1);
    } else if (option.is_type<group_limit>()) {
      o.kind = ast::GroupOptionKind::kLimit;
      o.limit = limit_of(*option.children[0], *option.children[1]);
      o.by = key_of(option, 2);
    } else if (option.is_type<group_quiet>()) {
      o.kind = ast::GroupOptionKind::kQuiet;
      o.quiet = quiet_of(option);
    } else if (option.is_type<group_holdout>()) {
      o.kind = ast::GroupOptionKind::kHoldout;
      o.holdout = number_value(*option.children[0]);
      o.value_span = span(*option.children[0]);
    }
    g.options.push_back(o);
  }
  return g;
}

ast::Segment Builder::segment_decl_of(const Node& n) {
  ast::Segment s;
  s.name = name(*n.children[0]);
  s.span = span(n);
  size_t next = 1;
  s.title = title_of(n, next);
  s.condition = expr_of(*n.children[next]);
  return s;
}

ast::Model Builder::model_decl_of(const Node& n) {
  ast::Model m;
  m.name = name(*n.children[0]);
  m.span = span(n);
  size_t next = 1;
  m.title = title_of(n, next);
  for (; next < n.children.size(); ++next) {
    const Node& feature = *n.children[next];
    m.features.push_back({name(*feature.children[0]), expr_of(*feature.children[1])});
  }
  return m;
}

ast::EventDecl Builder::event_decl_of(const Node& n) {
  ast::EventDecl e;
  e.name = event_name(*n.children[0]);
  e.span = span(n);
  size_t next = 1;
  e.title = title_of(n, next);
  for (; next < n.children.size(); ++next) {
    const Node& property = *n.children[next];
    const ast::EventName property_name = event_name(*property.children[0]);
    e.properties.push_back({{property_name.text, property_name.span}, name(*property.children[1])});
  }
  return e;
}

ast::RuleOption Builder::rule_option_of(const Node& n) {
  using ast::RuleOptionKind;
  ast::RuleOption o;
  o.span = keyword_span(n);
  if (!n.children.empty()) o.value_span = span(*n.children.front());
  if (n.is_type<option_priority>()) {
    o.kind = RuleOptionKind::kPriority;
    o.priority = integer_value(*n.children[0]);
  } else if (n.is_type<option_group>() || n.is_type<option_pending>()) {
    o.kind = n.is_type<option_group>() ? RuleOptionKind::kGroup : RuleOptionKind::kPending;
    o.name = name(*n.children[0]);
  } else if (n.is_type<option_cooldown>()) {
    o.kind = RuleOptionKind::kCooldown;
    o.cooldown = duration_value(*n.children[0]);
    o.by = key_of(n, 1);
  } else if (n.is_type<option_limit>()) {
    o.kind = RuleOptionKind::kLimit;
    o.limit = limit_of(*n.children[0], *n.children[1]);
    o.by = key_of(n, 2);
  } else if (n.is_type<option_disabled>()) {
    o.kind = RuleOptionKind::kDisabled;
  } else if (n.is_type<option_quiet>()) {
    o.kind = RuleOptionKind::kQuiet;
    o.quiet = quiet_of(n);
  } else if (n.is_type<option_goal>()) {
    o.kind = RuleOptionKind::kGoal;
    o.goal = pattern_of(*n.children[0]);
  } else {
    o.kind = RuleOptionKind::kHoldout;  // option_holdout
    o.holdout = number_value(*n.children[0]);
  }
  return o;
}

ast::Trigger Builder::trigger_of(const Node& n) {
  ast::Trigger t;
  t.decide = n.is_type<decide_trigger>();
  t.span = span(n);
  for (const auto& child : n.children) {
    if (child->is_type<alias>()) {
      t.alias = name(*child->children.front());
    } else {
      t.events.push_back(event_name(*child));
    }
  }
  t.span = cover(t.events.front().span, t.alias ? t.alias->span : t.events.back().span);
  return t;
}

ast::Action Builder::action_of(const Node& n) {
  using ast::ActionKind;
  ast::Action a;
  a.span = keyword_span(n);
  if (n.is_type<action_send>() || n.is_type<action_emit>()) {
    a.kind = n.is_type<action_send>() ? ActionKind::kSend : ActionKind::kEmit;
    const ast::EventName target = event_name(*n.children[0]);
    a.target = {target.text, target.span};
    if (n.children.size() > 1) a.value = expr_of(*n.children[1]);
  } else if (n.is_type<action_set>()) {
    a.kind = ActionKind::kSet;
    a.path = expr_of(*n.children[0]);
    a.value = expr_of(*n.children[1]);
  } else if (n.is_type<action_unset>()) {
    a.kind = ActionKind::kUnset;
    a.path = expr_of(*n.children[0]);
  } else if (n.is_type<action_increment>()) {
    a.kind = ActionKind::kIncrement;
    a.path = expr_of(*n.children[0]);
    if (n.children.size() > 1) a.value = expr_of(*n.children[1]->children.front());
  } else if (n.is_type<action_respond>()) {
    a.kind = ActionKind::kRespond;
    a.value = expr_of(*n.children[0]);
  } else if (n.is_type<action_if>()) {
    a.kind = ActionKind::kIf;
    // Children: the condition, the first branch's actions, then `else if` and `else`.
    ast::IfBranch first{expr_of(*n.children[0]), a.span, {}};
    a.branches.push_back(std::move(first));
    for (size_t i = 1; i < n.children.size(); ++i) {
      const Node& child = *n.children[i];
      if (child.is_type<else_if>() || child.is_type<else_branch>()) {
        ast::IfBranch branch;
        branch.span = keyword_span(child);
        size_t next = 0;
        if (child.is_type<else_if>()) branch.condition = expr_of(*child.children[next++]);
        for (; next < child.children.size(); ++next)
          branch.actions.push_back(action_of(*child.children[next]));
        a.branches.push_back(std::move(branch));
      } else {
        a.branches.front().actions.push_back(action_of(child));
      }
    }
  } else {
    a.kind = ActionKind::kSplit;  // action_split
    for (const auto& arm_node : n.children) {
      ast::SplitArm arm;
      arm.span = span(*arm_node->children[0]);
      arm.percent = number_value(*arm_node->children[0]);
      for (size_t i = 1; i < arm_node->children.size(); ++i) {
        arm.actions.push_back(action_of(*arm_node->children[i]));
      }
      a.arms.push_back(std::move(arm));
    }
  }
  return a;
}

ast::Rule Builder::rule_decl_of(const Node& n) {
  ast::Rule r;
  r.name = name(*n.children[0]);
  r.span = span(n);
  size_t next = 1;
  r.title = title_of(n, next);
  for (; next < n.children.size(); ++next) {
    const Node& child = *n.children[next];
    if (child.is_type<decide_trigger>() || child.is_type<event_trigger>()) {
      r.trigger = trigger_of(child);
    } else if (child.is_type<rule_condition>()) {
      r.condition = expr_of(*child.children.front());
    } else if (r.trigger.events.empty()) {
      r.options.push_back(rule_option_of(child));
    } else {
      r.actions.push_back(action_of(child));
    }
  }
  return r;
}

ast::Declaration Builder::declaration(const Node& n) {
  if (n.is_type<rule_decl>()) return rule_decl_of(n);
  if (n.is_type<group_decl>()) return group_decl_of(n);
  if (n.is_type<segment_decl>()) return segment_decl_of(n);
  if (n.is_type<model_decl>()) return model_decl_of(n);
  if (n.is_type<event_decl>()) return event_decl_of(n);
  return const_decl_of(n);
}

}  // namespace

ast::Declaration build_declaration(const Node& declaration, const char* text_begin, uint32_t file,
                                   Diagnostics& diagnostics) {
  return Builder(text_begin, file, diagnostics).declaration(declaration);
}

}  // namespace spur::grammar::peg
