// A model that `score("name")` asks (language.md section 11), bound to a `model`
// declaration's name by the configuration (`scorers:`). The engine evaluates the
// declaration's features at the step and hands their values over; scorers are made by
// models/ (embedded model files, scores recorded for replay).
//
// Thread-safety: score() is const and called from every shard's thread at once.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/value.hpp"

namespace spur {

// What a scorer is asked: the model's features for this user at this step.
struct ScoreQuery {
  std::string_view user;
  int64_t time_ms = 0;  // the step's engine time, ms since the epoch
  // Per input (Scorer::inputs), its value; null for a feature the declaration lacks or
  // that evaluated to null (missing).
  std::span<const Value> features;
};

// A score, and whether it is the scorer's configured `default` rather than the model's
// answer (a remote scorer that failed or timed out, or no recorded score in a replay):
// the firing records such a score as {"value": v, "default": true}.
struct Score {
  Value value;  // null when the model cannot score the features
  bool fallback = false;
};

class Scorer {
 public:
  virtual ~Scorer() = default;
  // The names of the features the model reads, in the order score() takes them; empty
  // when it reads the declaration's features by position (a model trained without
  // names).
  virtual const std::vector<std::string>& inputs() const = 0;
  virtual Score score(const ScoreQuery& query) const = 0;
  // A remote scorer answers only what was fetched for the step before it began (a
  // server asks Engine::remote_queries, fetches, then runs the step); the others score
  // during the step.
  virtual bool remote() const { return false; }
};

// Scorers by model name.
using Scorers = std::unordered_map<std::string, std::shared_ptr<const Scorer>>;

}  // namespace spur
