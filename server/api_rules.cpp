// Rule endpoints (list, one, reload, validate) and /metrics: the figures that live in the
// shards are gathered from each of them.
#include <unordered_map>

#include "engine/experiment_figures.hpp"
#include "formats/experiment_json.hpp"
#include "server/api.hpp"
#include "server/server.hpp"
#include "storage/event_log.hpp"
#include "storage/log_writer.hpp"
#include "time/time_text.hpp"

namespace spur::server {
namespace {

// Per rule of the running set, summed over the shards that report it.
struct RuleFigures {
  RuleCounts counts;
  uint64_t pending = 0;
};

// Each shard's figures per rule, by the rule numbering of the program it runs. Every
// shard swaps between steps, so during a reload a shard may still run the previous set:
// its figures are matched by rule name.
struct ShardFigures {
  std::vector<std::string> names;  // of the shard's rules
  std::vector<RuleFigures> rules;
  size_t queued = 0;
};

// Firings and conversions per rule with a goal, split or holdout and per cohort (`arm`:
// 1, 2, ..., control, held_out; or treated for a rule without a split).
void experiment_metrics(const std::shared_ptr<const RuleSet>& set,
                        const std::vector<RuleFigures>& figures, std::string& out) {
  for (const bool conversions : {false, true}) {
    const std::string name =
        conversions ? "spur_rule_conversions_total" : "spur_rule_firings_total";
    out += "# HELP " + name +
           (conversions ? " Conversions (goal events) per rule and arm.\n"
                        : " Firings per rule and arm, of rules with a goal, split or holdout.\n");
    out += "# TYPE " + name + " counter\n";
    for (size_t r = 0; r < set->rules.size(); ++r) {
      const CompiledRule& rule = set->program->rules[r];
      if (!rule.experiment) continue;
      const ExperimentFigures f = experiment_figures(figures[r].counts, split_arms(rule));
      std::vector<const CohortFigures*> cohorts;
      for (const CohortFigures& arm : f.arms)
        cohorts.push_back(&arm);
      cohorts.push_back(&f.held_out);
      for (const CohortFigures* c : cohorts) {
        const std::string arm = c->name.starts_with("arm ") ? c->name.substr(4) : c->name;
        out += name + "{rule=\"" + rule.name + "\",arm=\"" + arm + "\"} " +
               std::to_string(conversions ? c->conversions : c->firings) + "\n";
      }
    }
  }
}

void with_rule_figures(Server& server,
                       std::function<void(std::shared_ptr<const RuleSet>, std::vector<RuleFigures>,
                                          std::vector<ShardFigures>)>
                           done) {
  server.gather<ShardFigures>(
      [](ShardState& state) {
        Engine& engine = state.engine();
        ShardFigures figures;
        const size_t n = engine.program().rules.size();
        figures.rules.resize(n);
        const std::vector<size_t> pending = engine.pending_by_rule();
        for (uint32_t r = 0; r < n; ++r) {
          figures.names.push_back(engine.program().rules[r].name);
          figures.rules[r].counts = engine.counts(r);
          figures.rules[r].pending = pending[r];
        }
        return figures;
      },
      [&server, done = std::move(done)](std::vector<ShardFigures> shards,
                                        const std::vector<std::string>&) {
        const std::shared_ptr<const RuleSet> set = server.rules();
        std::unordered_map<std::string_view, size_t> position;
        for (size_t r = 0; r < set->rules.size(); ++r)
          position.emplace(set->rules[r].name, r);
        std::vector<RuleFigures> total(set->rules.size());
        for (size_t s = 0; s < shards.size(); ++s) {
          shards[s].queued = server.shard(s).queued_events();
          for (size_t r = 0; r < shards[s].rules.size(); ++r) {
            const auto it = position.find(shards[s].names[r]);
            if (it == position.end()) continue;
            const RuleFigures& f = shards[s].rules[r];
            RuleFigures& sum = total[it->second];
            sum.counts.add(f.counts);
            sum.pending += f.pending;
          }
        }
        done(set, std::move(total), std::move(shards));
      });
}

}  // namespace

void list_rules(Server& server, Respond respond) {
  with_rule_figures(
      server, [respond = std::move(respond)](const std::shared_ptr<const RuleSet>& set,
                                             const std::vector<RuleFigures>& figures,
                                             const std::vector<ShardFigures>&) {
        nlohmann::ordered_json rules = nlohmann::ordered_json::array();
        for (size_t r = 0; r < set->rules.size(); ++r) {
          const RuleInfo& info = set->rules[r];
          const CompiledRule& rule = set->program->rules[r];
          const int32_t group = rule.group;
          rules.push_back(
              {{"name", info.name},
               {"description", info.description},
               {"file", info.file},
               {"line", info.line},
               {"priority", rule.priority},
               {"group", group < 0 ? nlohmann::ordered_json()
                                   : nlohmann::ordered_json(
                                         set->program->groups[static_cast<size_t>(group)].name)},
               {"triggered", figures[r].counts.triggered},
               {"fired", figures[r].counts.fired},
               {"suppressed", figures[r].counts.suppressed},
               {"pending", figures[r].pending}});
        }
        respond(json_response(200, {{"version", set->version},
                                    {"loaded_at", format_rfc3339(set->loaded_ms)},
                                    {"rules", rules}}));
      });
}

void one_rule(Server& server, const std::string& name, Respond respond) {
  if (server.rules()->find(name) < 0) {
    return respond(error_response(
        404, "unknown_rule", "no rule named `" + name + "` is loaded; GET /v1/rules lists them"));
  }
  with_rule_figures(server, [name, respond = std::move(respond)](
                                const std::shared_ptr<const RuleSet>& set,
                                const std::vector<RuleFigures>& figures,
                                const std::vector<ShardFigures>&) {
    const int64_t r = set->find(name);
    if (r < 0) {  // removed by a reload meanwhile
      return respond(error_response(
          404, "unknown_rule", "no rule named `" + name + "` is loaded; GET /v1/rules lists them"));
    }
    const RuleInfo& info = set->rules[static_cast<size_t>(r)];
    const CompiledRule& rule = set->program->rules[static_cast<size_t>(r)];
    const RuleFigures& f = figures[static_cast<size_t>(r)];
    nlohmann::ordered_json body = {
        {"name", info.name},
        {"description", info.description},
        {"file", info.file},
        {"line", info.line},
        {"priority", rule.priority},
        {"group", rule.group < 0 ? nlohmann::ordered_json()
                                 : nlohmann::ordered_json(
                                       set->program->groups[static_cast<size_t>(rule.group)].name)},
        {"disabled", rule.disabled},
        {"triggered", f.counts.triggered},
        {"fired", f.counts.fired},
        {"suppressed", f.counts.suppressed},
        {"pending", f.pending}};
    if (rule.experiment) body["experiment"] = experiment_json(rule, f.counts);
    body["source"] = info.source;
    respond(json_response(200, body));
  });
}

void reload_rules(Server& server, Respond respond) {
  // A switch of rule sets in the middle of a recovery's replay would replay the rest
  // under the wrong rules.
  if (!server.ready()) {
    Response r = error_response(503, "not_ready",
                                "the server is starting (recovering its state from the data "
                                "folder) or stopping; reload when /readyz answers 200");
    r.headers.emplace_back("Retry-After", "1");
    return respond(std::move(r));
  }
  server.reload("api", [respond = std::move(respond)](const ReloadReport& report) {
    respond(json_response(report.status, report.body));
  });
}

void validate_rules(Server&, const Request& request, Respond respond) {
  // The default label too: `curl --data-binary @file.rules` puts it on the file.
  if (!request.content_type.empty() && request.content_type != "text/plain" &&
      !has_default_label(request)) {
    return respond(error_response(415, "unsupported_media_type",
                                  "Content-Type " + request.content_type +
                                      " is not accepted here; send the rule text as text/plain"));
  }
  const RuleSet set = check_rule_text(request.body, "request", wall_ms());
  respond(json_response(200, {{"ok", set.errors == 0}, {"diagnostics", set.diagnostics}}));
}

namespace {

// Storage mode disk: recovery at start, the log writer's rounds and failures.
void storage_metrics(Server& server, std::string& out) {
  const storage::LogWriter* writer = server.log_writer();
  if (writer == nullptr) return;
  const Metrics& m = server.metrics();
  const auto gauge = [&out](const char* name, const char* help, const std::string& value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n" + name +
           " " + value + "\n";
  };
  gauge("spur_recovery_steps", "Steps replayed at start so far.",
        std::to_string(m.recovery_steps_done.load()));
  gauge("spur_recovery_steps_total", "Steps to replay at start.",
        std::to_string(m.recovery_steps_total.load()));
  gauge("spur_recovery_seconds", "How long recovery took at start (0 until done).",
        std::to_string(static_cast<double>(m.recovery_ms.load()) / 1000.0));
  gauge("spur_storage_writable", "1 while the data folder takes writes.",
        writer->writable() ? "1" : "0");
  gauge("spur_storage_bytes", "Bytes of the data folder's live files and memtables.",
        std::to_string(server.event_log()->bytes_on_disk()));
  add_counter(out, "spur_storage_commits_total", "Shard turns written to the log.", "",
              writer->commits_written());
  add_counter(out, "spur_storage_syncs_total", "Syncs of the log (group commits).", "",
              writer->syncs());
  add_counter(out, "spur_storage_write_failures_total", "Writes the data folder refused.", "",
              writer->write_failures());
  add_counter(out, "spur_checkpoint_passes_total", "Checkpoint passes ended, over all shards.", "",
              m.checkpoint_passes.load());
  add_counter(out, "spur_checkpoint_users_total", "Users saved by the checkpoint passes.", "",
              m.checkpoint_users.load());
  add_counter(out, "spur_checkpoint_bytes_total",
              "Bytes of user state and event ids the checkpoint passes wrote.", "",
              m.checkpoint_bytes.load());
  gauge("spur_checkpoint_longest_chunk_seconds",
        "The most CPU time a chunk of checkpoint took on its shard's thread (ingestion waits that "
        "long at most).",
        std::to_string(static_cast<double>(m.checkpoint_longest_chunk_ns.load()) / 1e9));
}

}  // namespace

void metrics_text(Server& server, Respond respond) {
  with_rule_figures(server, [&server, respond = std::move(respond)](
                                const std::shared_ptr<const RuleSet>& set,
                                const std::vector<RuleFigures>& figures,
                                const std::vector<ShardFigures>& shards) {
    const Metrics& m = server.metrics();
    std::string out;
    const auto counter = [&out](const char* name, const char* help, uint64_t value) {
      add_counter(out, name, help, "", value);
    };
    counter("spur_events_received_total", "Events in request bodies.", m.events_received.load());
    counter("spur_events_accepted_total", "Events taken.", m.events_accepted.load());
    counter("spur_events_rejected_total", "Events refused, with a reason.",
            m.events_rejected.load());
    counter("spur_events_duplicate_total", "Events ignored as duplicates.",
            m.events_duplicate.load());
    add_counter(out, "spur_decisions_total", "Decision requests by outcome.",
                "outcome=\"answered\"", m.decisions.load());
    add_counter(out, "spur_decisions_total", "", "outcome=\"rejected\"",
                m.decisions_rejected.load(), false);
    counter("spur_overloaded_total", "Requests refused with 503: queues full.",
            m.overloaded.load());
    add_counter(out, "spur_http_scores_total", "Scores asked of http scorers by outcome.",
                "outcome=\"ok\"", m.scores_fetched.load());
    add_counter(out, "spur_http_scores_total", "", "outcome=\"default\"", m.score_defaults.load(),
                false);
    add_counter(out, "spur_reloads_total", "Rule set reloads by outcome.", "outcome=\"ok\"",
                m.reloads_ok.load());
    add_counter(out, "spur_reloads_total", "", "outcome=\"error\"", m.reloads_failed.load(), false);
    storage_metrics(server, out);
    for (const auto* kind : {"fired", "suppressed"}) {
      const std::string name = std::string("spur_rule_") + kind + "_total";
      for (size_t r = 0; r < set->rules.size(); ++r) {
        const uint64_t value =
            kind[0] == 'f' ? figures[r].counts.fired : figures[r].counts.suppressed;
        add_counter(out, name, std::string("Activations ") + kind + " per rule.",
                    "rule=\"" + set->rules[r].name + "\"", value, r == 0);
      }
    }
    experiment_metrics(set, figures, out);
    out +=
        "# HELP spur_pending_matches Waiting matches per rule.\n# TYPE spur_pending_matches "
        "gauge\n";
    for (size_t r = 0; r < set->rules.size(); ++r)
      out += "spur_pending_matches{rule=\"" + set->rules[r].name + "\"} " +
             std::to_string(figures[r].pending) + "\n";
    out +=
        "# HELP spur_shard_queue_events Events queued per shard.\n# TYPE spur_shard_queue_events "
        "gauge\n";
    for (size_t s = 0; s < shards.size(); ++s)
      out += "spur_shard_queue_events{shard=\"" + std::to_string(s) + "\"} " +
             std::to_string(shards[s].queued) + "\n";
    out +=
        "# HELP spur_action_deliveries_total Firings handed to adapters by outcome.\n"
        "# TYPE spur_action_deliveries_total counter\n";
    const std::vector<FiringSink::Figures> adapters = server.sink().figures();
    for (const FiringSink::Figures& adapter : adapters) {
      const auto line = [&out, &adapter](const char* outcome, uint64_t n) {
        out += "spur_action_deliveries_total{adapter=\"" + adapter.name + "\",outcome=\"" +
               outcome + "\"} " + std::to_string(n) + "\n";
      };
      if (adapter.confirms_later) {
        line("ok", adapter.counts.delivered);
        line("retried", adapter.counts.retried);
        line("dead_letter", adapter.counts.dead_lettered);
      } else {
        line("ok", adapter.delivered);
        line("failed", adapter.failed);
      }
    }
    out +=
        "# HELP spur_action_queue_depth Firings an adapter holds, not yet delivered.\n"
        "# TYPE spur_action_queue_depth gauge\n";
    for (const FiringSink::Figures& adapter : adapters) {
      if (adapter.confirms_later)
        out += "spur_action_queue_depth{adapter=\"" + adapter.name + "\"} " +
               std::to_string(adapter.counts.queued) + "\n";
    }
    out +=
        "# HELP spur_evaluation_seconds Time to handle one event in its shard.\n"
        "# TYPE spur_evaluation_seconds histogram\n";
    m.evaluation.render("spur_evaluation_seconds", "", out);
    out +=
        "# HELP spur_http_request_seconds Time from request read to response queued.\n"
        "# TYPE spur_http_request_seconds histogram\n";
    m.http.render("spur_http_request_seconds", "", out);
    Response r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = std::move(out);
    respond(std::move(r));
  });
}

}  // namespace spur::server
