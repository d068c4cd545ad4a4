// Which grammar rules become parse-tree nodes, and the parse tree -> AST conversion.
//
// Private to spur_grammar. Leaves are the tokens whose text the AST needs (names,
// literals, operators); inner nodes are the productions whose shape the AST keeps.
// Rules that only wrap another for the sake of an error message (`operand`,
// `or_operand`, `no_pattern`, `target_path`, `action_object`) are selected as well,
// because a derived rule type is a different node type, and they convert like their base.
#pragma once

#include <tao/pegtl/contrib/parse_tree.hpp>

#include "grammar/ast.hpp"
#include "grammar/diagnostic.hpp"
#include "grammar/peg_grammar.hpp"

namespace spur::grammar::peg {

template <typename Rule>
using selector = parse_tree::selector<
    Rule,
    parse_tree::store_content::on<
        // leaves
        ident, word, call_name, member_name, envelope_name, string_literal, number, percent,
        duration, session_period, integer, negative_number, true_literal, false_literal,
        null_literal, clock_time, compare_symbol, mul_symbol, add_symbol, aggregate_function,
        is_not,
        // expressions
        or_expr, or_operand, and_expr, not_expr, no_expr, comparison, compare_tail, not_in_tail,
        in_tail, between_tail, contains_tail, matches_tail, is_null_tail, sum, operand, product,
        negation, paren, list, object, action_object, object_entry, path, target_path, call,
        pattern, no_pattern, filter, within_window, last_window, session_window, aggregate,
        // declarations
        const_decl, literal_list, group_decl, group_exclusive, group_cooldown, group_limit,
        group_holdout, group_quiet, quiet_drop, segment_decl, model_decl, feature, event_decl,
        event_property, rule_decl, option_priority, option_group, option_cooldown, option_limit,
        option_pending, option_disabled, option_quiet, option_holdout, option_goal, goal_pattern,
        decide_trigger, event_trigger, alias, rule_condition, action_send, action_set, action_unset,
        action_increment, increment_by, action_emit, action_respond, action_split, split_arm,
        action_if, else_if, else_branch>>;

// A parse-tree node whose memory comes from a per-thread free list. The parser creates
// and drops a node for every attempt of a selected rule, and malloc/free were most of
// the cost of `spur check` (docs/performance.md). Nodes freed on one thread are reused by
// the same thread only; the list never shrinks, its size is the peak number of live nodes.
struct Node : parse_tree::basic_node<Node> {
  static void* operator new(std::size_t size);
  static void operator delete(void* node, std::size_t size) noexcept;
};

// Converts the parse tree of one `declaration`. Problems inside tokens that the grammar
// accepts (a bad escape, a duration's unit order, a number out of range) are reported to
// `diagnostics`; the declaration is still returned.
ast::Declaration build_declaration(const Node& declaration, const char* text_begin, uint32_t file,
                                   Diagnostics& diagnostics);

}  // namespace spur::grammar::peg
