// `spur replay`: run the rules over an NDJSON event stream, the clock driven by event
// times (formats.md).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/decoding_reader.hpp"
#include "cli/experiment_report.hpp"
#include "cli/rule_loading.hpp"
#include "engine/engine.hpp"
#include "formats/json_codec.hpp"
#include "time/time_text.hpp"

namespace spur::cli {
namespace {

// Timers fired by --drain before it gives up: a rule set that keeps making timers
// forever must not hang the replay.
constexpr uint64_t kMaxDrainInstants = 1'000'000;

struct Options {
  std::vector<std::string> rules;
  std::string profiles;
  std::string config;
  std::string scores;  // recorded http scores (--scores)
  std::optional<int64_t> until_ms;
  bool drain = false;
  bool suppressed = false;
  bool stats = false;
  bool conversions = false;  // print conversion records (section 14)
  enum class Report : uint8_t { kNone, kTable, kJson };
  Report report = Report::kNone;
  // Whether firings, suppressions and decisions go to stdout: not when one JSON object
  // (--stats, --report=json) does.
  bool streams() const { return !stats && report != Report::kJson; }
  std::string events = "-";
};

// Writes firings to stdout (or counts them, for --stats), buffered.
class Output : public EngineListener {
 public:
  explicit Output(const Options& options) : options_(options) {}
  ~Output() override { flush(); }

  void on_firing(const Firing& firing) override {
    ++firings;
    if (!options_.streams()) return;
    append_firing_json(buffer_, firing);
    buffer_ += '\n';
    if (buffer_.size() > (1 << 16)) flush();
  }
  void on_suppressed(const Suppression& suppression) override {
    ++suppressions;
    if (!options_.suppressed) return;
    buffer_ += suppression_json(suppression);
    buffer_ += '\n';
  }
  void on_conversion(const Conversion& conversion) override {
    if (!options_.conversions) return;
    buffer_ += conversion_json(conversion);
    buffer_ += '\n';
  }
  // The answer to a decision request, after the firings of its step.
  void on_decision(const Event& request, const Engine::Decision& answer, int64_t at_ms) {
    ++decisions;
    if (!options_.streams()) return;
    const bool answered = !answer.rule.empty();
    nlohmann::ordered_json line = {
        {"decision", request.name},
        {"user", request.user},
        {"time", format_rfc3339(at_ms)},
        {"content", answered ? nlohmann::ordered_json::parse(to_json(answer.content)) : nullptr},
        {"rule", answered ? nlohmann::ordered_json(answer.rule) : nullptr},
        {"firing_id", answered ? nlohmann::ordered_json(firing_id(answer.rule, request.user,
                                                                  answer.trigger, answer.time_ms))
                               : nullptr}};
    buffer_ += line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    buffer_ += '\n';
  }
  void flush() {
    std::fwrite(buffer_.data(), 1, buffer_.size(), stdout);
    buffer_.clear();
  }

  uint64_t firings = 0;
  uint64_t suppressions = 0;
  uint64_t decisions = 0;

 private:
  const Options& options_;
  std::string buffer_;
};

int usage_error(const std::string& message) {
  return cli::usage_error("replay", message);
}

bool load_profiles(const std::string& path, Engine& engine) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "spur replay: cannot read profiles `" << path << "`\n";
    return false;
  }
  std::string line;
  for (uint64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const DecodedProfile p = decode_profile(line);
    if (!p.ok) {
      std::cerr << path << ":" << number << ": " << p.error << " (line skipped)\n";
      continue;
    }
    engine.set_attributes(p.user, p.attributes);
  }
  return true;
}

}  // namespace

int replay_command(std::span<const std::string> args) {
  Options options;
  bool have_events = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    // The argument after an option, or nullptr when there is none.
    const auto value = [&]() -> const std::string* {
      return i + 1 < args.size() ? &args[++i] : nullptr;
    };
    if (arg == "--rules") {
      const std::string* v = value();
      if (!v) return usage_error("--rules needs a file or folder");
      options.rules.push_back(*v);
    } else if (arg == "--config") {
      const std::string* v = value();
      if (!v) return usage_error(kConfigNeedsFile);
      options.config = *v;
    } else if (arg == "--scores") {
      const std::string* v = value();
      if (!v) return usage_error(kScoresNeedsFile);
      options.scores = *v;
    } else if (arg == "--profiles") {
      const std::string* v = value();
      if (!v) return usage_error("--profiles needs a file");
      options.profiles = *v;
    } else if (arg == "--until") {
      const std::string* v = value();
      const auto t = v ? parse_rfc3339(*v) : std::nullopt;
      if (!t) return usage_error("--until needs an RFC 3339 time such as 2026-11-24T00:00:00Z");
      options.until_ms = *t;
    } else if (arg == "--drain") {
      options.drain = true;
    } else if (arg == "--suppressed") {
      options.suppressed = true;
    } else if (arg == "--stats") {
      options.stats = true;
    } else if (arg == "--conversions") {
      options.conversions = true;
    } else if (arg == "--report" || arg == "--report=table") {
      options.report = Options::Report::kTable;
    } else if (arg == "--report=json") {
      options.report = Options::Report::kJson;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return usage_error("unknown option `" + arg + "`");
    } else if (have_events) {
      return usage_error("only one event file may be given");
    } else {
      options.events = arg;
      have_events = true;
    }
  }
  if (options.rules.empty()) return usage_error("give the rules with --rules PATH");
  if (options.drain && options.until_ms)
    return usage_error("--until and --drain cannot be used together");
  if (!options.scores.empty() && options.config.empty()) return usage_error(kScoresNeedsConfig);
  if (options.suppressed && options.stats)
    return usage_error("--suppressed and --stats cannot be used together");
  if (options.conversions && options.stats)
    return usage_error("--conversions and --stats cannot be used together");
  if (options.report == Options::Report::kJson &&
      (options.stats || options.suppressed || options.conversions))
    return usage_error(
        "--report=json prints one JSON object instead of the records: leave out --stats, "
        "--suppressed and --conversions, or use --report for a table on stderr");

  int status = kExitOk;
  const auto program = load_program(options.rules, "spur replay", status);
  if (!program) return status;

  std::ifstream file;
  std::istream* in = &std::cin;
  if (options.events != "-") {
    file.open(options.events, std::ios::binary);
    if (!file) {
      std::cerr << "spur replay: cannot read `" << options.events << "`\n";
      return kExitUsage;
    }
    in = &file;
  }

  EngineConfig engine_config_used;
  if (!options.config.empty()) {
    auto configured = engine_config(options.config, {}, "spur replay", status, options.scores);
    if (!configured) return status;
    engine_config_used = std::move(*configured);
  }
  Output output(options);
  Engine engine(program, engine_config_used, output);
  if (!options.profiles.empty() && !load_profiles(options.profiles, engine)) return kExitUsage;

  const auto started = std::chrono::steady_clock::now();
  auto last_progress = started;
  uint64_t events = 0, rejected = 0, duplicates = 0;
  DecodingReader reader(*in);
  for (std::vector<ReadEvent> batch = reader.next(); !batch.empty(); batch = reader.next()) {
    const auto hint = [&batch, &engine](size_t i) {
      return batch[i].decoded.ok ? engine.prefetch(batch[i].decoded.event) : Engine::Hint{};
    };
    submit_hinted(batch.size(), hint, [&](size_t i, const Engine::Hint& made) {
      const ReadEvent& read = batch[i];
      Engine::Decision answer;
      const SubmitResult result =
          !read.decoded.ok
              ? SubmitResult{Outcome::kRejected, read.decoded.error, nullptr, "invalid_event"}
          : read.decision ? engine.decide(read.decoded.event, answer)
                          : engine.submit(read.decoded.event, made);
      if (read.decision && result.outcome == Outcome::kAccepted)
        output.on_decision(read.decoded.event, answer, engine.clock().value_or(0));
      ++events;
      if (result.outcome == Outcome::kRejected) {
        ++rejected;
        std::cerr << options.events << ":" << read.line << ": " << result.error
                  << " (line skipped)\n";
      } else if (result.outcome == Outcome::kDuplicate) {
        ++duplicates;
      }
      if ((events & 0xFFFF) == 0) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_progress > std::chrono::seconds(3)) {
          last_progress = now;
          std::cerr << "spur replay: " << events << " events, " << output.firings
                    << " firings so far\n";
        }
      }
    });
  }

  if (options.drain) {
    uint64_t instants = 0;
    while (const auto next = engine.next_deadline()) {
      if (++instants > kMaxDrainInstants) {
        std::cerr << "spur replay: --drain stopped after " << kMaxDrainInstants
                  << " timer instants; the rules keep creating timers\n";
        status = kExitFailed;
        break;
      }
      engine.advance_to(*next);
    }
  } else if (options.until_ms) {
    engine.advance_to(*options.until_ms);  // a time before the clock does nothing
  } else if (const auto clock = engine.clock()) {
    engine.advance_to(*clock);  // the timers due at the last event's time
  }
  output.flush();

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const size_t pending = engine.pending_count();
  if (options.stats) {
    nlohmann::ordered_json stats = {{"events", events},
                                    {"rejected", rejected},
                                    {"duplicates", duplicates},
                                    {"firings", output.firings},
                                    {"suppressed", output.suppressions},
                                    {"pending", pending}};
    nlohmann::ordered_json rules = nlohmann::ordered_json::object();
    // Rule names are unique (the checker's rule), so members are appended without the
    // ordered map's lookup by name, which made this loop quadratic: 1.6G instructions,
    // about half a second, at 10,000 rules.
    using Members = nlohmann::ordered_json::object_t;
    auto& members = rules.get_ref<Members&>();
    const std::vector<size_t> pending_by_rule = engine.pending_by_rule();
    for (uint32_t r = 0; r < program->rules.size(); ++r) {
      members.Members::Container::emplace_back(
          program->rules[r].name,
          nlohmann::ordered_json{{"fired", engine.counts(r).fired},
                                 {"suppressed", engine.counts(r).suppressed},
                                 {"pending", pending_by_rule[r]}});
    }
    stats["rules"] = std::move(rules);
    std::cout << stats.dump() << "\n";
  }
  if (options.report == Options::Report::kJson) std::cout << experiment_json(engine).dump() << "\n";
  if (options.report == Options::Report::kTable) std::cerr << experiment_table(engine);
  std::cerr << "events: " << events << ", rejected: " << rejected << ", duplicates: " << duplicates
            << ", firings: " << output.firings << ", suppressed: " << output.suppressions
            << ", pending left: " << pending << ", events/s: "
            << static_cast<uint64_t>(seconds > 0 ? static_cast<double>(events) / seconds : 0)
            << "\n";
  if (output.decisions > 0) std::cerr << "decisions: " << output.decisions << "\n";
  if (engine.dropped_emits() > 0) {
    std::cerr << "dropped emits (deeper than max_emit_depth): " << engine.dropped_emits() << "\n";
  }
  return status;
}

}  // namespace spur::cli
