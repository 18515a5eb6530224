#include "config/config_values.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <span>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/text.h"

namespace teamsrl::internal {
namespace {

std::vector<std::string> SplitChoices(std::string_view choices) {
  return choices.empty() ? std::vector<std::string>{} : Split(choices, '|');
}
std::string ListChoices(std::string_view choices) {
  return ReplaceAll(std::string(choices), "|", ", ");
}

std::string FormatDouble(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest exact round trip
  std::string s(buf, end);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";  // keep it visibly a float
  return s;
}

// "an integer >= 1", "a number in [0, 1]".
std::string RangeText(const Rule& r) {
  auto num = [](double v) {
    std::string s = FormatDouble(v);
    return s.ends_with(".0") ? s.substr(0, s.size() - 2) : s;
  };
  if (r.min > -kInf && r.max < kInf) return " in [" + num(r.min) + ", " + num(r.max) + "]";
  if (r.min > -kInf) return (r.min_open ? " > " : " >= ") + num(r.min);
  if (r.max < kInf) return " <= " + num(r.max);
  return "";
}

}  // namespace

std::string Expected(const KeySpec& spec) {
  // Only the field's type matters here; the probes are never written.
  static Config probe_config;
  static llm::EndpointConfig probe_endpoint;
  FieldRef probe =
      spec.config_field ? spec.config_field(probe_config) : spec.endpoint_field(probe_endpoint);
  const Rule& r = spec.rule;
  return std::visit(
      [&](auto p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, EnumRef>) {
          return "one of " + ListChoices(JoinNames(p.names));
        } else if constexpr (std::is_same_v<T, std::string>) {
          if (!r.choices.empty()) {
            return "one of " + ListChoices(r.choices) + (r.non_empty ? "" : ", or empty");
          }
          return r.non_empty ? "a non-empty string" : "a string";
        } else if constexpr (std::is_same_v<T, bool>) {
          return "true or false";
        } else if constexpr (std::is_same_v<T, uint64_t>) {
          return "a non-negative integer";
        } else if constexpr (std::is_integral_v<T>) {
          return "an integer" + RangeText(r);
        } else if constexpr (std::is_same_v<T, double>) {
          return "a number" + RangeText(r);
        } else if constexpr (std::is_same_v<T, std::optional<double>>) {
          return "a number" + RangeText(r) + ", or unset";
        } else if constexpr (std::is_same_v<T, llm::JsonObjectText>) {
          return "a mapping";
        } else if constexpr (std::is_same_v<T, std::vector<int>>) {
          return "a list of integers" + RangeText(r);
        } else {
          return "a list of " + std::string(r.item) + "s";
        }
      },
      probe);
}

int Line(const YAML::Node& node) { return node.Mark().is_null() ? -1 : node.Mark().line + 1; }

bool IsQuoted(const YAML::Node& node) { return node.Tag() == "!"; }

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar: {
      std::string s = node.Scalar();
      if (s.size() > 60) s = s.substr(0, 57) + "...";
      return IsQuoted(node) ? "\"" + s + "\" (a quoted string)" : s;
    }
    default:
      return "an undefined value";
  }
}

std::string FormatValue(const FieldRef& field) {
  return std::visit(
      [](auto p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, EnumRef>) {
          return std::string(p.names[static_cast<size_t>(p.get(p.field))]);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return *p;
        } else if constexpr (std::is_same_v<T, bool>) {
          return *p ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          return FormatDouble(*p);
        } else if constexpr (std::is_same_v<T, std::optional<double>>) {
          return *p ? FormatDouble(**p) : "unset";
        } else if constexpr (std::is_same_v<T, llm::JsonObjectText>) {
          return p->empty() ? "{}" : p->text;
        } else if constexpr (std::is_integral_v<T>) {
          return std::to_string(*p);
        } else {
          std::string out = "[";
          for (size_t i = 0; i < p->size(); ++i) {
            if (i) out += ", ";
            if constexpr (std::is_same_v<T, std::vector<int>>) {
              out += std::to_string((*p)[i]);
            } else {
              out += (*p)[i];
            }
          }
          return out + "]";
        }
      },
      field);
}

namespace {

Status TypeError(const Reporter& rep, const Entry& e, const YAML::Node& node) {
  // A list element has its own line; a key's value uses the key's line, because yaml-cpp
  // marks an empty (null) value at the token after it.
  const int line = &node != &e.value && Line(node) > 0 ? Line(node) : e.line;
  return rep.Error(e.path, line, "expected " + Expected(*e.spec) + ", got " + Describe(node));
}

bool PlainScalar(const YAML::Node& node) { return node.IsScalar() && !IsQuoted(node); }

Status CheckRange(const Reporter& rep, const Entry& e, double v, const std::string& text,
                  int line) {
  const Rule& r = e.spec->rule;
  if (v < r.min || v > r.max || (r.min_open && v == r.min)) {
    return rep.Error(e.path, line, "expected " + Expected(*e.spec) + ", got " + text);
  }
  return OkStatus();
}

template <typename T>
Status ParseInteger(const Reporter& rep, const Entry& e, const YAML::Node& node, T* out) {
  if (!PlainScalar(node)) return TypeError(rep, e, node);
  std::string_view text = node.Scalar();
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  const bool digits = !text.empty() &&
                      std::all_of(text.begin() + (text[0] == '-' ? 1 : 0), text.end(),
                                  [](char c) { return c >= '0' && c <= '9'; }) &&
                      text != "-";
  if (!digits) return TypeError(rep, e, node);
  if (std::is_unsigned_v<T> && text[0] == '-') return TypeError(rep, e, node);
  T value{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return rep.Error(e.path, Line(node),
                     "expected " + Expected(*e.spec) + ", got " + node.Scalar() +
                         " (does not fit in a " + std::to_string(sizeof(T) * 8) + "-bit " +
                         (std::is_unsigned_v<T> ? "unsigned " : "") + "integer)");
  }
  TEAMSRL_RETURN_IF_ERROR(
      CheckRange(rep, e, static_cast<double>(value), node.Scalar(), Line(node)));
  *out = value;
  return OkStatus();
}

Status ParseDouble(const Reporter& rep, const Entry& e, const YAML::Node& node, double* out) {
  if (!PlainScalar(node)) return TypeError(rep, e, node);
  std::string_view text = node.Scalar();
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(value)) {
    return TypeError(rep, e, node);
  }
  TEAMSRL_RETURN_IF_ERROR(CheckRange(rep, e, value, node.Scalar(), Line(node)));
  *out = value;
  return OkStatus();
}

// Unset by `key:` with nothing after it or `null`, so a resolved config reads back.
Status ParseOptionalDouble(const Reporter& rep, const Entry& e, const YAML::Node& node,
                           std::optional<double>* out) {
  if (node.IsNull() || (PlainScalar(node) && (node.Scalar() == "null" || node.Scalar() == "~"))) {
    out->reset();
    return OkStatus();
  }
  double value = 0;
  TEAMSRL_RETURN_IF_ERROR(ParseDouble(rep, e, node, &value));
  *out = value;
  return OkStatus();
}

// A plain YAML scalar as the JSON value a YAML 1.2 reader takes it for: true/false, null,
// an integer, a finite number, else a string. A quoted scalar is always a string.
nlohmann::json ScalarToJson(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (IsQuoted(node)) return s;
  const std::string lower = ToLower(s);
  if (lower == "true" || lower == "false") return lower == "true";
  if (lower == "null" || s == "~" || s.empty()) return nullptr;
  std::string_view text = s;
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  int64_t i = 0;
  if (auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
      ec == std::errc() && p == text.data() + text.size()) {
    return i;
  }
  double d = 0;
  if (auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
      ec == std::errc() && p == text.data() + text.size() && std::isfinite(d)) {
    return d;
  }
  return s;
}

Result<nlohmann::json> ToJson(const Reporter& rep, const Entry& e, const YAML::Node& node) {
  if (node.IsMap()) {
    nlohmann::json obj = nlohmann::json::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) {
        return rep.Error(e.path, Line(it->first),
                         "keys must be plain names, got " + Describe(it->first));
      }
      if (obj.contains(it->first.Scalar())) {
        return rep.Error(e.path, Line(it->first), "duplicate key " + it->first.Scalar());
      }
      TEAMSRL_ASSIGN_OR_RETURN(obj[it->first.Scalar()], ToJson(rep, e, it->second));
    }
    return obj;
  }
  if (node.IsSequence()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const YAML::Node& item : node) {
      TEAMSRL_ASSIGN_OR_RETURN(nlohmann::json v, ToJson(rep, e, item));
      arr.push_back(std::move(v));
    }
    return arr;
  }
  if (node.IsScalar()) return ScalarToJson(node);
  return nlohmann::json(nullptr);
}

// A mapping of any depth; `key:` with nothing after it is the empty mapping.
Status ParseJsonObject(const Reporter& rep, const Entry& e, const YAML::Node& node,
                       llm::JsonObjectText* out) {
  if (node.IsNull()) {
    out->text.clear();
    return OkStatus();
  }
  if (!node.IsMap()) return TypeError(rep, e, node);
  TEAMSRL_ASSIGN_OR_RETURN(nlohmann::json j, ToJson(rep, e, node));
  out->text = j.empty() ? "" : j.dump();
  return OkStatus();
}

Status CheckChoice(const Reporter& rep, const Entry& e, std::string_view choices,
                   const std::string& value, int line, bool in_list) {
  const Rule& r = e.spec->rule;
  if (choices.empty()) return OkStatus();
  std::vector<std::string> allowed = SplitChoices(choices);
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return OkStatus();
  std::string near = Closest(value, allowed);
  std::string hint = near.empty() ? "" : "; did you mean " + near + "?";
  if (in_list) {
    return rep.Error(e.path, line,
                     "unknown " + std::string(r.item) + " \"" + value +
                         "\"; allowed: " + ListChoices(choices) + hint);
  }
  return rep.Error(e.path, line,
                   "expected one of " + ListChoices(choices) + ", got \"" + value + "\"" + hint);
}

Status ParseString(const Reporter& rep, const Entry& e, const YAML::Node& node, std::string* out) {
  if (node.IsNull()) {
    *out = "";  // `key:` with nothing after it
  } else if (node.IsScalar()) {
    *out = node.Scalar();
  } else {
    return TypeError(rep, e, node);
  }
  if (e.spec->rule.non_empty && out->empty()) {
    return rep.Error(e.path, e.line, "expected " + Expected(*e.spec) + ", got an empty value");
  }
  if (out->empty()) return OkStatus();  // a string with choices that may be left empty
  return CheckChoice(rep, e, e.spec->rule.choices, *out, e.line, /*in_list=*/false);
}

// An enum's value is one of its names, parsed here once (docs/architecture.md s.5).
Status ParseEnum(const Reporter& rep, const Entry& e, const YAML::Node& node, const EnumRef& out) {
  if (!node.IsScalar()) return TypeError(rep, e, node);
  const std::string& name = node.Scalar();
  for (size_t i = 0; i < out.names.size(); ++i) {
    if (out.names[i] == name) {
      out.set(out.field, static_cast<int>(i));
      return OkStatus();
    }
  }
  return CheckChoice(rep, e, JoinNames(out.names), name, e.line, /*in_list=*/false);
}

Status ParseBool(const Reporter& rep, const Entry& e, const YAML::Node& node, bool* out) {
  if (!PlainScalar(node) || (node.Scalar() != "true" && node.Scalar() != "false")) {
    return TypeError(rep, e, node);
  }
  *out = node.Scalar() == "true";
  return OkStatus();
}

template <typename T>
Status ParseList(const Reporter& rep, const Entry& e, const YAML::Node& node, std::vector<T>* out) {
  if (!node.IsSequence()) return TypeError(rep, e, node);
  const Rule& r = e.spec->rule;
  std::vector<T> values;
  for (const YAML::Node& item : node) {
    const int line = Line(item) > 0 ? Line(item) : e.line;
    T value{};
    if constexpr (std::is_same_v<T, int>) {
      TEAMSRL_RETURN_IF_ERROR(ParseInteger(rep, e, item, &value));
    } else {
      if (!item.IsScalar()) return TypeError(rep, e, item);
      value = item.Scalar();
      TEAMSRL_RETURN_IF_ERROR(CheckChoice(rep, e, r.choices, value, line, /*in_list=*/true));
    }
    if (r.unique && std::find(values.begin(), values.end(), value) != values.end()) {
      std::ostringstream v;
      v << value;
      return rep.Error(e.path, line, "duplicate " + std::string(r.item) + " \"" + v.str() + "\"");
    }
    values.push_back(std::move(value));
  }
  if (r.non_empty && values.empty()) {
    return rep.Error(e.path, e.line, "expected at least one " + std::string(r.item));
  }
  *out = std::move(values);
  return OkStatus();
}
}  // namespace

Status Assign(const Reporter& rep, const Entry& e, FieldRef field) {
  return std::visit(
      [&](auto p) -> Status {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, EnumRef>) {
          return ParseEnum(rep, e, e.value, p);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return ParseString(rep, e, e.value, p);
        } else if constexpr (std::is_same_v<T, bool>) {
          return ParseBool(rep, e, e.value, p);
        } else if constexpr (std::is_same_v<T, double>) {
          return ParseDouble(rep, e, e.value, p);
        } else if constexpr (std::is_same_v<T, std::optional<double>>) {
          return ParseOptionalDouble(rep, e, e.value, p);
        } else if constexpr (std::is_same_v<T, llm::JsonObjectText>) {
          return ParseJsonObject(rep, e, e.value, p);
        } else if constexpr (std::is_integral_v<T>) {
          return ParseInteger(rep, e, e.value, p);
        } else {
          return ParseList(rep, e, e.value, p);
        }
      },
      field);
}

}  // namespace teamsrl::internal
