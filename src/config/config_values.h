// Reading config values (internal to the loader): turning a YAML node into a field of the
// config per its schema row, and the text used for values in messages and in the README.
#pragma once

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <utility>

#include "config/config_schema.h"
#include "core/status.h"

namespace teamsrl::internal {

// 1-based line of `node`, or -1 when yaml-cpp has no mark for it.
int Line(const YAML::Node& node);
// Whether the scalar was written in quotes (a string however it reads).
bool IsQuoted(const YAML::Node& node);
// The value as quoted in "expected X, got Y": "a list", "nothing", the scalar itself, ...
std::string Describe(const YAML::Node& node);

// What a key expects, as used in "expected X, got Y" and in the README type column.
std::string Expected(const KeySpec& spec);
// The field's value as plain text: `3`, `0.5`, `true`, `[64, 64]`; strings unquoted.
std::string FormatValue(const FieldRef& field);

// Reports errors as "FILE:LINE: KEY: message", or "--set KEY: message" for values that came
// from an override.
class Reporter {
 public:
  explicit Reporter(std::string name) : name_(std::move(name)) {}

  void MarkOverride(const std::string& path) { override_paths_.insert(path); }
  bool FromOverride(const std::string& path) const {
    for (size_t dot = 0;; ++dot) {
      dot = path.find('.', dot);
      if (override_paths_.count(path.substr(0, dot))) return true;
      if (dot == std::string::npos) return false;
    }
  }
  // `origin` is the key whose value caused the error when that is not `path` itself.
  Status Error(const std::string& path, int line, const std::string& message,
               const std::string& origin = "") const {
    if (FromOverride(origin.empty() ? path : origin)) {
      return InvalidArgument("--set " + path + ": " + message);
    }
    std::string where = line > 0 ? name_ + ":" + std::to_string(line) : name_;
    return InvalidArgument(where + ": " + path + ": " + message);
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::set<std::string> override_paths_;
};

struct Entry {
  std::string path;
  const KeySpec* spec;
  YAML::Node value;
  int line;  // of the key
};

// Parses `e.value` into `field` (which `e.spec` describes), checking its type and rule.
Status Assign(const Reporter& rep, const Entry& e, FieldRef field);

}  // namespace teamsrl::internal
