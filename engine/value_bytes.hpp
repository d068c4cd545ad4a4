// A compact byte encoding of Values, for what is kept long and read seldom (the trigger
// values a waiting match keeps): a tag byte, then the payload (numbers, times and
// durations as 8 raw bytes; strings, lists and objects length-prefixed). A short string
// costs its length plus two bytes instead of a 24-byte Value.
//
// Not a wire format. Checkpoints keep these bytes in the data folder (engine/
// user_bytes.hpp): a change of layout is a change of its format (storage::kFormatVersion).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "engine/value.hpp"

namespace spur {

// Appends `n` in LEB128 (7 bits a byte, low first).
void append_varint(std::string& out, uint64_t n);
// Reads what append_varint wrote at `p` and moves `p` past it.
uint64_t read_varint(const char*& p);

// A text as its length (varint) and its bytes; an int64 as its 8 raw bytes. The readers
// move `p` past what they read; a text read is a view into the bytes.
void append_text(std::string& out, std::string_view text);
std::string_view read_text(const char*& p);
void append_int64(std::string& out, int64_t n);
int64_t read_int64(const char*& p);

// Appends the encoding of `v` to `out`.
void append_value_bytes(std::string& out, const Value& v);
// Decodes the value at `p` (written by append_value_bytes) and moves `p` past it.
Value read_value_bytes(const char*& p);

// Bytes that the bounded readers below cannot take.
struct BytesError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The readers above for bytes from outside the process (checkpoints): they never read at
// or past `end`, and throw BytesError for bytes cut short, a value nested deeper than
// `depth` or a tag that is none.
uint64_t read_varint(const char*& p, const char* end);
int64_t read_int64(const char*& p, const char* end);
std::string_view read_text(const char*& p, const char* end);
Value read_value_bytes(const char*& p, const char* end, int depth = 256);

}  // namespace spur
