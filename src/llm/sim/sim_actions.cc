#include "llm/sim/sim_actions.h"

#include <array>
#include <vector>

#include "llm/sim/sim_lexicon.h"
#include "llm/sim/sim_text.h"

namespace teamsrl::llm::sim {
namespace {

template <typename T>
const T& Pick(std::span<const T> items, Rng& rng) {
  return items[rng.UniformInt(items.size())];
}

int Draw(const Template& t, Rng& rng) {
  return t.hi > t.lo ? t.lo + static_cast<int>(rng.UniformInt(t.hi - t.lo + 1)) : t.lo;
}

// Starts at a random index and returns the first item `unused` accepts (else the start).
template <typename T, typename Pred>
const T& PickUnused(std::span<const T> items, Rng& rng, Pred unused) {
  const size_t start = rng.UniformInt(items.size());
  for (size_t k = 0; k < items.size(); ++k) {
    const T& item = items[(start + k) % items.size()];
    if (unused(item)) return item;
  }
  return items[start];
}

// The word structured input is about: the last content word of the first sentence that
// is not a general word (nouns tend to come last), else "records".
std::string SubjectWord(std::string_view text) {
  std::string subject = "records";
  ForEachWord(FirstSentence(text), [&](std::string_view w, size_t, size_t) {
    if (w.size() >= 3 && IsContentWord(w) && FindGeneralWord(w) == nullptr &&
        !(w[0] >= '0' && w[0] <= '9')) {
      subject.assign(w);
    }
  });
  return subject;
}

std::string StructuredBlock(const std::string& s, Rng& rng) {
  const int a = 2 + static_cast<int>(rng.UniformInt(20));
  const int b = 10 + static_cast<int>(rng.UniformInt(90));
  const int c = 1 + static_cast<int>(rng.UniformInt(9));
  const std::string A = std::to_string(a), B = std::to_string(b), C = std::to_string(c);
  switch (rng.UniformInt(6)) {
    case 0:
      return "Use this JSON record as input:\n```json\n{\"subject\": \"" + s +
             "\", \"quantity\": " + A + ", \"unit_cost\": " + B + "." + C +
             ", \"priority\": \"high\", \"tags\": [\"weekday\", \"shared\"]}\n```";
    case 1:
      return "Work with the figures in this table:\n| option | cost_usd | hours | rating |\n"
             "|---|---|---|---|\n| alpha | " +
             B + " | " + C + " | 4." + C + " |\n| beta | " + std::to_string(b + a) + " | " + A +
             " | 3." + std::to_string(9 - c) + " |\n| gamma | " + std::to_string(b / 2 + 1) +
             " | " + std::to_string(c + 2) + " | 4.0 |";
    case 2:
      return "Start from this Python snippet and extend it:\n```python\ndef score_" + s +
             "(entries):\n    total = 0\n    for e in entries:\n        total += e[\"weight\"] * " +
             A + "\n    return total / max(len(entries), " + C + ")\n```";
    case 3:
      return "Base the answer on the result of this SQL query:\n```sql\nSELECT region, "
             "AVG(price) AS avg_price\nFROM " +
             s + "_orders\nWHERE year >= " + std::to_string(2000 + a) +
             "\nGROUP BY region\nORDER BY avg_price DESC\nLIMIT " + C + ";\n```";
    case 4:
      return "Parse this XML fragment first:\n```xml\n<plan subject=\"" + s + "\" weeks=\"" + A +
             "\"><step order=\"1\">prepare</step><step order=\"2\">review</step></plan>\n```";
    default:
      return "Explain and improve this shell command:\n```bash\nfind ./" + s +
             " -name \"*.csv\" -mtime -" + C + " | xargs wc -l | sort -n | tail -n " + A + "\n```";
  }
}

}  // namespace

std::string AddConstraint(std::string_view text, Rng& rng) {
  const Template& t = PickUnused(ConstraintTemplates(), rng, [&](const Template& c) {
    return text.find(c.text.substr(0, c.text.find('{'))) == std::string_view::npos;
  });
  std::string out(text);
  AppendSentence(out, FillTemplate(t.text, "", "", Draw(t, rng)));
  return out;
}

std::string Deepen(std::string_view text, Rng& rng) {
  const auto fresh = [&](std::string_view a) { return text.find(a) == std::string_view::npos; };
  const std::span<const std::string_view> aspects = Aspects();
  const std::string_view& x = PickUnused(aspects, rng, fresh);
  const std::string_view* y = &PickUnused(aspects, rng, fresh);
  if (*y == x) y = &aspects[(&x - aspects.data() + 1) % aspects.size()];
  const Template& t = Pick(DeepeningTemplates(), rng);
  std::string out(text);
  AppendSentence(out, FillTemplate(t.text, x, *y, Draw(t, rng)));
  return out;
}

std::string Concretize(std::string_view text, Rng& rng) {
  struct Hit {
    size_t begin, end;
    const GeneralWord* word;
  };
  std::vector<Hit> hits;
  ForEachWord(text, [&](std::string_view w, size_t b, size_t e) {
    const GeneralWord* g = FindGeneralWord(w);
    if (g == nullptr) return;
    for (const Hit& h : hits) {
      if (h.word == g) return;  // one replacement per distinct general word
    }
    hits.push_back({b, e, g});
  });
  if (hits.empty()) return std::string(text);
  // Replace two distinct general words when there are two (the first two), else one.
  const size_t n = std::min<size_t>(hits.size(), 2);
  std::string out;
  out.reserve(text.size() + 96);
  size_t pos = 0;
  for (size_t k = 0; k < n; ++k) {
    const Hit& h = hits[k];
    std::string_view specific = h.word->specifics[rng.UniformInt(h.word->specifics.size())];
    out.append(text.substr(pos, h.begin - pos));
    const bool cap = text[h.begin] >= 'A' && text[h.begin] <= 'Z';
    out.append(cap ? Capitalized(specific) : std::string(specific));
    pos = h.end;
  }
  out.append(text.substr(pos));
  return out;
}

std::string AddReasoning(std::string_view text, Rng& rng) {
  const std::string_view s = PickUnused(ReasoningSentences(), rng, [&](std::string_view r) {
    return text.find(r) == std::string_view::npos;
  });
  std::string out(text);
  AppendSentence(out, s);
  return out;
}

std::string AddStructuredInput(std::string_view text, Rng& rng) {
  std::string out(text);
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n')) out.pop_back();
  out.append("\n");
  out.append(StructuredBlock(SubjectWord(text), rng));
  return out;
}

int DetectDomain(std::string_view text) {
  std::array<int, 16> hits{};
  ForEachWord(text, [&](std::string_view w, size_t, size_t) {
    const int d = DomainOfWord(w);
    if (d >= 0 && d < static_cast<int>(hits.size())) ++hits[d];
  });
  int best = -1;
  for (int d = 0; d < static_cast<int>(Domains().size()); ++d) {
    if (hits[d] > 0 && (best < 0 || hits[d] > hits[best])) best = d;
  }
  return best;
}

std::string NewInstruction(std::string_view text, Rng& rng) {
  // The core question decides the domain; later additions are generic.
  int d = DetectDomain(FirstSentence(text));
  if (d < 0) d = DetectDomain(text);
  if (d < 0) d = static_cast<int>(rng.UniformInt(Domains().size()));
  const std::string_view topic = PickUnused(Domains()[d].topics, rng, [&](std::string_view t) {
    return text.find(t) == std::string_view::npos;
  });
  const std::string_view tmpl = Pick(BreadthTemplates(), rng);
  std::string out;
  const size_t slot = tmpl.find("{topic}");
  out.append(tmpl.substr(0, slot)).append(topic).append(tmpl.substr(slot + 7));
  return out;
}

std::string NearIdentical(std::string_view text, Rng& rng) {
  std::string out(text);
  if (rng.UniformInt(2) == 0) {  // synonym swap of the first known word
    bool done = false;
    ForEachWord(text, [&](std::string_view w, size_t b, size_t e) {
      if (done) return;
      for (const Synonym& s : Synonyms()) {
        if (s.from != w) continue;
        const bool cap = text[b] >= 'A' && text[b] <= 'Z';
        out = std::string(text.substr(0, b)) + (cap ? Capitalized(s.to) : std::string(s.to)) +
              std::string(text.substr(e));
        done = true;
        return;
      }
    });
    if (done) return out;
  }
  // Punctuation or case change only.
  if (!out.empty() && out.back() == '?') {
    out.back() = '.';
  } else if (!out.empty() && out.back() == '.') {
    out.back() = '!';
  } else if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') {
    out[0] = static_cast<char>(out[0] + 32);
  } else {
    out.push_back('.');
  }
  return out;
}

std::string Rambling(std::string_view text) {
  std::string out(text);
  out.append("\n\nTo restate the request once more: ");
  out.append(text);
  out.append(" ");
  out.append(FirstSentence(text));
  return out;
}

}  // namespace teamsrl::llm::sim
