// libFuzzer target for the event decoder and the engine behind it: any input line is
// decoded; decoded events go through a small rule set that uses patterns, aggregates,
// waiting rules (100-year windows among them) and segments, twice: in an engine whose
// clock event times move (replay) and in one on a wall clock that trails each event by
// half an hour, so that every event comes from the future (serve). An event named
// `erase` erases its user from both. Any crash or sanitizer report is a bug;
// rejections are not. Seeds: tests/fuzz/hostile.ndjson (times at the limits, ids and
// users of every shape) with the demo events.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/compile.hpp"
#include "engine/engine.hpp"
#include "formats/json_codec.hpp"

namespace {

class Discard : public spur::EngineListener {
 public:
  void on_firing(const spur::Firing& firing) override { (void)spur::firing_json(firing); }
  void on_suppressed(const spur::Suppression&) override {}
};

std::shared_ptr<const spur::Program> program() {
  static const std::shared_ptr<const spur::Program> compiled = [] {
    spur::SourceSet sources;
    sources.add("fuzz.rules",
                "segment s when count(a in last 1h) > 2 end\n"
                "rule r cooldown 1m when a as e and e.x > 1 and no b[y == e.y] within 10m then\n"
                "  send log { x: e.x, n: sum(a.x in session) }\n  increment profile.n by e.x\nend\n"
                "rule t when b | identify as e and len(e.s) > 0 then emit a { x: e.x } end\n"
                "rule w when b and no a within 36500d and c within 1s then emit a end\n");
    spur::Diagnostics diagnostics;
    return spur::compile(spur::check_rule_set(sources, diagnostics));
  }();
  return compiled;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Discard discard;
  spur::Engine engine(program(), spur::EngineConfig{}, discard);
  spur::EngineConfig on_wall;
  on_wall.wall_clock = true;
  spur::Engine wall(program(), on_wall, discard);
  const std::string input(reinterpret_cast<const char*>(data), size);
  size_t start = 0;
  for (int line = 1; start <= input.size(); ++line) {
    size_t end = input.find('\n', start);
    if (end == std::string::npos) end = input.size();
    spur::DecodedEvent decoded = spur::decode_event(
        std::string_view(input).substr(start, end - start), "auto-" + std::to_string(line));
    start = end + 1;
    if (!decoded.ok) continue;
    const spur::Event& event = decoded.event;
    if (event.name == "erase") {
      engine.erase_user(event.user);
      wall.erase_user(event.user);
      continue;
    }
    if (event.has_time) wall.advance_to(event.time_ms - 1'800'000);
    (void)wall.submit(event);
    (void)engine.submit(event);
  }
  for (spur::Engine* e : {&engine, &wall}) {
    for (int i = 0; i < 100; ++i) {
      const auto next = e->next_deadline();
      if (!next) break;
      e->advance_to(*next);
    }
  }
  return 0;
}
