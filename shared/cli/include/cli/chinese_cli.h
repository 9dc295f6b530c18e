// budgetsync_cli_text: what CLI11 itself prints, in Chinese, for both programs
// (budgetsync and budgetsync-server): the headings of --help and the words of
// a usage error. Kept apart from budgetsync_shared so the domain core does not
// depend on a command-line parser.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

namespace budgetsync {

// CLI11's own words in --help, in Chinese: the headings and marks its
// formatter prints, the help flag, and the group names of options and commands.
// Call before anything is added: subcommands inherit all of it when made.
void use_chinese_help(CLI::App& app);

// After every command is added: each command's own -h,--help under 选项 too
// (CLI11 makes a command's help flag in its own "Options" group).
void finish_chinese_help(CLI::App& app);

// A usage error in Chinese: what kind of mistake (from the error's type), the
// parser's own detail, and where the help is. `program` names the binary.
std::string usage_error_message(std::string_view program, const CLI::App* app, const CLI::Error& e);

// Installs usage_error_message for `program` as the app's failure message.
void use_chinese_usage_errors(CLI::App& app, std::string program);

}  // namespace budgetsync
