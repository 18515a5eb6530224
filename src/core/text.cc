#include "core/text.h"

#include <algorithm>
#include <cctype>

namespace teamsrl {

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string NormalizeText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  for (unsigned char c : s) {
    if (std::isspace(c)) {
      pending_space = !out.empty();
    } else if (std::ispunct(c)) {
      continue;
    } else {
      if (pending_space) out.push_back(' ');
      pending_space = false;
      out.push_back(static_cast<char>(std::tolower(c)));
    }
  }
  return out;
}

std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> words;
  std::string cur;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    bool inner_apostrophe = c == '\'' && !cur.empty() && i + 1 < s.size() &&
                            std::isalnum(static_cast<unsigned char>(s[i + 1]));
    if (std::isalnum(c) || c >= 0x80 || inner_apostrophe) {
      cur.push_back(static_cast<char>(std::tolower(c)));
    } else if (!cur.empty()) {
      words.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) words.push_back(std::move(cur));
  return words;
}

size_t WordCount(std::string_view s) {
  size_t n = 0;
  bool in_word = false;
  for (unsigned char c : s) {
    bool w = !std::isspace(c);
    if (w && !in_word) ++n;
    in_word = w;
  }
  return n;
}

size_t InvalidUtf8Offset(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = byte(i);
    const size_t len = c < 0x80           ? 1
                       : (c >> 5) == 0x6  ? 2
                       : (c >> 4) == 0xe  ? 3
                       : (c >> 3) == 0x1e ? 4
                                          : 0;
    if (len == 0 || i + len > s.size()) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((byte(i + k) >> 6) != 0x2) return i;
    }
    // The second byte's range rules out overlong forms, surrogates and > U+10FFFF (RFC 3629).
    const unsigned char c1 = len > 1 ? byte(i + 1) : 0;
    if ((len == 2 && c < 0xc2) || (len == 3 && c == 0xe0 && c1 < 0xa0) ||
        (len == 3 && c == 0xed && c1 > 0x9f) || (len == 4 && c == 0xf0 && c1 < 0x90) ||
        (len == 4 && (c > 0xf4 || (c == 0xf4 && c1 > 0x8f)))) {
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

std::string ReplaceNul(std::string s) {
  if (s.find('\0') == std::string::npos) return s;
  return ReplaceAll(std::move(s), std::string_view("\0", 1), "\xEF\xBF\xBD");
}

int EstimateTokens(std::string_view s) { return static_cast<int>((s.size() + 3) / 4); }

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.emplace_back(s.substr(start));
      return parts;
    }
    parts.emplace_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  return ToLower(haystack).find(ToLower(needle)) != std::string::npos;
}

std::string ReplaceAll(std::string s, std::string_view from, std::string_view to) {
  if (from.empty()) return s;
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

std::string Substitute(std::string_view tmpl, std::initializer_list<TextSlot> slots) {
  std::string out;
  out.reserve(tmpl.size() + 256);
  size_t i = 0;
  while (i < tmpl.size()) {
    bool replaced = false;
    if (tmpl[i] == '{') {
      for (const auto& [name, value] : slots) {
        if (tmpl.compare(i, name.size(), name) == 0) {
          out.append(value);
          i += name.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out.push_back(tmpl[i++]);
  }
  return out;
}

}  // namespace teamsrl
