#include "shared/text.h"

#include <cstdint>

namespace budgetsync {
namespace {

// Decodes one code point at s[i]; advances i. Invalid bytes decode as themselves
// (one byte) with valid=false.
char32_t decode(std::string_view s, size_t& i, bool& valid) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  valid = true;
  int len = 0;
  char32_t cp = 0;
  if (b0 < 0x80) {
    ++i;
    return b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    valid = false;
    ++i;
    return b0;
  }
  if (i + len > s.size()) {
    valid = false;
    ++i;
    return b0;
  }
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      valid = false;
      ++i;
      return b0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  // Overlong forms and surrogates are invalid.
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
      (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
    valid = false;
    ++i;
    return b0;
  }
  i += len;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_space(char32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' ||
         cp == 0xA0 || cp == 0x3000 || cp == 0x2002 || cp == 0x2003 || cp == 0x2009 ||
         cp == 0x200B || cp == 0xFEFF;
}

bool is_wide(char32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
         (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
         (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

bool is_combining(char32_t cp) {
  return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) ||
         (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF;
}

}  // namespace

std::string_view trim(std::string_view s) {
  // Only the ends are looked at: ASCII white space, and the multi-byte spaces
  // people paste from documents (U+00A0, U+2002, U+2003, U+2009, U+200B,
  // U+3000, U+FEFF) matched as byte sequences.
  static constexpr std::string_view kWide[] = {"\xC2\xA0",     "\xE2\x80\x82", "\xE2\x80\x83",
                                               "\xE2\x80\x89", "\xE2\x80\x8B", "\xE3\x80\x80",
                                               "\xEF\xBB\xBF"};
  auto ascii_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  for (bool changed = true; changed && !s.empty();) {
    changed = false;
    if (ascii_space(s.front())) {
      s.remove_prefix(1);
      changed = true;
      continue;
    }
    for (std::string_view w : kWide) {
      if (s.substr(0, w.size()) == w) {
        s.remove_prefix(w.size());
        changed = true;
        break;
      }
    }
  }
  for (bool changed = true; changed && !s.empty();) {
    changed = false;
    if (ascii_space(s.back())) {
      s.remove_suffix(1);
      changed = true;
      continue;
    }
    for (std::string_view w : kWide) {
      if (s.size() >= w.size() && s.substr(s.size() - w.size()) == w) {
        s.remove_suffix(w.size());
        changed = true;
        break;
      }
    }
  }
  return s;
}

std::string normalize_numeric_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = i;
    bool valid = false;
    char32_t cp = decode(s, i, valid);
    if (!valid) {
      out.append(s.substr(start, i - start));
      continue;
    }
    if (is_space(cp)) continue;
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0;  // full-width ASCII block
    if (cp == 0x2212 || cp == 0x2013) cp = '-';      // minus sign, en dash used as minus
    append_utf8(out, cp);
  }
  return out;
}

namespace {

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

// The length of a run of Chinese numerals (一 … 十, 百, 零, 〇) or of ASCII
// digits at the start of `s`, in bytes.
size_t numeral_run(std::string_view s) {
  static constexpr std::string_view kNumerals[] = {"一", "二", "三", "四", "五", "六", "七",
                                                   "八", "九", "十", "百", "零", "〇"};
  size_t at = 0;
  bool chinese = false, digits = false;
  for (;;) {
    if (!chinese && at < s.size() && s[at] >= '0' && s[at] <= '9') {
      digits = true;
      ++at;
      continue;
    }
    bool matched = false;
    for (std::string_view n : kNumerals) {
      if (!digits && starts_with(s.substr(at), n)) {
        chinese = true;
        at += n.size();
        matched = true;
        break;
      }
    }
    if (!matched) return at;
  }
}

}  // namespace

std::string normalize_label(std::string_view raw) {
  std::string text = normalize_numeric_text(raw);
  std::string_view s = text;
  if (starts_with(s, "其中:")) s.remove_prefix(std::string_view("其中:").size());
  // "(一)" "(1)", then "一、" "1." "1、" "1)": only when a label follows.
  if (starts_with(s, "(")) {
    const size_t n = numeral_run(s.substr(1));
    if (n > 0 && s.size() > n + 2 && s[1 + n] == ')') s.remove_prefix(n + 2);
  } else if (const size_t n = numeral_run(s); n > 0 && n < s.size()) {
    const std::string_view rest = s.substr(n);
    for (std::string_view mark :
         {std::string_view("、"), std::string_view("."), std::string_view(")")}) {
      if (starts_with(rest, mark) && rest.size() > mark.size()) {
        s.remove_prefix(n + mark.size());
        break;
      }
    }
  }
  if (starts_with(s, "、")) s.remove_prefix(std::string_view("、").size());
  while (!s.empty() && s.back() == ':') s.remove_suffix(1);
  return std::string(s);
}

int display_width(std::string_view s) {
  int width = 0;
  size_t i = 0;
  while (i < s.size()) {
    bool valid = false;
    const char32_t cp = decode(s, i, valid);
    if (!valid) {
      width += 1;
    } else if (is_combining(cp)) {
      continue;
    } else {
      width += is_wide(cp) ? 2 : 1;
    }
  }
  return width;
}

std::string pad_to_width(std::string_view s, int width, bool align_right) {
  const int w = display_width(s);
  if (w >= width) return std::string(s);
  std::string pad(static_cast<size_t>(width - w), ' ');
  return align_right ? pad + std::string(s) : std::string(s) + pad;
}

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    bool valid = false;
    decode(s, i, valid);
    if (!valid) return false;
  }
  return true;
}

}  // namespace budgetsync
