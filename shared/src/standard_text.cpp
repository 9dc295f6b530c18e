#include "shared/standard_text.h"

#include <algorithm>
#include <cctype>

#include "shared/text.h"

namespace budgetsync {
namespace {

struct Bound {
  std::optional<Decimal> lo;  // none: from below everything
  std::optional<Decimal> hi;  // none: to above everything
};

// The number at `at` (digits and one point), its end in `end`.
std::optional<Decimal> number_at(const std::string& s, size_t at, size_t& end) {
  size_t i = at;
  bool point = false;
  while (i < s.size() &&
         (std::isdigit(static_cast<unsigned char>(s[i])) || (s[i] == '.' && !point && i > at))) {
    if (s[i] == '.') point = true;
    ++i;
  }
  if (i == at) return std::nullopt;
  auto d = Decimal::parse(s.substr(at, i - at));
  if (!d.ok()) return std::nullopt;
  end = i;
  return *d;
}

bool has_at(const std::string& s, size_t at, std::string_view w) {
  return s.size() >= at + w.size() && std::string_view(s).substr(at, w.size()) == w;
}

// Skips "%", "(含)", "（含）" and spaces after a number.
size_t skip_decoration(const std::string& s, size_t i) {
  for (bool moved = true; moved;) {
    moved = false;
    for (std::string_view w : {"%", "(含)", "（含）", " "}) {
      if (has_at(s, i, w)) {
        i += w.size();
        moved = true;
      }
    }
  }
  return i;
}

// The band one clause of the text sets out, if it sets one out.
std::optional<Bound> band_of(const std::string& clause, bool& is_range) {
  for (size_t i = 0; i < clause.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(clause[i]))) continue;
    if (i > 0 && (std::isdigit(static_cast<unsigned char>(clause[i - 1])) || clause[i - 1] == '.'))
      continue;
    size_t end = 0;
    auto a = number_at(clause, i, end);
    if (!a) continue;
    const size_t after = skip_decoration(clause, end);
    for (std::string_view dash : {"-", "–", "—", "～", "~", "至"}) {
      if (!has_at(clause, after, dash)) continue;
      size_t end_b = 0;
      auto b = number_at(clause, skip_decoration(clause, after + dash.size()), end_b);
      if (b) {
        is_range = true;
        return Bound{a, b};
      }
    }
    const std::string before = clause.substr(0, i);
    auto ends_with = [&](std::string_view w) {
      return before.size() >= w.size() &&
             std::string_view(before).substr(before.size() - w.size()) == w;
    };
    if (has_at(clause, after, "以上")) return Bound{a, std::nullopt};
    if (has_at(clause, after, "以下")) return Bound{std::nullopt, a};
    if (ends_with("≥") || ends_with(">=") || ends_with("大于") || ends_with(">") ||
        ends_with("高于") || ends_with("超过"))
      return Bound{a, std::nullopt};
    if (ends_with("≤") || ends_with("<=") || ends_with("低于") || ends_with("小于") ||
        ends_with("<") || ends_with("不足"))
      return Bound{std::nullopt, a};
    if (ends_with("=") || ends_with("等于")) return Bound{a, a};
    return std::nullopt;  // a number that bounds nothing ("计3分")
  }
  return std::nullopt;
}

std::string shown(const Decimal& d, bool percent) {
  return d.normalized().to_string() + (percent ? "%" : "");
}

}  // namespace

std::vector<StandardTextIssue> check_standard_text(std::string_view raw, const Decimal& weight) {
  std::vector<StandardTextIssue> out;
  const std::string text = normalize_numeric_text(raw);  // full-width forms, no spaces
  // The best score named: the largest N in "计N分" / "得N分".
  std::optional<Decimal> best;
  for (std::string_view verb : {"计", "得"}) {
    for (size_t at = text.find(verb); at != std::string::npos; at = text.find(verb, at + 1)) {
      size_t end = 0;
      auto n = number_at(text, at + verb.size(), end);
      if (n && has_at(text, end, "分") && (!best || *n > *best)) best = *n;
    }
  }
  if (best && *best != weight) {
    out.push_back({StandardTextIssue::Kind::kFullMarks, best->normalized().to_string(), "", ""});
  }
  // Bands, one per clause.
  std::vector<Bound> bands;
  bool any_range = false;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.size();
    size_t next = text.size() + 1;
    for (std::string_view stop : {"；", ";", "。"}) {
      const size_t at = text.find(stop, start);
      if (at != std::string::npos && at < end) {
        end = at;
        next = at + stop.size();
      }
    }
    bool range = false;
    if (auto b = band_of(text.substr(start, end - start), range)) {
      bands.push_back(*b);
      any_range = any_range || range;
    }
    start = next;
  }
  if (bands.size() < 2 || !any_range) return out;
  const bool percent = text.find('%') != std::string::npos;
  // By lower bound, then upper bound ("=0" before "0-10%"); unbounded ends last.
  auto lo_less = [](const Bound& a, const Bound& b) {
    if (a.lo != b.lo) {
      if (!a.lo) return true;
      if (!b.lo) return false;
      return *a.lo < *b.lo;
    }
    if (a.hi == b.hi) return false;
    if (!a.hi) return false;
    if (!b.hi) return true;
    return *a.hi < *b.hi;
  };
  std::sort(bands.begin(), bands.end(), lo_less);
  for (size_t i = 1; i < bands.size(); ++i) {
    const Bound& prev = bands[i - 1];
    const Bound& cur = bands[i];
    if (!prev.hi || !cur.lo) {
      if (!prev.hi && cur.lo) {
        out.push_back({StandardTextIssue::Kind::kOverlap, "", shown(*cur.lo, percent), ""});
      }
      continue;
    }
    if (*cur.lo > *prev.hi) {
      out.push_back(
          {StandardTextIssue::Kind::kGap, "", shown(*prev.hi, percent), shown(*cur.lo, percent)});
    } else if (*cur.lo < *prev.hi) {
      out.push_back({StandardTextIssue::Kind::kOverlap, "", shown(*cur.lo, percent),
                     shown(*prev.hi, percent)});
    }
  }
  return out;
}

}  // namespace budgetsync
