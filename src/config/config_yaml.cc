#include "config/config_yaml.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config_schema.h"
#include "config/config_values.h"
#include "core/text.h"

namespace teamsrl::internal {
namespace {

// JSON strings are tagged like string fields (below).
YAML::Node JsonToYaml(const nlohmann::json& j) {
  if (j.is_object()) {
    YAML::Node node(YAML::NodeType::Map);
    for (const auto& [key, value] : j.items()) node[key] = JsonToYaml(value);
    return node;
  }
  if (j.is_array()) {
    YAML::Node node(YAML::NodeType::Sequence);
    for (const nlohmann::json& item : j) node.push_back(JsonToYaml(item));
    return node;
  }
  if (j.is_null()) return YAML::Node(YAML::NodeType::Null);
  if (j.is_string()) {
    YAML::Node node(j.get<std::string>());
    node.SetTag("str");
    return node;
  }
  return YAML::Node(j.dump());  // numbers and booleans read back as they are
}

// String values are tagged so that EmitResolved can quote the ones a YAML reader would
// take for something else (`off` is false to PyYAML, `123` a number).
YAML::Node ToYaml(const FieldRef& field) {
  YAML::Node node;
  if (auto* ints = std::get_if<std::vector<int>*>(&field)) {
    node = YAML::Node(YAML::NodeType::Sequence);
    for (int v : **ints) node.push_back(v);
  } else if (auto* strs = std::get_if<std::vector<std::string>*>(&field)) {
    node = YAML::Node(YAML::NodeType::Sequence);
    for (const std::string& v : **strs) {
      YAML::Node item(v);
      item.SetTag("str");
      node.push_back(item);
    }
  } else if (auto* number = std::get_if<std::optional<double>*>(&field); number && !**number) {
    node = YAML::Node(YAML::NodeType::Null);
  } else if (auto* object = std::get_if<llm::JsonObjectText*>(&field)) {
    node = (*object)->empty() ? YAML::Node(YAML::NodeType::Map)
                              : JsonToYaml(nlohmann::json::parse((*object)->text));
  } else {
    node = YAML::Node(FormatValue(field));
    if (std::holds_alternative<std::string*>(field) || std::holds_alternative<EnumRef>(field)) {
      node.SetTag("str");
    }
  }
  return node;
}

bool Ambiguous(const std::string& s) {
  static const std::set<std::string> kWords = {"y",   "n",    "yes",   "no",   "on",
                                               "off", "true", "false", "null", "~"};
  if (kWords.count(ToLower(s))) return true;
  double unused;
  std::string_view v = s;
  if (!v.empty() && (v[0] == '+' || v[0] == '.')) v.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), unused);
  return !v.empty() && ec == std::errc() && ptr == v.data() + v.size();
}

void EmitResolved(YAML::Emitter& em, const YAML::Node& node) {
  if (node.IsNull()) {
    em << YAML::Null;
  } else if (node.IsMap() && node.size() == 0) {
    em << YAML::Flow << YAML::BeginMap << YAML::EndMap;
  } else if (node.IsMap()) {
    em << YAML::BeginMap;
    for (auto it = node.begin(); it != node.end(); ++it) {
      em << YAML::Key << it->first.Scalar() << YAML::Value;
      EmitResolved(em, it->second);
    }
    em << YAML::EndMap;
  } else if (node.IsSequence()) {
    em << YAML::Flow << YAML::BeginSeq;
    for (const YAML::Node& item : node) EmitResolved(em, item);
    em << YAML::EndSeq;
  } else {
    if (node.Tag() == "str" && Ambiguous(node.Scalar())) em << YAML::DoubleQuoted;
    em << node.Scalar();
  }
}

}  // namespace

std::string ResolvedYaml(Config& c) {
  YAML::Node out(YAML::NodeType::Map);
  for (const KeySpec& spec : Schema()) {
    auto set = [&out](const std::vector<std::string>& path, const YAML::Node& value) {
      YAML::Node cur;
      cur.reset(out);
      for (size_t i = 0; i + 1 < path.size(); ++i) {
        YAML::Node next = cur[path[i]];
        if (!next) {
          cur[path[i]] = YAML::Node(YAML::NodeType::Map);
          next.reset(cur[path[i]]);
        }
        cur.reset(next);
      }
      cur[path.back()] = value;
    };
    std::vector<std::string> path = Split(spec.path, '.');
    if (spec.config_field) {
      set(path, ToYaml(spec.config_field(c)));
    } else {
      for (auto& [ep_name, ep] : c.llm.endpoints) {
        path[2] = ep_name;
        set(path, ToYaml(spec.endpoint_field(ep)));
      }
    }
  }
  YAML::Emitter emitter;
  EmitResolved(emitter, out);
  return std::string(emitter.c_str()) + "\n";
}

}  // namespace teamsrl::internal
