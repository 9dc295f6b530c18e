#include "shared/narrative.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <tuple>
#include <utility>

#include "shared/text.h"

namespace budgetsync {
namespace {

// Full-width digits and signs as ASCII; everything else kept byte for byte.
std::string ascii_numbers(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    // U+FF01..U+FF5E are EF BC 81..EF BD 9E.
    if (c == 0xEF && i + 2 < s.size()) {
      const auto b1 = static_cast<unsigned char>(s[i + 1]);
      const auto b2 = static_cast<unsigned char>(s[i + 2]);
      int cp = -1;
      if (b1 == 0xBC && b2 >= 0x81) cp = 0xFF00 + (b2 - 0x80);
      if (b1 == 0xBD && b2 <= 0x9E) cp = 0xFF40 + (b2 - 0x80);
      const char ascii = cp >= 0 ? static_cast<char>(cp - 0xFEE0) : '\0';
      if (ascii != '\0' && (std::isdigit(static_cast<unsigned char>(ascii)) || ascii == '+' ||
                            ascii == '=' || ascii == '.' || ascii == '%')) {
        out += ascii;
        i += 3;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

struct Number {
  Decimal value;
  std::string text;  // as written, with its unit word
  size_t end = 0;
};

bool starts_with_at(std::string_view s, size_t at, std::string_view w) {
  return s.size() >= at + w.size() && s.substr(at, w.size()) == w;
}

// A number at `at`: digits, thousands commas followed by three digits, one
// point; then spaces and an optional unit word.
std::optional<Number> number_at(std::string_view s, size_t at) {
  size_t i = at;
  std::string digits;
  bool point = false;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits += c;
      ++i;
    } else if (c == '.' && !point && !digits.empty() && i + 1 < s.size() &&
               std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      digits += c;
      point = true;
      ++i;
    } else if (c == ',' && !point && !digits.empty() && i + 3 < s.size() &&
               std::isdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isdigit(static_cast<unsigned char>(s[i + 2])) &&
               std::isdigit(static_cast<unsigned char>(s[i + 3])) &&
               (i + 4 >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i + 4])))) {
      ++i;
    } else {
      break;
    }
  }
  if (digits.empty()) return std::nullopt;
  auto v = Decimal::parse(digits);
  if (!v.ok()) return std::nullopt;
  size_t j = i;
  while (j < s.size() && s[j] == ' ') ++j;
  for (std::string_view unit : {"万元", "元", "分", "%"}) {
    if (starts_with_at(s, j, unit)) {
      j += unit.size();
      i = j;
      break;
    }
  }
  return Number{*v, std::string(s.substr(at, i - at)), i};
}

size_t skip_spaces(std::string_view s, size_t i) {
  while (i < s.size() && s[i] == ' ') ++i;
  return i;
}

void check_sums(std::string_view s, const std::string& sentence, std::vector<NarrativeIssue>& out) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) continue;
    if (i > 0 && (std::isdigit(static_cast<unsigned char>(s[i - 1])) || s[i - 1] == '.')) continue;
    auto first = number_at(s, i);
    if (!first) continue;
    Decimal sum = first->value;
    size_t j = skip_spaces(s, first->end);
    int terms = 1;
    while (j < s.size() && s[j] == '+') {
      auto next = number_at(s, skip_spaces(s, j + 1));
      if (!next) break;
      sum += next->value;
      ++terms;
      j = skip_spaces(s, next->end);
    }
    if (terms < 2 || j >= s.size() || s[j] != '=') continue;
    auto result = number_at(s, skip_spaces(s, j + 1));
    if (!result) continue;
    if (result->value != sum) {
      out.push_back(
          {NarrativeIssue::Kind::kSum, sentence, result->text, sum.normalized().to_string()});
    }
    i = result->end;
  }
}

// The number after the last `word` in s[0, limit).
std::optional<Number> after_last(std::string_view s, size_t limit, std::string_view word) {
  const size_t at = s.substr(0, limit).rfind(word);
  if (at == std::string_view::npos) return std::nullopt;
  return number_at(s, skip_spaces(s, at + word.size()));
}

void check_share(std::string_view s, const std::string& sentence,
                 std::vector<NarrativeIssue>& out) {
  const size_t done = s.find("完成");
  if (done == std::string_view::npos) return;
  const size_t of = s.find("预算的", done);
  if (of == std::string_view::npos) return;
  auto share = number_at(s, skip_spaces(s, of + std::string_view("预算的").size()));
  if (!share || share->text.find('%') == std::string::npos) return;
  auto budget = after_last(s, done, "预算为");
  if (!budget) budget = after_last(s, done, "预算数为");
  auto outturn = after_last(s, done, "决算为");
  if (!outturn) outturn = after_last(s, done, "执行数为");
  if (!budget || !outturn) return;
  if (budget->value.is_zero()) {
    out.push_back({NarrativeIssue::Kind::kShareOfZero, sentence, share->text, ""});
    return;
  }
  const int places = std::clamp(share->value.scale(), 0, 6);
  const Decimal expected =
      Decimal::divide(outturn->value * Decimal::from_int(100), budget->value, places);
  if (expected != share->value) {
    out.push_back(
        {NarrativeIssue::Kind::kShare, sentence, share->text, expected.to_string() + "%"});
  }
}

// Calls fn with each sentence of text, trimmed, as written.
template <typename Fn>
void for_each_sentence(std::string_view text, Fn fn) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.size();
    size_t next = text.size();
    for (std::string_view stop : {"。", "；", "\n"}) {
      const size_t at = text.find(stop, start);
      if (at != std::string_view::npos && at < end) {
        end = at;
        next = at + stop.size();
      }
    }
    const std::string sentence(trim(text.substr(start, end - start)));
    if (!sentence.empty()) fn(sentence);
    start = next;
  }
}

bool ends_with(std::string_view s, std::string_view w) {
  return s.size() >= w.size() && s.substr(s.size() - w.size()) == w;
}

// ASCII digits and signs, no spaces (ASCII or the ideographic U+3000).
std::string compact(std::string_view sentence) {
  const std::string a = ascii_numbers(sentence);
  std::string out;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == ' ' || a[i] == '\t') continue;
    if (starts_with_at(a, i, "\u3000")) {
      i += 2;
      continue;
    }
    out += a[i];
  }
  return out;
}

// A name before a 类/款/项 marker without its list number ("1.", "2、", "（三）").
std::string_view strip_numbering(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i > 0) {
    for (std::string_view sep : {".", "、", "．", ")", "）"}) {
      if (starts_with_at(s, i, sep)) return s.substr(i + sep.size());
    }
    return s;
  }
  for (std::string_view open : {"（", "("}) {
    if (!starts_with_at(s, 0, open)) continue;
    for (std::string_view close : {"）", ")"}) {
      const size_t at = s.find(close, open.size());
      if (at != std::string_view::npos && at <= open.size() + 9) return s.substr(at + close.size());
    }
  }
  return s;
}

struct Marker {
  size_t pos = 0;
  size_t end = 0;
  int level = 0;  // 0 类, 1 款, 2 项
  std::string name;
};

std::vector<Marker> markers_in(const std::string& s) {
  std::vector<Marker> out;
  const std::pair<std::string_view, int> kWords[] = {{"（类）", 0}, {"(类)", 0},   {"（款）", 1},
                                                     {"(款)", 1},   {"（项）", 2}, {"(项)", 2}};
  for (const auto& [word, level] : kWords) {
    for (size_t at = s.find(word); at != std::string::npos; at = s.find(word, at + 1)) {
      out.push_back({at, at + word.size(), level, ""});
    }
  }
  std::sort(out.begin(), out.end(), [](const Marker& a, const Marker& b) { return a.pos < b.pos; });
  size_t floor = 0;
  for (auto& m : out) {
    size_t start = floor;
    for (std::string_view stop : {"：", ":", "，", ",", "、", "；"}) {
      const size_t at = s.rfind(stop, m.pos);
      if (at != std::string::npos && at >= floor && at + stop.size() <= m.pos)
        start = std::max(start, at + stop.size());
    }
    m.name = std::string(trim(strip_numbering(std::string_view(s).substr(start, m.pos - start))));
    floor = m.end;
  }
  return out;
}

std::string unit_word(std::string_view number_text) {
  for (std::string_view unit : {"万元", "元", "分", "%"}) {
    if (ends_with(number_text, unit)) return std::string(unit);
  }
  return "";
}

}  // namespace

std::vector<NarrativeIssue> check_narrative_numbers(std::string_view text) {
  std::vector<NarrativeIssue> out;
  for_each_sentence(text, [&](const std::string& sentence) {
    const std::string s = ascii_numbers(sentence);
    check_sums(s, sentence, out);
    check_share(s, sentence, out);
  });
  return out;
}

std::vector<MentionHit> find_mentions(std::string_view paragraph,
                                      const std::vector<MentionPattern>& patterns) {
  std::vector<MentionHit> out;
  ClassifiedNames names;
  size_t names_at = 0;  // where in this sentence the last marker stands, + 1; 0: before it
  auto take = [&](const Marker& m) {
    names_at = m.pos + 1;
    if (m.level == 0) names = {m.name, "", ""};
    if (m.level == 1) names.kuan = m.name, names.xiang.clear();
    if (m.level == 2) names.xiang = m.name;
  };
  for_each_sentence(paragraph, [&](const std::string& sentence) {
    // No real sentence is this long; one that is (pasted tables, hostile
    // input) is not read, so the work stays linear in the text.
    if (sentence.size() > kMaxMentionSentence || out.size() >= kMaxMentionHits) return;
    const std::string s = compact(sentence);
    const std::vector<Marker> markers = markers_in(s);
    names_at = 0;
    size_t next_marker = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) continue;
      if (i > 0 && (std::isdigit(static_cast<unsigned char>(s[i - 1])) || s[i - 1] == '.' ||
                    s[i - 1] == ','))
        continue;
      for (; next_marker < markers.size() && markers[next_marker].pos < i; ++next_marker)
        take(markers[next_marker]);
      auto number = number_at(s, i);
      if (!number) continue;
      const std::string unit = unit_word(number->text);
      const size_t number_end = number->end;
      if (unit.empty()) {
        i = number_end - 1;
        continue;
      }
      const std::string_view prefix = std::string_view(s).substr(0, i);
      std::string_view joined = prefix;
      for (std::string_view join : {"均为", "共计", "为", "是", "共", "：", ":"}) {
        if (ends_with(prefix, join)) {
          joined = prefix.substr(0, prefix.size() - join.size());
          break;
        }
      }
      // (phrase length, where the context or the naming stands (+ 1; 0 for a
      // plain phrase or a naming before this sentence), kind: 2 context /
      // 1 named / 0 plain): of a context and a naming, the one written later,
      // nearer the number, decides.
      std::optional<std::tuple<size_t, size_t, int>> best;
      size_t best_pattern = 0;
      size_t best_start = 0;
      for (size_t p = 0; p < patterns.size(); ++p) {
        const MentionPattern& pat = patterns[p];
        if (pat.phrase.empty()) continue;
        size_t start;
        if (ends_with(prefix, pat.phrase)) {
          start = prefix.size() - pat.phrase.size();
        } else if (ends_with(joined, pat.phrase)) {
          start = joined.size() - pat.phrase.size();
        } else {
          continue;
        }
        std::tuple<size_t, size_t, int> rank{pat.phrase.size(), 0, 0};
        if (!pat.context.empty()) {
          const size_t at = prefix.substr(0, start).rfind(pat.context);
          if (at == std::string_view::npos) continue;
          rank = {pat.phrase.size(), at + 1, 2};
        } else if (pat.named) {
          if (names.empty()) continue;
          rank = {pat.phrase.size(), names_at, 1};
        }
        if (!best || rank > *best) {
          best = rank;
          best_pattern = p;
          best_start = start;
        }
      }
      if (best && out.size() < kMaxMentionHits) {
        MentionHit hit;
        hit.pattern = best_pattern;
        hit.sentence = sentence;
        hit.stated = number->text;
        hit.value = number->value;
        hit.unit = unit;
        hit.before = std::string(prefix.substr(0, best_start));
        if (patterns[best_pattern].named) hit.names = names;
        out.push_back(std::move(hit));
      }
      i = number_end - 1;
    }
    for (; next_marker < markers.size(); ++next_marker) take(markers[next_marker]);
  });
  return out;
}

}  // namespace budgetsync
