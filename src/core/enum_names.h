// One name table per enum-like option (docs/architecture.md s.5). Each enum's header
// specialises EnumNameTable beside the enum; the config loader parses the names once, at
// load time, and every log, run-file attribute and error message prints them from here.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace teamsrl {

// Specialised for each enum E whose values are 0..N-1 in declaration order:
//   template <> struct teamsrl::EnumNameTable<E> {
//     static constexpr std::string_view kNames[] = {"first", "second"};
//   };
template <typename E>
struct EnumNameTable;

template <typename E>
constexpr std::span<const std::string_view> EnumNames() {
  return EnumNameTable<E>::kNames;
}

template <typename E>
constexpr std::string_view EnumName(E value) {
  const auto names = EnumNames<E>();
  const auto i = static_cast<size_t>(value);
  return i < names.size() ? names[i] : std::string_view("?");
}

template <typename E>
constexpr std::optional<E> EnumFromName(std::string_view name) {
  const auto names = EnumNames<E>();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

// "a|b|c", the form of the config schema's choices.
inline std::string JoinNames(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view n : names) (out += out.empty() ? "" : "|") += n;
  return out;
}
template <typename E>
std::string EnumChoices() {
  return JoinNames(EnumNames<E>());
}

}  // namespace teamsrl
