// POST /v1/decide (http-api.md; language.md section 10): a decision request is a step of
// its user's shard that triggers the placement's `decide` rules and adds nothing to
// history; the answer is the first `respond` of the step's firings.
//
// The answer does not wait for the disk: a decision takes no data from the caller, and
// an answer of a few hundred microseconds is the point of asking. The step is logged
// with the shard's turn (storage mode disk), and its firings' sends go out once it is
// durable, as every firing does (docs/server.md, "Decisions").
#include "formats/json_codec.hpp"
#include "server/api.hpp"
#include "server/server.hpp"

namespace spur::server {
namespace {

// {"placement", "content", "rule", "firing_id"} (http-api.md), written straight from the
// answer: the content is a Value, already in the form of formats.md.
std::string answer_json(const Event& request, const Engine::Decision& answer) {
  std::string out = "{\"placement\":";
  append_quoted(out, request.name);
  if (answer.rule.empty()) {
    out += ",\"content\":null,\"rule\":null,\"firing_id\":null}";
    return out;
  }
  out += ",\"content\":";
  append_json(out, answer.content);
  out += ",\"rule\":";
  append_quoted(out, answer.rule);
  out += ",\"firing_id\":\"";
  append_firing_id(out, answer.rule, request.user, answer.trigger, answer.time_ms);
  out += "\"}";
  return out;
}

}  // namespace

void post_decide(Server& server, const Request& request, Respond respond) {
  if (!is_json_body(request)) {
    return respond(error_response(415, "unsupported_media_type",
                                  "Content-Type " + request.content_type +
                                      " is not accepted here; send application/json: "
                                      "{\"user\": ..., \"placement\": ..., \"context\": {...}}"));
  }
  bool malformed = false;
  DecodedEvent decoded =
      decode_decision(request.body, server.config().limits.json_depth, malformed);
  if (malformed) {
    return respond(error_response(400, "malformed_body",
                                  decoded.error + "; the body is one JSON object: {\"user\": "
                                                  "..., \"placement\": ..., \"context\": {...}}"));
  }
  if (!decoded.ok) return respond(error_response(422, "invalid_request", decoded.error));
  if (auto refused = refuse_write(server)) return respond(std::move(*refused));
  Event decision = std::move(decoded.event);
  decision.id = server.next_event_id();
  decision.id_unique = true;
  Shard& shard = server.shard(server.shard_of(decision.user));
  // Counted with the events: a flood of decisions meets the same bound as one of events.
  if (!shard.reserve(1)) {
    server.metrics().overloaded.fetch_add(1, std::memory_order_relaxed);
    Response r = error_response(503, "overloaded",
                                "the queues are full; the decision was not made; retry after the "
                                "delay in Retry-After");
    r.headers.emplace_back("Retry-After", "1");
    return respond(std::move(r));
  }
  shard.post_decision(
      std::move(decision), [&metrics = server.metrics(), respond = std::move(respond)](
                               ShardState& state, const Event& decision) {
        Engine::Decision answer;
        const SubmitResult result = state.decide(decision, answer);
        if (result.outcome == Outcome::kRejected) {
          metrics.decisions_rejected.fetch_add(1, std::memory_order_relaxed);
          return respond(error_response(422, std::string(result.code), result.error));
        }
        metrics.decisions.fetch_add(1, std::memory_order_relaxed);
        Response r;
        r.body = answer_json(decision, answer);
        respond(std::move(r));
      });
}

}  // namespace spur::server
