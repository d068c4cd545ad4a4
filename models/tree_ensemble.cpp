// Gradient-boosted trees in XGBoost's JSON model format (XGBoost 1.x, `save_model` to a
// .json file), evaluated natively: as XGBoost's CPU predictor does, in single precision,
// so that a score agrees with XGBoost's prediction (tests/models_test.cpp, within 1e-6).
//
// Read: learner.gradient_booster (name gbtree) .model.trees[], each with left_children,
// right_children (-1 at a leaf), split_indices (the feature), split_conditions (the
// threshold; at a leaf, the leaf's value) and default_left (where a missing value goes);
// learner.learner_model_param.base_score; learner.objective.name; learner.feature_names
// (when the model was trained with names, inputs are matched by them).
#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "models/model_json.hpp"

namespace spur::models {
namespace {

enum class Output : uint8_t { kMargin, kSigmoid };

// Children are absolute indices into the ensemble's nodes. A leaf is its own two
// children, so that a walk can take a fixed number of steps: one that reaches a leaf
// early stays there.
struct Node {
  uint32_t left = 0, right = 0;
  uint32_t feature = 0;
  float value = 0;  // the threshold (go left when x < value), or the leaf's value
  bool default_left = false;
};

// One level down from node `i` for the row `x` (NaN: missing).
inline uint32_t step(const Node* nodes, const float* x, uint32_t i) {
  const Node& node = nodes[i];
  const float value = x[node.feature];
  const bool missing = std::isnan(value);
  // A select, not a jump: which way a row goes is a coin toss, and a mispredicted jump
  // per level was a tenth of a score's time.
  const bool left = (missing & node.default_left) | (!missing & (value < node.value));
  return left ? node.left : node.right;
}

class TreeEnsemble final : public Scorer {
 public:
  TreeEnsemble(std::vector<Node> nodes, std::vector<uint32_t> roots, std::vector<uint32_t> depths,
               float base_margin, Output output, std::vector<std::string> names, uint32_t features)
      : nodes_(std::move(nodes)),
        roots_(std::move(roots)),
        depths_(std::move(depths)),
        base_margin_(base_margin),
        output_(output),
        names_(std::move(names)),
        features_(features) {}

  const std::vector<std::string>& inputs() const override { return names_; }

  Score score(const ScoreQuery& query) const override {
    const std::span<const Value> features = query.features;
    // The features as XGBoost sees them: floats, NaN for missing. Per thread, reused.
    thread_local std::vector<float> x;
    x.assign(features_, std::numeric_limits<float>::quiet_NaN());
    for (size_t i = 0; i < features.size() && i < features_; ++i) {
      const Value& v = features[i];
      if (v.kind() == Value::Kind::kNumber) x[i] = static_cast<float>(v.as_number());
      if (v.kind() == Value::Kind::kBool) x[i] = v.as_bool() ? 1.0f : 0.0f;
    }
    // Four trees walked at once: each walk is a chain of dependent loads, and four
    // chains overlap (3.7 µs -> see docs/performance.md for 100 trees of depth 6). Leaf
    // values are added in tree order, as XGBoost adds them (float sums depend on it).
    const Node* nodes = nodes_.data();
    const float* row = x.data();
    float margin = base_margin_;
    size_t t = 0;
    for (; t + 4 <= roots_.size(); t += 4) {
      uint32_t a = roots_[t], b = roots_[t + 1], c = roots_[t + 2], d = roots_[t + 3];
      const uint32_t depth =
          std::max(std::max(depths_[t], depths_[t + 1]), std::max(depths_[t + 2], depths_[t + 3]));
      for (uint32_t level = 0; level < depth; ++level) {
        a = step(nodes, row, a);
        b = step(nodes, row, b);
        c = step(nodes, row, c);
        d = step(nodes, row, d);
      }
      margin += nodes[a].value;
      margin += nodes[b].value;
      margin += nodes[c].value;
      margin += nodes[d].value;
    }
    for (; t < roots_.size(); ++t) {
      uint32_t a = roots_[t];
      for (uint32_t level = 0; level < depths_[t]; ++level)
        a = step(nodes, row, a);
      margin += nodes[a].value;
    }
    if (output_ == Output::kSigmoid) margin = 1.0f / (1.0f + std::exp(-margin));
    return {Value::number(static_cast<double>(margin))};
  }

 private:
  std::vector<Node> nodes_;       // every tree's, one after the other
  std::vector<uint32_t> roots_;   // where each tree starts in nodes_
  std::vector<uint32_t> depths_;  // per tree: the most steps from its root to a leaf
  float base_margin_;
  Output output_;
  std::vector<std::string> names_;
  uint32_t features_;
};

// A number XGBoost writes as a string ("5E-1") or a number.
std::optional<float> number_of(const nlohmann::json& j) {
  if (j.is_number()) return j.get<float>();
  if (!j.is_string()) return std::nullopt;
  try {
    return std::stof(j.get<std::string>());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Reads one tree into `nodes` (from nodes.size() on) and its depth; "" or what is wrong.
std::string read_tree(const nlohmann::json& tree, uint32_t features, std::vector<Node>& nodes,
                      uint32_t& depth) {
  const auto array = [&tree](const char* key) -> const nlohmann::json* {
    const auto it = tree.find(key);
    return it != tree.end() && it->is_array() ? &*it : nullptr;
  };
  const nlohmann::json* left = array("left_children");
  const nlohmann::json* right = array("right_children");
  const nlohmann::json* index = array("split_indices");
  const nlohmann::json* condition = array("split_conditions");
  const nlohmann::json* default_left = array("default_left");
  if (!left || !right || !index || !condition || !default_left) {
    return "has a tree without left_children, right_children, split_indices, "
           "split_conditions or default_left";
  }
  const size_t n = left->size();
  if (n == 0 || right->size() != n || index->size() != n || condition->size() != n ||
      default_left->size() != n) {
    return "has a tree whose node arrays differ in length";
  }
  if (const nlohmann::json* types = array("split_type")) {
    for (const auto& type : *types) {
      if (type.is_number() && type.get<int>() != 0)
        return "has categorical splits, which Spur does not evaluate; train with numeric features";
    }
  }
  const auto root = static_cast<uint32_t>(nodes.size());
  std::vector<uint32_t> level(n, 0);  // of each node; a node's parent comes before it
  depth = 0;
  for (size_t i = 0; i < n; ++i) {
    const int64_t l = (*left)[i].get<int64_t>(), r = (*right)[i].get<int64_t>();
    const bool leaf = l == -1;
    // Children come after their parent in XGBoost's arrays: no cycle, every walk ends.
    if (!leaf && (l <= static_cast<int64_t>(i) || r <= static_cast<int64_t>(i) ||
                  static_cast<size_t>(l) >= n || static_cast<size_t>(r) >= n)) {
      return "has a tree whose children point outside it or before their parent";
    }
    const int64_t feature = (*index)[i].get<int64_t>();
    if (!leaf && (feature < 0 || feature >= features))
      return "splits on a feature it does not have";
    Node node;
    const auto self = root + static_cast<uint32_t>(i);
    node.left = leaf ? self : root + static_cast<uint32_t>(l);
    node.right = leaf ? self : root + static_cast<uint32_t>(r);
    node.feature = leaf ? 0 : static_cast<uint32_t>(feature);
    node.value = (*condition)[i].get<float>();
    const nlohmann::json& d = (*default_left)[i];
    node.default_left = d.is_boolean() ? d.get<bool>() : d.get<int64_t>() != 0;
    nodes.push_back(node);
    if (!leaf) {
      level[static_cast<size_t>(l)] = level[static_cast<size_t>(r)] = level[i] + 1;
      depth = std::max(depth, level[i] + 1);
    }
  }
  return "";
}

}  // namespace

std::shared_ptr<const Scorer> xgboost_model(const nlohmann::json& model, std::string& error) {
  try {
    const nlohmann::json& learner = model.at("learner");
    const nlohmann::json& booster = learner.at("gradient_booster");
    if (booster.value("name", "") != "gbtree") {
      error = "uses the booster `" + booster.value("name", "?") +
              "`; Spur evaluates gbtree models (booster: gbtree)";
      return nullptr;
    }
    const nlohmann::json& param = learner.at("learner_model_param");
    const std::optional<float> base_score = number_of(param.at("base_score"));
    const std::optional<float> classes = number_of(param.value("num_class", nlohmann::json("0")));
    const std::optional<float> features = number_of(param.at("num_feature"));
    if (!base_score || !features || *features < 0 || (classes && *classes > 1)) {
      error =
          "has a learner_model_param Spur cannot read, or several classes (one score per "
          "model: use binary:logistic or a regression)";
      return nullptr;
    }
    const std::string objective = learner.at("objective").at("name").get<std::string>();
    Output output = Output::kMargin;
    float base_margin = *base_score;
    if (objective == "binary:logistic" || objective == "reg:logistic") {
      output = Output::kSigmoid;
      base_margin = -std::log(1.0f / *base_score - 1.0f);  // XGBoost's ProbToMargin
    } else if (objective != "reg:squarederror" && objective != "binary:logitraw" &&
               objective != "reg:linear") {
      error = "has the objective `" + objective +
              "`; Spur evaluates binary:logistic, reg:logistic, binary:logitraw and "
              "reg:squarederror";
      return nullptr;
    }
    const auto feature_count = static_cast<uint32_t>(*features);
    std::vector<Node> nodes;
    std::vector<uint32_t> roots, depths;
    for (const nlohmann::json& tree : booster.at("model").at("trees")) {
      roots.push_back(static_cast<uint32_t>(nodes.size()));
      uint32_t depth = 0;
      if (std::string why = read_tree(tree, feature_count, nodes, depth); !why.empty()) {
        error = why;
        return nullptr;
      }
      depths.push_back(depth);
    }
    std::vector<std::string> names;
    if (const auto found = learner.find("feature_names"); found != learner.end()) {
      for (const auto& name : *found)
        names.push_back(name.get<std::string>());
    }
    if (!names.empty() && names.size() != feature_count) {
      error = "names " + std::to_string(names.size()) + " features and has " +
              std::to_string(feature_count);
      return nullptr;
    }
    return std::make_shared<TreeEnsemble>(std::move(nodes), std::move(roots), std::move(depths),
                                          base_margin, output, std::move(names), feature_count);
  } catch (const nlohmann::json::exception& e) {
    error = std::string("is not an XGBoost JSON model Spur can read (") + e.what() + ")";
    return nullptr;
  }
}

}  // namespace spur::models
