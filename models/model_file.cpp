#include "models/model_file.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "models/model_json.hpp"

namespace spur::models {

std::shared_ptr<const Scorer> load_model_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read the model file " + path + "; check scorers.<name>.path";
    return nullptr;
  }
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json model = nlohmann::json::parse(text.str(), nullptr, false);
  if (model.is_discarded()) {
    error = "the model file " + path + " is not JSON";
    return nullptr;
  }
  std::shared_ptr<const Scorer> scorer;
  if (model.is_object() && model.contains("learner")) {
    scorer = xgboost_model(model, error);
  } else if (model.is_object() && model.value("type", "") == "logistic_regression") {
    scorer = logistic_regression(model, error);
  } else {
    error =
        "is neither an XGBoost JSON model (save_model(\"m.json\")) nor "
        "{\"type\": \"logistic_regression\", ...} (docs/models.md)";
  }
  if (!scorer) error = "the model file " + path + " " + error;
  return scorer;
}

}  // namespace spur::models
