// Evaluating compiled expressions (program.hpp) for one user at one moment.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/event.hpp"
#include "engine/program.hpp"
#include "engine/scorer.hpp"
#include "engine/user_state.hpp"

namespace spur {

// The span `in session` covers: handled times in [begin, end]; empty when end < begin.
struct Session {
  int64_t begin = 0;
  int64_t end = -1;
};

// A declared model with the scorer the configuration binds to its name: the declared
// feature that feeds each of the scorer's inputs (-1: none, the input is missing).
struct BoundModel {
  const Scorer* scorer = nullptr;  // null: no scorer bound, and the score is null
  std::vector<int32_t> inputs;
};
// Per model of `program` (its index), the scorer of the same name in `scorers` (which
// may be null) and its inputs: by the scorer's input names, else by position.
std::vector<BoundModel> bind_models(const Program& program, const Scorers* scorers);

// The scores asked so far in the step being evaluated, per model: a rule's conditions,
// the other candidates' and the firing's record ask the same model about the same state.
// Its owner (the engine) empties it at each step and after each action that changes the
// profile.
struct ScoreCache {
  std::vector<std::optional<Score>> values;  // per Program::models entry
  void forget() {
    for (std::optional<Score>& value : values)
      value.reset();
  }
};

struct EvalContext {
  const Program* program = nullptr;
  const UserState* user = nullptr;
  std::string_view user_id;          // the user's id, which scorers are asked about
  TriggerView trigger;               // `event` and the alias; no event in segments
  const Value* candidate = nullptr;  // the properties of the event a filter tests
  int64_t window_end_ms = 0;         // past windows are (end - length, end]
  int64_t clock_ms = 0;              // now()
  Session session;
  const FrozenValues* frozen = nullptr;  // past-window values to use instead of history
  std::span<const BoundModel> models;    // per Program::models entry
  ScoreCache* score_cache = nullptr;     // none: every score() asks its scorer
};

Value evaluate(const EvalContext& context, uint32_t node);
// Whether the node is true (only true is true: section 13).
bool holds(const EvalContext& context, uint32_t node);

// The value of every past pattern and aggregate below `node`, as they are now: what a
// waiting rule's re-check uses at firing (section 13).
void freeze_past(const EvalContext& context, uint32_t node, FrozenValues& out);

// score("model") for the user now: without a declared model, profile.scores.model; with
// one, its scorer's score for the declared features evaluated now (null when no scorer
// is bound or it cannot score), and whether it is the scorer's default.
Score score(const EvalContext& context, std::string_view model);
// The features that score() hands the scorer of the program's model `model` (an index),
// evaluated now.
std::vector<Value> model_features(const EvalContext& context, size_t model);

// The session at `at`: the run of input events ending with the user's latest, when `at`
// is within `gap_ms` of it, spanning from the first event of the run later than
// `at - max_ms` through `at` itself (section 13); empty otherwise.
Session session_at(const UserState& user, int64_t at, int64_t gap_ms, int64_t max_ms);

}  // namespace spur
