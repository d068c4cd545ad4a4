// The engine's side of checkpoints: a pass over the users (Engine::save_some, in the
// header) and a user's state restored from its bytes.
#include <algorithm>

#include "engine/engine.hpp"
#include "engine/user_bytes.hpp"

namespace spur {

void Engine::begin_save_pass() {
  save_pass_ = save_pass_ == kLastSavePass ? 1 : save_pass_ + 1;
  save_cursor_ = 0;
  save_growths_ = users_.growths();
  users_.track_moves(true);
}

UserState& Engine::restore_user(const std::string& user, std::string_view bytes) {
  erase_user(user);
  User& node = state(user);
  UserState& u = node.second;
  read_user_bytes(bytes, u, match_bytes_);
  for (AwaitedGoal& g : u.goals)
    g.event_slot = Program::goal_slot(program_->goal_checks[g.rule].event);
  // Matches keep their creation order; those made from here on come after them.
  for (const PendingMatch& match : u.pending) {
    next_order_ = std::max(next_order_, match.id() + 1);
    push_timer({next_deadline_of(match), match.id(), &node});
  }
  if (u.holds_numbers()) note_numbered(u);
  return u;
}

}  // namespace spur
