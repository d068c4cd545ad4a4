// Embedded models (config.md, `scorers` of type `file`): a JSON file read at start and
// at each reload, one of the formats of docs/models.md:
//   - XGBoost's JSON model (`save_model("m.json")`): a gbtree ensemble (tree_ensemble.hpp);
//   - {"type": "logistic_regression", "intercept": b, "weights": {"feature": w, ...}}
//     (logistic_regression.hpp).
#pragma once

#include <memory>
#include <string>

#include "engine/scorer.hpp"

namespace spur::models {

// The scorer the file at `path` holds; null, with `error` saying what is wrong and how to
// fix it, when it cannot be read or is no model Spur knows.
std::shared_ptr<const Scorer> load_model_file(const std::string& path, std::string& error);

}  // namespace spur::models
