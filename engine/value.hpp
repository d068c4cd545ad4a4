// Values of the rule language (language.md sections 4 and 13): JSON values plus times
// and durations, with the language's equality, ordering and truth.
//
// A Value is small (24 bytes) and cheap to copy: short strings are held inline; longer
// strings, lists and objects are immutable and shared. Thread-safety: a Value may be read
// from several threads at once.
#pragma once

#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace spur {

class Value;
using List = std::vector<Value>;
// Members in insertion order, keys unique.
using Object = std::vector<std::pair<std::string, Value>>;

struct TimeMs {
  int64_t ms;  // since the Unix epoch, UTC
};
struct DurationMs {
  int64_t ms;
};

class Value {
 public:
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kTime, kDuration, kList, kObject };

  Value() = default;
  static Value boolean(bool b) { return Value(Storage(b)); }
  // Non-finite numbers are null (section 13).
  static Value number(double n);
  // Strings of up to kInlineString bytes are held in the Value itself, longer ones shared.
  static Value string(std::string_view s) {
    return s.size() <= kInlineString ? Value(Storage(InlineString(s)))
                                     : shared_string(std::string(s));
  }
  static Value string(std::string&& s) {
    return s.size() <= kInlineString ? Value(Storage(InlineString(s)))
                                     : shared_string(std::move(s));
  }
  static Value string(const char* s) { return string(std::string_view(s)); }
  static Value time(int64_t ms) { return Value(Storage(TimeMs{ms})); }
  static Value duration(int64_t ms) { return Value(Storage(DurationMs{ms})); }
  // Lists and objects are kept for as long as the user or the event that holds them, so
  // spare capacity left by building them is given back (no copy when there is none).
  static Value list(List items) {
    items.shrink_to_fit();
    return Value(Storage(std::make_shared<const List>(std::move(items))));
  }
  static Value object(Object members) {
    members.shrink_to_fit();
    return Value(Storage(std::make_shared<const Object>(std::move(members))));
  }

  Kind kind() const { return kKindOf[storage_.index()]; }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_true() const { return kind() == Kind::kBool && std::get<bool>(storage_); }

  // REQUIRES: the value is of the kind named.
  bool as_bool() const { return std::get<bool>(storage_); }
  double as_number() const { return std::get<double>(storage_); }
  // Valid while this Value (or, for a long string, any copy of it) lives.
  std::string_view as_string() const {
    if (const auto* inline_string = std::get_if<InlineString>(&storage_))
      return inline_string->view();
    return *std::get<StringRef>(storage_);
  }
  int64_t as_time() const { return std::get<TimeMs>(storage_).ms; }
  int64_t as_duration() const { return std::get<DurationMs>(storage_).ms; }
  const List& as_list() const { return *std::get<ListRef>(storage_); }
  const Object& as_object() const { return *std::get<ObjectRef>(storage_); }

  // The member `key` of an object, or nullptr (also when this is not an object).
  const Value* find(std::string_view key) const;

 private:
  using StringRef = std::shared_ptr<const std::string>;
  using ListRef = std::shared_ptr<const List>;
  using ObjectRef = std::shared_ptr<const Object>;
  // Most strings events and profiles hold (country codes, devices, SKUs, campaign names)
  // are short; held inline they cost no allocation to decode, copy or keep. The size
  // keeps the Value at 24 bytes: no alternative is larger than the shared_ptr.
  static constexpr size_t kInlineString = 15;
  struct InlineString {
    explicit InlineString(std::string_view s) : size(static_cast<uint8_t>(s.size())) {
      s.copy(bytes, s.size());
    }
    std::string_view view() const { return {bytes, size}; }
    char bytes[kInlineString];
    uint8_t size;
  };
  // The alternatives up to ObjectRef are in the order of Kind; InlineString is a string.
  using Storage = std::variant<std::monostate, bool, double, StringRef, TimeMs, DurationMs, ListRef,
                               ObjectRef, InlineString>;
  static constexpr Kind kKindOf[] = {Kind::kNull,   Kind::kBool,   Kind::kNumber,
                                     Kind::kString, Kind::kTime,   Kind::kDuration,
                                     Kind::kList,   Kind::kObject, Kind::kString};
  static_assert(std::size(kKindOf) == std::variant_size_v<Storage>);

  explicit Value(Storage s) : storage_(std::move(s)) {}
  static Value shared_string(std::string&& s) {
    return Value(Storage(std::make_shared<const std::string>(std::move(s))));
  }

  Storage storage_;
};

// A time, or a string holding an RFC 3339 time (section 13); nullopt otherwise.
std::optional<int64_t> time_of(const Value& v);

// `==` of the language: JSON equality, 1 == 1.0, "1" != 1; a time equals a string that
// holds the same RFC 3339 time; objects compare by their members whatever the order.
bool equal(const Value& a, const Value& b);

// `<`, `<=`, `>`, `>=`: -1, 0 or 1 for numbers, strings (bytewise), times (strings that
// hold times included) and durations; nullopt for anything else, which makes the
// comparison false.
std::optional<int> compare(const Value& a, const Value& b);

// A text that identifies a value under `==` for the values rules and events hold: equal
// numbers (1 and 1.0), strings, booleans, null, durations and lists of them give the
// same key; different kinds never do (1 and "1"). Keys of the hash-consing tables and of
// the equality index.
std::string value_key(const Value& v);
// The same key appended to `key` (no allocation once `key` has the capacity).
void append_value_key(std::string& key, const Value& v);

// Appends a part to such a key: texts length-prefixed, numbers marked, so parts cannot
// run into each other.
void add_key(std::string& key, std::string_view text);
void add_key(std::string& key, int64_t number);
// The key of a path (its parts added in order): equal for equal paths only.
std::string path_key(const std::vector<std::string>& path);

// The value at `path` below `root` (object members, one key per element); null when
// any step is missing or not an object.
Value lookup(const Value& root, const std::vector<std::string>& path, size_t from = 0);
// The same without a copy: a pointer into `root`, or nullptr.
const Value* find_path(const Value& root, const std::vector<std::string>& path, size_t from = 0);

// A copy of `root` with `path` set to `value`, creating objects on the way; a null
// `value` removes the member.
Value with_member(const Value& root, const std::vector<std::string>& path, size_t from,
                  const Value& value);

// `target` with `patch` applied as a JSON merge patch (RFC 7396): an object patch merges
// member by member (a null member removes, an object member merges recursively); any
// other patch replaces the target.
Value merge_patch(const Value& target, const Value& patch);

}  // namespace spur
