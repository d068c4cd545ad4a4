// POST /v1/events (http-api.md): decode on the I/O thread, route each event to the shard
// of its user, answer when every shard has taken its part.
//
// The acknowledgement path is decode -> validate -> admit (claim queue room in every
// shard involved, all or nothing) -> hand over -> the shards handle the events and hand
// their turn to the log writer (storage mode `disk`) -> answer when every part is durable
// (docs/server.md, "Durability").
#include <map>

#include "formats/json_codec.hpp"
#include "server/api.hpp"
#include "server/server.hpp"
#include "storage/log_writer.hpp"

namespace spur::server {
namespace {

nlohmann::ordered_json rejection(size_t index, const std::string& code,
                                 const std::string& message) {
  return {{"index", index}, {"code", code}, {"message", message}};
}

// The 202 (or 422 when nothing was taken and something was rejected) of a batch whose
// every event has an outcome; 503 when a part could not be made durable.
Response answer(Metrics& metrics, const IngestBatch& batch, const Server& server) {
  if (batch.not_durable.load(std::memory_order_relaxed)) {
    const auto* writer = server.log_writer();
    return not_durable(writer != nullptr ? writer->failure() : "");
  }
  uint64_t accepted = 0;
  uint64_t duplicates = 0;
  nlohmann::ordered_json rejected = nlohmann::ordered_json::array();
  for (size_t i = 0; i < batch.results.size(); ++i) {
    const IngestBatch::Result& r = batch.results[i];
    if (r.outcome == Outcome::kAccepted) ++accepted;
    if (r.outcome == Outcome::kDuplicate) ++duplicates;
    if (r.outcome == Outcome::kRejected) rejected.push_back(rejection(i, r.code, r.error));
  }
  metrics.events_accepted.fetch_add(accepted, std::memory_order_relaxed);
  metrics.events_duplicate.fetch_add(duplicates, std::memory_order_relaxed);
  metrics.events_rejected.fetch_add(rejected.size(), std::memory_order_relaxed);
  const int status = accepted == 0 && !rejected.empty() ? 422 : 202;
  return json_response(
      status, {{"accepted", accepted}, {"duplicates", duplicates}, {"rejected", rejected}});
}

}  // namespace

void post_events(Server& server, const Request& request, Respond respond) {
  BodyFormat format = BodyFormat::kJson;
  if (request.content_type == "application/x-ndjson" ||
      request.content_type == "application/ndjson") {
    format = BodyFormat::kNdjson;
  } else if (!is_json_body(request)) {
    return respond(error_response(
        415, "unsupported_media_type",
        "Content-Type " + request.content_type +
            " is not accepted here; send application/json (one event or an array) or "
            "application/x-ndjson (one event per line)"));
  }
  const Limits& limits = server.config().limits;
  DecodedBody body = decode_event_body(
      request.body, format, {.max_events = limits.batch_events, .max_depth = limits.json_depth});
  if (body.status == DecodedBody::Status::kMalformed)
    return respond(error_response(400, "malformed_body", body.error));
  if (body.status == DecodedBody::Status::kTooMany)
    return respond(error_response(413, "too_many_events", body.error));

  Metrics& metrics = server.metrics();
  metrics.events_received.fetch_add(body.events.size(), std::memory_order_relaxed);
  auto batch = std::make_shared<IngestBatch>();
  batch->results.resize(body.events.size());
  const int64_t now = wall_ms();
  // shard -> (index in the body, event)
  std::map<size_t, std::vector<std::pair<uint32_t, Event>>> parts;
  for (size_t i = 0; i < body.events.size(); ++i) {
    DecodedEvent& decoded = body.events[i];
    IngestBatch::Result& result = batch->results[i];
    if (!decoded.ok) {
      result = {Outcome::kRejected, "invalid_event", std::move(decoded.error)};
      continue;
    }
    Event& event = decoded.event;
    // A time ahead of the wall clock is the shard's engine's to judge (too_early).
    if (!event.has_time) {
      event.time_ms = now;
      event.has_time = true;
    }
    if (event.id.empty()) {
      event.id = server.next_event_id();
      event.id_unique = true;
    }
    parts[server.shard_of(event.user)].emplace_back(static_cast<uint32_t>(i), std::move(event));
  }
  if (parts.empty()) return respond(answer(metrics, *batch, server));
  if (auto refused = refuse_write(server)) return respond(std::move(*refused));

  for (auto it = parts.begin(); it != parts.end(); ++it) {
    if (server.shard(it->first).reserve(it->second.size())) continue;
    for (auto taken = parts.begin(); taken != it; ++taken)
      server.shard(taken->first).release(taken->second.size());
    metrics.overloaded.fetch_add(1, std::memory_order_relaxed);
    Response r = error_response(503, "overloaded",
                                "the event queues are full; nothing of this request was taken; "
                                "retry after the delay in Retry-After");
    r.headers.emplace_back("Retry-After", "1");
    return respond(std::move(r));
  }
  batch->parts_left = parts.size();
  batch->done = [&server, &metrics, respond = std::move(respond)](IngestBatch& done) {
    respond(answer(metrics, done, server));
  };
  for (auto& [shard, events] : parts)
    server.shard(shard).post_events(batch, std::move(events));
}

}  // namespace spur::server
