// A waiting rule's pending match (language.md section 5), kept as one allocation: a
// 32-byte header and, after it, the resolved-pattern bits and what the match keeps of
// its trigger, in the compact bytes of engine/value_bytes.hpp.
//
// A match keeps of its trigger only what its rule reads (design.md, "State per user": a
// few dozen bytes, not a copy of the event): the id (firings name it), the name when
// the rule has more than one trigger event, the time when it differs from the handled
// time, and the values of the trigger slots the rule's conditions, filters and actions
// read (CompiledRule::trigger_slots), with the past-window values frozen at the trigger.
// The user is the owner's. Reading these back (decode) costs a pass over a few bytes,
// done when a filter, a re-check or a firing needs them.
//
// Owned by its user's PendingList, or by an activation once resolved; never shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/value.hpp"

namespace spur {

// Values of the past windows of a waiting rule's conditions, as they were at its trigger
// (section 13: the re-check at firing sees its past windows as settled at the trigger).
using FrozenValues = std::vector<std::pair<uint32_t, Value>>;  // node -> value

// A match in decoded form: what PendingMatch::make takes and decode gives back.
// Engines keep one of each for reuse, so that decoding allocates only for long strings,
// lists and objects.
struct PendingContents {
  uint64_t id = 0;  // creation order across the engine
  uint32_t rule = 0;
  int64_t trigger_ms = 0;  // the time the trigger was handled at
  std::string trigger_id;
  std::string trigger_name;                       // empty: the rule's only trigger event
  int64_t trigger_time_ms = 0;                    // the trigger's own time (`e.@time`)
  std::vector<uint64_t> held;                     // resolved future patterns, a bit each
  std::vector<std::pair<uint32_t, Value>> slots;  // slot -> value, present ones only
  FrozenValues frozen;
  // A firing deferred by quiet hours (language.md section 14) is held as a match with
  // every pattern resolved: the activation's time, and when it comes due.
  static constexpr int64_t kNotDeferred = INT64_MIN;
  int64_t deferred_from_ms = kNotDeferred;
  int64_t due_ms = 0;
};

class PendingMatch {
 public:
  struct Free {
    void operator()(PendingMatch* match) const;
  };
  using Ptr = std::unique_ptr<PendingMatch, Free>;

  // A match holding `contents`; `scratch` is reused to lay the bytes out.
  static Ptr make(const PendingContents& contents, std::string& scratch);
  // The bytes live past the header, in the same allocation: only make() can make one.
  PendingMatch(const PendingMatch&) = delete;
  PendingMatch& operator=(const PendingMatch&) = delete;

  uint64_t id() const { return id_; }
  uint32_t rule() const { return rule_; }
  int64_t trigger_ms() const { return trigger_ms_; }
  std::string_view trigger_id() const;

  // Future pattern `p` resolved and held (positive pattern seen, or absence window over).
  bool held(size_t p) const;
  void hold(size_t p);
  // Whether all of the first `count` patterns are held.
  bool all_held(size_t count) const;
  // A deferred firing (PendingContents::deferred_from_ms): waits for nothing but due_ms.
  bool deferred() const;
  int64_t deferred_from_ms() const;  // of a deferred one only
  int64_t due_ms() const;            // of a deferred one only

  // Everything the match holds, into `out` (its buffers reused).
  void decode(PendingContents& out) const;

 private:
  friend class PendingList;
  PendingMatch(const PendingContents& contents, size_t words);
  const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }
  char* bytes() { return reinterpret_cast<char*>(this + 1); }
  const char* deferral_bytes() const;  // where a deferred one's two times start

  PendingMatch* next_ = nullptr;  // the next of the same user, in creation order
  uint64_t id_;
  int64_t trigger_ms_;
  uint32_t rule_;
  // Held bits: 64-bit words at the start of the bytes (2^24 words, a billion patterns,
  // is more than any rule text can name).
  uint32_t words_ : 24;
  uint32_t flags_ : 8;  // which optional parts the bytes hold
};

// A user's pending matches in creation order: a singly linked list of matches, so that
// a user with none costs two null pointers and one with a match costs that match.
class PendingList {
 public:
  PendingList() = default;
  PendingList(PendingList&& other) noexcept;
  PendingList& operator=(PendingList&& other) noexcept;
  ~PendingList();

  bool empty() const { return head_ == nullptr; }
  size_t size() const;
  void push_back(PendingMatch::Ptr match);
  // Takes `match`, one of this list's, out of it.
  PendingMatch::Ptr take(const PendingMatch& match);
  // Frees the matches `drop` is true of; returns how many.
  template <typename Drop>
  size_t erase_if(Drop drop) {
    size_t dropped = 0;
    for (PendingMatch* m = head_; m != nullptr;) {
      PendingMatch* next = m->next_;
      if (drop(std::as_const(*m))) {
        take(*m);
        ++dropped;
      }
      m = next;
    }
    return dropped;
  }

  template <typename Match>
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = PendingMatch;
    using difference_type = std::ptrdiff_t;
    using pointer = Match*;
    using reference = Match&;

    Iterator() = default;
    explicit Iterator(Match* m) : m_(m) {}
    Match& operator*() const { return *m_; }
    Match* operator->() const { return m_; }
    Iterator& operator++() {
      m_ = m_->next_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator was = *this;
      m_ = m_->next_;
      return was;
    }
    bool operator==(const Iterator& o) const { return m_ == o.m_; }

   private:
    Match* m_ = nullptr;
  };
  Iterator<PendingMatch> begin() { return Iterator<PendingMatch>(head_); }
  Iterator<PendingMatch> end() { return Iterator<PendingMatch>(nullptr); }
  Iterator<const PendingMatch> begin() const { return Iterator<const PendingMatch>(head_); }
  Iterator<const PendingMatch> end() const { return Iterator<const PendingMatch>(nullptr); }

 private:
  void clear();

  PendingMatch* head_ = nullptr;
  PendingMatch* tail_ = nullptr;
};

}  // namespace spur
