#include "engine/rule_counts.hpp"

#include <doctest/doctest.h>

namespace spur {
namespace {

TEST_CASE("rule counts: every cohort counted, inline or beyond, summed and cleared") {
  RuleCounts counts;
  CHECK(counts.cohort_count() == 0);
  counts.count(-1, true, false);  // held out: cohort 0
  counts.count(-1, true, true);
  counts.count(7, false, false);  // arm 7 of a split: cohort 9, past the inline ones
  counts.count(7, false, false);
  counts.count(2, false, true);  // arm 2: cohort 4, the last inline one
  CHECK(counts.cohort(0).firings == 1);
  CHECK(counts.cohort(0).conversions == 1);
  CHECK(counts.cohort(9).firings == 2);
  CHECK(counts.cohort(4).conversions == 1);
  CHECK(counts.cohort(1).firings == 0);   // nothing counted there
  CHECK(counts.cohort(50).firings == 0);  // nor past the last
  CHECK(counts.cohort_count() == 10);

  RuleCounts sum;
  sum.triggered = 3;
  sum.count(0, false, false);  // the control: cohort 2
  CHECK(sum.cohort_count() == 3);
  counts.fired = 5;
  sum.add(counts);
  sum.add(counts);
  CHECK(sum.triggered == 3);
  CHECK(sum.fired == 10);
  CHECK(sum.cohort(2).firings == 1);
  CHECK(sum.cohort(0).conversions == 2);
  CHECK(sum.cohort(9).firings == 4);
  CHECK(sum.cohort_count() == 10);

  sum.clear_cohorts();
  CHECK(sum.cohort_count() == 0);
  CHECK(sum.cohort(9).firings == 0);
  CHECK(sum.fired == 10);  // the rule's own counts stay
}

}  // namespace
}  // namespace spur
