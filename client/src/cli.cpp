#include "client/cli.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "client/data_files.h"
#include "client/findings_view.h"
#include "shared/check.h"

namespace budgetsync::client {
namespace {

struct Globals {
  std::string data_dir;
};

int fail(const Status& s) {
  fmt::print(stderr, "budgetsync: {}\n", s.message());
  return kExitBadInput;
}

int run_check(const Globals& g, const std::vector<std::string>& paths, bool json,
              const std::string& tolerance, const char* argv0) {
  const std::filesystem::path data =
      g.data_dir.empty() ? default_data_dir(argv0) : std::filesystem::path(g.data_dir);
  auto catalog = load_catalog(data);
  if (!catalog.ok()) return fail(catalog.status());
  CheckOptions options;
  auto tol = Decimal::parse(tolerance);
  if (!tol.ok() || tol->is_negative()) {
    return fail(Status::InvalidArgument(fmt::format(
        "--tolerance “{}” must be a non-negative amount in 万元, e.g. 0.01", tolerance)));
  }
  options.rounding_tolerance_wan = *tol;
  std::vector<std::filesystem::path> files(paths.begin(), paths.end());
  const bool show_progress = !json && isatty(STDERR_FILENO);
  auto progress = [&](size_t done, size_t total) {
    if (show_progress && total > 1) fmt::print(stderr, "\r读取报表 {}/{}", done, total);
    if (show_progress && done == total && total > 1) fmt::print(stderr, "\n");
  };
  auto reports = load_reports(files, *catalog, progress);
  if (!reports.ok()) return fail(reports.status());
  const CheckResult result = check_reports(*reports, *catalog, options);
  if (json) {
    fmt::print("{}", findings_to_json(result));
  } else {
    fmt::print("{}", render_check_text(result, reports->size()));
  }
  return result.errors() > 0 ? kExitFindings : kExitOk;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{
      "budgetsync: budget, final-accounts and performance records of budget units, offline-first."};
  app.set_version_flag("--version", "budgetsync 0.1.0");
  app.footer(
      "Exit status: 0 ok; 1 the data has validation errors, or a request was refused; "
      "2 usage error or unusable input.");
  app.require_subcommand(1);
  Globals g;
  app.add_option(
      "--data", g.data_dir,
      "Folder holding forms/ and codes/ (default: $BUDGETSYNC_DATA_DIR, else the installed data)");

  auto* check = app.add_subcommand("check",
                                   "Validate and score report files: sums, hierarchies, balances, "
                                   "cross-table totals, rates, scores.");
  std::vector<std::string> paths;
  bool json = false;
  std::string tolerance = "0.01";
  check->add_option("PATH", paths, "Report files (.json) or folders searched for them")->required();
  check->add_flag("--json", json,
                  "Print one JSON array of findings instead of the readable report");
  check
      ->add_option(
          "--tolerance", tolerance,
          "Largest gap in 万元 treated as a rounding difference (尾差), reported as a warning")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  if (*check) return run_check(g, paths, json, tolerance, argv[0]);
  return kExitBadInput;
}

}  // namespace budgetsync::client
