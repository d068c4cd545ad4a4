// A shard's input steps that wait for http scores (docs/models.md, "http scorers"): the
// scores a step may ask (Engine::remote_queries) are fetched before it runs, on the
// fetcher's threads; meanwhile the user's later events wait behind it, in order, and the
// shard goes on with other users. The step then runs at the shard's clock when the last
// score came, as an event arriving then would, and its scores are the ones fetched (or
// the scorer's default, marked as such, after a timeout or an error).
#include <limits>

#include "models/remote_scores.hpp"
#include "server/log.hpp"
#include "server/score_fetcher.hpp"
#include "server/shard.hpp"

namespace spur::server {

bool Shard::wait_for_scores(uint32_t index, Event& event, std::shared_ptr<WaitingPart>& part,
                            const std::shared_ptr<IngestBatch>& batch) {
  auto found = waiting_.find(event.user);
  if (found == waiting_.end()) {
    WaitingUser fresh;
    if (!fetch_scores(event, false, fresh)) return false;
    found = waiting_.emplace(event.user, std::move(fresh)).first;
  }
  if (!part) part = std::make_shared<WaitingPart>(WaitingPart{batch, 0});
  ++part->events;
  found->second.events.push_back({std::move(event), index, part, nullptr});
  return true;
}

void Shard::post_decision(Event request, Decision answer) {
  post([this, request = std::move(request), answer = std::move(answer)](ShardState&) mutable {
    decide(std::move(request), answer);
  });
}

void Shard::decide(Event request, Decision& answer) {
  if (scoring_.fetcher != nullptr) {
    auto found = waiting_.find(request.user);
    WaitingUser fresh;
    if (found != waiting_.end() || fetch_decision_scores(request, fresh)) {
      if (found == waiting_.end()) found = waiting_.emplace(request.user, std::move(fresh)).first;
      found->second.events.push_back({std::move(request), 0, nullptr, std::move(answer)});
      return;
    }
  }
  release(1);  // the room the caller reserved, held while the request was queued
  answer(state_, request);
}

bool Shard::fetch_decision_scores(const Event& request, WaitingUser& waiting) {
  try {
    return fetch_scores(request, true, waiting);
  } catch (const std::exception& e) {
    log_line("error", "a decision's scores could not be asked", {{"what", e.what()}});
    return false;
  }
}

bool Shard::fetch_scores(const Event& event, bool decision, WaitingUser& waiting) {
  Engine& engine = state_.engine();
  const int64_t at = engine.clock().value_or(wall_ms());
  std::vector<Engine::RemoteQuery> queries = engine.remote_queries(event, decision);
  std::erase_if(queries, [&](const Engine::RemoteQuery& q) {
    return scoring_.scores->fresh(q.model, event.user, at);
  });
  if (queries.empty()) return false;
  waiting.fetches = queries.size();
  for (Engine::RemoteQuery& query : queries) {
    const std::string model = query.model;
    ask(event.user, std::move(query),
        [this, user = event.user, model](const ScoreFetcher::Answer& answer) {
          on_score(user, model, answer.score, answer.error);
        });
  }
  return true;
}

void Shard::ask(const std::string& user, Engine::RemoteQuery query,
                std::function<void(ScoreFetcher::Answer)> then) {
  // The answer comes back to this shard's loop as a task: only the loop touches
  // waiting_, the engine and the log.
  scoring_.fetcher->fetch(query.model, user, std::move(query.features),
                          [this, then = std::move(then)](ScoreFetcher::Answer answer) {
                            post([then, answer = std::move(answer)](ShardState&) { then(answer); });
                          });
}

models::RemoteScores::Entry Shard::entry_of(const std::string& user, const std::string& model,
                                            std::optional<double> score, const std::string& error) {
  const ScorerSettings& settings = scoring_.settings->at(model);
  const int64_t now = state_.engine().clock().value_or(wall_ms());
  models::RemoteScores::Entry entry;
  if (score) {
    metrics_.scores_fetched.fetch_add(1, std::memory_order_relaxed);
    entry.value = Value::number(*score);
    if (settings.cache_ms > 0) entry.until_ms = now + settings.cache_ms;
  } else {
    entry.value = settings.default_score ? Value::number(*settings.default_score) : Value();
    entry.fallback = true;
    metrics_.score_defaults.fetch_add(1, std::memory_order_relaxed);
    log_line("warning", "an http scorer gave no score: its default is used",
             {{"scorer", model}, {"user", user}, {"error", error}});
  }
  return entry;
}

void Shard::on_score(const std::string& user, const std::string& model, std::optional<double> score,
                     const std::string& error) {
  scoring_.scores->put(model, user, entry_of(user, model, score, error));
  const auto found = waiting_.find(user);
  if (found == waiting_.end() || --found->second.fetches > 0) return;
  resume(user);
}

void Shard::fetch_timer_scores() {
  if (scoring_.fetcher == nullptr) return;
  Engine& engine = state_.engine();
  for (Engine::DueQuery& due : engine.remote_queries_due(wall_ms() + timer_lead_ms_)) {
    if (scoring_.scores->fresh(due.query.model, due.user, due.due_ms)) continue;
    const std::string model = due.query.model;
    ask(due.user, std::move(due.query),
        [this, user = due.user, model, due_ms = due.due_ms](const ScoreFetcher::Answer& answer) {
          on_timer_score(user, model, due_ms, answer);
        });
  }
}

void Shard::on_timer_score(const std::string& user, const std::string& model, int64_t due_ms,
                           const ScoreFetcher::Answer& answer) {
  models::RemoteScores::Entry entry = entry_of(user, model, answer.score, answer.error);
  if (entry.fallback) return;
  entry.until_ms = std::max(entry.until_ms, due_ms);  // INT64_MIN (no cache) is below any
  state_.put_timer_score(user, model, entry);
}

void Shard::resume(const std::string& user) {
  for (;;) {
    const auto found = waiting_.find(user);
    WaitingUser& waiting = found->second;
    if (waiting.events.empty()) {
      waiting_.erase(found);
      return;
    }
    state_.advance_to(wall_ms());
    WaitingEvent& head = waiting.events.front();
    if (head.decision) {
      if (fetch_decision_scores(head.event, waiting)) return;
      release(1);
      head.decision(state_, head.event);
      waiting.events.pop_front();
      continue;
    }
    IngestBatch::Result& out = head.part->batch->results[head.index];
    try {
      // A later event's step may ask other scores, or its cached ones may have gone
      // stale. (Inside the try: a waiting event is always handled, or the user's
      // events would wait for ever.)
      if (fetch_scores(head.event, false, waiting)) return;
      SubmitResult result = state_.submit(std::move(head.event));
      out = {result.outcome, std::string(result.code), std::move(result.error)};
    } catch (const std::exception& e) {
      log_line("error", "an event failed in its shard", {{"what", e.what()}});
      out = {Outcome::kRejected, "internal_error", std::string("internal error: ") + e.what()};
    }
    release(1);
    if (--head.part->events == 0) finish(head.part->batch);
    waiting.events.pop_front();
  }
}

}  // namespace spur::server
