// A model that `score("name")` asks (language.md section 11), bound to a `model`
// declaration's name by the configuration (`scorers:`). The engine evaluates the
// declaration's features at the step and hands their values over; scorers are made by
// models/ (embedded model files).
//
// Thread-safety: score() is const and called from every shard's thread at once.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/value.hpp"

namespace spur {

class Scorer {
 public:
  virtual ~Scorer() = default;
  // The names of the features the model reads, in the order score() takes them; empty
  // when it reads the declaration's features by position (a model trained without
  // names).
  virtual const std::vector<std::string>& inputs() const = 0;
  // The score for these feature values (null for a feature the declaration lacks or
  // that evaluated to null: missing); null when the model cannot score them.
  virtual Value score(std::span<const Value> features) const = 0;
};

// Scorers by model name.
using Scorers = std::unordered_map<std::string, std::shared_ptr<const Scorer>>;

}  // namespace spur
