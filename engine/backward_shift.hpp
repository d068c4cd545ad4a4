// Erasing from a linear-probing hash table without tombstones (the per-user NodeTable and
// the dedup set): the slots after the hole that could not be found past it move back.
#pragma once

#include <cstddef>
#include <utility>

namespace spur {

// Empties slots[hole] and moves back each later slot of its run whose home does not lie
// cyclically in (hole, slot]: otherwise a search for it would stop early at the hole.
// `slots`: size() a power of two; `empty(slot)`, `home(slot)` (its slot index before
// masking), `clear(slot)`; `moved(index)` is told each slot a later one moved into.
template <class Slots, class Empty, class Home, class Clear, class Moved>
void erase_by_backward_shift(Slots& slots, size_t hole, Empty empty, Home home, Clear clear,
                             Moved moved) {
  const size_t mask = slots.size() - 1;
  for (size_t i = (hole + 1) & mask; !empty(slots[i]); i = (i + 1) & mask) {
    const size_t want = home(slots[i]) & mask;
    const bool stays = hole <= i ? (hole < want && want <= i) : (hole < want || want <= i);
    if (stays) continue;
    slots[hole] = std::move(slots[i]);
    moved(hole);
    hole = i;
  }
  clear(slots[hole]);
}

template <class Slots, class Empty, class Home, class Clear>
void erase_by_backward_shift(Slots& slots, size_t hole, Empty empty, Home home, Clear clear) {
  erase_by_backward_shift(slots, hole, empty, home, clear, [](size_t) {});
}

}  // namespace spur
