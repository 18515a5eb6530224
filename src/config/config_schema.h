// The config schema (internal to the loader): one row per key, naming its dotted path, the
// field it fills, the constraint on its value and its documentation. Adding a key to the
// config is adding a field to config.h and a row to the table in config_schema.cc;
// validation, --set, resolved_yaml and the README table all follow from the row.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "config/config.h"
#include "core/enum_names.h"

namespace teamsrl::internal {

inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr std::string_view kEndpoints = "llm.endpoints";
inline constexpr std::string_view kEndpointPattern = "llm.endpoints.*";

// An enum-valued field, type-erased: its one name table (core/enum_names.h) and accessors.
// The loader stores the parsed enum, so no layer parses the name again.
struct EnumRef {
  void* field;
  std::span<const std::string_view> names;
  int (*get)(const void* field);
  void (*set)(void* field, int value);
};

// std::optional<double>: a number that may be left unset (null); JsonObjectText: a YAML
// mapping of any depth, kept as JSON (extra_body).
using FieldRef =
    std::variant<std::string*, bool*, int*, int64_t*, uint64_t*, double*, std::optional<double>*,
                 llm::JsonObjectText*, std::vector<std::string>*, std::vector<int>*, EnumRef>;

template <typename T>
FieldRef Ref(T* field) {
  if constexpr (std::is_enum_v<T>) {
    return EnumRef{field, EnumNames<T>(),
                   [](const void* f) { return static_cast<int>(*static_cast<const T*>(f)); },
                   [](void* f, int v) { *static_cast<T*>(f) = static_cast<T>(v); }};
  } else {
    return field;
  }
}

// Constraint on a value beyond its type. Numbers (and list elements): [min, max], min
// exclusive when `min_open`. Strings (and list elements): one of `choices` ("a|b") when set,
// or empty unless `non_empty`.
// An enum's choices are its name table, never spelled out in a rule.
struct Rule {
  double min = -kInf;
  double max = kInf;
  bool min_open = false;
  std::string_view choices;
  bool non_empty = false;           // strings and lists
  bool unique = false;              // lists
  std::string_view item = "value";  // noun for list elements in messages
};

struct KeySpec {
  std::string_view path;  // dotted; per-endpoint keys are "llm.endpoints.*.KEY"
  Rule rule;
  std::string_view doc;
  FieldRef (*config_field)(Config&);                 // set for ordinary keys
  FieldRef (*endpoint_field)(llm::EndpointConfig&);  // set for per-endpoint keys
};

// Every key; row order is the order of resolved_yaml and of the README table.
const std::vector<KeySpec>& Schema();

// "prefix.name", or "name" when `prefix` is empty.
std::string Join(std::string_view prefix, std::string_view name);

// The row whose path is `pattern` (endpoint names replaced by "*"), or nullptr.
const KeySpec* FindLeaf(const std::string& pattern);
// Whether `pattern` names a mapping of keys: "" (the top), "llm", "llm.endpoints.*", ...
bool IsSection(const std::string& pattern);

// The closest candidate when it is close enough to be a likely typo, else "".
std::string Closest(std::string_view name, const std::vector<std::string>& candidates);
// "; did you mean X?" for an unknown `name` inside `section`: a near sibling, else the
// same name in another section (`train.gamma` -> `algo.gamma`); "" when nothing is near.
std::string Suggestion(const std::string& section, const std::string& name);

}  // namespace teamsrl::internal
