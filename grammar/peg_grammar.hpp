// The PEGTL grammar of the rule language (language.md sections 2-8, 13).
//
// Private to spur_grammar: only parse.cpp and build_ast.cpp include it. Conventions:
// - Every token rule is followed by `skip` (white space and comments) through tok<>, so
//   a rule starts at a token and the parse tree's leaf nodes span exactly their token.
// - Every must<> point has a message in peg_errors.hpp; the build fails otherwise.
// - Productions are shaped to avoid deep backtracking: a pattern (`purchase within 24h`)
//   is tried before a path because both start with a name, and the cheap check for the
//   window keyword decides.
// - Recursion through parentheses, `not`, lists, objects and calls is bounded by
//   nest<> (limit_depth), so hostile input cannot overflow the stack.
#pragma once

#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/analyze_traits.hpp>
#include <tao/pegtl/contrib/limit_depth.hpp>

#include "grammar/lexical.hpp"

namespace spur::grammar::peg {

using namespace tao::pegtl;  // NOLINT(google-build-using-namespace): grammar DSL

// Deepest nesting of parentheses, lists, objects, calls and `not`s.
inline constexpr std::size_t kMaxNesting = 64;

// seq<R...> that counts its nesting in the input and raises past kMaxNesting, like
// PEGTL's limit_depth (which cannot be used in a parse tree: it has no subs_t).
template <typename... R>
struct nest {
  using rule_t = nest;
  using subs_t = type_list<R...>;

  template <apply_mode A, rewind_mode M, template <typename...> class Action,
            template <typename...> class Control, typename ParseInput, typename... States>
  [[nodiscard]] static bool match(ParseInput& in, States&&... st) {
    const internal::depth_guard guard(in.private_depth);
    if (in.private_depth > kMaxNesting) {
      throw parse_error("nesting too deep", in);
    }
    return Control<seq<R...>>::template match<A, M, Action, Control>(in, st...);
  }
};

// ---- Layout ----------------------------------------------------------------------------

struct comment : seq<one<'#'>, until<eolf>> {};
struct layout : sor<plus<space>, comment> {};
struct skip : star<layout> {};
template <typename R>
struct tok : seq<R, skip> {};
// Like must<R>, but the error points where R started rather than where it stopped.
template <typename R>
struct expect : sor<R, raise<R>> {};
// R, tried only where the lookahead Peek matches. Peek must use no selected rule: rules
// selected for the parse tree make nodes even inside at<>. The parse tree allocates a
// node at the start of every attempt of a selected rule, so cheap guards in front of the
// alternatives that usually fail pay for themselves (docs/performance.md).
template <typename Peek, typename R>
struct guarded : seq<at<Peek>, R> {};

// ---- Words -----------------------------------------------------------------------------

// An identifier-shaped word, keywords included: members after `.`, object keys.
struct word : identifier {};

// An identifier that is not a keyword (language.md section 2). A custom rule so that the
// keyword test is one table lookup rather than fifty string compares.
struct ident {
  using rule_t = ident;
  using subs_t = empty_list;
  template <typename ParseInput>
  [[nodiscard]] static bool match(ParseInput& in) {
    const char* begin = in.current();
    const char* end = in.end();
    if (begin == end || !lexical::is_identifier_start(*begin)) return false;
    const char* p = begin + 1;
    while (p != end && lexical::is_identifier_char(*p))
      ++p;
    if (lexical::is_keyword({begin, static_cast<std::size_t>(p - begin)})) return false;
    in.bump_in_this_line(static_cast<std::size_t>(p - begin));
    return true;
  }
};

// The same word, for lookaheads: not selected, so it makes no parse-tree node.
struct ident_peek : ident {};

template <char... Cs>
struct kw : seq<string<Cs...>, not_at<identifier_other>> {};

// clang-format off
struct kw_rule : kw<'r','u','l','e'> {};
struct kw_group : kw<'g','r','o','u','p'> {};
struct kw_segment : kw<'s','e','g','m','e','n','t'> {};
struct kw_model : kw<'m','o','d','e','l'> {};
struct kw_const : kw<'c','o','n','s','t'> {};
struct kw_when : kw<'w','h','e','n'> {};
struct kw_then : kw<'t','h','e','n'> {};
struct kw_end : kw<'e','n','d'> {};
struct kw_priority : kw<'p','r','i','o','r','i','t','y'> {};
struct kw_cooldown : kw<'c','o','o','l','d','o','w','n'> {};
struct kw_limit : kw<'l','i','m','i','t'> {};
struct kw_per : kw<'p','e','r'> {};
struct kw_pending : kw<'p','e','n','d','i','n','g'> {};
struct kw_exclusive : kw<'e','x','c','l','u','s','i','v','e'> {};
struct kw_disabled : kw<'d','i','s','a','b','l','e','d'> {};
struct kw_and : kw<'a','n','d'> {};
struct kw_or : kw<'o','r'> {};
struct kw_not : kw<'n','o','t'> {};
struct kw_no : kw<'n','o'> {};
struct kw_in : kw<'i','n'> {};
struct kw_last : kw<'l','a','s','t'> {};
struct kw_session : kw<'s','e','s','s','i','o','n'> {};
struct kw_within : kw<'w','i','t','h','i','n'> {};
struct kw_as : kw<'a','s'> {};
struct kw_between : kw<'b','e','t','w','e','e','n'> {};
struct kw_contains : kw<'c','o','n','t','a','i','n','s'> {};
struct kw_matches : kw<'m','a','t','c','h','e','s'> {};
struct kw_is : kw<'i','s'> {};
struct kw_null : kw<'n','u','l','l'> {};
struct kw_true : kw<'t','r','u','e'> {};
struct kw_false : kw<'f','a','l','s','e'> {};
struct kw_send : kw<'s','e','n','d'> {};
struct kw_set : kw<'s','e','t'> {};
struct kw_unset : kw<'u','n','s','e','t'> {};
struct kw_increment : kw<'i','n','c','r','e','m','e','n','t'> {};
struct kw_by : kw<'b','y'> {};
struct kw_emit : kw<'e','m','i','t'> {};
struct kw_respond : kw<'r','e','s','p','o','n','d'> {};
struct kw_decide : kw<'d','e','c','i','d','e'> {};
struct kw_count : kw<'c','o','u','n','t'> {};
struct kw_sum : kw<'s','u','m'> {};
struct kw_avg : kw<'a','v','g'> {};
struct kw_min : kw<'m','i','n'> {};
struct kw_max : kw<'m','a','x'> {};
struct kw_distinct : kw<'d','i','s','t','i','n','c','t'> {};
struct kw_quiet : kw<'q','u','i','e','t'> {};
struct kw_drop : kw<'d','r','o','p'> {};
struct kw_goal : kw<'g','o','a','l'> {};
struct kw_holdout : kw<'h','o','l','d','o','u','t'> {};
struct kw_split : kw<'s','p','l','i','t'> {};
struct kw_if : kw<'i','f'> {};
struct kw_else : kw<'e','l','s','e'> {};
// `features` is a word of the model declaration only, not a reserved keyword.
struct kw_features : kw<'f','e','a','t','u','r','e','s'> {};
// `event` is a word of the event declaration only: elsewhere it names the trigger.
struct kw_event : kw<'e','v','e','n','t'> {};
// clang-format on

// ---- Literals --------------------------------------------------------------------------

struct digits : plus<digit> {};
struct number_body
    : seq<digits, opt<one<'.'>, digits>, opt<one<'e', 'E'>, opt<one<'+', '-'>>, digits>> {};
struct number : seq<number_body, not_at<sor<identifier_other, one<'%', '.'>>>> {};
struct percent : seq<number_body, one<'%'>> {};
struct duration_unit : sor<string<'m', 's'>, one<'w', 'd', 'h', 'm', 's'>> {};
struct duration : seq<plus<digits, duration_unit>, not_at<identifier_other>> {};
struct integer : seq<opt<one<'-'>>, digits, not_at<sor<identifier_other, one<'.', '%'>>>> {};

// A string's body is decoded (escapes, surrogate pairs) when the AST is built; here it is
// only delimited. Strings do not span lines.
struct escape_code : sor<one<'"', '\\', 'n', 't'>, seq<one<'u'>, rep<4, xdigit>>> {};
struct escape : seq<one<'\\'>, must<escape_code>> {};
struct string_char : sor<escape, not_one<'"', '\\', '\n', '\r'>> {};
struct string_close : one<'"'> {};
struct string_body : seq<star<string_char>, must<string_close>> {};
struct string_literal : seq<one<'"'>, string_body> {};

struct true_literal : kw_true {};
struct false_literal : kw_false {};
struct null_literal : kw_null {};

struct scalar_literal
    : sor<guarded<digit, sor<duration, percent, number>>, guarded<one<'"'>, string_literal>,
          guarded<one<'t', 'f', 'n'>, sor<true_literal, false_literal, null_literal>>> {};
// A quoted string, for lookaheads.
struct string_peek
    : seq<one<'"'>, star<sor<seq<one<'\\'>, any>, not_one<'"', '\\', '\n', '\r'>>>, one<'"'>> {};

struct event_name : sor<ident, string_literal> {};

// ---- Expressions -----------------------------------------------------------------------

struct condition;

struct comma : tok<one<','>> {};
struct colon : tok<one<':'>> {};

struct paren_close : tok<one<')'>> {};
struct paren : nest<tok<one<'('>>, must<condition>, must<paren_close>> {};

struct list_close : tok<one<']'>> {};
struct list : nest<tok<one<'['>>, opt<condition, star<comma, must<condition>>>, must<list_close>> {
};

struct object_key : sor<word, string_literal> {};
struct object_value : seq<condition> {};
struct object_entry : seq<tok<object_key>, must<colon>, must<object_value>> {};
struct object_close : tok<one<'}'>> {};
struct object : nest<tok<one<'{'>>, opt<object_entry, star<comma, object_entry>, opt<comma>>,
                     must<object_close>> {};

// Paths are written without inner spaces: `cart.address.city`, `cart.@time`.
struct member_name : word {};
struct envelope_name : word {};
struct member : sor<seq<one<'@'>, must<envelope_name>>, member_name> {};
struct path : seq<ident, star<one<'.'>, must<member>>, skip> {};

struct call_name : ident {};
struct call_close : tok<one<')'>> {};
struct call : nest<call_name, skip, tok<one<'('>>, opt<condition, star<comma, must<condition>>>,
                   must<call_close>> {};

struct window_length : tok<duration> {};
struct within_window : seq<tok<kw_within>, must<window_length>> {};
struct last_window : seq<tok<kw_last>, must<window_length>> {};
struct session_window : tok<kw_session> {};
struct past_window : seq<tok<kw_in>, sor<last_window, session_window>> {};
struct window : sor<within_window, past_window> {};
struct filter_close : tok<one<']'>> {};
struct filter : nest<tok<one<'['>>, must<condition>, must<filter_close>> {};
struct pattern_window : window {};
// A pattern: an event name with a window; once a filter is written the window must follow.
struct pattern
    : sor<seq<tok<event_name>, filter, must<pattern_window>>, seq<tok<event_name>, window>> {};

struct aggregate_word : sor<kw_count, kw_sum, kw_avg, kw_min, kw_max, kw_distinct> {};
struct aggregate_function : aggregate_word {};  // selected; aggregate_word is the lookahead
struct aggregate_open : tok<one<'('>> {};
struct aggregate_event : tok<event_name> {};
struct aggregate_field : seq<plus<one<'.'>, word>, skip> {};
struct aggregate_window : past_window {};
struct aggregate_close : tok<one<')'>> {};
struct aggregate
    : seq<tok<aggregate_function>, must<aggregate_open>, must<aggregate_event>, opt<filter>,
          opt<aggregate_field>, must<aggregate_window>, must<aggregate_close>> {};

struct literal_token : tok<scalar_literal> {};
struct pattern_start : seq<sor<ident_peek, string_peek>, skip,
                           sor<one<'['>, kw_within, seq<kw_in, skip, sor<kw_last, kw_session>>>> {};
// Patterns first: `"Product Added" in last 1h` starts like a string literal.
struct primary
    : sor<guarded<aggregate_word, aggregate>, guarded<pattern_start, pattern>, literal_token,
          guarded<one<'['>, list>, guarded<one<'{'>, object>,
          guarded<seq<ident_peek, skip, one<'('>>, call>, path, guarded<one<'('>, paren>> {};
struct minus_sign : tok<one<'-'>> {};
struct negation : seq<minus_sign, must<primary>> {};
struct factor : sor<guarded<one<'-'>, negation>, primary> {};

struct mul_symbol : one<'*', '/'> {};
struct mul_op : tok<mul_symbol> {};
struct product : seq<factor, star<guarded<one<'*', '/'>, mul_op>, must<factor>>> {};
struct add_symbol : one<'+', '-'> {};
struct add_op : tok<add_symbol> {};
struct sum : seq<product, star<guarded<one<'+', '-'>, add_op>, must<product>>> {};

struct compare_symbol : sor<string<'=', '='>, string<'!', '='>, string<'<', '='>, string<'>', '='>,
                            one<'<'>, one<'>'>> {};
struct compare_op : tok<compare_symbol> {};
struct operand : sum {};  // a comparison's right side
struct compare_tail : seq<compare_op, must<operand>> {};
struct not_in_tail : seq<tok<kw_not>, tok<kw_in>, must<operand>> {};
struct in_tail : seq<tok<kw_in>, must<operand>> {};
struct between_and : tok<kw_and> {};
struct between_tail : seq<tok<kw_between>, must<operand>, must<between_and>, must<operand>> {};
struct contains_tail : seq<tok<kw_contains>, must<operand>> {};
struct regex_literal : tok<string_literal> {};
struct matches_tail : seq<tok<kw_matches>, must<regex_literal>> {};
struct is_not : tok<kw_not> {};
struct is_null_word : tok<kw_null> {};
struct is_null_tail : seq<tok<kw_is>, opt<is_not>, must<is_null_word>> {};
struct comparison_start
    : sor<one<'=', '!', '<', '>'>, kw_not, kw_in, kw_between, kw_contains, kw_matches, kw_is> {};
struct comparison
    : seq<sum, opt<guarded<comparison_start, sor<compare_tail, not_in_tail, in_tail, between_tail,
                                                 contains_tail, matches_tail, is_null_tail>>>> {};

struct unary;
struct not_expr : nest<tok<kw_not>, must<unary>> {};
struct no_pattern : pattern {};
struct no_expr : seq<tok<kw_no>, expect<no_pattern>> {};
struct unary : sor<guarded<kw_not, not_expr>, guarded<kw_no, no_expr>, comparison> {};
struct and_operand : unary {};
struct and_expr : seq<unary, star<tok<kw_and>, must<and_operand>>> {};
struct or_operand : and_expr {};
struct or_expr : seq<and_expr, star<tok<kw_or>, must<or_operand>>> {};
struct condition : seq<or_expr> {};

// ---- Declarations ----------------------------------------------------------------------

struct decl_name : tok<ident> {};
struct title : tok<string_literal> {};
struct duration_value : tok<duration> {};
struct integer_value : tok<integer> {};
struct percent_value : tok<percent> {};
struct per_word : tok<kw_per> {};
struct session_period : tok<kw_session> {};
struct limit_period : sor<session_period, duration_value> {};
struct limit_clause : seq<must<integer_value>, must<per_word>, must<limit_period>> {};
// `by EXPR` after a cooldown or a limit (language.md section 14): counted per value.
struct restriction_key : seq<tok<kw_by>, must<condition>> {};

struct literal_list;
struct negative_number : seq<one<'-'>, number> {};
struct const_literal : sor<negative_number, scalar_literal, literal_list> {};
struct literal_list_close : tok<one<']'>> {};
struct list_item_literal : tok<const_literal> {};
struct literal_list
    : nest<tok<one<'['>>, opt<list_item_literal, star<comma, must<list_item_literal>>>,
           must<literal_list_close>> {};
struct const_equals : tok<one<'='>> {};
struct const_value : tok<const_literal> {};
struct const_decl : seq<tok<kw_const>, must<decl_name>, must<const_equals>, must<const_value>> {};

// `quiet HH:MM..HH:MM [in ZONE] [drop]` (language.md section 14), on rules and groups.
struct clock_time : seq<rep_min_max<1, 2, digit>, one<':'>, rep<2, digit>> {};
struct time_of_day : tok<clock_time> {};
struct quiet_dots : tok<string<'.', '.'>> {};
struct quiet_zone : seq<tok<kw_in>, must<condition>> {};
struct quiet_drop : tok<kw_drop> {};
struct quiet_clause : seq<must<time_of_day>, must<quiet_dots>, must<time_of_day>, opt<quiet_zone>,
                          opt<quiet_drop>> {};

struct group_exclusive : tok<kw_exclusive> {};
struct group_cooldown : seq<tok<kw_cooldown>, must<duration_value>, opt<restriction_key>> {};
struct group_limit : seq<tok<kw_limit>, limit_clause, opt<restriction_key>> {};
struct group_holdout : seq<tok<kw_holdout>, must<percent_value>> {};
struct group_quiet : seq<tok<kw_quiet>, quiet_clause> {};
struct group_end : tok<kw_end> {};
struct group_decl
    : seq<tok<kw_group>, must<decl_name>, opt<title>,
          star<sor<group_exclusive, group_cooldown, group_limit, group_holdout, group_quiet>>,
          must<group_end>> {};

struct segment_when : tok<kw_when> {};
struct segment_end : tok<kw_end> {};
struct segment_decl : seq<tok<kw_segment>, must<decl_name>, opt<title>, must<segment_when>,
                          must<condition>, must<segment_end>> {};

struct features_word : tok<kw_features> {};
struct features_open : tok<one<'{'>> {};
struct feature_name : tok<ident> {};
struct feature : seq<feature_name, must<colon>, must<condition>> {};
struct features_close : tok<one<'}'>> {};
struct model_end : tok<kw_end> {};
struct model_decl
    : seq<tok<kw_model>, must<decl_name>, opt<title>, must<features_word>, must<features_open>,
          must<feature>, star<comma, feature>, opt<comma>, must<features_close>, must<model_end>> {
};

// `event NAME ["title"] (property: type)... end` (language.md section 15): the catalog.
// A property is any word but `end`, or a quoted name; its type is checked by the checker.
struct property_name : tok<sor<seq<not_at<kw_end>, word>, string_literal>> {};
struct property_type : tok<seq<not_at<kw_end>, word>> {};
struct event_property : seq<property_name, must<colon>, must<property_type>> {};
struct event_decl_name : tok<event_name> {};
struct event_end : tok<kw_end> {};
struct event_decl
    : seq<tok<kw_event>, must<event_decl_name>, opt<title>, star<event_property>, must<event_end>> {
};

struct pending_mode : tok<word> {};
struct group_ref : tok<ident> {};
struct option_priority : seq<tok<kw_priority>, must<integer_value>> {};
struct option_group : seq<tok<kw_group>, must<group_ref>> {};
struct option_cooldown : seq<tok<kw_cooldown>, must<duration_value>, opt<restriction_key>> {};
struct option_limit : seq<tok<kw_limit>, limit_clause, opt<restriction_key>> {};
struct option_pending : seq<tok<kw_pending>, must<pending_mode>> {};
struct option_disabled : tok<kw_disabled> {};
struct option_quiet : seq<tok<kw_quiet>, quiet_clause> {};
struct option_holdout : seq<tok<kw_holdout>, must<percent_value>> {};
// `goal EVENT [filter] within W` (language.md section 14): a pattern of its own.
struct goal_pattern : seq<tok<event_name>, opt<filter>, must<within_window>> {};
struct option_goal : seq<tok<kw_goal>, must<goal_pattern>> {};
struct rule_option
    : sor<option_priority, option_group, option_cooldown, option_limit, option_pending,
          option_disabled, option_quiet, option_holdout, option_goal> {};

struct alias : tok<ident> {};
struct as_clause : seq<tok<kw_as>, must<alias>> {};
struct placement : tok<ident> {};
struct decide_trigger : seq<tok<kw_decide>, must<placement>, opt<as_clause>> {};
struct trigger_event : tok<event_name> {};
struct event_trigger
    : seq<trigger_event, star<tok<one<'|'>>, must<trigger_event>>, opt<as_clause>> {};
struct trigger : sor<decide_trigger, event_trigger> {};

struct action;
struct adapter_name : tok<ident> {};
struct emit_name : tok<event_name> {};
struct target_path : path {};
struct set_equals : tok<one<'='>> {};
struct action_object : object {};
struct action_send : seq<tok<kw_send>, must<adapter_name>, opt<action_object>> {};
struct action_set : seq<tok<kw_set>, must<target_path>, must<set_equals>, must<condition>> {};
struct action_unset : seq<tok<kw_unset>, must<target_path>> {};
struct increment_by : seq<tok<kw_by>, must<condition>> {};
struct action_increment : seq<tok<kw_increment>, must<target_path>, opt<increment_by>> {};
struct action_emit : seq<tok<kw_emit>, must<emit_name>, opt<action_object>> {};
struct action_respond : seq<tok<kw_respond>, must<action_object>> {};
struct split_first_action : seq<action> {};
struct split_arm : seq<percent_value, must<colon>, must<split_first_action>, star<action>> {};
struct split_open : tok<one<'{'>> {};
struct split_close : tok<one<'}'>> {};
struct action_split : seq<tok<kw_split>, must<split_open>, star<split_arm>, must<split_close>> {};
// `if C then A... else if D then B... else E... end` (language.md section 15).
struct if_condition : condition {};
struct if_then : tok<kw_then> {};
struct if_end : tok<kw_end> {};
struct else_if : seq<tok<kw_else>, tok<kw_if>, must<if_condition>, must<if_then>, star<action>> {};
struct else_branch : seq<tok<kw_else>, star<action>> {};
struct action_if : seq<tok<kw_if>, must<if_condition>, must<if_then>, star<action>, star<else_if>,
                       opt<else_branch>, must<if_end>> {};
struct action : sor<action_send, action_set, action_unset, action_increment, action_emit,
                    action_respond, action_split, action_if> {};

struct rule_when : tok<kw_when> {};
struct rule_condition_body : condition {};
struct rule_condition : seq<tok<kw_and>, must<rule_condition_body>> {};
struct rule_then : tok<kw_then> {};
struct first_action : action {};
struct rule_end : tok<kw_end> {};
struct rule_decl : seq<tok<kw_rule>, must<decl_name>, opt<title>, star<rule_option>,
                       must<rule_when>, must<trigger>, opt<rule_condition>, must<rule_then>,
                       must<first_action>, star<action>, must<rule_end>> {};

// One declaration; the parse driver calls it in a loop so it can recover after errors.
struct declaration : sor<rule_decl, group_decl, segment_decl, model_decl, const_decl, event_decl> {
};
struct leading_layout : seq<opt<utf8::bom>, skip> {};

}  // namespace spur::grammar::peg

template <typename Name>
struct tao::pegtl::analyze_traits<Name, spur::grammar::peg::ident> : analyze_any_traits<> {};

template <typename Name, typename... R>
struct tao::pegtl::analyze_traits<Name, spur::grammar::peg::nest<R...>>
    : analyze_traits<Name, typename seq<R...>::rule_t> {};
