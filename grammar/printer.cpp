#include "grammar/printer.hpp"

#include "grammar/comments.hpp"
#include "grammar/lexical.hpp"

namespace spur {
namespace {

using ast::BinaryOp;
using ast::Expr;
using ast::ExprKind;

// Binding strength, loosest first; a child printed where a stronger one is required gets
// parentheses.
enum Precedence { kOr = 1, kAnd, kUnary, kCompare, kSum, kProduct, kNegation, kPrimary };

int precedence(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kBinary:
      switch (e.op) {
        case BinaryOp::kOr:
          return kOr;
        case BinaryOp::kAnd:
          return kAnd;
        case BinaryOp::kAdd:
        case BinaryOp::kSub:
          return kSum;
        case BinaryOp::kMul:
        case BinaryOp::kDiv:
          return kProduct;
        default:
          return kCompare;
      }
    case ExprKind::kNot:
    case ExprKind::kNo:
      return kUnary;
    case ExprKind::kBetween:
    case ExprKind::kMatches:
    case ExprKind::kIsNull:
      return kCompare;
    case ExprKind::kNeg:
      return kNegation;
    case ExprKind::kNumber:
      return e.number < 0 ? kNegation : kPrimary;
    default:
      return kPrimary;
  }
}

std::string key_text(const std::string& key) {
  const bool word =
      !key.empty() && lexical::is_identifier_start(key[0]) &&
      key.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
          std::string::npos;
  return word ? key : lexical::quote(key);
}

class Printer {
 public:
  std::string out;
  // The source's comments, to put back where they stood (print_with_comments); none when
  // printing an AST alone. Invariant: comments[next_comment..] are not printed yet.
  std::string_view source;
  std::vector<Comment> comments;
  size_t next_comment = 0;

  // Puts a trailing comment at the end of the line printed last (which ends with '\n').
  void append_to_last_line(const std::string& comment) {
    out.insert(out.size() - 1, "  " + comment);
  }

  // The comments before offset `at` of the source, printed before the line of what starts
  // there: a trailing one at the end of the line printed last, the others on lines of
  // their own, indented by `indent`.
  void comments_before(uint32_t at, std::string_view indent) {
    for (; next_comment < comments.size() && comments[next_comment].offset < at; ++next_comment) {
      const Comment& c = comments[next_comment];
      if (c.trailing && out.ends_with('\n') && !out.ends_with("\n\n")) {
        append_to_last_line(c.text);
        continue;
      }
      if (indent.empty() && c.blank_before && !out.empty() && !out.ends_with("\n\n")) out += '\n';
      out += indent;
      out += c.text;
      out += '\n';
    }
  }

  // After the line of an item that ends at offset `end`: the comments inside it, and the
  // one that trails it on its last source line.
  void comments_within(uint32_t end, std::string_view indent) {
    comments_before(end, indent);
    if (next_comment == comments.size() || !comments[next_comment].trailing) return;
    // Only blanks and a separating comma between the item and the comment: no other code.
    const Comment& c = comments[next_comment];
    const std::string_view gap = source.substr(end, c.offset - std::min<size_t>(end, c.offset));
    if (out.empty() || gap.find_first_not_of(" \t,") != std::string_view::npos) return;
    append_to_last_line(c.text);
    ++next_comment;
  }

  // Before a declaration that starts at `at`: the trailing comment of the one before, the
  // empty line between declarations, the comments above it, and the empty line after them
  // when the source has one.
  void comments_before_declaration(uint32_t at) {
    for (; !out.empty() && next_comment < comments.size() && comments[next_comment].offset < at &&
           comments[next_comment].trailing;
         ++next_comment) {
      append_to_last_line(comments[next_comment].text);
    }
    if (at == UINT32_MAX && next_comment == comments.size()) return;  // end of file
    if (!out.empty()) out += '\n';
    const size_t first = next_comment;
    comments_before(at, "");
    if (next_comment > first && blank_line_between(source, comments[next_comment - 1].end, at)) {
      out += '\n';
    }
  }

  // Where the keyword of `length` bytes that ends the code before offset `at` starts
  // (`when` before a trigger, `end` closing a declaration): blanks and comments between
  // are skipped. Spans of declarations run on over the blanks and comments after `end`.
  uint32_t keyword_before(uint32_t at, uint32_t length) const {
    if (comments.empty()) return at;
    size_t p = std::min<size_t>(at, source.size());
    size_t c = comments.size();
    while (p > 0) {
      while (c > 0 && comments[c - 1].offset >= p)
        --c;
      if (c > 0 && comments[c - 1].end >= p) {
        p = comments[c - 1].offset;
      } else if (source[p - 1] == ' ' || source[p - 1] == '\t' || source[p - 1] == '\r' ||
                 source[p - 1] == '\n') {
        --p;
      } else {
        break;
      }
    }
    return static_cast<uint32_t>(p >= length ? p - length : 0);
  }

  // The `end` line of a declaration, after the comments that stand before it.
  void end_line(Span span) {
    comments_before(keyword_before(span.end, 3), "  ");
    out += "end\n";
  }

  void expr(const Expr& e, int required = kOr) {
    const bool parens = e.parens || precedence(e) < required;
    if (parens) out += '(';
    bare(e);
    if (parens) out += ')';
  }

  void declaration(const ast::Declaration& d) {
    std::visit([this](const auto& x) { decl(x); }, d);
  }

  // A top-level `and` chain, one operand per line, the first preceded by `first_prefix`.
  void and_lines(const Expr& e, const char* first_prefix) {
    const bool chain = e.kind == ExprKind::kBinary && e.op == BinaryOp::kAnd && !e.parens;
    if (!chain) {
      comments_before(e.span.begin, "  ");
      out += first_prefix;
      expr(e, kAnd);
      out += '\n';
      comments_within(e.span.end, "  ");
      return;
    }
    const char* prefix = first_prefix;
    for (const Expr& operand : e.children) {
      comments_before(operand.span.begin, "  ");
      out += prefix;
      expr(operand, kUnary);
      out += '\n';
      comments_within(operand.span.end, "  ");
      prefix = "  and ";
    }
  }

 private:
  void list(const std::vector<Expr>& items) {
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out += ", ";
      expr(items[i]);
    }
  }

  void window(const Expr& e) {
    switch (e.window) {
      case ast::WindowKind::kWithin:
        out += " within " + e.window_length.text;
        break;
      case ast::WindowKind::kLast:
        out += " in last " + e.window_length.text;
        break;
      case ast::WindowKind::kSession:
        out += " in session";
        break;
    }
  }

  void filter(const Expr& e) {
    if (!e.has_filter) return;
    out += '[';
    expr(e.children.front());
    out += ']';
  }

  void bare(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kNumber:
        if (e.percent) {
          out += (e.number < 0 ? "-" : "") + e.text + "%";
        } else {
          out += lexical::format_number(e.number);
        }
        break;
      case ExprKind::kString:
        out += lexical::quote(e.text);
        break;
      case ExprKind::kDuration:
        out += e.duration.text;
        break;
      case ExprKind::kBool:
        out += e.boolean ? "true" : "false";
        break;
      case ExprKind::kNull:
        out += "null";
        break;
      case ExprKind::kList:
        out += '[';
        list(e.children);
        out += ']';
        break;
      case ExprKind::kObject:
        if (e.children.empty()) {
          out += "{}";
          break;
        }
        out += "{ ";
        for (size_t i = 0; i < e.children.size(); ++i) {
          if (i) out += ", ";
          out += key_text(e.keys[i].text) + ": ";
          expr(e.children[i]);
        }
        out += " }";
        break;
      case ExprKind::kPath:
        for (size_t i = 0; i < e.path.size(); ++i) {
          if (i) out += e.path[i].envelope ? ".@" : ".";
          out += e.path[i].name;
        }
        break;
      case ExprKind::kCall:
        out += e.text + "(";
        list(e.children);
        out += ')';
        break;
      case ExprKind::kNot:
        out += "not ";
        expr(e.children.front(), kUnary);
        break;
      case ExprKind::kNo:
        out += "no ";
        bare(e.children.front());
        break;
      case ExprKind::kNeg:
        out += '-';
        expr(e.children.front(), kPrimary);
        break;
      case ExprKind::kBinary:
        binary(e);
        break;
      case ExprKind::kBetween:
        expr(e.children[0], kSum);
        out += " between ";
        expr(e.children[1], kSum);
        out += " and ";
        expr(e.children[2], kSum);
        break;
      case ExprKind::kMatches:
        expr(e.children[0], kSum);
        out += " matches " + lexical::quote(e.text);
        break;
      case ExprKind::kIsNull:
        expr(e.children[0], kSum);
        out += e.negated ? " is not null" : " is null";
        break;
      case ExprKind::kPattern:
        out += lexical::quote_if_needed(e.event.text);
        filter(e);
        window(e);
        break;
      case ExprKind::kAggregate:
        out +=
            std::string(aggregate_name(e.aggregate)) + "(" + lexical::quote_if_needed(e.event.text);
        filter(e);
        for (const ast::Name& part : e.field)
          out += "." + part.text;
        window(e);
        out += ')';
        break;
    }
  }

  void binary(const Expr& e) {
    const int level = precedence(e);
    if (level == kOr || level == kAnd) {
      for (size_t i = 0; i < e.children.size(); ++i) {
        if (i) out += std::string(" ") + operator_text(e.op) + " ";
        expr(e.children[i], level + 1);
      }
      return;
    }
    // Comparisons take sums on both sides; arithmetic is left-associative, so the right
    // operand needs a strictly stronger binding.
    expr(e.children[0], level == kCompare ? kSum : level);
    out += std::string(" ") + operator_text(e.op) + " ";
    expr(e.children[1], level == kCompare ? kSum : level + 1);
  }

  void title(const std::optional<std::string>& t) {
    if (!t) return;
    out += ' ';
    out += lexical::quote(*t);
  }

  void decl(const ast::Const& c) {
    out += "const " + c.name.text + " = ";
    expr(c.value);
    out += '\n';
  }

  void decl(const ast::Group& g) {
    out += "group " + g.name.text;
    title(g.title);
    out += '\n';
    for (const ast::GroupOption& o : g.options) {
      comments_before(o.span.begin, "  ");
      switch (o.kind) {
        case ast::GroupOptionKind::kExclusive:
          out += "  exclusive\n";
          break;
        case ast::GroupOptionKind::kCooldown:
          out += "  cooldown " + o.cooldown.text;
          key(o.by);
          break;
        case ast::GroupOptionKind::kLimit:
          limit(o.limit);
          key(o.by);
          break;
        case ast::GroupOptionKind::kQuiet:
          quiet(o.quiet);
          break;
        case ast::GroupOptionKind::kHoldout:
          out += "  holdout " + lexical::format_number(o.holdout) + "%\n";
          break;
      }
      comments_within(o.span.end, "  ");
    }
    end_line(g.span);
  }

  // Without the line's end, which key() writes after the `by` it may add.
  void limit(const ast::Limit& l) {
    out += "  limit " + std::to_string(l.count) + " per " + l.period.text;
  }
  void quiet(const ast::Quiet& q) {
    out += "  quiet " + clock(q.from) + ".." + clock(q.to);
    if (q.zone) {
      out += " in ";
      expr(*q.zone);
    }
    out += q.drop ? " drop\n" : "\n";
  }
  void key(const ast::RestrictionKey& by) {
    if (by) {
      out += " by ";
      expr(*by);
    }
    out += '\n';
  }

  void decl(const ast::Segment& s) {
    out += "segment " + s.name.text;
    title(s.title);
    out += "\nwhen\n";
    and_lines(s.condition, "  ");
    end_line(s.span);
  }

  void decl(const ast::Model& m) {
    out += "model " + m.name.text;
    title(m.title);
    out += "\n  features {\n";
    for (const ast::Feature& f : m.features) {
      comments_before(f.name.span.begin, "    ");
      out += "    " + f.name.text + ": ";
      expr(f.value);
      out += ",\n";
      comments_within(f.value.span.end, "    ");
    }
    out += "  }\n";
    end_line(m.span);
  }

  void decl(const ast::EventDecl& e) {
    out += "event " + lexical::quote_if_needed(e.name.text);
    title(e.title);
    out += '\n';
    for (const ast::EventProperty& p : e.properties) {
      comments_before(p.name.span.begin, "  ");
      out += "  " + (p.name.text == "end" ? lexical::quote(p.name.text) : key_text(p.name.text)) +
             ": " + p.type.text + "\n";
    }
    end_line(e.span);
  }

  static std::string clock(const ast::TimeOfDay& t) {
    const auto two_digits = [](int n) {
      return std::string(n < 10 ? "0" : "") + std::to_string(n);
    };
    return two_digits(t.minutes / 60) + ":" + two_digits(t.minutes % 60);
  }

  void decl(const ast::Rule& r) {
    using ast::RuleOptionKind;
    out += "rule " + r.name.text;
    title(r.title);
    out += '\n';
    for (const ast::RuleOption& o : r.options) {
      comments_before(o.span.begin, "  ");
      switch (o.kind) {
        case RuleOptionKind::kPriority:
          out += "  priority " + std::to_string(o.priority) + "\n";
          break;
        case RuleOptionKind::kGroup:
          out += "  group " + o.name.text + "\n";
          break;
        case RuleOptionKind::kCooldown:
          out += "  cooldown " + o.cooldown.text;
          key(o.by);
          break;
        case RuleOptionKind::kLimit:
          limit(o.limit);
          key(o.by);
          break;
        case RuleOptionKind::kPending:
          out += "  pending " + o.name.text + "\n";
          break;
        case RuleOptionKind::kDisabled:
          out += "  disabled\n";
          break;
        case RuleOptionKind::kGoal:
          out += "  goal ";
          expr(*o.goal);
          out += '\n';
          break;
        case RuleOptionKind::kQuiet:
          quiet(o.quiet);
          break;
        case RuleOptionKind::kHoldout:
          out += "  holdout " + lexical::format_number(o.holdout) + "%\n";
          break;
      }
      comments_within(o.span.end, "  ");
    }
    comments_before(keyword_before(r.trigger.span.begin, 4), "");
    out += "when\n";
    comments_before(r.trigger.span.begin, "  ");
    out += "  ";
    if (r.trigger.decide) out += "decide ";
    for (size_t i = 0; i < r.trigger.events.size(); ++i) {
      if (i) out += " | ";
      out += lexical::quote_if_needed(r.trigger.events[i].text);
    }
    if (r.trigger.alias) out += " as " + r.trigger.alias->text;
    out += '\n';
    comments_within(r.trigger.span.end, "  ");
    if (r.condition) and_lines(*r.condition, "  and ");
    comments_before(keyword_before(r.actions.front().span.begin, 4), "");
    out += "then\n";
    for (const ast::Action& a : r.actions)
      action(a, "  ");
    end_line(r.span);
  }

  void action(const ast::Action& a, const std::string& indent) {
    using ast::ActionKind;
    comments_before(a.span.begin, indent);
    out += indent;
    switch (a.kind) {
      case ActionKind::kSend:
      case ActionKind::kEmit:
        out += a.kind == ActionKind::kSend ? "send " + a.target.text
                                           : "emit " + lexical::quote_if_needed(a.target.text);
        if (a.value) {
          out += ' ';
          expr(*a.value);
        }
        break;
      case ActionKind::kSet:
        out += "set ";
        expr(*a.path);
        out += " = ";
        expr(*a.value);
        break;
      case ActionKind::kUnset:
        out += "unset ";
        expr(*a.path);
        break;
      case ActionKind::kIncrement:
        out += "increment ";
        expr(*a.path);
        if (a.value) {
          out += " by ";
          expr(*a.value);
        }
        break;
      case ActionKind::kRespond:
        out += "respond ";
        expr(*a.value);
        break;
      case ActionKind::kIf:
        for (size_t i = 0; i < a.branches.size(); ++i) {
          const ast::IfBranch& branch = a.branches[i];
          if (i > 0) {
            comments_before(branch.span.begin, indent + "  ");
            out += indent + "else";
          }
          if (branch.condition) {
            out += i > 0 ? " if " : "if ";
            expr(*branch.condition);
            out += " then";
          }
          out += '\n';
          for (const ast::Action& inner : branch.actions)
            action(inner, indent + "  ");
        }
        out += indent + "end";
        break;
      case ActionKind::kSplit:
        out += "split {\n";
        for (const ast::SplitArm& arm : a.arms) {
          comments_before(arm.span.begin, indent + "  ");
          out += indent + "  " + lexical::format_number(arm.percent) + "%:\n";
          for (const ast::Action& inner : arm.actions)
            action(inner, indent + "    ");
        }
        out += indent + "}";
        break;
    }
    out += '\n';
  }
};

}  // namespace

const char* operator_text(ast::BinaryOp op) {
  switch (op) {
    case ast::BinaryOp::kOr:
      return "or";
    case ast::BinaryOp::kAnd:
      return "and";
    case ast::BinaryOp::kEq:
      return "==";
    case ast::BinaryOp::kNe:
      return "!=";
    case ast::BinaryOp::kLt:
      return "<";
    case ast::BinaryOp::kLe:
      return "<=";
    case ast::BinaryOp::kGt:
      return ">";
    case ast::BinaryOp::kGe:
      return ">=";
    case ast::BinaryOp::kIn:
      return "in";
    case ast::BinaryOp::kNotIn:
      return "not in";
    case ast::BinaryOp::kContains:
      return "contains";
    case ast::BinaryOp::kAdd:
      return "+";
    case ast::BinaryOp::kSub:
      return "-";
    case ast::BinaryOp::kMul:
      return "*";
    case ast::BinaryOp::kDiv:
      return "/";
  }
  return "?";
}

const char* aggregate_name(ast::AggregateFn fn) {
  switch (fn) {
    case ast::AggregateFn::kCount:
      return "count";
    case ast::AggregateFn::kSum:
      return "sum";
    case ast::AggregateFn::kAvg:
      return "avg";
    case ast::AggregateFn::kMin:
      return "min";
    case ast::AggregateFn::kMax:
      return "max";
    case ast::AggregateFn::kDistinct:
      return "distinct";
  }
  return "?";
}

std::string print(const ast::File& file) {
  Printer p;
  for (size_t i = 0; i < file.declarations.size(); ++i) {
    if (i) p.out += '\n';
    p.declaration(file.declarations[i]);
  }
  return std::move(p.out);
}

std::string print_with_comments(const ast::File& file, std::string_view source) {
  Printer p;
  p.source = source;
  p.comments = find_comments(source);
  for (const ast::Declaration& d : file.declarations) {
    p.comments_before_declaration(std::visit([](const auto& x) { return x.span.begin; }, d));
    p.declaration(d);
  }
  if (p.next_comment < p.comments.size()) p.comments_before_declaration(UINT32_MAX);
  return std::move(p.out);
}

std::string print(const ast::Declaration& declaration) {
  Printer p;
  p.declaration(declaration);
  return std::move(p.out);
}

std::string print(const ast::Expr& expr) {
  Printer p;
  p.expr(expr);
  return std::move(p.out);
}

}  // namespace spur
