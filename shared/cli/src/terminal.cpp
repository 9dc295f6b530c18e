#include "cli/terminal.h"

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>

namespace budgetsync {

std::string read_secret_line(const char* prompt) {
  std::string line;
  if (isatty(STDIN_FILENO)) {
    fmt::print(stderr, "{}", prompt);
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::getline(std::cin, line);
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    fmt::print(stderr, "\n");
  } else {
    std::getline(std::cin, line);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace budgetsync
