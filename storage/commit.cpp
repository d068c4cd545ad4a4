#include "storage/commit.hpp"

#include "storage/event_log.hpp"

namespace spur::storage {

void Commit::add_event(int64_t clock_ms, const Event& event) {
  steps_.push_back({user_key(log_->partition_of(event.user), event.user, log_->next_seq()),
                    event_value(clock_ms, event)});
}

void Commit::add_attributes(RecordKind kind, int64_t clock_ms, const std::string& user,
                            const Value& attributes) {
  steps_.push_back({user_key(log_->partition_of(user), user, log_->next_seq()),
                    attributes_value(kind, clock_ms, attributes)});
}

void Commit::add_tick(int64_t clock_ms, uint32_t shard, uint32_t shards) {
  steps_.push_back({tick_key(log_->next_seq()), tick_value(clock_ms, shard, shards)});
}

std::unique_ptr<Commit> Commit::redelivery(EventLog& log, std::vector<OutboxEntry> firings) {
  auto commit = std::make_unique<Commit>(log);
  commit->firings_ = std::move(firings);
  commit->in_outbox_ = true;
  return commit;
}

void Commit::add_program(int64_t clock_ms, uint64_t version, uint32_t shard, uint32_t shards) {
  steps_.push_back({tick_key(log_->next_seq()), program_value(clock_ms, version, shard, shards)});
}

void Commit::add_rules(uint64_t version, const RuleFiles& files) {
  steps_.push_back({rules_key(version), rules_value(files)});
}

void Commit::add_firing(std::string_view user, std::string_view targets, std::string_view json) {
  firings_.push_back({0, std::string(user), std::string(targets), std::string(json)});
}

void Commit::erase_user(const std::string& user) {
  steps_.push_back({user_prefix(log_->partition_of(user), user), user, true});
}

bool Commit::erases() const {
  for (const Step& step : steps_) {
    if (step.erase) return true;
  }
  return false;
}

}  // namespace spur::storage
