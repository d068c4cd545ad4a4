// Hints for syntax errors that come from habits of other languages and of everyday
// writing: `&&`, single quotes, `24hours`, `send email template: ...`, an event name with
// a space. Private to spur_grammar; parse.cpp asks for one when the rule's own hint is
// not more precise.
#pragma once

#include <string>
#include <string_view>

namespace spur::grammar {

// The hint for a syntax error at `offset` of `text` with `message`, or "" when none of
// the habits matches. Durations are apart (duration_hint): they also move the caret.
std::string habit_hint(std::string_view text, size_t offset, std::string_view message);

// How to write a duration that was written another way (`24hours`, `3M`, `1h30`), or ""
// when `token` does not start with a number followed by letters.
std::string duration_hint(std::string_view token);

}  // namespace spur::grammar
