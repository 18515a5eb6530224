// Options of the seed reader (io/seeds.h; config keys `env.seeds.*`).
#pragma once

#include <string>
#include <string_view>

#include "core/enum_names.h"

namespace teamsrl::io {

enum class SeedFormat : int { kAuto = 0, kJsonl = 1, kJson = 2, kText = 3 };
enum class OnBadRecord : int { kFatal = 0, kSkip = 1 };

struct SeedsConfig {
  std::string path;  // empty: the single seed `env.initial_instruction`
  SeedFormat format = SeedFormat::kAuto;
  std::string instruction_field = "instruction";  // dotted, e.g. instances[0].input
  std::string input_field = "input";
  OnBadRecord on_bad_record = OnBadRecord::kFatal;

  bool operator==(const SeedsConfig&) const = default;
};

}  // namespace teamsrl::io

template <>
struct teamsrl::EnumNameTable<teamsrl::io::SeedFormat> {
  static constexpr std::string_view kNames[] = {"auto", "jsonl", "json", "text"};
};
template <>
struct teamsrl::EnumNameTable<teamsrl::io::OnBadRecord> {
  static constexpr std::string_view kNames[] = {"fatal", "skip"};
};
