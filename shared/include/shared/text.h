// Small UTF-8 text helpers shared by parsers and terminal output.
#pragma once

#include <string>
#include <string_view>

namespace budgetsync {

// Removes ASCII white space, no-break spaces and the ideographic space (U+3000)
// from both ends.
std::string_view trim(std::string_view s);

// Maps full-width ASCII variants (０-９, ．, ，, －, ＋, ％, Ａ-Ｚ ...) to their ASCII
// forms, the minus sign U+2212 to '-', and drops every white space character
// inside the text. Used before parsing numbers people typed with a Chinese IME.
std::string normalize_numeric_text(std::string_view s);

// A row or column label as people may type it, reduced to what names it: white
// space dropped and full-width forms made ASCII (as normalize_numeric_text),
// then a leading 其中： and a leading number as the printed tables write them
// (一、 （一） (1) 1. 1、 1）) taken off, and a trailing colon. "（一）基本支出",
// "基本支出" and "基 本 支 出" all give "基本支出".
std::string normalize_label(std::string_view s);

// Columns the text occupies in a terminal: 2 for East Asian wide and full-width
// characters, 0 for combining marks, 1 otherwise. Invalid UTF-8 bytes count 1.
int display_width(std::string_view s);

// Pads `s` with spaces to `width` display columns (left or right aligned).
std::string pad_to_width(std::string_view s, int width, bool align_right = false);

// True when the text is valid UTF-8.
bool is_valid_utf8(std::string_view s);

}  // namespace budgetsync
