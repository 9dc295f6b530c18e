#include "cli/chinese_cli.h"

#include <fmt/format.h>

#include <utility>

namespace budgetsync {

// A usage error in Chinese: what kind of mistake (from the error's type), the
// parser's own detail, and where the help is.
std::string usage_error_message(std::string_view program, const CLI::App* app,
                                const CLI::Error& e) {
  std::string what;
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    std::string extras;
    for (const auto& a : app->remaining(true)) extras += (extras.empty() ? "" : " ") + a;
    what = fmt::format("不认识的参数：{}", extras.empty() ? std::string(e.what()) : extras);
  } else if (dynamic_cast<const CLI::RequiredError*>(&e)) {
    what = fmt::format("缺少必填的参数（{}）", e.what());
  } else if (dynamic_cast<const CLI::ArgumentMismatch*>(&e)) {
    what = fmt::format("参数的个数不对（{}）", e.what());
  } else if (dynamic_cast<const CLI::ValidationError*>(&e) ||
             dynamic_cast<const CLI::ConversionError*>(&e)) {
    what = fmt::format("参数的值不对（{}）", e.what());
  } else {
    what = fmt::format("命令行用法不对（{}）", e.what());
  }
  return fmt::format("{0}: {1}\n运行 {0} --help 或 {0} 命令 --help 查看用法。\n", program, what);
}

// CLI11's own words in --help, in Chinese: the headings and marks its
// formatter prints, the help flag, and the group names of options and commands.
// Call before anything is added: subcommands inherit all of it when made.
void use_chinese_help(CLI::App& app) {
  auto formatter = std::make_shared<CLI::Formatter>();
  formatter->label("Usage", "用法");
  formatter->label("OPTIONS", "选项");
  formatter->label("SUBCOMMAND", "命令");
  formatter->label("SUBCOMMANDS", "命令");
  formatter->label("Positionals", "参数");
  formatter->label("REQUIRED", "（必填）");
  formatter->label("Env", "环境变量");
  formatter->label("Needs", "需要同时给出");
  formatter->label("Excludes", "不能与之同用");
  app.formatter(formatter);
  app.option_defaults()->group("选项");
  app.group("命令");
  app.set_help_flag("-h,--help", "显示帮助并退出");
}

void finish_chinese_help(CLI::App& app) {
  if (CLI::Option* help = app.get_help_ptr()) help->group("选项");
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    finish_chinese_help(*sub);
}

void use_chinese_usage_errors(CLI::App& app, std::string program) {
  app.failure_message([program = std::move(program)](const CLI::App* a, const CLI::Error& e) {
    return usage_error_message(program, a, e);
  });
}

}  // namespace budgetsync
