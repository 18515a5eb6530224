// Parsing the reviewer's verdict (docs/method.md s.3: reward 1 iff the stripped reply
// is exactly "Not Equal"). Real reviewers add punctuation, change case or explain
// themselves; `env.reward.match` decides how forgiving the parse is.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/enum_names.h"

namespace teamsrl::evol {

enum class MatchMode : int {
  kExact = 0,       // faithful: whitespace-trimmed reply == "Not Equal"
  kNormalized = 1,  // lower-cased, punctuation removed, whitespace folded == "not equal"
};

// What the reward pays for (`env.reward.type`); the paper's is the only one so far.
enum class RewardType : int {
  kNotEqual = 0,  // 1 when the reviewer says "Not Equal", else 0
};

// True when the reviewer says the second instruction adds information.
bool IsNotEqual(std::string_view reply, MatchMode mode);

// True when the whitespace-trimmed reply is exactly "Equal" or "Not Equal", the two forms
// the exact match knows; any other reply (a real LLM's "not equal.", an explanation) counts
// as Equal under `exact`, so runs count these (issue 14 item 9).
bool IsExactVerdict(std::string_view reply);

// Whether `malformed` of `replies` reviewer replies (neither exact verdict) pass
// `warn_share` (run.malformed_reply_warn_share) so that the run should say so; below 100
// replies never, so a few odd replies early on do not.
bool MalformedRepliesPastShare(int64_t replies, int64_t malformed, double warn_share);

}  // namespace teamsrl::evol

template <>
struct teamsrl::EnumNameTable<teamsrl::evol::MatchMode> {
  static constexpr std::string_view kNames[] = {"exact", "normalized"};
};
template <>
struct teamsrl::EnumNameTable<teamsrl::evol::RewardType> {
  static constexpr std::string_view kNames[] = {"not_equal"};
};
