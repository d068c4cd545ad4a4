#include "engine/rule_counts.hpp"

namespace spur {

size_t RuleCounts::cohort_count() const {
  if (!more_.empty()) return kInlineCohorts + more_.size();
  size_t count = kInlineCohorts;
  while (count > 0 && firings_[count - 1] == 0 && conversions_[count - 1] == 0)
    --count;
  return count;
}

void RuleCounts::clear_cohorts() {
  firings_ = {};
  conversions_ = {};
  more_.clear();
}

void RuleCounts::add(const RuleCounts& other) {
  triggered += other.triggered;
  fired += other.fired;
  suppressed += other.suppressed;
  for (size_t c = 0; c < kInlineCohorts; ++c) {
    firings_[c] += other.firings_[c];
    conversions_[c] += other.conversions_[c];
  }
  if (more_.size() < other.more_.size()) more_.resize(other.more_.size());
  for (size_t c = 0; c < other.more_.size(); ++c) {
    more_[c].firings += other.more_[c].firings;
    more_[c].conversions += other.more_[c].conversions;
  }
}

}  // namespace spur
