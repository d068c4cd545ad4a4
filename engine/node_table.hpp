// A hash table from text keys (user ids) to values that never move, for the per-user
// tables of the engine and the server: timers and records point at the nodes.
//
// Flat and open-addressed (linear probing, at most half full): a lookup reads one slot
// (the key's hash and the node's address) and then the node, where std::unordered_map
// reads a bucket, the node before the one sought, and the node; perf showed the user
// lookup at 17-19 % of in-process matching. Erasing shifts the following slots back
// (backward_shift.hpp), so there are no tombstones.
//
// Not thread-safe: owned by one shard.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/backward_shift.hpp"
#include "engine/same_text.hpp"
#include "engine/text_hash.hpp"

namespace spur {

template <class V>
class NodeTable {
 public:
  using Node = std::pair<const std::string, V>;

  // The hash of a key, for the calls below that take it.
  static uint64_t hash(std::string_view key) { return hash_text(key); }

  // Starts loading the slot where the key hashed `h` is looked for, so that its cache
  // miss overlaps with other work.
  void prefetch(uint64_t h) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[h & (slots_.size() - 1)]);
  }

  // Starts loading the node of the key hashed `h` when its slot, loaded by now (by
  // prefetch), holds it: the second miss of a lookup, started before the lookup too.
  // Its first cache line only: all of them cost S1 about a tenth of its events/s.
  void prefetch_node(uint64_t h) const {
    if (const Node* node = peek(h)) __builtin_prefetch(node);
  }

  // The node that the slot of the key hashed `h` holds when that slot's hash is `h`, or
  // null: no key is compared, so it may be another key's (rarely), which is enough to
  // start loading what a node points to.
  const Node* peek(uint64_t h) const {
    if (slots_.empty()) return nullptr;
    const Slot& slot = slots_[h & (slots_.size() - 1)];
    return slot.hash == h ? slot.node.get() : nullptr;
  }

  // The node of `key`, made (with a value-initialised V) when there is none.
  Node& get_or_add(std::string_view key) { return get_or_add(key, hash(key)); }
  // The same with the key's hash already known.
  Node& get_or_add(std::string_view key, uint64_t h) {
    if (!slots_.empty()) {
      if (Slot* slot = probe(key, h); slot->node) return *slot->node;
    }
    if (2 * (size_ + 1) > slots_.size()) grow();
    Slot* slot = probe(key, h);
    slot->hash = h;
    slot->node = std::make_unique<Node>(std::string(key), V());
    ++size_;
    return *slot->node;
  }

  Node* find(std::string_view key) {
    if (slots_.empty()) return nullptr;
    return probe(key, hash(key))->node.get();
  }
  const Node* find(std::string_view key) const { return const_cast<NodeTable*>(this)->find(key); }

  // False when there is no such key.
  bool erase(std::string_view key) { return extract(key) != nullptr; }

  // Takes the node of `key` out of the table, unmoved (nullptr when there is none), for
  // a caller that must keep it alive a while after the key is gone.
  std::unique_ptr<Node> extract(std::string_view key) {
    if (slots_.empty()) return nullptr;
    Slot* slot = probe(key, hash(key));
    std::unique_ptr<Node> node = std::move(slot->node);
    if (!node) return nullptr;
    --size_;
    erase_by_backward_shift(
        slots_, static_cast<size_t>(slot - slots_.data()), [](const Slot& s) { return !s.node; },
        [](const Slot& s) { return s.hash; }, [](Slot& s) { s.node.reset(); },
        [this](size_t to) {
          if (tracking_moves_) moved_to_.push_back(to);
        });
    return node;
  }

  size_t size() const { return size_; }

  // For a walk over the nodes spread over many calls (a checkpoint saves a shard's users
  // a few at a time between steps): the slots, visited by index. Nodes move from slot to
  // slot only when the table grows (every node) or a node is erased (some of the nodes
  // after it in its run move back): a walk that starts again at 0 after a growth, and
  // visits the slots nodes moved into (take_moved_to()), sees every node that was in
  // the table all along.
  size_t slot_count() const { return slots_.size(); }
  uint64_t growths() const { return growths_; }
  // While on, erasures note the slots they move nodes into, for take_moved_to().
  void track_moves(bool on) {
    tracking_moves_ = on;
    moved_to_.clear();
  }
  // The slots nodes moved into since the last call, while tracking (a slot a node moved
  // out of again is there too: it holds another node now, or none).
  std::vector<size_t> take_moved_to() { return std::exchange(moved_to_, {}); }
  // Calls f(node) for the node in slot `i`, if any. f must not add or erase.
  template <class F>
  void visit_slot(size_t i, F&& f) {
    if (i < slots_.size() && slots_[i].node) f(*slots_[i].node);
  }
  // Calls f(node) for the node in each slot of [from, to) that holds one.
  // REQUIRES: to <= slot_count(). f must not add or erase.
  template <class F>
  void for_each_in(size_t from, size_t to, F&& f) {
    for (size_t i = from; i < to; ++i) {
      if (slots_[i].node) f(*slots_[i].node);
    }
  }

  // Calls f(node) for every node, in no particular order. f must not add or erase.
  template <class F>
  void for_each(F&& f) {
    for (Slot& slot : slots_) {
      if (slot.node) f(*slot.node);
    }
  }
  template <class F>
  void for_each(F&& f) const {
    for (const Slot& slot : slots_) {
      if (slot.node) f(static_cast<const Node&>(*slot.node));
    }
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    std::unique_ptr<Node> node;  // null: empty
  };

  // The slot holding `key`, or the empty slot where it would go.
  // REQUIRES: slots_ not empty and not full.
  Slot* probe(std::string_view key, uint64_t h) {
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (!slot.node || (slot.hash == h && same_text(slot.node->first, key))) return &slot;
    }
  }

  void grow() {
    ++growths_;
    std::vector<Slot> old(std::max<size_t>(16, 2 * slots_.size()));
    old.swap(slots_);
    const size_t mask = slots_.size() - 1;
    for (Slot& slot : old) {
      if (!slot.node) continue;
      size_t i = slot.hash & mask;
      while (slots_[i].node)
        i = (i + 1) & mask;
      slots_[i] = std::move(slot);
    }
  }

  std::vector<Slot> slots_;  // a power of two in size, or empty
  size_t size_ = 0;
  uint64_t growths_ = 0;
  bool tracking_moves_ = false;
  std::vector<size_t> moved_to_;  // see take_moved_to()
};

}  // namespace spur
