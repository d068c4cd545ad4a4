// What a rule did, counted per engine (one shard): steps that met it, firings,
// suppressions, and of an experiment (language.md section 14) the firings and
// conversions of each cohort. Not thread-safe: a shard's engine writes them, and readers
// copy them on that shard's thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace spur {

// Firings and conversions of one cohort of an experiment (language.md section 14).
struct CohortCounts {
  uint64_t firings = 0;
  uint64_t conversions = 0;
};

// Two cache lines of their own. The first holds what a candidate and a firing write,
// with the firings of the first kInlineCohorts cohorts, so that the firing of an
// experiment writes the line that its `triggered` and `fired` have just loaded; the
// second what a conversion writes. With the cohorts in a vector of their own, each
// firing and conversion of an experiment waited on one more cache miss (perf,
// BM_S4Experiments/1: most of note_experiment's and convert's samples).
struct alignas(64) RuleCounts {
  uint64_t triggered = 0;  // steps in which the rule's trigger and conditions held
  uint64_t fired = 0;
  uint64_t suppressed = 0;

  // The cohorts: 0 held out, 1 treated without a split, 2 + k the split's arm k (2:
  // control).
  static size_t cohort_of(int32_t arm, bool holdout) {
    return holdout ? 0 : arm < 0 ? 1 : static_cast<size_t>(arm) + 2;
  }
  void count(int32_t arm, bool holdout, bool converted) {
    const size_t cohort = cohort_of(arm, holdout);
    if (cohort < kInlineCohorts) {
      ++(converted ? conversions_[cohort] : firings_[cohort]);
      return;
    }
    if (more_.size() <= cohort - kInlineCohorts) more_.resize(cohort - kInlineCohorts + 1);
    CohortCounts& more = more_[cohort - kInlineCohorts];
    ++(converted ? more.conversions : more.firings);
  }
  // Zero for a cohort nothing was counted in.
  CohortCounts cohort(size_t index) const {
    if (index < kInlineCohorts) return {firings_[index], conversions_[index]};
    index -= kInlineCohorts;
    return index < more_.size() ? more_[index] : CohortCounts{};
  }
  // One past the last cohort with a firing or a conversion; 0 when none has.
  size_t cohort_count() const;
  // Starts the cohorts again (a reload that changed the experiment); the rest stays.
  void clear_cohorts();
  // Adds `other`'s counts, cohort by cohort (the figures of several shards).
  void add(const RuleCounts& other);

 private:
  // A split of two arms with a holdout uses cohorts 0, 3 and 4 (and 2 below 100 %).
  static constexpr size_t kInlineCohorts = 5;
  std::array<uint64_t, kInlineCohorts> firings_{};
  alignas(64) std::array<uint64_t, kInlineCohorts> conversions_{};
  std::vector<CohortCounts> more_;  // cohorts from kInlineCohorts on
};
static_assert(sizeof(RuleCounts) == 128);

}  // namespace spur
