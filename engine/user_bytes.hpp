// A user's whole state as bytes and back (engine/user_state.hpp), for the checkpoints of
// storage mode `disk` (docs/architecture.md, "Checkpoints").
//
// The bytes hold the numbers of rules, groups, segments, nodes and trigger slots of the
// program the state was made under: they are read back only under that program. They
// use the encoding of engine/value_bytes.hpp; a change to either is a change of the data
// folder's format (storage::kFormatVersion).
#pragma once

#include <string>
#include <string_view>

#include "engine/pending_match.hpp"
#include "engine/user_state.hpp"
#include "engine/value_bytes.hpp"

namespace spur {

// Bytes that read_user_bytes cannot take: cut short, or not written by append_user_bytes.
using UserBytesError = BytesError;

// Reads over bytes written with engine/value_bytes.hpp, never past their end, checking
// that a count is no more than the bytes left could hold (so that damaged bytes cannot
// ask for a huge allocation). Throws BytesError.
class BytesReader {
 public:
  explicit BytesReader(std::string_view bytes)
      : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  uint64_t varint() { return read_varint(p_, end_); }
  int64_t int64() { return read_int64(p_, end_); }
  std::string_view text() { return read_text(p_, end_); }
  Value value() { return read_value_bytes(p_, end_); }
  uint8_t byte() {
    if (p_ == end_) throw BytesError("the bytes are cut short");
    return static_cast<uint8_t>(*p_++);
  }
  // A rule, group, segment, node or slot number.
  uint32_t number();
  size_t count();
  bool at_end() const { return p_ == end_; }
  // Throws unless every byte was read.
  void finish() const;

 private:
  const char* p_;
  const char* end_;
};

// Appends the engine's state of a user (not its extension) to `out`.
void append_user_bytes(std::string& out, const UserState& user);

// Rebuilds into `user` (which must be empty: no pending match, no activity) the state
// `bytes` hold; `scratch` is reused to make the pending matches. Throws UserBytesError
// when the bytes end before the state does, or go on after it.
void read_user_bytes(std::string_view bytes, UserState& user, std::string& scratch);

}  // namespace spur
