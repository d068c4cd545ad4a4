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
#include "engine/value_bytes.hpp"

namespace spur {

// Bytes that read_user_bytes cannot take: cut short, or not written by append_user_bytes.
struct UserBytesError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads over bytes written with engine/value_bytes.hpp, checking after each part that it
// did not run past their end, and that a count is no more than the bytes left could hold
// (so that damaged bytes cannot ask for a huge allocation). Throws UserBytesError.
class BytesReader {
 public:
  explicit BytesReader(std::string_view bytes)
      : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  uint64_t varint() { return checked(read_varint(p_)); }
  int64_t int64() { return checked(read_int64(p_)); }
  std::string_view text() { return checked(read_text(p_)); }
  Value value() { return checked(read_value_bytes(p_)); }
  uint8_t byte() {
    if (p_ == end_) throw UserBytesError("the user's state is cut short");
    return static_cast<uint8_t>(*p_++);
  }
  // A rule, group, segment, node or slot number.
  uint32_t number();
  size_t count();
  // Throws unless every byte was read.
  void finish() const;

 private:
  template <typename T>
  T checked(T t) const {
    if (p_ > end_) throw UserBytesError("the user's state is cut short");
    return t;
  }

  const char* p_;
  const char* end_;
};

// Appends the engine's state of a user (not its extension) to `out`.
void append_user_bytes(std::string& out, const UserState& user);

// Rebuilds into `user` (which must be empty: no pending match, no activity) the state
// `bytes` hold; `contents` and `scratch` are reused to make the pending matches. Throws
// UserBytesError when the bytes end before the state does, or go on after it.
void read_user_bytes(std::string_view bytes, UserState& user, PendingContents& contents,
                     std::string& scratch);

}  // namespace spur
