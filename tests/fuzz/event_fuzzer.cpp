// libFuzzer target for the event decoder and the engine behind it: any input line is
// decoded; decoded events go through a small rule set that uses patterns, aggregates,
// waiting rules and segments. Any crash or sanitizer report is a bug; rejections are not.
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
                "rule t when b | identify as e and len(e.s) > 0 then emit a { x: e.x } end\n");
    spur::Diagnostics diagnostics;
    return spur::compile(spur::check_rule_set(sources, diagnostics));
  }();
  return compiled;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Discard discard;
  spur::Engine engine(program(), spur::EngineConfig{}, discard);
  const std::string input(reinterpret_cast<const char*>(data), size);
  size_t start = 0;
  for (int line = 1; start <= input.size(); ++line) {
    size_t end = input.find('\n', start);
    if (end == std::string::npos) end = input.size();
    spur::DecodedEvent decoded = spur::decode_event(
        std::string_view(input).substr(start, end - start), "auto-" + std::to_string(line));
    if (decoded.ok) (void)engine.submit(std::move(decoded.event));
    start = end + 1;
  }
  for (int i = 0; i < 100; ++i) {
    const auto next = engine.next_deadline();
    if (!next) break;
    engine.advance_to(*next);
  }
  return 0;
}
