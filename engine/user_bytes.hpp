// A user's whole state as bytes and back (engine/user_state.hpp), for the checkpoints of
// storage mode `disk` (docs/architecture.md, "Checkpoints").
//
// The bytes hold the numbers of rules, groups, segments, nodes and trigger slots of the
// program the state was made under: they are read back only under that program. They
// use the encoding of engine/value_bytes.hpp; a change to either is a change of the data
// folder's format (storage::kFormatVersion).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "engine/pending_match.hpp"
#include "engine/user_state.hpp"

namespace spur {

// Bytes that read_user_bytes cannot take: cut short, or not written by append_user_bytes.
struct UserBytesError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Appends the engine's state of a user (not its extension) to `out`.
void append_user_bytes(std::string& out, const UserState& user);

// Rebuilds into `user` (which must be empty: no pending match, no activity) the state
// `bytes` hold; `contents` and `scratch` are reused to make the pending matches. Throws
// UserBytesError when the bytes end before the state does, or go on after it.
void read_user_bytes(std::string_view bytes, UserState& user, PendingContents& contents,
                     std::string& scratch);

}  // namespace spur
