// The model formats' readers, from parsed JSON (model_file.cpp parses once and picks).
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "engine/scorer.hpp"

namespace spur::models {

// Null, with `error` set, for JSON that is not such a model.
std::shared_ptr<const Scorer> xgboost_model(const nlohmann::json& model, std::string& error);
std::shared_ptr<const Scorer> logistic_regression(const nlohmann::json& model, std::string& error);

}  // namespace spur::models
