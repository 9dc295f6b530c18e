// The terminal, for both programs' commands.
#pragma once

#include <string>

namespace budgetsync {

// One line typed at the terminal with echo off after `prompt` (on standard
// error), or, when standard input is not a terminal, its first line. A
// trailing carriage return is dropped. The caller judges the line.
std::string read_secret_line(const char* prompt);

}  // namespace budgetsync
