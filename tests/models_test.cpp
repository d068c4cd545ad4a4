// Embedded models (models/): XGBoost's JSON trees scored as XGBoost scores them, the
// logistic regression of docs/models.md, files Spur refuses, and score() in rules with
// the scores recorded in firings.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>

#include "engine_harness.hpp"
#include "models/model_file.hpp"

namespace spur::testing {
namespace {

const std::string kModels = std::string(SPUR_TEST_DATA) + "/data/models/";

// Every line of NAME.predictions.ndjson (made by make_models.py with XGBoost 1.7.4) scored
// by NAME.json: the largest difference from XGBoost's prediction.
double worst_difference(const std::string& name) {
  std::string error;
  const auto scorer = models::load_model_file(kModels + name + ".json", error);
  INFO(error);
  REQUIRE(scorer);
  std::ifstream lines(kModels + name + ".predictions.ndjson");
  std::string line;
  double worst = 0;
  size_t rows = 0;
  while (std::getline(lines, line)) {
    const auto row = parse_json_value(line, error);
    REQUIRE(row);
    const Value score = scorer->score({"u", 0, row->find("features")->as_list()}).value;
    REQUIRE(score.kind() == Value::Kind::kNumber);
    worst = std::max(worst, std::abs(score.as_number() - row->find("prediction")->as_number()));
    ++rows;
  }
  CHECK(rows == 60);
  return worst;
}

}  // namespace

TEST_CASE("XGBoost trees score as XGBoost predicts, missing values to each split's default") {
  // binary:logistic, 20 trees of depth 4, trained with feature names; rows with missing
  // values and rows exactly at split thresholds among them.
  CHECK(worst_difference("churn_xgb") <= 1e-6);
  // reg:squarederror, 100 trees of depth 6, no feature names (inputs by position).
  CHECK(worst_difference("value_xgb") <= 1e-6);
  std::string error;
  const auto named = models::load_model_file(kModels + "churn_xgb.json", error);
  REQUIRE(named);
  CHECK(named->inputs() ==
        std::vector<std::string>{"ltv", "views_7d", "days_since_order", "cart_value"});
  CHECK(models::load_model_file(kModels + "value_xgb.json", error)->inputs().empty());
}

TEST_CASE("a logistic regression weighs its features by name, and missing ones count 0") {
  const std::string path = testing::process_temp_path("spur-model.json").string();
  std::ofstream(path) << R"({"type": "logistic_regression", "intercept": -1,)"
                         R"( "weights": {"ltv": 0.002, "vip": 1}})";
  std::string error;
  const auto scorer = models::load_model_file(path, error);
  INFO(error);
  REQUIRE(scorer);
  CHECK(scorer->inputs() == std::vector<std::string>{"ltv", "vip"});
  const Value both[] = {Value::number(500), Value::boolean(true)};
  CHECK(scorer->score({"u", 0, both}).value.as_number() ==
        doctest::Approx(1 / (1 + std::exp(-1.0))));
  const Value none[] = {Value(), Value::string("x")};
  CHECK(scorer->score({"u", 0, none}).value.as_number() ==
        doctest::Approx(1 / (1 + std::exp(1.0))));
  std::remove(path.c_str());
}

TEST_CASE("model files Spur cannot use are refused with what is wrong") {
  const std::string path = testing::process_temp_path("spur-bad-model.json").string();
  const auto refusal = [&path](const std::string& text) {
    std::ofstream(path) << text;
    std::string error;
    CHECK_FALSE(models::load_model_file(path, error));
    return error;
  };
  CHECK(refusal("{").find("is not JSON") != std::string::npos);
  CHECK(refusal("{\"weights\": {}}").find("neither an XGBoost JSON model") != std::string::npos);
  CHECK(refusal(R"({"type": "logistic_regression", "intercept": 1, "weights": {"a": "x"}})")
            .find("weight of `a`") != std::string::npos);
  std::ifstream in(kModels + "churn_xgb.json");
  std::string model((std::istreambuf_iterator<char>(in)), {});
  const auto with = [&model](const std::string& from, const std::string& to) {
    std::string changed = model;
    changed.replace(changed.find(from), from.size(), to);
    return changed;
  };
  CHECK(refusal(with("\"binary:logistic\"", "\"multi:softprob\"")).find("objective") !=
        std::string::npos);
  CHECK(refusal(with("\"gbtree\"", "\"dart\"")).find("gbtree") != std::string::npos);
  CHECK(refusal(with("\"left_children\":[", "\"left_children\":[99,")).find("tree") !=
        std::string::npos);
  std::string error;
  CHECK_FALSE(models::load_model_file(kModels + "no-such-model.json", error));
  CHECK(error.find("cannot read") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("score() asks the bound scorer with the declared features, and firings record it") {
  std::string error;
  auto scorers = std::make_shared<Scorers>();
  scorers->emplace("churn", models::load_model_file(kModels + "churn_xgb.json", error));
  EngineConfig config;
  config.scorers = scorers;
  Harness h(
      "model churn\n  features { ltv: profile.ltv, views_7d: count(view in last 7d),\n"
      "    cart_value: profile.cart }\nend\n"
      "rule at_risk when ping and score(\"churn\") > 0.5 then\n"
      "  send log { churn: score(\"churn\") }\nend\n"
      "rule unscored when ping and score(\"other\") is null then send log end\n",
      config);
  // The model's prediction for ltv 2, views 0, days_since_order missing, cart 0.1, made
  // by the scorer itself: the engine passes exactly these.
  const Value features[] = {Value::number(2), Value::number(0), Value(), Value::number(0.1)};
  const double expected = (*scorers)["churn"]->score({"u", 0, features}).value.as_number();
  REQUIRE(expected > 0.5);
  h.engine->set_attributes(
      "u", Value::object(Object{{"ltv", Value::number(2)}, {"cart", Value::number(0.1)}}));
  h.send(ev("ping", "u", "2026-01-01T10:00:00Z", "{}", "p1"));
  REQUIRE(h.firings.size() == 2);
  const FiringRecord& f = h.firings[0];
  CHECK(f.rule == "at_risk");
  REQUIRE(f.scores.size() == 1);
  CHECK(f.scores[0].first == "churn");
  CHECK(f.scores[0].second.as_number() == expected);
  CHECK(f.actions[0].value.find("churn")->as_number() == expected);
  CHECK(h.firings[1].rule == "unscored");
}

// A scorer that returns its first feature and counts its calls.
class CountingScorer : public Scorer {
 public:
  const std::vector<std::string>& inputs() const override { return names_; }
  Score score(const ScoreQuery& query) const override {
    ++calls;
    return {query.features.empty() ? Value() : query.features[0]};
  }
  mutable int calls = 0;

 private:
  std::vector<std::string> names_{"ltv"};
};

// Engine settings that bind `scorer` to the model `m`.
EngineConfig binding_m(std::shared_ptr<const Scorer> scorer) {
  EngineConfig config;
  config.scorers = std::make_shared<Scorers>(Scorers{{"m", std::move(scorer)}});
  return config;
}

TEST_CASE("a step asks a scorer once per state: again only after an action changed it") {
  auto counting = std::make_shared<CountingScorer>();
  Harness h(
      "model m\n  features { ltv: profile.ltv }\nend\n"
      "rule opening priority 9 when ping and score(\"m\") > 0 then send log { s: score(\"m\") } "
      "end\n"
      "rule raise priority 5 when ping and score(\"m\") > 0 then set profile.ltv = 5 end\n"
      "rule after priority 1 when ping and score(\"m\") > 0 then send log { s: score(\"m\") } "
      "end\n",
      binding_m(counting));
  h.engine->set_attributes("u", Value::object(Object{{"ltv", Value::number(1)}}));
  h.send(ev("ping", "u", "2026-01-01T10:00:00Z", "{}", "p1"));
  REQUIRE(h.firings.size() == 3);
  // Three rules' conditions and `opening`'s firing see ltv 1: one call. `raise` sets 5;
  // `after`'s record and payload see it: one more call.
  CHECK(h.firings[0].scores[0].second.as_number() == 1);
  CHECK(h.firings[2].rule == "after");
  CHECK(h.firings[2].scores[0].second.as_number() == 5);
  CHECK(h.firings[2].actions[0].value.find("s")->as_number() == 5);
  CHECK(counting->calls == 2);
  // The next step asks again.
  h.send(ev("ping", "u", "2026-01-01T10:01:00Z", "{}", "p2"));
  CHECK(counting->calls == 4);
}

TEST_CASE("score() is asked after the cheaper conditions of its chain, wherever written") {
  auto counting = std::make_shared<CountingScorer>();
  Harness h(
      "model m\n  features { ltv: profile.ltv }\nend\n"
      "rule r when ping as p and score(\"m\") > 0 and p.n == 1 and profile.ltv > 0 then\n"
      "  send log\nend\n",
      binding_m(counting));
  h.engine->set_attributes("u", Value::object(Object{{"ltv", Value::number(1)}}));
  h.send(ev("ping", "u", "2026-01-01T10:00:00Z", R"({"n": 2})", "p1"));
  CHECK(counting->calls == 0);  // p.n == 1 failed first
  CHECK(h.firings.empty());
  h.send(ev("ping", "u", "2026-01-01T10:01:00Z", R"({"n": 1})", "p2"));
  CHECK(counting->calls == 1);
  CHECK(h.firings.size() == 1);
}

TEST_CASE("explain between steps asks the scorer about the user explained") {
  Harness h(
      "model m\n  features { ltv: profile.ltv }\nend\n"
      "rule r when ping and score(\"m\") > 10 then send log end\n",
      binding_m(std::make_shared<CountingScorer>()));
  h.engine->set_attributes("rich", Value::object(Object{{"ltv", Value::number(50)}}));
  h.engine->set_attributes("poor", Value::object(Object{{"ltv", Value::number(1)}}));
  h.send(ev("ping", "rich", "2026-01-01T10:00:00Z", "{}", "p1"));
  REQUIRE(h.firings.size() == 1);  // rich's score, 50, is the last one asked
  Event ping{.name = "ping", .user = "poor", .id = "x", .time_ms = 0, .has_time = true};
  const auto why = h.engine->first_false_condition("poor", ping, 0);
  REQUIRE(why);
  REQUIRE(why->values.size() == 2);
  CHECK(why->values[0].as_number() == 1);
}

TEST_CASE("a declared model without a scorer scores null") {
  Harness h(
      "model churn\n  features { ltv: profile.ltv }\nend\n"
      "rule r when ping and score(\"churn\") is null then send log end\n");
  h.send(ev("ping", "u", "2026-01-01T10:00:00Z", "{}", "p1"));
  CHECK(h.firings.size() == 1);
}

}  // namespace spur::testing
