#include "client/cli.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/chinese_cli.h"
#include "client/cli_pdf.h"
#include "client/cli_review.h"
#include "client/cli_sync.h"
#include "client/cli_ui.h"
#include "client/findings_view.h"
#include "client/grid_import.h"
#include "client/json_views.h"
#include "client/replica.h"
#include "client/report_view.h"
#include "client/table_files.h"
#include "client/text_table.h"
#include "client/xlsx_export.h"
#include "files/data_files.h"
#include "shared/check.h"
#include "shared/text.h"

namespace budgetsync::client {
namespace {

// How `log` names an operation's standing.
std::string op_status_label(OpStatus s) {
  switch (s) {
    case OpStatus::kPending:
      return "待同步";
    case OpStatus::kAcked:
      return "已同步";
    case OpStatus::kRejected:
      return "被拒绝";
    case OpStatus::kRemote:
      return "他人";
    case OpStatus::kRetried:
      return "已重新提交";
    case OpStatus::kDiscarded:
      return "已放弃";
  }
  return "?";
}

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

// What every command shares: where the data and the replica live, and output.
struct Context {
  std::string data_dir;
  std::string dir;
  bool json = false;
  const char* argv0 = nullptr;
  sync::SystemClock clock;
  sync::SystemRandom random;
  std::optional<Catalog> catalog;

  Result<const Catalog*> load_catalog_once() {
    if (!catalog) {
      auto c = load_catalog(data_dir.empty() ? default_data_dir(argv0) : fs::path(data_dir));
      if (!c.ok()) return c.status();
      // The year lists this user loaded take the place of the shipped ones.
      if (Status s = load_user_code_lists(*c, user_codes_dir()); !s.ok()) return s;
      catalog = std::move(*c);
    }
    return &*catalog;
  }

  fs::path replica_dir() const {
    if (!dir.empty()) return dir;
    if (const char* env = std::getenv("BUDGETSYNC_DIR"); env && *env) return env;
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
      return fs::path(xdg) / "budgetsync";
    if (const char* home = std::getenv("HOME"); home && *home)
      return fs::path(home) / ".local/share/budgetsync";
    return fs::path(".budgetsync");
  }
  std::string replica_path() const { return (replica_dir() / "replica.db").string(); }
  fs::path user_codes_dir() const { return replica_dir() / "codes"; }

  Result<std::unique_ptr<Replica>> open_replica() {
    auto c = load_catalog_once();
    if (!c.ok()) return c.status();
    return Replica::open(replica_path(), **c, clock, random);
  }
};

bool on_terminal() {
  return isatty(STDERR_FILENO) != 0;
}

std::string format_time(const std::optional<sync::Hlc>& h) {
  return h ? local_time(h->wall_ms) : "";
}

Result<ReportKey> parse_key(const std::string& text) {
  return parse_report_key(text);
}

// A command's report and the replica it lives in.
struct Target {
  ReportKey key;
  std::unique_ptr<Replica> replica;
};

Result<Target> open_target(Context& ctx, const std::string& key_text) {
  auto key = parse_key(key_text);
  if (!key.ok()) return key.status();
  auto replica = ctx.open_replica();
  if (!replica.ok()) return replica.status();
  return Target{std::move(*key), std::move(*replica)};
}

// ---- init ------------------------------------------------------------------

int cmd_init(Context& ctx, const std::string& unit, const std::string& name, std::string user) {
  if (user.empty()) {
    const char* u = std::getenv("USER");
    user = u && *u ? u : "staff";
  }
  auto catalog = ctx.load_catalog_once();
  if (!catalog.ok()) return fail(catalog.status());
  if (Status s = make_private_dir(ctx.replica_dir()); !s.ok()) return fail(s);
  auto r =
      Replica::create(ctx.replica_path(), {unit, name, user}, **catalog, ctx.clock, ctx.random);
  if (!r.ok()) return fail(r.status());
  if (ctx.json) {
    fmt::print("{}\n", json{{"replica", ctx.replica_path()},
                            {"unit", unit},
                            {"user", user},
                            {"device", (*r)->device()}}
                           .dump(2));
  } else {
    fmt::print("已创建本地副本 {}\n单位 {} {}，用户 {}，设备 {}\n", ctx.replica_path(), unit, name,
               user, (*r)->device());
  }
  return kExitOk;
}

// ---- import ----------------------------------------------------------------

// What a workbook or table-shaped CSV was matched to, before anything is written.
struct MatchedFile {
  std::string file;
  GridImport found;
};

void print_matches(const Context& ctx, const std::vector<MatchedFile>& files) {
  if (ctx.json) return;
  using A = TextTable::Align;
  for (const auto& f : files) {
    fmt::print("{}：\n", f.file);
    if (!f.found.matched.empty()) {
      TextTable table({"工作表", "报表", "表名", "行", "有值的格", "金额单位"},
                      {A::kLeft, A::kLeft, A::kLeft, A::kRight, A::kRight, A::kLeft});
      for (const auto& m : f.found.matched) {
        table.add_row({m.sheet, m.key.to_string(), m.form_title, std::to_string(m.rows),
                       std::to_string(m.cells),
                       m.stated_unit ? std::string(unit_name(*m.stated_unit)) : "（未写明）"});
      }
      fmt::print("{}", table.render(44));
    }
    for (const auto& u : f.found.unmatched) {
      fmt::print("  未导入：{}{}{}\n", u.sheet, u.address.empty() ? "" : "!" + u.address,
                 "：" + u.what);
    }
  }
}

json matches_json(const std::vector<MatchedFile>& files) {
  json arr = json::array();
  for (const auto& f : files) arr.push_back(grid_import_json(f.file, f.found));
  return arr;
}

int cmd_import(Context& ctx, const std::vector<std::string>& paths, const std::string& report_key,
               bool other_units, bool progress_lines, int year, bool dry_run) {
  auto replica = ctx.open_replica();
  if (!replica.ok()) return fail(replica.status());
  const Catalog& catalog = **ctx.load_catalog_once();
  // Every file is read and checked before anything is written, so a bad file in
  // the list stops the import before the first change. A workbook is imported
  // whole or not at all (one batch); each JSON report is its own.
  std::vector<std::vector<Report>> batches;
  std::vector<MatchedFile> matched;
  std::vector<fs::path> json_paths;
  std::optional<ReportKey> key;
  if (!report_key.empty()) {
    auto k = parse_key(report_key);
    if (!k.ok()) return fail(k.status());
    key = *k;
  }
  GridImportOptions options;
  options.unit = (*replica)->identity().unit;
  options.unit_name = (*replica)->identity().unit_name;
  if (year != 0) options.year = year;
  options.report = key;
  // A folder's workbooks and CSV files are imported one by one; its JSON
  // reports by the report loader, which reads the folder itself.
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      files.push_back(p);
      continue;
    }
    bool has_json = false;
    std::vector<std::string> found;
    for (const auto& e : fs::directory_iterator(p, ec)) {
      const fs::path f = e.path();
      if (f.extension() == ".json") has_json = true;
      if (is_workbook_path(f) || f.extension() == ".csv") found.push_back(f.string());
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
    if (has_json || found.empty()) json_paths.emplace_back(p);
  }
  for (const auto& p : files) {
    if (fs::path(p).extension() == ".csv") {
      auto text = read_file(p);
      if (!text.ok()) return fail(text.status());
      if (is_long_csv(*text)) {
        if (!key) {
          return fail(Status::InvalidArgument(fmt::format(
              "{}：导入每格一行的 CSV 文件要用 --report 单位/年度/表样 指明是哪张报表", p)));
        }
        auto r = parse_report_csv(*text, p, *key, catalog);
        if (!r.ok()) return fail(r.status());
        std::vector<Report> one;
        one.push_back(std::move(*r));
        batches.push_back(std::move(one));
        continue;
      }
    } else if (!is_workbook_path(p)) {
      json_paths.emplace_back(p);
      continue;
    }
    auto found = read_table_file(p, catalog, options);
    if (!found.ok()) return fail(found.status());
    if (found->reports.empty()) {
      print_matches(ctx, {MatchedFile{p, std::move(*found)}});
      return fail(
          Status::InvalidArgument(fmt::format("{}：没有认出任何一张报表，什么也没有导入", p)));
    }
    batches.push_back(std::move(found->reports));
    found->reports.clear();
    matched.push_back({p, std::move(*found)});
  }
  if (!json_paths.empty()) {
    auto loaded = load_reports(json_paths, catalog);
    if (!loaded.ok()) return fail(loaded.status());
    for (auto& r : *loaded) {
      std::vector<Report> one;
      one.push_back(std::move(r));
      batches.push_back(std::move(one));
    }
  }
  print_matches(ctx, matched);
  size_t total = 0;
  for (const auto& b : batches) total += b.size();
  // What the import would refuse (a report already here, another unit's),
  // said before anything is written, a dry run included.
  for (const auto& batch : batches) {
    for (const auto& r : batch) {
      if (Status s = (*replica)->check_importable(r, other_units); !s.ok()) return fail(s);
    }
  }
  if (dry_run) {
    if (ctx.json) {
      fmt::print("{}\n", json{{"dry_run", true}, {"files", matches_json(matched)}}.dump(2));
    } else {
      fmt::print("（只是预览：{} 张报表，什么也没有写入。）\n", total);
    }
    return kExitOk;
  }
  const bool progress = !progress_lines && !ctx.json && on_terminal() && total > 1;
  size_t imported = 0;
  json keys = json::array();
  for (const auto& batch : batches) {
    std::vector<const Report*> ptrs;
    for (const auto& r : batch) ptrs.push_back(&r);
    if (Status s = (*replica)->import_reports(ptrs, other_units); !s.ok()) {
      if (progress) fmt::print(stderr, "\n");
      if (!batch.empty()) {
        fmt::print(stderr, "budgetsync: {}{} 未导入；在它之前的 {} 张报表已导入。\n",
                   batch.front().key.to_string(),
                   batch.size() > 1 ? fmt::format(" 等 {} 张（同一文件）", batch.size()) : "",
                   imported);
      }
      return fail(s);
    }
    for (const auto& r : batch) {
      ++imported;
      keys.push_back(r.key.to_string());
      if (progress) fmt::print(stderr, "\r导入 {}/{}", imported, total);
      // One line per committed report, for programs that follow the import.
      if (progress_lines)
        fmt::print(stderr, "已导入 {}/{} {}\n", imported, total, r.key.to_string());
    }
  }
  if (progress) fmt::print(stderr, "\n");
  if (ctx.json) {
    json out{{"imported", keys}};
    if (!matched.empty()) out["files"] = matches_json(matched);
    fmt::print("{}\n", out.dump(2));
  } else {
    fmt::print("已导入 {} 张报表。\n", imported);
  }
  return kExitOk;
}

// ---- new -------------------------------------------------------------------

int cmd_new(Context& ctx, const std::string& key_text) {
  auto target = open_target(ctx, key_text);
  if (!target.ok()) return fail(target.status());
  const ReportKey& key = target->key;
  if (Status s = target->replica->create_report(key); !s.ok()) return fail(s);
  const FormTemplate* form = (*ctx.load_catalog_once())->form_for_year(key.form, key.year);
  if (ctx.json) {
    fmt::print(
        "{}\n",
        json{{"report", key.to_string()}, {"form_title", form->display_name()}, {"created", true}}
            .dump(2));
  } else {
    fmt::print(
        "已新建 {}（{}），一张空表。\n用 budgetsync show {} 查看各行的行号和名称，用 budgetsync "
        "set {} 行 栏 值 填写。\n",
        key.to_string(), form->display_name(), key.to_string(), key.to_string());
  }
  return kExitOk;
}

// ---- reports ---------------------------------------------------------------

int cmd_reports(Context& ctx) {
  auto replica = ctx.open_replica();
  if (!replica.ok()) return fail(replica.status());
  auto list = (*replica)->reports();
  if (!list.ok()) return fail(list.status());
  auto all = (*replica)->load_all();
  if (!all.ok()) return fail(all.status());
  const auto counts = counts_by_report(check_reports(*all, **ctx.load_catalog_once()));
  auto validation = [&](const ReportKey& k) {
    auto it = counts.find(k);
    if (it == counts.end()) return std::string("通过");
    return fmt::format("{} 错误 {} 警告", it->second.errors, it->second.warnings);
  };
  if (ctx.json) {
    json arr = json::array();
    for (const auto& s : *list) {
      auto it = counts.find(s.key);
      json line = report_summary_json(s);
      line["last_edit"] = format_time(s.last_edit);
      line["last_edit_by"] = s.last_edit_by;
      line["cells"] = s.cells;
      line["errors"] = it == counts.end() ? 0 : it->second.errors;
      line["warnings"] = it == counts.end() ? 0 : it->second.warnings;
      arr.push_back(std::move(line));
    }
    fmt::print("{}\n", arr.dump(2));
    return kExitOk;
  }
  using A = TextTable::Align;
  TextTable table({"报表", "表名", "状态", "最后修改", "修改人", "校验"},
                  {A::kLeft, A::kLeft, A::kLeft, A::kLeft, A::kLeft, A::kLeft});
  for (const auto& s : *list) {
    table.add_row({s.key.to_string(), s.name.empty() ? s.form_title : s.name,
                   std::string(sync::state_label(s.state)), format_time(s.last_edit),
                   s.last_edit_by, validation(s.key)});
  }
  fmt::print("{}", table.render(44));
  for (const auto& s : *list) {
    if (s.state == sync::ReportState::kReturned) {
      fmt::print("  {} 被 {} 退回：{}\n", s.key.to_string(), s.state_by, s.state_reason);
    }
  }
  fmt::print("共 {} 张报表。\n", list->size());
  return kExitOk;
}

// ---- show / export ---------------------------------------------------------

int cmd_show(Context& ctx, const std::string& key_text, bool csv) {
  auto target = open_target(ctx, key_text);
  if (!target.ok()) return fail(target.status());
  const ReportKey& key = target->key;
  Replica& replica = *target->replica;
  auto report = replica.load(key);
  if (!report.ok()) return fail(report.status());
  const Catalog& catalog = **ctx.load_catalog_once();
  const FormTemplate* form = catalog.form(key.form, report->template_version);
  if (ctx.json) {
    fmt::print("{}", render_report_json(*report));
  } else if (csv) {
    fmt::print("{}", render_report_csv(*report, *form, catalog));
  } else {
    fmt::print("{}", render_report_text(*report, *form, catalog));
  }
  return kExitOk;
}

std::string render_as(const std::string& format, const Report& report, const FormTemplate& form,
                      const Catalog& catalog) {
  if (format == "csv") return render_report_table_csv(report, form, catalog);
  if (format == "csv-long") return render_report_csv(report, form, catalog);
  if (format == "json") return render_report_json(report);
  return render_report_html(report, form, catalog);
}

// Writes beside the target and renames, so a crash never leaves half a file.
Status write_whole_file(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    out.flush();
    if (!out) return Status::IoError(fmt::format("{}：无法写入文件", path.string()));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::IoError(fmt::format("{}：无法写入文件：{}", path.string(), ec.message()));
  return Status::Ok();
}

Status no_browser() {
  return Status::FailedPrecondition(
      "导出 PDF 要用 Chromium 浏览器打印，本机没有找到（Debian/统信/麒麟：安装 chromium 软件包，"
      "或用环境变量 BUDGETSYNC_CHROMIUM 指明浏览器）；也可以导出 HTML（--format html）后在浏览器"
      "中打印");
}

// Reports as one Excel workbook at `output`, with the findings about them.
int export_xlsx(Context& ctx, Replica& replica, const std::vector<ReportKey>& keys,
                const std::string& output) {
  if (output.empty() || output == "-") {
    return fail(
        Status::InvalidArgument("Excel 工作簿不能写到标准输出：请用 -o 文件名.xlsx 指明写到哪里"));
  }
  auto all = replica.load_all();
  if (!all.ok()) return fail(all.status());
  const Catalog& catalog = **ctx.load_catalog_once();
  std::vector<const Report*> chosen;
  for (const Report& r : *all) {
    if (keys.empty() || std::find(keys.begin(), keys.end(), r.key) != keys.end())
      chosen.push_back(&r);
  }
  if (chosen.empty()) return fail(Status::NotFound("本地副本中还没有报表，没有可导出的内容"));
  // Cross-table rules need the unit's other tables: check them all, export the findings
  // about the chosen ones.
  const CheckResult checked = check_reports(*all, catalog);
  auto written = write_reports_xlsx(chosen, catalog, checked, output);
  if (!written.ok()) return fail(written.status());
  if (ctx.json) {
    fmt::print("{}\n", json{{"exported", output},
                            {"sheets", written->sheets},
                            {"formulas", written->formulas},
                            {"findings", written->findings}}
                           .dump(2));
  } else {
    fmt::print(stderr, "已导出 {} 张报表到 {}（{} 个工作表，另有“校验结果”：{} 条）\n",
               chosen.size(), output, written->sheets, written->findings);
  }
  return kExitOk;
}

int cmd_export(Context& ctx, const std::string& key_text, const std::string& format,
               const std::string& output) {
  auto target = open_target(ctx, key_text);
  if (!target.ok()) return fail(target.status());
  const ReportKey& key = target->key;
  auto report = target->replica->load(key);
  if (!report.ok()) return fail(report.status());
  if (format == "xlsx") return export_xlsx(ctx, *target->replica, {key}, output);
  const Catalog& catalog = **ctx.load_catalog_once();
  if (format == "pdf") {
    if (output.empty() || output == "-")
      return fail(Status::InvalidArgument("PDF 不能写到标准输出：请用 -o 文件名.pdf 指明写到哪里"));
    const std::string browser = find_chromium();
    if (browser.empty()) return fail(no_browser());
    const std::string html =
        render_report_html(*report, *catalog.form(key.form, report->template_version), catalog);
    if (Status s = print_to_pdf(browser, html, output); !s.ok()) return fail(s);
    if (!ctx.json) fmt::print(stderr, "已导出 {} 到 {}\n", key.to_string(), output);
    return kExitOk;
  }
  const std::string text =
      render_as(format, *report, *catalog.form(key.form, report->template_version), catalog);
  if (output.empty() || output == "-") {
    fmt::print("{}", text);
    return kExitOk;
  }
  if (Status s = write_whole_file(output, text); !s.ok()) return fail(s);
  if (!ctx.json) fmt::print(stderr, "已导出 {} 到 {}\n", key.to_string(), output);
  return kExitOk;
}

// Every report of the replica into one folder, a file each, named after the
// report: UNIT_YEAR_FORM[_INSTANCE].EXT.
int cmd_export_all(Context& ctx, const std::string& format, const std::string& folder) {
  if ((folder.empty() || folder == "-") && format != "xlsx") {
    return fail(Status::InvalidArgument("--all 每张报表写一个文件：请用 -o 文件夹 指明写到哪里"));
  }
  auto replica = ctx.open_replica();
  if (!replica.ok()) return fail(replica.status());
  if (format == "xlsx") return export_xlsx(ctx, **replica, {}, folder);
  const std::string browser = format == "pdf" ? find_chromium() : "";
  if (format == "pdf" && browser.empty()) return fail(no_browser());
  auto all = (*replica)->load_all();
  if (!all.ok()) return fail(all.status());
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) return fail(Status::IoError(fmt::format("{}：无法创建文件夹：{}", folder, ec.message())));
  const Catalog& catalog = **ctx.load_catalog_once();
  const bool progress = !ctx.json && on_terminal();
  json written = json::array();
  for (size_t i = 0; i < all->size(); ++i) {
    const Report& r = (*all)[i];
    std::string name = fmt::format("{}_{}_{}", r.key.unit, r.key.year, r.key.form);
    if (!r.key.instance.empty()) name += "_" + r.key.instance;
    const fs::path path =
        fs::path(folder) / (name + "." + (format == "csv-long" ? std::string("csv") : format));
    const FormTemplate& form = *catalog.form(r.key.form, r.template_version);
    const Status s = format == "pdf"
                         ? print_to_pdf(browser, render_report_html(r, form, catalog), path)
                         : write_whole_file(path, render_as(format, r, form, catalog));
    if (!s.ok()) return fail(s);
    written.push_back(path.string());
    if (progress) fmt::print(stderr, "\r导出 {}/{}", i + 1, all->size());
  }
  if (progress) fmt::print(stderr, "\n");
  if (ctx.json) {
    fmt::print("{}\n", json{{"exported", written}}.dump(2));
  } else {
    fmt::print("已导出 {} 张报表到 {}。\n", all->size(), folder);
  }
  return kExitOk;
}

// ---- edits -----------------------------------------------------------------

void print_edit(const Context& ctx, const ReportKey& key, const CellEdit& e) {
  if (ctx.json) {
    fmt::print("{}\n", json{{"report", key.to_string()},
                            {"row", e.row},
                            {"column", e.column},
                            {"before", e.before ? json(*e.before) : json(nullptr)},
                            {"after", e.after},
                            {"op", e.op.counter ? json(e.op.to_string()) : json(nullptr)}}
                           .dump(2));
  } else if (!e.op.counter) {
    fmt::print("{} {}:{} 没有变化（{}）。\n", key.to_string(), e.row, e.column, e.after);
  } else {
    fmt::print("{} {}:{}  {} → {}\n", key.to_string(), e.row, e.column,
               e.before ? *e.before : "（空）", e.after.empty() ? "（空）" : e.after);
  }
}

int cmd_set(Context& ctx, const std::string& key_text, const std::string& row,
            const std::string& column, const std::string& value) {
  auto target = open_target(ctx, key_text);
  if (!target.ok()) return fail(target.status());
  const ReportKey& key = target->key;
  Replica& replica = *target->replica;
  auto edit = replica.set_cell(key, row, column, value);
  if (!edit.ok()) return fail(edit.status());
  print_edit(ctx, key, *edit);
  return kExitOk;
}

int cmd_add_row(Context& ctx, const std::string& key_text, const std::string& section,
                const std::string& after, const std::vector<std::string>& assignments) {
  auto key = parse_key(key_text);
  if (!key.ok()) return fail(key.status());
  std::vector<std::pair<std::string, std::string>> cells;
  for (const auto& a : assignments) {
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) {
      return fail(Status::InvalidArgument(fmt::format("“{}”不是“栏=值”的写法，如 weight=5", a)));
    }
    cells.emplace_back(a.substr(0, eq), a.substr(eq + 1));
  }
  auto replica = ctx.open_replica();
  if (!replica.ok()) return fail(replica.status());
  auto row = (*replica)->add_row(*key, section, after, cells);
  if (!row.ok()) return fail(row.status());
  if (ctx.json) {
    fmt::print("{}\n", json{{"report", key->to_string()}, {"row", *row}}.dump(2));
  } else {
    fmt::print("{} 新增行 {}\n", key->to_string(), *row);
  }
  return kExitOk;
}

int cmd_delete_row(Context& ctx, const std::string& key_text, const std::string& row) {
  auto target = open_target(ctx, key_text);
  if (!target.ok()) return fail(target.status());
  const ReportKey& key = target->key;
  Replica& replica = *target->replica;
  if (Status s = replica.delete_row(key, row); !s.ok()) return fail(s);
  if (ctx.json) {
    fmt::print("{}\n", json{{"report", key.to_string()}, {"deleted", row}}.dump(2));
  } else {
    fmt::print("{} 已删除行 {}（历史仍保留）\n", key.to_string(), row);
  }
  return kExitOk;
}

// ---- validate / score ------------------------------------------------------

// Every report of the replica (cross-table rules need a report's siblings),
// after checking that each named one is there.
Result<std::vector<Report>> reports_for(Replica& replica, const std::vector<std::string>& keys) {
  auto all = replica.load_all();
  if (!all.ok()) return all;
  for (const auto& k : keys) {
    auto key = parse_report_key(k);
    if (!key.ok()) return key.status();
    bool found = false;
    for (const auto& r : *all) found = found || r.key == *key;
    if (!found)
      return Status::NotFound(fmt::format(
          "本副本中没有报表 {}（用 budgetsync reports 查看已有的报表）", key->to_string()));
  }
  return all;
}

int cmd_validate(Context& ctx, const std::vector<std::string>& keys) {
  auto replica = ctx.open_replica();
  if (!replica.ok()) return fail(replica.status());
  auto reports = reports_for(**replica, keys);
  if (!reports.ok()) return fail(reports.status());
  CheckResult result = check_reports(*reports, **ctx.load_catalog_once());
  size_t checked = reports->size();
  if (!keys.empty()) {
    std::set<std::string> names(keys.begin(), keys.end());
    std::erase_if(result.findings,
                  [&](const Finding& f) { return !names.count(f.report.to_string()); });
    std::erase_if(result.scores,
                  [&](const ScoreSummary& s) { return !names.count(s.report.to_string()); });
    checked = keys.size();
  }
  fmt::print("{}", ctx.json ? findings_to_json(result) : render_check_text(result, checked));
  return result.errors() > 0 ? kExitFindings : kExitOk;
}

int cmd_score(Context& ctx, const std::string& key_text) {
  auto target = open_target(ctx, key_text);
  if (!target.ok()) return fail(target.status());
  const ReportKey& key = target->key;
  Replica& replica = *target->replica;
  auto reports = reports_for(replica, {key_text});
  if (!reports.ok()) return fail(reports.status());
  const CheckResult result = check_reports(*reports, **ctx.load_catalog_once());
  const ScoreSummary* summary = nullptr;
  for (const auto& s : result.scores) {
    if (s.report == key) summary = &s;
  }
  if (!summary) {
    return fail(Status::InvalidArgument(
        fmt::format("报表 {} 没有可复算的得分（或其总分为空）", key.to_string())));
  }
  bool disagree = false;
  for (const auto& i : summary->items) disagree = disagree || !i.agrees;
  if (ctx.json) {
    const json items = score_items_json(*summary);
    fmt::print("{}\n", json{{"report", key.to_string()},
                            {"name", summary->name},
                            {"stated_total",
                             summary->stated_total ? summary->stated_total->to_string() : ""},
                            {"grade", summary->grade},
                            {"items", items}}
                           .dump(2));
  } else {
    using A = TextTable::Align;
    TextTable table(
        {"行", "指标", "指标值/规则", "实际", "分值", "填报得分", "复算得分", ""},
        {A::kLeft, A::kLeft, A::kLeft, A::kLeft, A::kRight, A::kRight, A::kRight, A::kLeft});
    for (const auto& i : summary->items) {
      table.add_row({i.row, i.label, i.target, i.actual, i.weight, i.stated,
                     i.computed ? i.computed->to_string() : "人工评分",
                     i.agrees ? "" : "✗ 不一致"});
    }
    fmt::print("{} {}\n{}", summary->form_title, summary->name, table.render(26));
    fmt::print("总分 {}，等级 {}。\n",
               summary->stated_total ? summary->stated_total->to_string() : "（空）",
               summary->grade);
  }
  return disagree ? kExitFindings : kExitOk;
}

// ---- history / revert / status / log ---------------------------------------

int cmd_history(Context& ctx, const std::string& key_text, const std::string& row,
                const std::string& column) {
  auto target = open_target(ctx, key_text);
  if (!target.ok()) return fail(target.status());
  const ReportKey& key = target->key;
  Replica& replica = *target->replica;
  auto entries = replica.history(key, row, column);
  if (!entries.ok()) return fail(entries.status());
  if (ctx.json) {
    json arr = json::array();
    for (const auto& e : *entries) {
      arr.push_back({{"n", e.n},
                     {"value", e.value ? json(*e.value) : json(nullptr)},
                     {"author", e.author},
                     {"device", e.device},
                     {"op", e.op.to_string()},
                     {"kind", std::string(sync::op_kind_name(e.kind))},
                     {"time", format_time(e.hlc)},
                     {"hlc", e.hlc.to_string()}});
    }
    fmt::print("{}\n", arr.dump(2));
    return kExitOk;
  }
  if (entries->empty()) {
    fmt::print("{} {}:{} 从未填写。\n", key.to_string(), row, column);
    return kExitOk;
  }
  static const std::map<sync::OpKind, std::string> kKinds{{sync::OpKind::kSetCell, "修改"},
                                                          {sync::OpKind::kImport, "导入"},
                                                          {sync::OpKind::kAddRow, "新增行"},
                                                          {sync::OpKind::kDeleteRow, "删除行"}};
  using A = TextTable::Align;
  TextTable table({"#", "值", "方式", "修改人", "设备", "时间"},
                  {A::kRight, A::kRight, A::kLeft, A::kLeft, A::kLeft, A::kLeft});
  for (const auto& e : *entries) {
    table.add_row({std::to_string(e.n),
                   e.value ? (e.value->empty() ? "（空）" : *e.value) : "（已删除）",
                   kKinds.at(e.kind), e.author, e.device.substr(0, 8), format_time(e.hlc)});
  }
  fmt::print("{} {}:{}\n{}", key.to_string(), row, column, table.render(40));
  return kExitOk;
}

int cmd_revert(Context& ctx, const std::string& key_text, const std::string& row,
               const std::string& column, int n) {
  auto target = open_target(ctx, key_text);
  if (!target.ok()) return fail(target.status());
  const ReportKey& key = target->key;
  Replica& replica = *target->replica;
  auto edit = replica.revert(key, row, column, n);
  if (!edit.ok()) return fail(edit.status());
  print_edit(ctx, key, *edit);
  return kExitOk;
}

int cmd_status(Context& ctx) {
  auto replica = ctx.open_replica();
  if (!replica.ok()) return fail(replica.status());
  auto s = (*replica)->status();
  if (!s.ok()) return fail(s.status());
  auto list = (*replica)->reports();
  if (!list.ok()) return fail(list.status());
  std::vector<const ReportSummary*> returned;
  for (const auto& r : *list) {
    if (r.state == sync::ReportState::kReturned && r.key.unit == s->identity.unit)
      returned.push_back(&r);
  }
  if (ctx.json) {
    json out{{"replica", ctx.replica_path()}};
    out.update(status_fields(*s));
    out["last_local_edit"] = format_time(s->last_local_edit);
    json back = json::array();
    for (const auto* r : returned)
      back.push_back(
          {{"report", r->key.to_string()}, {"by", r->state_by}, {"reason", r->state_reason}});
    out["returned"] = back;
    add_sync_status(**replica, ctx.clock.now_ms(), out);
    fmt::print("{}\n", out.dump(2));
    return kExitOk;
  }
  fmt::print(
      "本地副本  {}\n单位      {} {}\n用户      {}（设备 {}）\n报表      {} 张\n待同步    {} "
      "项修改\n被拒绝    {} 项修改\n冲突      {} 处\n最后修改  {}\n{}",
      ctx.replica_path(), s->identity.unit, s->identity.unit_name, s->identity.user, s->device,
      s->reports, s->pending_ops, s->rejected_ops, s->open_conflicts,
      s->last_local_edit ? format_time(s->last_local_edit) : "（无）",
      sync_status_lines(**replica));
  if (!s->rekeyed_from.empty()) {
    fmt::print("设备编号  已由 {} 改为 {}（另一份副本用过原编号；{} 项修改已按新编号上传）\n",
               s->rekeyed_from, s->device, s->rekeyed_ops);
  }
  if (!returned.empty()) fmt::print("退回      {} 张报表，改正后重新上报：\n", returned.size());
  for (const auto* r : returned)
    fmt::print("  {} 被 {} 退回：{}\n", r->key.to_string(), r->state_by, r->state_reason);
  return kExitOk;
}

int cmd_log(Context& ctx, bool pending) {
  auto replica = ctx.open_replica();
  if (!replica.ok()) return fail(replica.status());
  auto ops = (*replica)->log(pending);
  if (!ops.ok()) return fail(ops.status());
  if (ctx.json) {
    json arr = json::array();
    for (const auto& r : *ops) {
      arr.push_back({{"op", r.op.id.to_string()},
                     {"hlc", r.op.hlc.to_string()},
                     {"time", format_time(r.op.hlc)},
                     {"author", r.op.author},
                     {"kind", std::string(sync::op_kind_name(r.op.kind))},
                     {"report", r.op.report.to_string()},
                     {"row", r.op.row},
                     {"column", r.op.column},
                     {"value", r.op.value ? json(*r.op.value) : json(nullptr)},
                     {"base_version", r.op.base_version},
                     {"status", r.status},
                     {"reason", r.reason}});
    }
    fmt::print("{}\n", arr.dump(2));
    return kExitOk;
  }
  using A = TextTable::Align;
  TextTable table(
      {"操作", "时间", "修改人", "类型", "报表", "行", "栏", "值", "状态"},
      {A::kLeft, A::kLeft, A::kLeft, A::kLeft, A::kLeft, A::kLeft, A::kLeft, A::kRight, A::kLeft});
  for (const auto& r : *ops) {
    table.add_row({r.op.id.to_string().substr(0, 8) + "…:" + std::to_string(r.op.id.counter),
                   format_time(r.op.hlc), r.op.author, std::string(sync::op_kind_name(r.op.kind)),
                   r.op.report.to_string(), r.op.row, r.op.column, r.op.value.value_or(""),
                   op_status_label(r.status)});
  }
  fmt::print("{}共 {} 项。\n", table.render(40), ops->size());
  // Why the server refused each rejected edit, in full: the table has no room.
  for (const auto& r : *ops) {
    if (r.status == OpStatus::kRejected)
      fmt::print("被拒绝 {}：{}\n", r.op.id.to_string(), r.reason);
  }
  return kExitOk;
}

// ---- conflicts / resolve -----------------------------------------------------

int cmd_conflicts(Context& ctx, const std::string& key_text) {
  auto replica = ctx.open_replica();
  if (!replica.ok()) return fail(replica.status());
  auto list = (*replica)->conflicts();
  if (!list.ok()) return fail(list.status());
  std::optional<ReportKey> only;
  if (!key_text.empty()) {
    auto k = parse_key(key_text);
    if (!k.ok()) return fail(k.status());
    only = *k;
  }
  json arr = json::array();
  using A = TextTable::Align;
  TextTable table({"报表", "行", "栏", "显示值", "竞争值（操作 修改人 值）"},
                  {A::kLeft, A::kLeft, A::kLeft, A::kRight, A::kLeft});
  size_t n = 0;
  for (const auto& c : *list) {
    if (only && !(c.report == *only)) continue;
    ++n;
    std::string competing;
    for (const auto& k : c.cell.conflict) {
      competing += fmt::format("{}{} {} {}", competing.empty() ? "" : "；", k.op.to_string(),
                               k.author, k.value ? *k.value : "（删除行）");
    }
    const json values = conflict_values_json(c);
    arr.push_back({{"report", c.report.to_string()},
                   {"row", c.row},
                   {"column", c.column},
                   {"visible", c.cell.value ? json(*c.cell.value) : json(nullptr)},
                   {"values", values}});
    table.add_row({c.report.to_string(), c.row, c.column, c.cell.value.value_or(""), competing});
  }
  // Edits the server refused are this device's unfinished business too.
  auto refused = (*replica)->rejected();
  if (!refused.ok()) return fail(refused.status());
  json rejected = json::array();
  TextTable refused_table({"操作", "报表", "行", "栏", "值", "原因"},
                          {A::kLeft, A::kLeft, A::kLeft, A::kLeft, A::kRight, A::kLeft});
  size_t n_refused = 0;
  for (const auto& r : *refused) {
    if (only && !(r.op.report == *only)) continue;
    ++n_refused;
    rejected.push_back(rejected_json(r));
    refused_table.add_row({r.op.id.to_string(), r.op.report.to_string(), r.op.row, r.op.column,
                           r.op.value.value_or(""), r.reason});
  }
  if (ctx.json) {
    fmt::print("{}\n", json{{"conflicts", arr}, {"rejected", rejected}}.dump(2));
    return kExitOk;
  }
  if (n == 0) {
    fmt::print("没有未解决的冲突。\n");
  } else {
    fmt::print("{}共 {} 处冲突；用 budgetsync resolve 选定一个值。\n", table.render(80), n);
  }
  if (n_refused > 0) {
    fmt::print(
        "\n服务器拒绝了 {} 项修改（仍保留在本机）：\n{}用 budgetsync retry 操作 重新提交，或 "
        "budgetsync discard 操作 放弃。\n",
        n_refused, refused_table.render(60));
  }
  return kExitOk;
}

int cmd_settle_rejected(Context& ctx, const std::string& op_text, bool retry) {
  auto id = sync::OpId::parse(op_text);
  if (!id.ok()) {
    return fail(Status::InvalidArgument(
        fmt::format("“{}”不是操作编号（写作 设备:序号，见 budgetsync conflicts）", op_text)));
  }
  auto replica = ctx.open_replica();
  if (!replica.ok()) return fail(replica.status());
  auto edit = (*replica)->settle_rejected(*id, retry);
  if (!edit.ok()) return fail(edit.status());
  if (ctx.json) {
    fmt::print("{}\n", json{{"op", id->to_string()},
                            {"settled", retry ? "retried" : "discarded"},
                            {"row", edit->row},
                            {"column", edit->column},
                            {"value", edit->after}}
                           .dump(2));
  } else if (retry) {
    fmt::print("已重新提交 {}（{}:{} = {}），下次同步时发送。\n", id->to_string(), edit->row,
               edit->column, edit->after);
  } else if (edit->column.empty()) {
    fmt::print("已放弃 {}。\n", id->to_string());  // an import or a row operation
  } else {
    fmt::print("已放弃 {}；{}:{} 现为 {}。\n", id->to_string(), edit->row, edit->column,
               edit->after.empty() ? "（空）" : edit->after);
  }
  return kExitOk;
}

int cmd_resolve(Context& ctx, const std::string& key_text, const std::string& row,
                const std::string& column, const std::string& value, const std::string& take) {
  if (value.empty() == take.empty()) {
    return fail(Status::InvalidArgument("请只给 --value 值 或 --take 设备:序号 中的一个"));
  }
  auto target = open_target(ctx, key_text);
  if (!target.ok()) return fail(target.status());
  auto edit = target->replica->resolve(target->key, row, column, value, take);
  if (!edit.ok()) return fail(edit.status());
  print_edit(ctx, target->key, *edit);
  return kExitOk;
}

// ---- codes import ----------------------------------------------------------

int cmd_codes_import(Context& ctx, int year, const std::string& file, const std::string& list_id) {
  auto catalog = ctx.load_catalog_once();
  if (!catalog.ok()) return fail(catalog.status());
  const CodeList* before = (*catalog)->code_list(list_id, year);
  if (!before) {
    return fail(Status::NotFound(fmt::format(
        "没有名为“{}”的科目表（function 为支出功能分类，economic 为部门支出经济分类）", list_id)));
  }
  auto text = read_file(file);
  if (!text.ok()) return fail(text.status());
  std::string title = before->title();
  auto list = parse_code_list_csv(*text, file, list_id, year, title);
  if (!list.ok()) return fail(list.status());
  int added = 0, renamed = 0;
  for (const auto& e : list->entries()) {
    const CodeEntry* old = before->find(e.code);
    if (!old) ++added;
    if (old && old->name != e.name) ++renamed;
  }
  const size_t count = list->entries().size();
  if (Status s = save_user_code_list(*list, ctx.user_codes_dir()); !s.ok()) return fail(s);
  if (ctx.json) {
    fmt::print("{}\n",
               json{{"list", list_id},
                    {"year", year},
                    {"codes", count},
                    {"added", added},
                    {"renamed", renamed},
                    {"saved",
                     (ctx.user_codes_dir() / std::to_string(year) / (list_id + ".json")).string()}}
                   .dump(2));
  } else {
    fmt::print(
        "已载入 {} 年{}：{} 个编码（与原用的 {} 年表相比新增 {} 个、名称不同 {} 个）。\n"
        "保存在 {}；此后在本机检查 {} 年的报表都用这份科目表。\n",
        year, title.empty() ? list_id : title, count, before->year(), added, renamed,
        ctx.user_codes_dir().string(), year);
  }
  return kExitOk;
}

// ---- check (files, no replica) ---------------------------------------------

int cmd_check(Context& ctx, const std::vector<std::string>& paths, const std::string& tolerance) {
  auto catalog = ctx.load_catalog_once();
  if (!catalog.ok()) return fail(catalog.status());
  CheckOptions options;
  auto tol = Decimal::parse(tolerance);
  if (!tol.ok() || tol->is_negative()) {
    return fail(Status::InvalidArgument(
        fmt::format("--tolerance “{}” 必须是以万元计的非负金额，例如 0.01", tolerance)));
  }
  options.rounding_tolerance_wan = *tol;
  std::vector<fs::path> files(paths.begin(), paths.end());
  const bool show_progress = !ctx.json && on_terminal();
  auto progress = [&](size_t done, size_t total) {
    if (show_progress && total > 1) fmt::print(stderr, "\r读取报表 {}/{}", done, total);
    if (show_progress && done == total && total > 1) fmt::print(stderr, "\n");
  };
  // One bad file never stops the others: every readable report is checked and
  // every refused file named, in the same run and the same document.
  ReportFiles loaded = load_each_report(files, **catalog, progress);
  for (const auto& r : loaded.refused) fmt::print(stderr, "budgetsync: {}\n", r.status.message());
  CheckResult result = check_reports(loaded.reports, **catalog, options);
  if (ctx.json) {
    std::vector<Finding> refused;
    for (const auto& r : loaded.refused) {
      Finding f;
      f.rule_id = "file.refused";
      f.source = r.path.string();
      f.message = fmt::format("未能读取此文件，未作检查：{}", r.status.message());
      refused.push_back(std::move(f));
    }
    result.findings.insert(result.findings.begin(), refused.begin(), refused.end());
    fmt::print("{}", findings_to_json(result));
  } else {
    fmt::print("{}", render_check_text(result, loaded.reports.size()));
    if (!loaded.refused.empty()) {
      fmt::print("另有 {} 个文件未能读取，未作检查（原因见上方 budgetsync: 开头的信息）。\n",
                 loaded.refused.size());
    }
  }
  if (!loaded.refused.empty()) return kExitBadInput;
  return result.errors() > 0 ? kExitFindings : kExitOk;
}

}  // namespace

int fail(const Status& s) {
  fmt::print(stderr, "budgetsync: {}\n", s.message());
  return s.code() == StatusCode::kFailedPrecondition ? kExitFindings : kExitBadInput;
}

int run_cli(int argc, char** argv) {
  CLI::App app{"budgetsync：预算单位的预算、决算和绩效报表，离线也能填报，联网时同步。"};
  use_chinese_help(app);
  app.set_version_flag("--version", "budgetsync 0.1.0", "显示版本号并退出");
  app.footer(
      "REPORT 写作 UNIT/YEAR/FORM 或 UNIT/YEAR/FORM:INSTANCE，例如 411325-ybj/2024/final02。\n"
      "退出码：0 成功；1 有审核错误，或请求被拒绝（报表已锁定、本地副本已存在等）；"
      "2 用法不对或输入有误。");
  app.require_subcommand(1);
  Context ctx;
  ctx.argv0 = argv[0];
  app.add_option(
      "--data", ctx.data_dir,
      "存放 forms/ 和 codes/ 的文件夹（默认：$BUDGETSYNC_DATA_DIR，没有时用安装的数据）");
  app.add_option("--dir", ctx.dir,
                 "本地副本所在的文件夹（默认：$BUDGETSYNC_DIR，没有时用 "
                 "$XDG_DATA_HOME/budgetsync）");
  app.add_flag("--json", ctx.json, "输出 JSON，而不是表格");

  auto* check = app.add_subcommand(
      "check", "审核报表文件并计算得分：合计、层级、平衡关系、表间总数、比率、得分。");
  std::vector<std::string> paths;
  std::string tolerance = "0.01";
  check->add_option("PATH", paths, "报表文件（.json），或在其中查找报表文件的文件夹")->required();
  check->add_flag("--json", ctx.json, "输出一个审核结果的 JSON 数组，而不是便于阅读的报告");
  check
      ->add_option("--tolerance", tolerance, "不超过这个差额（单位万元）的视为尾差，只作为警告报告")
      ->capture_default_str();

  auto* codes = app.add_subcommand("codes", "科目表（政府收支分类科目）。");
  codes->require_subcommand(1);
  auto* codes_import = codes->add_subcommand(
      "import",
      "从 CSV 文件（每行：编码,名称[,上级编码]）载入某一年的官方科目表；本机的所有审核都改用它，"
      "代替随程序提供的该年科目表。");
  int codes_year = 0;
  std::string codes_file;
  std::string codes_list = "function";
  codes_import->add_option("YEAR", codes_year, "年度，例如 2025")
      ->required()
      ->check(CLI::Range(1949, 9999));
  codes_import->add_option("FILE", codes_file, "CSV 文件")->required();
  codes_import
      ->add_option("--list", codes_list,
                   "哪一张科目表：function（支出功能分类）或 economic（部门支出经济分类）")
      ->capture_default_str();

  auto* init = app.add_subcommand("init", "为一个单位新建本地副本（不联网也可以）。");
  std::string unit, unit_name, user;
  init->add_option("--unit", unit, "单位编码，例如 411325-ybj")->required();
  init->add_option("--name", unit_name, "单位名称");
  init->add_option("--user", user, "你作为填报人的名字（默认：$USER）");

  auto* import = app.add_subcommand(
      "import",
      "导入报表文件：Excel 工作簿（.xlsx、.xls）、CSV（按表样排列的表，或配合 --report 的每格一行"
      "格式）、.json 或文件夹；先列出各工作表对应的报表，每个文件要么全部导入，要么全不导入。");
  std::vector<std::string> import_paths;
  std::string import_key;
  bool other_units = false;
  int import_year = 0;
  bool dry_run = false;
  import->add_option("PATH", import_paths, "报表文件或文件夹")->required();
  import->add_option("--report", import_key,
                     "只有一张表的文件（或每格一行的 CSV）填入的报表：UNIT/YEAR/FORM[:项目]");
  import
      ->add_option("--year", import_year,
                   "报表的年度（给出时以它为准；不给时读表上写的“2024年度”）")
      ->check(CLI::Range(1949, 9999));
  import->add_flag("--dry-run", dry_run, "只列出各工作表、行、栏对应到哪里，不写入");
  import->add_flag("--allow-other-units", other_units, "也接受本地副本所属单位以外的单位的报表");
  bool progress_lines = false;
  import->add_flag("--progress", progress_lines, "每导入完一张报表，在标准错误输出上打印一行");

  auto* reports = app.add_subcommand("reports", "列出各张报表及其状态、最近一次修改和审核结果。");

  auto* new_cmd = app.add_subcommand(
      "new",
      "在本地副本中按某张表样新建一张空表（下次同步时发送）；然后用 `show` 查看各行，用 `set` "
      "填写。");
  std::string new_key;
  new_cmd
      ->add_option("REPORT", new_key,
                   "要新建的报表：UNIT/YEAR/FORM；按项目填报的表样写作 "
                   "UNIT/YEAR/FORM:INSTANCE，例如 411325-ybj/2025/final02")
      ->required();

  auto* show = app.add_subcommand("show", "按纸质表样的版式显示一张报表。");
  std::string key;
  bool csv = false;
  show->add_option("REPORT", key, "报表")->required();
  show->add_flag("--csv", csv, "以 CSV 输出，每格一行");

  auto* set = app.add_subcommand(
      "set", "填写一格：ROW 用行键、科目编码或行名，COLUMN 用栏键或栏名（见 `show`）。");
  std::string row, column, value;
  set->add_option("REPORT", key, "报表")->required();
  set->add_option("ROW", row,
                  "行键、科目编码，或表上印的行名（“一、”“（一）”这类序号、空格和全角半角都不"
                  "影响）")
      ->required();
  set->add_option("COLUMN", column, "栏键或栏名")->required();
  set->add_option("VALUE", value,
                  "要填的值，照表上的写法即可：2,945.68，万元表中写 3359.62万，全角数字也可以"
                  "（\"\" 清空这一格）")
      ->required();

  auto* add_row = app.add_subcommand("add-row", "添加一行项目、指标或人员。");
  std::string section, after;
  std::vector<std::string> assignments;
  add_row->add_option("REPORT", key, "报表")->required();
  add_row->add_option("CELLS", assignments, "新行各格的值，写作 COLUMN=VALUE");
  add_row->add_option("--after", after, "把新行放在这一行之后（默认：放在最后）");
  add_row->add_option("--section", section, "表样有几个部分时，添加到哪一部分");

  auto* delete_row =
      app.add_subcommand("delete-row", "删除一行你添加的行（它的值仍留在修改历史中）。");
  delete_row->add_option("REPORT", key, "报表")->required();
  delete_row->add_option("ROW", row, "行键")->required();

  auto* validate = app.add_subcommand("validate", "审核本地副本中的报表（不指明报表时审核全部）。");
  std::vector<std::string> keys;
  validate->add_option("REPORT", keys, "要审核的报表");

  auto* score = app.add_subcommand("score", "重新计算一张报表的得分，并与填报的得分对照。");
  score->add_option("REPORT", key, "报表")->required();

  auto* history =
      app.add_subcommand("history", "一格历来的每一个值，以及由谁、在哪台设备、何时填写。");
  history->add_option("REPORT", key, "报表")->required();
  history->add_option("ROW", row, "行键或科目编码")->required();
  history->add_option("COLUMN", column, "栏键或栏名")->required();

  auto* revert = app.add_subcommand("revert", "把一格改回以前的某个值（作为一次新的修改）。");
  int to = 0;
  revert->add_option("REPORT", key, "报表")->required();
  revert->add_option("ROW", row, "行键或科目编码")->required();
  revert->add_option("COLUMN", column, "栏键或栏名")->required();
  revert->add_option("--to", to, "要改回的那条历史记录（见 `history`）")->required();

  auto* status = app.add_subcommand("status", "待发送的修改、本地最近一次修改和同步状态。");

  auto* export_cmd = app.add_subcommand(
      "export",
      "把一张报表导出为 Excel 工作簿、CSV、JSON（即导入用的格式）、可打印的 HTML "
      "或 PDF。");
  std::string format = "html", output;
  bool export_all = false;
  export_cmd->add_option("REPORT", key, "报表（或用 --all）");
  export_cmd->add_flag("--all", export_all,
                       "导出每一张报表：xlsx 写成一个工作簿（每张表一个工作表），其他格式各存一个"
                       "文件，放进 -o 指定的文件夹");
  export_cmd
      ->add_option(
          "--format", format,
          "xlsx（Excel 工作簿）、csv（按表样排列，Excel 可直接打开）、csv-long（每格一行）、"
          "json、html（可打印的网页）或 pdf（用 Chromium 打印成 A4）")
      ->check(CLI::IsMember({"xlsx", "csv", "csv-long", "json", "html", "pdf"}))
      ->capture_default_str();
  export_cmd->add_option("-o,--output", output,
                         "写入的文件（用 --all 且不是 xlsx 时为文件夹）（默认：标准输出；xlsx "
                         "必须指明文件）");

  auto* conflicts = app.add_subcommand(
      "conflicts", "未解决的冲突（每一个相互竞争的值，由谁、何时填写）和被服务器拒绝的修改。");
  std::string conflict_key;
  conflicts->add_option("REPORT", conflict_key, "只看这张报表");

  auto* resolve =
      app.add_subcommand("resolve", "解决一个冲突：填一个值，或选定相互竞争的值中的一个。");
  std::string resolve_value, take;
  resolve->add_option("REPORT", key, "报表")->required();
  resolve->add_option("ROW", row, "行键或科目编码")->required();
  resolve->add_option("COLUMN", column, "栏键或栏名")->required();
  resolve->add_option("--value", resolve_value, "要保留的值");
  resolve->add_option("--take", take, "保留这一个竞争操作的值（见 `conflicts`）");

  std::string settle_op;
  auto* retry_cmd = app.add_subcommand(
      "retry", "重新应用一条被服务器拒绝的修改，作为一次新的修改在下次同步时发送。");
  retry_cmd->add_option("OP", settle_op, "被拒绝的操作（见 `conflicts`）")->required();
  auto* discard_cmd =
      app.add_subcommand("discard", "放弃一条被服务器拒绝的修改；这一格重新显示原来的值。");
  discard_cmd->add_option("OP", settle_op, "被拒绝的操作（见 `conflicts`）")->required();

  auto* login_cmd = app.add_subcommand(
      "login", "登录同步服务器；密码依次从 $BUDGETSYNC_PASSWORD、标准输入读取，都没有时提示输入。");
  std::string server_url, ca_file, login_user;
  login_cmd->add_option("--server", server_url, "https://HOST:PORT")->required();
  login_cmd->add_option("--ca", ca_file, "服务器的证书颁发机构（CA）证书（PEM）")->required();
  login_cmd->add_option("--user", login_user, "你在服务器上的用户名")->required();

  auto* sync_cmd =
      app.add_subcommand("sync", "发送本地的修改，取回其他人的修改；用 --watch 时持续同步。");
  bool watch = false, cbor = false;
  sync_cmd->add_flag("--watch", watch,
                     "保持连接：收到通知就取回，每次修改在一秒内发送，断线后自动重连（按 Ctrl-C "
                     "或发送 SIGTERM 停止）");
  sync_cmd->add_flag("--cbor", cbor, "使用协议的二进制（CBOR）编码");
  size_t sync_batch = 1000;
  sync_cmd
      ->add_option("--batch", sync_batch, "每次发送的操作数和每次取回的日志条数（网络差时调小）")
      ->check(CLI::Range(1, 5000))
      ->capture_default_str();

  auto* log = app.add_subcommand("log", "修改日志中的操作。");
  bool pending = false;
  log->add_flag("--pending", pending, "只列出服务器尚未确认收到的操作");

  auto* submit = app.add_subcommand(
      "submit", "上报报表，交审核人复核：有审核错误的报表不能上报，警告随报表一并上报。");
  std::vector<std::string> submit_keys;
  bool submit_all = false;
  submit->add_option("REPORT", submit_keys, "要上报的报表");
  submit->add_flag("--all", submit_all, "本单位每一张草稿或被退回的报表");

  auto* review = app.add_subcommand("review", "审核人的工作：列出、查看、退回、审核通过。");
  review->require_subcommand(1);
  ReviewFilter review_filter;
  std::string review_state;
  std::string reason;
  auto* review_list = review->add_subcommand(
      "list", "你下属单位的每一张报表：状态、上报时间和上报人、错误、警告、冲突。");
  review_list->add_option("--state", review_state, "draft、submitted、returned 或 approved")
      ->check(CLI::IsMember({"draft", "submitted", "returned", "approved"}));
  review_list->add_option("--year", review_filter.year, "只看这一年度");
  auto* review_show =
      review->add_subcommand("show", "上报的内容、审核结果和冲突，以及上报之后的改动。");
  review_show->add_option("REPORT", key, "报表")->required();
  auto* review_return =
      review->add_subcommand("return", "把一张已上报的报表退回给所属单位，并说明原因。");
  review_return->add_option("REPORT", key, "报表")->required();
  review_return->add_option("--reason", reason, "单位需要改正什么")->required();
  auto* review_approve = review->add_subcommand("approve", "审核通过已上报的报表。");
  std::vector<std::string> approve_keys;
  review_approve->add_option("REPORT", approve_keys, "报表")->required();
  auto* review_reopen = review->add_subcommand(
      "reopen", "重新打开一张已审核通过的报表，让所属单位可以再修改，并说明原因。");
  review_reopen->add_option("REPORT", key, "报表")->required();
  review_reopen->add_option("--reason", reason, "为什么需要修改")->required();

  auto* consolidate_cmd = app.add_subcommand(
      "consolidate",
      "用下属单位已审核通过的报表生成本单位的汇总报表；不联网，依据最近一次同步的数据。");
  ConsolidateRequest consolidation;
  consolidate_cmd->add_option("--unit", consolidation.unit, "要汇总的单位（默认：你的单位）");
  consolidate_cmd->add_option("--year", consolidation.year, "年度")->required();
  consolidate_cmd->add_option("--form", consolidation.forms,
                              "只汇总这些表样（默认：已填报的每一张预算、决算和基础数据表样）");
  consolidate_cmd->add_option("--units", consolidation.units,
                              "只汇总这些单位（默认：你的单位下属的每一个单位）");
  consolidate_cmd->add_option(
      "--parent", consolidation.parent,
      "其中作为本部门本级的单位：它的对附属单位补助支出与其他单位的上级补助收入、其他单位的"
      "上缴上级支出与它的附属单位上缴收入，相互冲抵");
  consolidate_cmd->add_flag("--include-submitted", consolidation.include_submitted,
                            "也使用已上报但尚未审核通过的报表");

  auto* ui = app.add_subcommand(
      "ui", "桌面应用：在本机（仅 127.0.0.1）提供界面并持续同步，直到按 Ctrl-C 或收到 SIGTERM。");
  UiOptions ui_options;
  bool ui_no_sync = false;
  ui->add_option("--port", ui_options.port, "127.0.0.1 上的端口（默认：任选一个空闲端口）");
  ui->add_flag("--open", ui_options.open, "用默认浏览器打开界面地址（xdg-open）");
  ui->add_flag("--no-sync", ui_no_sync, "不在界面旁运行同步程序（默认登录后就运行）");

  auto* audit = app.add_subcommand(
      "audit", "一张报表或一格的完整经过：由谁、在哪台设备、何时、从旧值改为新值。");
  audit->add_option("REPORT", key, "报表")->required();
  audit->add_option("ROW", row, "行键或科目编码（同时给出 COLUMN 时：只看这一格）");
  audit->add_option("COLUMN", column, "栏键或栏名");

  // The options of the whole program go where people type them: before the
  // command or after it (`budgetsync reports --json`, `budgetsync show R --dir D`).
  std::function<void(CLI::App*)> accept_global_options = [&](CLI::App* parent) {
    for (CLI::App* sub : parent->get_subcommands([](CLI::App*) { return true; })) {
      if (!sub->get_option_no_throw("--json"))
        sub->add_flag("--json", ctx.json, "输出 JSON，而不是表格");
      if (!sub->get_option_no_throw("--dir"))
        sub->add_option("--dir", ctx.dir, "本地副本所在的文件夹（同写在命令之前）");
      if (!sub->get_option_no_throw("--data"))
        sub->add_option("--data", ctx.data_dir, "存放 forms/ 和 codes/ 的文件夹（同写在命令之前）");
      accept_global_options(sub);
    }
  };
  accept_global_options(&app);
  use_chinese_usage_errors(app, "budgetsync");
  finish_chinese_help(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  if (*check) return cmd_check(ctx, paths, tolerance);
  if (*codes_import) return cmd_codes_import(ctx, codes_year, codes_file, codes_list);
  if (*init) return cmd_init(ctx, unit, unit_name, user);
  if (*import)
    return cmd_import(ctx, import_paths, import_key, other_units, progress_lines, import_year,
                      dry_run);
  if (*reports) return cmd_reports(ctx);
  if (*new_cmd) return cmd_new(ctx, new_key);
  if (*show) return cmd_show(ctx, key, csv);
  if (*set) return cmd_set(ctx, key, row, column, value);
  if (*add_row) return cmd_add_row(ctx, key, section, after, assignments);
  if (*delete_row) return cmd_delete_row(ctx, key, row);
  if (*validate) return cmd_validate(ctx, keys);
  if (*score) return cmd_score(ctx, key);
  if (*history) return cmd_history(ctx, key, row, column);
  if (*revert) return cmd_revert(ctx, key, row, column, to);
  if (*status) return cmd_status(ctx);
  if (*export_cmd) {
    if (export_all != key.empty()) {
      return fail(Status::InvalidArgument("请指明一张要导出的报表，或用 --all（不能同时用）"));
    }
    return export_all ? cmd_export_all(ctx, format, output) : cmd_export(ctx, key, format, output);
  }
  if (*log) return cmd_log(ctx, pending);
  if (*login_cmd || *sync_cmd) {
    auto replica = ctx.open_replica();
    if (!replica.ok()) return fail(replica.status());
    if (*login_cmd) return cmd_login(**replica, server_url, ca_file, login_user, ctx.json);
    return cmd_sync(**replica, watch, cbor, sync_batch, ctx.json);
  }
  if (*ui) {
    auto replica = ctx.open_replica();
    if (!replica.ok()) return fail(replica.status());
    ui_options.sync = !ui_no_sync;
    return cmd_ui(**replica, **ctx.load_catalog_once(), ctx.replica_path(), ui_options);
  }
  if (*submit || *review || *audit || *consolidate_cmd) {
    auto replica = ctx.open_replica();
    if (!replica.ok()) return fail(replica.status());
    const Catalog& catalog = **ctx.load_catalog_once();
    if (*submit) return cmd_submit(**replica, catalog, submit_keys, submit_all, ctx.json);
    if (*audit) return cmd_audit(**replica, catalog, key, row, column, ctx.json);
    if (*consolidate_cmd) return cmd_consolidate(**replica, catalog, consolidation, ctx.json);
    if (*review_list) {
      if (!review_state.empty()) {
        auto state = sync::parse_state(review_state);
        if (!state.ok()) return fail(state.status());
        review_filter.state = *state;
      }
      return cmd_review_list(**replica, catalog, review_filter, ctx.json);
    }
    if (*review_show) return cmd_review_show(**replica, catalog, key, ctx.json);
    if (*review_approve) {
      int worst = kExitOk;
      for (const auto& k : approve_keys) {
        worst = std::max(worst,
                         cmd_review_step(**replica, k, sync::StateAction::kApprove, "", ctx.json));
      }
      return worst;
    }
    const sync::StateAction action =
        *review_return ? sync::StateAction::kReturn : sync::StateAction::kReopen;
    return cmd_review_step(**replica, key, action, reason, ctx.json);
  }
  if (*conflicts) return cmd_conflicts(ctx, conflict_key);
  if (*resolve) return cmd_resolve(ctx, key, row, column, resolve_value, take);
  if (*retry_cmd || *discard_cmd) return cmd_settle_rejected(ctx, settle_op, retry_cmd->parsed());
  return kExitBadInput;
}

}  // namespace budgetsync::client
