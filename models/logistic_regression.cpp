// {"type": "logistic_regression", "intercept": b, "weights": {"feature": w, ...}}:
// score = 1 / (1 + exp(-(b + sum of w * x))), x the feature's value: a number as it is,
// true 1, false 0, and anything else (missing, null, text) 0 (docs/models.md).
#include <cmath>
#include <nlohmann/json.hpp>

#include "models/model_json.hpp"

namespace spur::models {
namespace {

class LogisticRegression final : public Scorer {
 public:
  LogisticRegression(double intercept, std::vector<std::string> names, std::vector<double> weights)
      : intercept_(intercept), names_(std::move(names)), weights_(std::move(weights)) {}

  const std::vector<std::string>& inputs() const override { return names_; }

  Score score(const ScoreQuery& query) const override {
    const std::span<const Value> features = query.features;
    double z = intercept_;
    for (size_t i = 0; i < weights_.size() && i < features.size(); ++i) {
      const Value& x = features[i];
      if (x.kind() == Value::Kind::kNumber) z += weights_[i] * x.as_number();
      if (x.kind() == Value::Kind::kBool && x.as_bool()) z += weights_[i];
    }
    return {Value::number(1.0 / (1.0 + std::exp(-z)))};
  }

 private:
  double intercept_;
  std::vector<std::string> names_;
  std::vector<double> weights_;
};

}  // namespace

std::shared_ptr<const Scorer> logistic_regression(const nlohmann::json& model, std::string& error) {
  const auto intercept = model.find("intercept");
  const auto weights = model.find("weights");
  if (intercept == model.end() || !intercept->is_number() || weights == model.end() ||
      !weights->is_object()) {
    error =
        "is a logistic regression without a number `intercept` and an object `weights` "
        "(feature name -> number)";
    return nullptr;
  }
  std::vector<std::string> names;
  std::vector<double> values;
  for (const auto& [name, weight] : weights->items()) {
    if (!weight.is_number()) {
      error = "gives the weight of `" + name + "` as something else than a number";
      return nullptr;
    }
    names.push_back(name);
    values.push_back(weight.get<double>());
  }
  return std::make_shared<LogisticRegression>(intercept->get<double>(), std::move(names),
                                              std::move(values));
}

}  // namespace spur::models
