// The rule sets and event streams of the performance issue, generated from fixed seeds,
// shared by the in-process benchmarks and the generator of files for end-to-end runs.
//
//   S1 stateless matching: R rules, rule i on event name i mod 10:
//      e.amount > A_i and (e.country == C_i or e.device == D_i); ~18 firings per event at
//      R = 1000 (10 event names, 20 countries, 3 devices, amounts 0-999).
//   S4 selective rules: rule i on event name i mod 10: e.campaign == "c<i>" and
//      e.amount > A_i; each event carries one campaign, so ~1 rule matches whatever R is.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "engine/event.hpp"

namespace spur::bench {

inline constexpr int kEventNames = 10;
inline constexpr int kUsers = 10'000;
inline constexpr int64_t kStartMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
extern const char* const kCountries[20];
extern const char* const kDevices[3];

// One S1 rule's parameters, for writing the same rule for another engine.
struct S1Rule {
  std::string name;
  std::string event;
  int priority;
  int amount;
  std::string country;
  std::string device;
};
std::vector<S1Rule> s1_rule_set(int count, std::mt19937& rng);
std::string s1_text(const std::vector<S1Rule>& rules);
// The same rules, each with a 10% holdout, a goal (its own event within 1h) and a 50/50
// split of its send (language.md section 14): the cost of experiments (issue 20).
std::string s1_experiment_text(const std::vector<S1Rule>& rules);
inline std::string s1_rules(int count, std::mt19937& rng) {
  return s1_text(s1_rule_set(count, rng));
}
// S4: selective rules, one campaign each. With `experiments`, each rule also has the
// options of s1_experiment_text.
std::string s4_rules(int count, std::mt19937& rng, bool experiments = false);

// Events one millisecond apart, each with a unique id, for kUsers users.
std::vector<Event> stateless_events(int count, std::mt19937& rng);
std::vector<Event> selective_events(int count, int campaigns, std::mt19937& rng);

}  // namespace spur::bench
