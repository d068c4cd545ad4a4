// Per-user endpoints: profiles (GET, PATCH, PUT, DELETE) and recent firings. Each runs as
// a task on the user's shard, in order with that user's events.
#include <algorithm>

#include "formats/json_codec.hpp"
#include "server/api.hpp"
#include "server/server.hpp"
#include "time/time_text.hpp"

namespace spur::server {
namespace {

nlohmann::ordered_json time_or_null(const std::optional<int64_t>& ms) {
  return ms ? nlohmann::ordered_json(format_rfc3339(*ms)) : nlohmann::ordered_json();
}

Response profile_json(const Engine& engine, const std::string& user) {
  const UserState* u = engine.user(user);
  if (u == nullptr) {
    return error_response(
        404, "unknown_user",
        "Spur holds nothing about user `" + user + "`; post an event or PATCH the profile first");
  }
  nlohmann::ordered_json segments = nlohmann::ordered_json::array();
  for (const uint32_t s : u->segments())
    segments.push_back(engine.program().segments[s].name);
  return json_response(200, {{"user", user},
                             {"attributes", nlohmann::ordered_json::parse(to_json(u->attributes))},
                             {"segments", segments},
                             {"first_seen", time_or_null(u->first_seen())},
                             {"last_seen", time_or_null(u->last_seen())}});
}

// The attributes of a PATCH or PUT body: `{"attributes": {...}}` (the shape GET answers)
// or the attributes object itself. nullopt with `error` set otherwise.
std::optional<Value> attributes_of(const Request& request, Response& error) {
  if (!is_json_body(request)) {
    error = error_response(
        415, "unsupported_media_type",
        "Content-Type " + request.content_type + " is not accepted here; send application/json");
    return std::nullopt;
  }
  std::string problem;
  std::optional<Value> body = parse_json_value(request.body, problem);
  if (!body) {
    error = error_response(400, "malformed_body",
                           "the body is " + (request.body.empty() ? "empty" : problem) +
                               "; send a JSON object of attributes");
    return std::nullopt;
  }
  if (body->kind() != Value::Kind::kObject) {
    error = error_response(422, "invalid_profile",
                           "the body must be a JSON object of attributes, such as {\"ltv\": 900}");
    return std::nullopt;
  }
  const Object& members = body->as_object();
  if (members.size() == 1 && members.front().first == "attributes" &&
      members.front().second.kind() == Value::Kind::kObject) {
    return members.front().second;
  }
  return body;
}

// What happened to each rule the step's event triggers (or only to `only`).
nlohmann::ordered_json explain_step(const Engine& engine, const RuleSet& set,
                                    const std::string& user, const LastStep& step,
                                    const std::string& only) {
  const Program& program = engine.program();
  nlohmann::ordered_json rules = nlohmann::ordered_json::array();
  const Event event = step.event(user);
  const Program::EventPlan* plan = program.plan(event.name);
  const UserState* u = engine.user(user);
  static const std::vector<uint32_t> kNone;
  for (const uint32_t r : plan ? plan->rules : kNone) {
    const CompiledRule& rule = program.rules[r];
    if (!only.empty() && rule.name != only) continue;
    nlohmann::ordered_json entry = {{"rule", rule.name}};
    const auto outcome = std::find_if(step.outcomes.begin(), step.outcomes.end(),
                                      [&](const auto& o) { return o.first == rule.name; });
    const PendingMatch* waiting = nullptr;
    if (u != nullptr) {
      for (const PendingMatch& m : u->pending) {
        if (m.rule() == r && m.trigger_id() == event.id) waiting = &m;
      }
    }
    if (outcome != step.outcomes.end()) {
      entry["status"] = outcome->second == "fired" ? "fired" : "suppressed";
      if (outcome->second != "fired") entry["reason"] = outcome->second;
    } else if (waiting != nullptr) {
      int64_t deadline = INT64_MAX;
      for (size_t p = 0; p < rule.futures.size(); ++p) {
        if (!waiting->held(p))
          deadline = std::min(deadline, waiting->trigger_ms() + rule.futures[p].within_ms);
      }
      entry["status"] = "waiting";
      entry["deadline"] = deadline == INT64_MAX ? nlohmann::ordered_json()
                                                : nlohmann::ordered_json(format_rfc3339(deadline));
    } else {
      entry["status"] = "not_matched";
      const auto why = engine.first_false_condition(user, event, r);
      const int64_t info = set.find(rule.name);
      if (why && info >= 0 &&
          why->operand < set.rules[static_cast<size_t>(info)].conditions.size()) {
        nlohmann::ordered_json values = nlohmann::ordered_json::array();
        for (const Value& v : why->values)
          values.push_back(nlohmann::ordered_json::parse(to_json(v)));
        entry["condition"] = set.rules[static_cast<size_t>(info)].conditions[why->operand];
        entry["values"] = values;
      } else {
        entry["condition"] = nullptr;  // every condition holds now; the state changed since
      }
    }
    rules.push_back(std::move(entry));
  }
  return {
      {"user", user},
      {"event", {{"id", event.id}, {"event", event.name}, {"time", format_rfc3339(step.at_ms())}}},
      {"rules", rules}};
}

}  // namespace

void profile_request(Server& server, const Request& request, const std::string& user,
                     Respond respond) {
  Shard& shard = server.shard(server.shard_of(user));
  if (request.method == "GET") {
    return shard.post([user, respond = std::move(respond)](ShardState& state) {
      respond(profile_json(state.engine(), user));
    });
  }
  if (auto refused = refuse_write(server)) return respond(std::move(*refused));
  if (request.method == "DELETE") {
    return shard.post([user, respond = std::move(respond)](ShardState& state) {
      state.erase_user(user);
      state.when_durable([respond](const std::string& error) {
        if (!error.empty()) return respond(not_durable(error));
        Response r;
        r.status = 204;
        respond(std::move(r));
      });
    });
  }
  Response error;
  std::optional<Value> attributes = attributes_of(request, error);
  if (!attributes) return respond(std::move(error));
  const bool merge = request.method == "PATCH";
  shard.post([user, respond = std::move(respond), merge,
              attributes = std::move(*attributes)](ShardState& state) {
    state.write_attributes(user, attributes, merge);
    state.when_durable(
        [respond, answer = profile_json(state.engine(), user)](const std::string& error) {
          respond(error.empty() ? answer : not_durable(error));
        });
  });
}

void user_firings(Server& server, const Request& request, const std::string& user,
                  Respond respond) {
  size_t limit = 50;
  if (const std::string* text = request.param("limit")) {
    char* end = nullptr;
    const long n = std::strtol(text->c_str(), &end, 10);
    if (text->empty() || *end != '\0' || n < 1 || n > long{ShardState::kRecentFirings}) {
      return respond(error_response(400, "bad_parameter",
                                    "`limit` must be a whole number from 1 to " +
                                        std::to_string(ShardState::kRecentFirings) + ", not `" +
                                        *text + "`"));
    }
    limit = static_cast<size_t>(n);
  }
  server.shard(server.shard_of(user))
      .post([user, limit, respond = std::move(respond)](ShardState& state) {
        const UserRecord* record = state.record(user);
        if (record == nullptr && state.engine().user(user) == nullptr) {
          return respond(
              error_response(404, "unknown_user", "Spur holds nothing about user `" + user + "`"));
        }
        // The firings are kept as the JSON lines the adapters got: spliced in, not re-parsed.
        Response r;
        r.body = "{\"user\":" +
                 nlohmann::ordered_json(user).dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace) +
                 ",\"firings\":[";
        if (record != nullptr) {
          const std::vector<std::string_view> firings = state.recent_firings(*record, limit);
          for (size_t i = 0; i < firings.size(); ++i) {
            if (i > 0) r.body += ',';
            r.body += firings[i];
          }
        }
        r.body += "]}";
        respond(std::move(r));
      });
}

void user_explain(Server& server, const Request& request, const std::string& user,
                  Respond respond) {
  const std::string only = request.param("rule") ? *request.param("rule") : "";
  const std::shared_ptr<const RuleSet> set = server.rules();
  if (!only.empty() && set->find(only) < 0) {
    return respond(error_response(
        404, "unknown_rule", "no rule named `" + only + "` is loaded; GET /v1/rules lists them"));
  }
  server.shard(server.shard_of(user))
      .post([user, only, set, respond = std::move(respond)](ShardState& state) {
        const UserRecord* record = state.record(user);
        const LastStep* step =
            record != nullptr && record->last_step.taken() ? &record->last_step : nullptr;
        if (step == nullptr) {
          return respond(error_response(404, "unknown_user",
                                        "no event of user `" + user + "` has been handled yet"));
        }
        respond(json_response(200, explain_step(state.engine(), *set, user, *step, only)));
      });
}

}  // namespace spur::server
