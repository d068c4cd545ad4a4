// Writes the S1 workload (bench/workloads.hpp) as files, for end-to-end runs and for
// other engines: RULES.rules (Spur), RULES.jre.json (json-rules-engine rules, the same
// conditions), EVENTS.ndjson.
//
//   gen_s1 RULES EVENTS OUT_DIR
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bench/workloads.hpp"
#include "engine/time_text.hpp"
#include "formats/json_codec.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: gen_s1 RULES EVENTS OUT_DIR\n";
    return 2;
  }
  const int rule_count = std::stoi(argv[1]);
  const int event_count = std::stoi(argv[2]);
  const std::string dir = argv[3];
  std::mt19937 rule_rng(42), event_rng(7);  // the seeds of engine_bench
  const auto rules = spur::bench::s1_rule_set(rule_count, rule_rng);
  std::ofstream(dir + "/s1.rules") << spur::bench::s1_text(rules);

  nlohmann::ordered_json jre = nlohmann::ordered_json::array();
  for (const auto& r : rules) {
    jre.push_back({{"name", r.name},
                   {"priority", r.priority + 1},  // json-rules-engine priorities start at 1
                   {"conditions",
                    {{"all",
                      {{{"fact", "event"}, {"operator", "equal"}, {"value", r.event}},
                       {{"fact", "amount"}, {"operator", "greaterThan"}, {"value", r.amount}},
                       {{"any",
                         {{{"fact", "country"}, {"operator", "equal"}, {"value", r.country}},
                          {{"fact", "device"}, {"operator", "equal"}, {"value", r.device}}}}}}}}},
                   {"event", {{"type", r.name}}}});
  }
  std::ofstream(dir + "/s1.jre.json") << jre.dump() << "\n";

  std::ofstream events(dir + "/s1.ndjson");
  for (const spur::Event& e : spur::bench::stateless_events(event_count, event_rng)) {
    const nlohmann::ordered_json line = {
        {"event", e.name},
        {"user", e.user},
        {"id", e.id},
        {"time", spur::format_rfc3339(e.time_ms)},
        {"properties", nlohmann::ordered_json::parse(spur::to_json(e.properties))}};
    events << line.dump() << "\n";
  }
  return 0;
}
