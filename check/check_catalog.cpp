// The event catalog (language.md section 15): `event NAME ... end` declarations, the
// events a rule set may use once it has one, and the properties a rule may read.
#include <algorithm>
#include <array>

#include "check/checker.hpp"
#include "grammar/lexical.hpp"
#include "grammar/suggest.hpp"

namespace spur {
namespace {

// The catalog's property types and what the checker knows of each. A `time` is an
// RFC 3339 string in the event, which compares and computes as a time (section 13).
constexpr std::array<std::pair<std::string_view, ValueType>, 8> kPropertyTypes = {{
    {"text", ValueType::kString},
    {"number", ValueType::kNumber},
    {"bool", ValueType::kBool},
    {"time", ValueType::kTime},
    {"duration", ValueType::kDuration},
    {"list", ValueType::kList},
    {"object", ValueType::kObject},
    {"any", ValueType::kUnknown},
}};

// Type names of other languages and schema formats, and the catalog's word for each.
constexpr std::pair<std::string_view, std::string_view> kForeignTypes[] = {
    {"string", "text"},   {"str", "text"},      {"int", "number"},     {"integer", "number"},
    {"float", "number"},  {"double", "number"}, {"decimal", "number"}, {"boolean", "bool"},
    {"array", "list"},    {"map", "object"},    {"dict", "object"},    {"timestamp", "time"},
    {"datetime", "time"}, {"date", "time"},
};

// The type named `name`, or nullptr when the catalog has no such type.
const std::pair<std::string_view, ValueType>* property_type_named(std::string_view name) {
  const auto type = std::find_if(kPropertyTypes.begin(), kPropertyTypes.end(),
                                 [&](const auto& t) { return t.first == name; });
  return type == kPropertyTypes.end() ? nullptr : &*type;
}

// Events the engine produces itself (language.md section 6): a catalog need not list them.
bool engine_event(std::string_view name) {
  return name == "identify" || name == "segment_entered" || name == "segment_exited";
}

std::string listed(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

}  // namespace

void Checker::catalog_event(const ast::EventDecl& e) {
  catalog_names_.push_back(e.name.text);
  CatalogEvent& entry = catalog_[e.name.text];
  for (const ast::EventProperty& p : e.properties) {
    const auto* type = property_type_named(p.type.text);
    const ValueType known = type == nullptr ? ValueType::kUnknown : type->second;
    if (entry.properties.emplace(p.name.text, known).second)
      entry.property_names.push_back(p.name.text);
  }
}

void Checker::check_decl(const ast::EventDecl& e) {
  if (e.name.text.empty()) diagnostics_.error(e.name.span, "an event name cannot be empty");
  std::unordered_map<std::string, Span> seen;
  for (const ast::EventProperty& p : e.properties) {
    if (const auto [first, inserted] = seen.emplace(p.name.text, p.name.span); !inserted) {
      diagnostics_.error(p.name.span,
                         "property `" + p.name.text + "` is declared twice in event `" +
                             lexical::quote_if_needed(e.name.text) + "`",
                         "the first is at " + where(first->second) + "; keep one");
    }
    const std::string& type = p.type.text;
    if (property_type_named(type) != nullptr) continue;
    std::vector<std::string> types;
    for (const auto& t : kPropertyTypes)
      types.emplace_back(t.first);
    std::string hint = closest(type, types);
    for (const auto& [foreign, ours] : kForeignTypes) {
      if (foreign == type) hint = ours;
    }
    diagnostics_.error(p.type.span, "unknown property type `" + type + "`",
                       hint.empty() ? "the types are " + listed(types)
                                    : "write `" + p.name.text + ": " + hint + "`");
  }
}

void Checker::use_event(const std::string& name, Span span) {
  if (name.empty()) {
    diagnostics_.error(span, "an event name cannot be empty");
    return;
  }
  event_uses_.emplace_back(name, span);
  if (catalog_.empty() || catalog_.count(name) || engine_event(name) || broken_names_.count(name)) {
    return;
  }
  const std::string close = closest(name, catalog_names_);
  diagnostics_.error(
      span, "event `" + lexical::quote_if_needed(name) + "` is not in the event catalog",
      close.empty() ? "the rule set declares its events, so declare this one too: `event " +
                          lexical::quote_if_needed(name) + " ... end`"
                    : "did you mean `" + lexical::quote_if_needed(close) + "`?");
}

ValueType Checker::property_type(const std::string& event, const std::string& property, Span span) {
  const auto entry = catalog_.find(event);
  if (entry == catalog_.end()) return ValueType::kUnknown;
  const auto& properties = entry->second.properties;
  if (const auto it = properties.find(property); it != properties.end()) return it->second;
  const std::vector<std::string>& names = entry->second.property_names;
  const std::string close = closest(property, names);
  const std::string declared =
      "`event " + lexical::quote_if_needed(event) + "` at " + where(events_.at(event));
  std::string hint;
  if (!close.empty()) {
    hint = "did you mean `" + close + "`?";
  } else if (names.empty()) {
    hint = declared + " declares no properties; add `" + property + ": TYPE` to it";
  } else {
    hint = "its properties are " + listed(names) + "; to read `" + property + "`, add `" +
           property + ": TYPE` to " + declared;
  }
  diagnostics_.error(
      span, "event `" + lexical::quote_if_needed(event) + "` has no property `" + property + "`",
      hint);
  return ValueType::kUnknown;
}

}  // namespace spur
