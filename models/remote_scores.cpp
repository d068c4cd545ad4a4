#include "models/remote_scores.hpp"

#include <algorithm>

namespace spur::models {
namespace {

bool serves(const RemoteScores::Entry& entry, int64_t at_ms) {
  return entry.until_ms == INT64_MIN || at_ms <= entry.until_ms;
}

class RemoteScorer final : public Scorer {
 public:
  RemoteScorer(std::shared_ptr<const RemoteScores> scores, std::string model, Value fallback)
      : scores_(std::move(scores)), model_(std::move(model)), fallback_(std::move(fallback)) {}
  // Features by position: the model's server reads them as the declaration lists them.
  const std::vector<std::string>& inputs() const override { return no_inputs_; }
  Score score(const ScoreQuery& query) const override {
    if (auto entry = scores_->get(model_, query.user, query.time_ms))
      return {std::move(entry->value), entry->fallback};
    return {fallback_, true};
  }
  bool remote() const override { return true; }

 private:
  std::shared_ptr<const RemoteScores> scores_;
  std::string model_;
  Value fallback_;
  std::vector<std::string> no_inputs_;
};

}  // namespace

void RemoteScores::put(std::string_view model, std::string_view user, Entry entry) {
  const std::lock_guard lock(mutex_);
  Entries& entries = by_user_[std::string(user)];
  const auto it =
      std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.first == model; });
  if (it != entries.end()) {
    it->second = std::move(entry);
  } else {
    entries.emplace_back(std::string(model), std::move(entry));
  }
}

std::optional<RemoteScores::Entry> RemoteScores::get(std::string_view model, std::string_view user,
                                                     int64_t at_ms) const {
  const std::lock_guard lock(mutex_);
  const auto found = by_user_.find(std::string(user));
  if (found == by_user_.end()) return std::nullopt;
  for (const auto& [name, entry] : found->second) {
    if (name == model) return serves(entry, at_ms) ? std::optional(entry) : std::nullopt;
  }
  return std::nullopt;
}

void RemoteScores::forget_step(std::string_view user, int64_t at_ms) {
  const std::lock_guard lock(mutex_);
  const auto found = by_user_.find(std::string(user));
  if (found == by_user_.end()) return;
  std::erase_if(found->second, [&](const auto& e) {
    return e.second.until_ms == INT64_MIN || at_ms > e.second.until_ms;
  });
  if (found->second.empty()) by_user_.erase(found);
}

void RemoteScores::forget_stale(int64_t at_ms, size_t buckets) {
  const std::lock_guard lock(mutex_);
  std::vector<std::string> gone;
  for (size_t n = 0; n < buckets && n < by_user_.bucket_count(); ++n) {
    const size_t bucket = sweep_bucket_++ % by_user_.bucket_count();
    for (auto it = by_user_.begin(bucket); it != by_user_.end(bucket); ++it) {
      // An entry for the next step only (INT64_MIN) is its waiting step's: kept.
      const bool stale = std::all_of(it->second.begin(), it->second.end(), [&](const auto& e) {
        return e.second.until_ms != INT64_MIN && at_ms > e.second.until_ms;
      });
      if (stale) gone.push_back(it->first);
    }
  }
  for (const std::string& user : gone)
    by_user_.erase(user);
}

std::vector<std::pair<std::string, RemoteScores::Entry>> RemoteScores::entries(
    std::string_view user, int64_t at_ms) const {
  const std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, Entry>> out;
  const auto found = by_user_.find(std::string(user));
  if (found == by_user_.end()) return out;
  for (const auto& entry : found->second) {
    if (serves(entry.second, at_ms)) out.push_back(entry);
  }
  return out;
}

std::shared_ptr<const Scorer> remote_scorer(std::shared_ptr<const RemoteScores> scores,
                                            std::string model, Value fallback) {
  return std::make_shared<RemoteScorer>(std::move(scores), std::move(model), std::move(fallback));
}

}  // namespace spur::models
