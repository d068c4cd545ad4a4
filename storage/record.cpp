#include "storage/record.hpp"

#include "engine/fnv.hpp"
#include "formats/json_codec.hpp"

namespace spur::storage {
namespace {

void put_u64(std::string& out, uint64_t n) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((n >> shift) & 0xff));
}

void put_u32(std::string& out, uint32_t n) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((n >> shift) & 0xff));
}

void put_text(std::string& out, std::string_view text) {
  put_u32(out, static_cast<uint32_t>(text.size()));
  out += text;
}

// Reads what the put_ functions wrote, every read checked against the end: bytes this
// format did not write are reported, never read past.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}
  bool ok() const { return ok_; }
  std::string_view rest() const { return rest_; }

  uint64_t u64() { return number(8); }
  uint32_t u32() { return static_cast<uint32_t>(number(4)); }
  uint8_t u8() { return static_cast<uint8_t>(number(1)); }
  std::string_view text() {
    const uint32_t size = u32();
    if (!ok_ || size > rest_.size()) return fail();
    const std::string_view out = rest_.substr(0, size);
    rest_.remove_prefix(size);
    return out;
  }

 private:
  uint64_t number(size_t bytes) {
    if (!ok_ || rest_.size() < bytes) {
      fail();
      return 0;
    }
    uint64_t n = 0;
    for (size_t i = 0; i < bytes; ++i)
      n = (n << 8) | static_cast<uint8_t>(rest_[i]);
    rest_.remove_prefix(bytes);
    return n;
  }
  std::string_view fail() {
    ok_ = false;
    rest_ = {};
    return {};
  }

  std::string_view rest_;
  bool ok_ = true;
};

constexpr uint8_t kHasTime = 1;
constexpr uint8_t kIdUnique = 2;

std::string step_head(RecordKind kind, int64_t clock_ms) {
  std::string out;
  out.push_back(static_cast<char>(kind));
  put_u64(out, static_cast<uint64_t>(clock_ms));
  return out;
}

std::optional<Value> json_rest(std::string_view json, std::string& error) {
  std::string why;
  auto value = parse_json_value(json, why, kMaxJsonDepth);
  if (!value) error = "its properties are not JSON (" + why + ")";
  return value;
}

}  // namespace

uint32_t partition_of(std::string_view user, uint32_t partitions) {
  return static_cast<uint32_t>(fnv1a(user) % partitions);
}

std::string seq_range_value(const SeqRange& range) {
  std::string out;
  put_u64(out, range.first);
  put_u64(out, range.last);
  return out;
}

std::optional<SeqRange> decode_seq_range(std::string_view value) {
  Reader in(value);
  SeqRange range;
  range.first = in.u64();
  range.last = in.u64();
  if (!in.ok() || !in.rest().empty()) return std::nullopt;
  return range;
}

std::string meta_key(std::string_view name) {
  return "M" + std::string(name);
}

std::string partition_prefix(char tag, uint32_t partition) {
  std::string out(1, tag);
  out.push_back(static_cast<char>((partition >> 8) & 0xff));
  out.push_back(static_cast<char>(partition & 0xff));
  return out;
}

std::string steps_from(uint32_t partition, uint64_t seq) {
  std::string out = partition_prefix('L', partition);
  put_u64(out, seq);
  return out;
}

bool is_steps_key(std::string_view key) {
  return key.size() == 11 && key.starts_with('L');
}

std::string checkpoint_key(uint32_t partition, std::string_view user) {
  std::string out = partition_prefix('C', partition);
  put_text(out, user);
  return out;
}

bool is_checkpoint_key(std::string_view key) {
  return key.starts_with('C');
}

std::optional<std::string_view> user_of_key(std::string_view key) {
  Reader k(key);
  const uint8_t tag = k.u8();
  k.u8();
  k.u8();
  if (tag == 'L') {
    k.u64();
  } else if (tag != 'C') {
    return std::nullopt;
  }
  const std::string_view user = k.text();
  if (!k.ok() || !k.rest().empty()) return std::nullopt;
  return user;
}

std::string tick_key(uint64_t seq) {
  std::string out = "T";
  put_u64(out, seq);
  return out;
}

std::string outbox_key(uint64_t seq) {
  std::string out = "O";
  put_u64(out, seq);
  return out;
}

namespace {

std::string with_event(RecordKind kind, int64_t clock_ms, const Event& event) {
  std::string out = step_head(kind, clock_ms);
  out.push_back(
      static_cast<char>((event.has_time ? kHasTime : 0) | (event.id_unique ? kIdUnique : 0)));
  put_u64(out, static_cast<uint64_t>(event.time_ms));
  put_text(out, event.name);
  put_text(out, event.id);
  append_json(out, event.properties);
  return out;
}

}  // namespace

std::string event_value(int64_t clock_ms, const Event& event) {
  return with_event(RecordKind::kEvent, clock_ms, event);
}

std::string decision_value(int64_t clock_ms, const Event& request) {
  return with_event(RecordKind::kDecision, clock_ms, request);
}

std::string attributes_value(RecordKind kind, int64_t clock_ms, const Value& attributes) {
  std::string out = step_head(kind, clock_ms);
  append_json(out, attributes);
  return out;
}

std::string tick_value(int64_t clock_ms, uint32_t shard, uint32_t shards) {
  std::string out = step_head(RecordKind::kTick, clock_ms);
  put_u32(out, shard);
  put_u32(out, shards);
  return out;
}

std::string program_value(int64_t clock_ms, uint64_t version, uint32_t shard, uint32_t shards) {
  std::string out = step_head(RecordKind::kProgram, clock_ms);
  put_u64(out, version);
  put_u32(out, shard);
  put_u32(out, shards);
  return out;
}

std::string checkpoint_value(uint64_t seq, int64_t clock_ms, uint64_t version,
                             std::string_view engine_state, std::string_view server_state) {
  std::string out = step_head(RecordKind::kCheckpoint, clock_ms);
  put_u64(out, seq);
  put_u64(out, version);
  put_text(out, engine_state);
  put_text(out, server_state);
  return out;
}

std::string pass_key(uint32_t shard) {
  std::string out = "P";
  put_u32(out, shard);
  return out;
}

std::string pass_value(const PassRecord& pass) {
  std::string out;
  put_u32(out, pass.shards);
  put_u64(out, pass.began_at);
  return out;
}

std::optional<PassRecord> decode_pass(std::string_view key, std::string_view value,
                                      std::string& error) {
  Reader k(key);
  Reader v(value);
  PassRecord pass;
  const uint8_t tag = k.u8();
  pass.shard = k.u32();
  pass.shards = v.u32();
  pass.began_at = v.u64();
  if (tag != 'P' || !k.ok() || !k.rest().empty() || !v.ok() || !v.rest().empty() ||
      pass.shard >= pass.shards) {
    error = "a malformed checkpoint pass record";
    return std::nullopt;
  }
  return pass;
}

std::string recent_ids_key(uint32_t shard, uint64_t pass, uint32_t chunk) {
  std::string out = "D";
  put_u32(out, shard);
  put_u64(out, pass);
  put_u32(out, chunk);
  return out;
}

std::string recent_ids_value(const std::vector<RecentId>& ids) {
  std::string out;
  put_u32(out, static_cast<uint32_t>(ids.size()));
  for (const RecentId& id : ids) {
    put_u64(out, static_cast<uint64_t>(id.at_ms));
    put_u64(out, id.a);
    put_u64(out, id.b);
  }
  return out;
}

bool decode_recent_ids(std::string_view value, std::vector<RecentId>& out, std::string& error) {
  Reader v(value);
  const uint32_t count = v.u32();
  if (!v.ok() || v.rest().size() != size_t{count} * 24) {
    error = "a malformed record of the dedup window";
    return false;
  }
  for (uint32_t i = 0; i < count; ++i) {
    const auto at = static_cast<int64_t>(v.u64());
    const uint64_t a = v.u64();
    out.push_back({at, a, v.u64()});
  }
  return true;
}

std::string rules_key(uint64_t version) {
  std::string out = "V";
  put_u64(out, version);
  return out;
}

std::string rules_value(const RuleFiles& files) {
  std::string out;
  put_u32(out, static_cast<uint32_t>(files.size()));
  for (const auto& [path, text] : files) {
    put_text(out, path);
    put_text(out, text);
  }
  return out;
}

std::optional<std::pair<uint64_t, RuleFiles>> decode_rules(std::string_view key,
                                                           std::string_view value,
                                                           std::string& error) {
  Reader k(key);
  const uint8_t tag = k.u8();
  const uint64_t version = k.u64();
  Reader v(value);
  const uint32_t count = v.u32();
  if (tag != 'V' || !k.ok() || !k.rest().empty() || !v.ok() || count > value.size()) {
    error = "a malformed rule-files record";
    return std::nullopt;
  }
  RuleFiles files;
  for (uint32_t i = 0; i < count; ++i) {
    std::string path(v.text());
    std::string text(v.text());
    files.emplace_back(std::move(path), std::move(text));
  }
  if (!v.ok() || !v.rest().empty()) {
    error = "a truncated rule-files record";
    return std::nullopt;
  }
  return std::pair(version, std::move(files));
}

namespace {

// Decodes the value of a step into `record`, whose user and seq its key gave; `tag` is the
// key's kind. False, with `error` set, for bytes this format did not write.
bool decode_step_value(uint8_t tag, std::string_view value, LogRecord& record, std::string& error) {
  Reader v(value);
  const uint8_t kind = v.u8();
  record.clock_ms = static_cast<int64_t>(v.u64());
  if (!v.ok()) {
    error = "truncated";
    return false;
  }
  record.kind = static_cast<RecordKind>(kind);
  switch (record.kind) {
    case RecordKind::kEvent:
    case RecordKind::kDecision: {
      const uint8_t flags = v.u8();
      record.event.has_time = (flags & kHasTime) != 0;
      record.event.id_unique = (flags & kIdUnique) != 0;
      record.event.time_ms = static_cast<int64_t>(v.u64());
      record.event.name = std::string(v.text());
      record.event.id = std::string(v.text());
      record.event.user = record.user;
      if (!v.ok()) {
        error = "truncated event";
        return false;
      }
      auto properties = json_rest(v.rest(), error);
      if (!properties) return false;
      record.event.properties = std::move(*properties);
      break;
    }
    case RecordKind::kSetAttributes:
    case RecordKind::kMergeAttributes:
    case RecordKind::kScore: {
      auto attributes = json_rest(v.rest(), error);
      if (!attributes) return false;
      record.attributes = std::move(*attributes);
      break;
    }
    case RecordKind::kTick:
      record.shard = v.u32();
      record.shards = v.u32();
      if (tag != 'T' || !v.ok() || !v.rest().empty() || record.shard >= record.shards) {
        error = "a malformed tick";
        return false;
      }
      break;
    case RecordKind::kProgram:
      record.version = v.u64();
      record.shard = v.u32();
      record.shards = v.u32();
      if (tag != 'T' || !v.ok() || !v.rest().empty() || record.shard >= record.shards) {
        error = "a malformed program switch";
        return false;
      }
      break;
    case RecordKind::kCheckpoint:
      record.seq = v.u64();
      record.version = v.u64();
      record.engine_state = std::string(v.text());
      record.server_state = std::string(v.text());
      if (tag != 'C' || !v.ok() || !v.rest().empty()) {
        error = "a malformed checkpoint";
        return false;
      }
      break;
    default:
      error = "an unknown record kind " + std::to_string(kind);
      return false;
  }
  if (record.kind != RecordKind::kTick && record.kind != RecordKind::kProgram && tag == 'T') {
    error = "a user's step without a user";
    return false;
  }
  if (record.kind != RecordKind::kCheckpoint && tag == 'C') {
    error = "a step where a checkpoint belongs";
    return false;
  }
  return true;
}

}  // namespace

std::string steps_value(const std::vector<StepEntry>& steps) {
  size_t size = 4;
  for (const StepEntry& step : steps)
    size += 16 + step.user.size() + step.value.size();
  std::string out;
  out.reserve(size);
  put_u32(out, static_cast<uint32_t>(steps.size()));
  for (const StepEntry& step : steps) {
    put_u64(out, step.seq);
    put_text(out, step.user);
    put_text(out, step.value);
  }
  return out;
}

bool decode_steps(std::string_view value, std::vector<StepEntry>& out, std::string& error) {
  Reader v(value);
  const uint32_t count = v.u32();
  if (!v.ok() || count > value.size()) {
    error = "a malformed record of steps";
    return false;
  }
  for (uint32_t i = 0; i < count; ++i) {
    StepEntry step;
    step.seq = v.u64();
    step.user = v.text();
    step.value = v.text();
    if (!v.ok()) {
      error = "a truncated record of steps";
      return false;
    }
    out.push_back(step);
  }
  if (!v.rest().empty()) {
    error = "a record of steps with bytes after its steps";
    return false;
  }
  return true;
}

std::optional<LogRecord> decode_record(std::string_view key, std::string_view value,
                                       std::string& error) {
  LogRecord record;
  Reader k(key);
  const uint8_t tag = k.u8();
  if (tag == 'L') {
    k.u8();
    k.u8();
    record.seq = k.u64();
    record.user = std::string(k.text());
  } else if (tag == 'C') {
    k.u8();
    k.u8();
    record.user = std::string(k.text());
  } else if (tag == 'T') {
    record.seq = k.u64();
  } else {
    error = "not a step record";
    return std::nullopt;
  }
  if (!k.ok() || !k.rest().empty()) {
    error = "truncated";
    return std::nullopt;
  }
  if (!decode_step_value(tag, value, record, error)) return std::nullopt;
  return record;
}

bool decode_records(std::string_view key, std::string_view value, std::vector<LogRecord>& out,
                    std::string& error) {
  if (!is_steps_key(key)) {
    auto record = decode_record(key, value, error);
    if (!record) return false;
    out.push_back(std::move(*record));
    return true;
  }
  std::vector<StepEntry> steps;
  if (!decode_steps(value, steps, error)) return false;
  for (const StepEntry& step : steps) {
    LogRecord& record = out.emplace_back();
    record.seq = step.seq;
    record.user = std::string(step.user);
    if (!decode_step_value('L', step.value, record, error)) return false;
  }
  return true;
}

std::string outbox_value(const std::vector<OutboxEntry>& firings) {
  std::string out;
  put_u32(out, static_cast<uint32_t>(firings.size()));
  for (const OutboxEntry& firing : firings) {
    put_text(out, firing.user);
    put_text(out, firing.targets);
    put_text(out, firing.json);
  }
  return out;
}

bool decode_outbox(std::string_view key, std::string_view value, std::vector<OutboxEntry>& out,
                   std::string& error) {
  Reader k(key);
  const uint8_t tag = k.u8();
  const uint64_t seq = k.u64();
  Reader v(value);
  const uint32_t count = v.u32();
  if (tag != 'O' || !k.ok() || !k.rest().empty() || !v.ok() || count > value.size()) {
    error = "a malformed outbox record";
    return false;
  }
  for (uint32_t i = 0; i < count; ++i) {
    OutboxEntry entry;
    entry.seq = seq;
    entry.user = std::string(v.text());
    entry.targets = std::string(v.text());
    entry.json = std::string(v.text());
    if (!v.ok()) {
      error = "a truncated outbox record";
      return false;
    }
    out.push_back(std::move(entry));
  }
  if (!v.rest().empty()) {
    error = "an outbox record with bytes after its firings";
    return false;
  }
  return true;
}

}  // namespace spur::storage
