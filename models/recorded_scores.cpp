#include "models/recorded_scores.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "time/time_text.hpp"

namespace spur::models {
namespace {

std::string series_key(std::string_view model, std::string_view user) {
  std::string key(model);
  key += '\x1f';
  key += user;
  return key;
}

std::optional<int64_t> time_of(const nlohmann::json& time) {
  if (time.is_number_integer()) return time.get<int64_t>();
  if (time.is_string()) return parse_rfc3339(time.get<std::string>());
  return std::nullopt;
}

class RecordedScorer final : public Scorer {
 public:
  RecordedScorer(std::shared_ptr<const RecordedScores> scores, std::string model, Value fallback)
      : scores_(std::move(scores)), model_(std::move(model)), fallback_(std::move(fallback)) {}

  // The features are not read: the recorded score stands for the remote model's answer.
  const std::vector<std::string>& inputs() const override { return no_inputs_; }

  Score score(const ScoreQuery& query) const override {
    const Value* recorded = scores_ ? scores_->at(model_, query.user, query.time_ms) : nullptr;
    if (recorded != nullptr) return {*recorded};
    return {fallback_, true};
  }

 private:
  std::shared_ptr<const RecordedScores> scores_;
  std::string model_;
  Value fallback_;
  std::vector<std::string> no_inputs_;
};

}  // namespace

std::optional<RecordedScores> RecordedScores::read(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = path + ": cannot be read; give a scores file (NDJSON of {\"user\", \"model\", " +
            "\"time\", \"score\"})";
    return std::nullopt;
  }
  RecordedScores out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto where = path + ":" + std::to_string(number) + ": ";
    const nlohmann::json row = nlohmann::json::parse(line, nullptr, false);
    if (!row.is_object()) {
      error = where + "not a JSON object; each line is {\"user\", \"model\", \"time\", \"score\"}";
      return std::nullopt;
    }
    const auto user = row.find("user");
    const auto model = row.find("model");
    const auto time = row.find("time");
    const auto score = row.find("score");
    if (user == row.end() || !user->is_string() || model == row.end() || !model->is_string()) {
      error = where + "needs \"user\" and \"model\" as strings";
      return std::nullopt;
    }
    const std::optional<int64_t> ms = time == row.end() ? std::nullopt : time_of(*time);
    if (!ms) {
      error = where + "needs \"time\": RFC 3339 (\"2026-11-23T10:00:00Z\") or epoch milliseconds";
      return std::nullopt;
    }
    if (score == row.end() || !(score->is_number() || score->is_null())) {
      error = where + "needs \"score\": a number (or null)";
      return std::nullopt;
    }
    const Value value = score->is_null() ? Value() : Value::number(score->get<double>());
    out.series_[series_key(model->get<std::string>(), user->get<std::string>())].emplace_back(
        *ms, value);
  }
  for (auto& [key, series] : out.series_) {
    // Stable: for one time, the line read last is the one kept last, and at() takes it.
    std::stable_sort(series.begin(), series.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  return out;
}

const Value* RecordedScores::at(std::string_view model, std::string_view user,
                                int64_t time_ms) const {
  const auto found = series_.find(series_key(model, user));
  if (found == series_.end()) return nullptr;
  const auto& series = found->second;
  const auto after = std::upper_bound(series.begin(), series.end(), time_ms,
                                      [](int64_t t, const auto& entry) { return t < entry.first; });
  return after == series.begin() ? nullptr : &std::prev(after)->second;
}

std::shared_ptr<const Scorer> recorded_scorer(std::shared_ptr<const RecordedScores> scores,
                                              std::string model, Value fallback) {
  return std::make_shared<RecordedScorer>(std::move(scores), std::move(model), std::move(fallback));
}

}  // namespace spur::models
