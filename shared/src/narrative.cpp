#include "shared/narrative.h"

#include <algorithm>
#include <cctype>
#include <optional>

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

}  // namespace

std::vector<NarrativeIssue> check_narrative_numbers(std::string_view text) {
  std::vector<NarrativeIssue> out;
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
    if (!sentence.empty()) {
      const std::string s = ascii_numbers(sentence);
      check_sums(s, sentence, out);
      check_share(s, sentence, out);
    }
    start = next;
  }
  return out;
}

}  // namespace budgetsync
