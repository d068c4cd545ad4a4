#include "engine/pending_match.hpp"

#include <cassert>
#include <cstring>
#include <new>

#include "engine/value_bytes.hpp"

namespace spur {
namespace {

constexpr uint8_t kNameKept = 1;  // the trigger's name follows its id
constexpr uint8_t kTimeKept = 2;  // then its time, which differs from the handled time
constexpr uint8_t kDeferred = 4;  // then the deferral's two times

}  // namespace

static_assert(sizeof(PendingMatch) == 32 && alignof(PendingMatch) == 8,
              "the bytes start right after the header, 8-byte aligned");

void PendingMatch::Free::operator()(PendingMatch* match) const {
  match->~PendingMatch();
  ::operator delete(match);
}

PendingMatch::PendingMatch(const PendingContents& contents, size_t words)
    : id_(contents.id),
      trigger_ms_(contents.trigger_ms),
      rule_(contents.rule),
      words_(static_cast<uint32_t>(words)),
      flags_((contents.trigger_name.empty() ? 0 : kNameKept) |
             (contents.trigger_time_ms == contents.trigger_ms ? 0 : kTimeKept) |
             (contents.deferred_from_ms == PendingContents::kNotDeferred ? 0 : kDeferred)) {}

PendingMatch::Ptr PendingMatch::make(const PendingContents& c, std::string& scratch) {
  assert(c.held.size() < (size_t{1} << 24));
  scratch.clear();
  for (const uint64_t word : c.held)
    append_int64(scratch, static_cast<int64_t>(word));
  append_text(scratch, c.trigger_id);
  if (!c.trigger_name.empty()) append_text(scratch, c.trigger_name);
  if (c.trigger_time_ms != c.trigger_ms) append_int64(scratch, c.trigger_time_ms);
  if (c.deferred_from_ms != PendingContents::kNotDeferred) {
    append_int64(scratch, c.deferred_from_ms);
    append_int64(scratch, c.due_ms);
  }
  append_varint(scratch, c.slots.size());
  for (const auto& [slot, value] : c.slots) {
    append_varint(scratch, slot);
    append_value_bytes(scratch, value);
  }
  append_varint(scratch, c.frozen.size());
  for (const auto& [node, value] : c.frozen) {
    append_varint(scratch, node);
    append_value_bytes(scratch, value);
  }
  void* raw = ::operator new(sizeof(PendingMatch) + scratch.size());
  auto* match = new (raw) PendingMatch(c, c.held.size());
  std::memcpy(match->bytes(), scratch.data(), scratch.size());
  return Ptr(match);
}

bool PendingMatch::held(size_t p) const {
  uint64_t word = 0;
  std::memcpy(&word, bytes() + p / 64 * sizeof word, sizeof word);
  return (word >> (p % 64)) & 1;
}

void PendingMatch::hold(size_t p) {
  uint64_t word = 0;
  char* at = bytes() + p / 64 * sizeof word;
  std::memcpy(&word, at, sizeof word);
  word |= uint64_t{1} << (p % 64);
  std::memcpy(at, &word, sizeof word);
}

bool PendingMatch::all_held(size_t count) const {
  for (size_t p = 0; p < count; ++p) {
    if (!held(p)) return false;
  }
  return true;
}

bool PendingMatch::deferred() const {
  return (flags_ & kDeferred) != 0;
}

const char* PendingMatch::deferral_bytes() const {
  const char* p = bytes() + words_ * sizeof(uint64_t);
  read_text(p);
  if (flags_ & kNameKept) read_text(p);
  if (flags_ & kTimeKept) read_int64(p);
  return p;
}

int64_t PendingMatch::deferred_from_ms() const {
  const char* p = deferral_bytes();
  return read_int64(p);
}

int64_t PendingMatch::due_ms() const {
  const char* p = deferral_bytes();
  read_int64(p);
  return read_int64(p);
}

std::string_view PendingMatch::trigger_id() const {
  const char* p = bytes() + words_ * sizeof(uint64_t);
  return read_text(p);
}

void PendingMatch::decode(PendingContents& out) const {
  out.id = id_;
  out.rule = rule_;
  out.trigger_ms = trigger_ms_;
  out.held.resize(words_);
  if (words_ > 0) std::memcpy(out.held.data(), bytes(), words_ * sizeof(uint64_t));
  const char* p = bytes() + words_ * sizeof(uint64_t);
  out.trigger_id = read_text(p);
  out.trigger_name.clear();
  if (flags_ & kNameKept) out.trigger_name = read_text(p);
  out.trigger_time_ms = (flags_ & kTimeKept) ? read_int64(p) : trigger_ms_;
  out.deferred_from_ms = PendingContents::kNotDeferred;
  out.due_ms = 0;
  if (flags_ & kDeferred) {
    out.deferred_from_ms = read_int64(p);
    out.due_ms = read_int64(p);
  }
  out.slots.resize(read_varint(p));
  for (auto& [slot, value] : out.slots) {
    slot = static_cast<uint32_t>(read_varint(p));
    value = read_value_bytes(p);
  }
  out.frozen.resize(read_varint(p));
  for (auto& [node, value] : out.frozen) {
    node = static_cast<uint32_t>(read_varint(p));
    value = read_value_bytes(p);
  }
}

PendingList::PendingList(PendingList&& other) noexcept
    : head_(std::exchange(other.head_, nullptr)), tail_(std::exchange(other.tail_, nullptr)) {}

PendingList& PendingList::operator=(PendingList&& other) noexcept {
  if (this != &other) {
    clear();
    head_ = std::exchange(other.head_, nullptr);
    tail_ = std::exchange(other.tail_, nullptr);
  }
  return *this;
}

PendingList::~PendingList() {
  clear();
}

void PendingList::clear() {
  // Iteratively: a user may hold many matches (`pending each`), too many to recurse over.
  while (head_ != nullptr) {
    const PendingMatch::Ptr gone(std::exchange(head_, head_->next_));
  }
  tail_ = nullptr;
}

size_t PendingList::size() const {
  size_t n = 0;
  for (const PendingMatch* m = head_; m != nullptr; m = m->next_)
    ++n;
  return n;
}

void PendingList::push_back(PendingMatch::Ptr match) {
  PendingMatch* m = match.release();
  m->next_ = nullptr;
  (tail_ ? tail_->next_ : head_) = m;
  tail_ = m;
}

PendingMatch::Ptr PendingList::take(const PendingMatch& match) {
  PendingMatch* before = nullptr;
  PendingMatch* m = head_;
  while (m != &match) {
    assert(m != nullptr && "the match is one of this list's");
    before = std::exchange(m, m->next_);
  }
  (before ? before->next_ : head_) = m->next_;
  if (tail_ == m) tail_ = before;
  m->next_ = nullptr;
  return PendingMatch::Ptr(m);
}

}  // namespace spur
