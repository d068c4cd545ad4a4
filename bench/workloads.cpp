#include "bench/workloads.hpp"

namespace spur::bench {

const char* const kCountries[20] = {"FR", "DE", "ES", "IT", "US", "GB", "NL", "BE", "PL", "SE",
                                    "NO", "DK", "FI", "PT", "IE", "AT", "CH", "CZ", "HU", "RO"};
const char* const kDevices[3] = {"mobile", "desktop", "tablet"};

namespace {

std::vector<Event> events(int count, int campaigns, std::mt19937& rng) {
  std::vector<Event> out;
  out.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    Event e;
    const int campaign =
        campaigns > 0 ? static_cast<int>(rng() % static_cast<unsigned>(campaigns)) : 0;
    e.name = "e" + std::to_string(campaigns > 0 ? campaign % kEventNames
                                                : static_cast<int>(rng() % kEventNames));
    e.user = "u" + std::to_string(rng() % kUsers);
    e.id = "b" + std::to_string(i);
    e.time_ms = kStartMs + i;
    e.has_time = true;
    Object props = {{"amount", Value::number(static_cast<double>(rng() % 1000))},
                    {"country", Value::string(kCountries[rng() % 20])},
                    {"device", Value::string(kDevices[rng() % 3])}};
    if (campaigns > 0)
      props.emplace_back("campaign", Value::string("c" + std::to_string(campaign)));
    e.properties = Value::object(std::move(props));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::vector<S1Rule> s1_rule_set(int count, std::mt19937& rng) {
  std::vector<S1Rule> rules;
  for (int i = 0; i < count; ++i) {
    S1Rule r;
    r.name = "r_" + std::to_string(i);
    r.event = "e" + std::to_string(i % kEventNames);
    r.priority = i;
    r.amount = static_cast<int>(rng() % 1000);
    r.country = kCountries[rng() % 20];
    r.device = kDevices[rng() % 3];
    rules.push_back(std::move(r));
  }
  return rules;
}

std::string s1_text(const std::vector<S1Rule>& rules) {
  std::string text;
  for (const S1Rule& r : rules) {
    text += "rule " + r.name + " priority " + std::to_string(r.priority) + " when " + r.event +
            " as e and e.amount > " + std::to_string(r.amount) + " and (e.country == \"" +
            r.country + "\" or e.device == \"" + r.device + "\") then send log {} end\n";
  }
  return text;
}

std::string s1_experiment_text(const std::vector<S1Rule>& rules) {
  std::string text;
  for (const S1Rule& r : rules) {
    text += "rule " + r.name + " priority " + std::to_string(r.priority) + " holdout 10% goal " +
            r.event + " within 1h when " + r.event + " as e and e.amount > " +
            std::to_string(r.amount) + " and (e.country == \"" + r.country +
            "\" or e.device == \"" + r.device +
            "\") then split { 50%: send log {} 50%: send log {} } end\n";
  }
  return text;
}

std::string s4_rules(int count, std::mt19937& rng, bool experiments) {
  std::string text;
  for (int i = 0; i < count; ++i) {
    const std::string event = "e" + std::to_string(i % kEventNames);
    text += "rule r_" + std::to_string(i) +
            (experiments ? " holdout 10% goal " + event + " within 1h" : std::string()) + " when " +
            event + " as e and e.campaign == \"c" + std::to_string(i) + "\" and e.amount > " +
            std::to_string(rng() % 1000) +
            (experiments ? " then split { 50%: send log {} 50%: send log {} } end\n"
                         : " then send log {} end\n");
  }
  return text;
}

std::vector<Event> stateless_events(int count, std::mt19937& rng) {
  return events(count, 0, rng);
}

std::vector<Event> selective_events(int count, int campaigns, std::mt19937& rng) {
  return events(count, campaigns, rng);
}

}  // namespace spur::bench
