#include "storage/commit.hpp"

#include "storage/event_log.hpp"

namespace spur::storage {

void Commit::add_user_step(const std::string& user, std::string value) {
  const uint64_t seq = log_->next_seq();
  steps_.push_back({user, std::move(value), StepKind::kUserStep, seq, log_->partition_of(user)});
  fired_.widen({seq, seq});
}

void Commit::add_event(int64_t clock_ms, const Event& event) {
  add_user_step(event.user, event_value(clock_ms, event));
}

void Commit::add_decision(int64_t clock_ms, const Event& request) {
  add_user_step(request.user, decision_value(clock_ms, request));
}

void Commit::add_attributes(RecordKind kind, int64_t clock_ms, const std::string& user,
                            const Value& attributes) {
  add_user_step(user, attributes_value(kind, clock_ms, attributes));
}

void Commit::add_tick(int64_t clock_ms, uint32_t shard, uint32_t shards) {
  const uint64_t seq = log_->next_seq();
  steps_.push_back({tick_key(seq), tick_value(clock_ms, shard, shards)});
  fired_.widen({seq, seq});
}

std::unique_ptr<Commit> Commit::redelivery(EventLog& log, std::vector<OutboxEntry> firings) {
  auto commit = std::make_unique<Commit>(log);
  commit->firings_ = std::move(firings);
  commit->in_outbox_ = true;
  commit->rederived_ = true;
  return commit;
}

uint64_t Commit::add_program(int64_t clock_ms, uint64_t version, uint32_t shard, uint32_t shards) {
  const uint64_t seq = log_->next_seq();
  steps_.push_back({tick_key(seq), program_value(clock_ms, version, shard, shards)});
  return seq;
}

void Commit::add_rules(uint64_t version, const RuleFiles& files) {
  steps_.push_back({rules_key(version), rules_value(files)});
}

void Commit::add_firing(std::string_view user, std::string_view targets, std::string_view json,
                        bool confirmed_later) {
  firings_.push_back({0, std::string(user), std::string(targets), std::string(json)});
  confirmed_later_ = confirmed_later_ || confirmed_later;
}

void Commit::erase_user(const std::string& user) {
  steps_.push_back({partition_prefix('L', log_->partition_of(user)), user, StepKind::kErase});
}

void Commit::add_checkpoint(const std::string& user, int64_t clock_ms, uint64_t version,
                            std::string_view engine_state, std::string_view server_state) {
  steps_.push_back(
      {checkpoint_key(log_->partition_of(user), user),
       checkpoint_value(log_->next_seq(), clock_ms, version, engine_state, server_state)});
}

void Commit::add_recent_ids(uint32_t shard, uint64_t pass, uint32_t chunk,
                            const std::vector<RecentId>& ids) {
  steps_.push_back({recent_ids_key(shard, pass, chunk), recent_ids_value(ids)});
}

void Commit::end_pass(const PassRecord& pass) {
  steps_.push_back({pass_key(pass.shard), pass_value(pass), StepKind::kEndPass});
}

bool Commit::erases() const {
  for (const Step& step : steps_) {
    if (step.kind == StepKind::kErase) return true;
  }
  return false;
}

}  // namespace spur::storage
