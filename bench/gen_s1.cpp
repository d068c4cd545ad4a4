// Writes the S1 and S4 workloads (bench/workloads.hpp) as files, for end-to-end runs and
// for other engines, in OUT_DIR: s1.rules (Spur), s1.jre.json (json-rules-engine rules,
// the same conditions), s1.ndjson; s4.rules and s4.ndjson (RULES campaigns).
//
//   gen_s1 RULES EVENTS OUT_DIR
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bench/workloads.hpp"
#include "formats/json_codec.hpp"
#include "time/time_text.hpp"

namespace {

void write_events(const std::string& path, const std::vector<spur::Event>& events) {
  std::ofstream out(path);
  for (const spur::Event& e : events) {
    const nlohmann::ordered_json line = {
        {"event", e.name},
        {"user", e.user},
        {"id", e.id},
        {"time", spur::format_rfc3339(e.time_ms)},
        {"properties", nlohmann::ordered_json::parse(spur::to_json(e.properties))}};
    out << line.dump() << "\n";
  }
}

}  // namespace

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

  write_events(dir + "/s1.ndjson", spur::bench::stateless_events(event_count, event_rng));

  std::mt19937 s4_rule_rng(42), s4_event_rng(7);
  std::ofstream(dir + "/s4.rules") << spur::bench::s4_rules(rule_count, s4_rule_rng);
  write_events(dir + "/s4.ndjson",
               spur::bench::selective_events(event_count, rule_count, s4_event_rng));
  return 0;
}
