// Small text utilities shared by the LLM simulator, reply parsing and dataset metrics.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace teamsrl {

std::string Trim(std::string_view s);
std::string ToLower(std::string_view s);
// Lower-case, punctuation removed, runs of whitespace folded to one space, trimmed.
std::string NormalizeText(std::string_view s);
// Lower-cased alphanumeric words (apostrophes kept inside words).
std::vector<std::string> Words(std::string_view s);
size_t WordCount(std::string_view s);
// A rough token count for budgets when a server reports none: ~4 bytes per token.
int EstimateTokens(std::string_view s);
std::vector<std::string> Split(std::string_view s, char sep);
bool StartsWith(std::string_view s, std::string_view prefix);
bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle);
// `s` with each NUL byte replaced by U+FFFD: HDF5 variable-length strings end at the
// first NUL, so text that must read back whole (run files, data sets) holds none.
std::string ReplaceNul(std::string s);
// The byte offset of the first byte that does not start a well-formed UTF-8 sequence
// (overlong forms, surrogates and code points above U+10FFFF included), or npos.
size_t InvalidUtf8Offset(std::string_view s);
// Replaces every occurrence of `from` in `s` with `to`.
std::string ReplaceAll(std::string s, std::string_view from, std::string_view to);
// {placeholder, value}, e.g. {"{instruction}", text}.
using TextSlot = std::pair<std::string_view, std::string_view>;
// `tmpl` with every placeholder of `slots` replaced in one pass: text a value brings in is
// never expanded again (an instruction that mentions "{after}" stays as it is).
std::string Substitute(std::string_view tmpl, std::initializer_list<TextSlot> slots);

}  // namespace teamsrl
