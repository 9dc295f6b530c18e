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

// Columns the text occupies in a terminal: 2 for East Asian wide and full-width
// characters, 0 for combining marks, 1 otherwise. Invalid UTF-8 bytes count 1.
int display_width(std::string_view s);

// Pads `s` with spaces to `width` display columns (left or right aligned).
std::string pad_to_width(std::string_view s, int width, bool align_right = false);

// True when the text is valid UTF-8.
bool is_valid_utf8(std::string_view s);

}  // namespace budgetsync
