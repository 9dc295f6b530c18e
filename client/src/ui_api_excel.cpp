// The desktop app's Excel: a report, or every report, as a workbook download;
// a workbook or table CSV uploaded, previewed (which sheet is which report,
// what is left out, what the replica would refuse), then imported whole.
#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "client/table_files.h"
#include "client/ui_api.h"
#include "client/xlsx_export.h"
#include "ui_json.h"

namespace budgetsync::client {

using ui::error;
using ui::json;
using ui::json_response;
using ui::refusal;
namespace fs = std::filesystem;

namespace {

// A private folder for one request's file, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "budgetsync-ui-XXXXXX").string();
    if (mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

UiResponse UiApi::export_workbook(const Query& query) {
  auto all = replica_.load_all();
  if (!all.ok()) return refusal(all.status());
  auto k = query.find("key");
  std::vector<const Report*> chosen;
  std::string name = "报表";
  for (const Report& r : *all) {
    if (k == query.end() || r.key.to_string() == k->second) chosen.push_back(&r);
  }
  if (chosen.empty()) {
    return error(404, k == query.end() ? "本地副本中还没有报表，没有可导出的内容"
                                       : fmt::format("没有报表 {}", k->second));
  }
  if (k != query.end()) {
    name = k->second;
    std::replace(name.begin(), name.end(), '/', '_');
    std::replace(name.begin(), name.end(), ':', '_');
  }
  ScratchDir dir;
  if (dir.path().empty()) return error(500, "无法创建临时文件");
  const fs::path file = dir.path() / "export.xlsx";
  auto written = write_reports_xlsx(chosen, catalog_, check_reports(*all, catalog_), file);
  if (!written.ok()) return refusal(written.status());
  UiResponse out;
  out.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  out.body = slurp(file);
  out.headers["Content-Disposition"] =
      fmt::format("attachment; filename=\"{}.xlsx\"; filename*=UTF-8''{}.xlsx",
                  k == query.end() ? "reports" : name, ui::percent_encode(name));
  return out;
}

UiResponse UiApi::import_table(const std::string& body, const Query& query) {
  auto n = query.find("name");
  const std::string file_name = n == query.end() ? "" : fs::path(n->second).filename().string();
  std::string ext = fs::path(file_name).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext != ".xlsx" && ext != ".xlsm" && ext != ".xls" && ext != ".csv")
    return error(400, fmt::format("“{}”：可导入 .xlsx、.xls 和按表样排列的 .csv 文件", file_name));
  if (body.empty()) return error(400, fmt::format("{}：文件是空的", file_name));
  ScratchDir dir;
  if (dir.path().empty()) return error(500, "无法创建临时文件");
  const fs::path file = dir.path() / ("upload" + ext);
  {
    std::ofstream out(file, std::ios::binary);
    out << body;
    if (!out) return error(500, "无法写入临时文件");
  }
  GridImportOptions options;
  options.unit = replica_.identity().unit;
  options.unit_name = replica_.identity().unit_name;
  auto found = read_table_file(file, catalog_, options);
  if (!found.ok()) {
    // Messages name the scratch file: name the file the user chose instead.
    std::string message = found.status().message();
    for (size_t at = message.find(file.string()); at != std::string::npos;
         at = message.find(file.string()))
      message.replace(at, file.string().size(), file_name);
    return error(400, message);
  }
  json preview = grid_import_json(file_name, *found);
  json refusals = json::array();
  for (const Report& r : found->reports) {
    if (Status s = replica_.check_importable(r); !s.ok()) refusals.push_back(s.message());
  }
  preview["refusals"] = refusals;
  const bool dry_run = query.count("dry_run") && query.at("dry_run") != "0";
  if (found->reports.empty())
    return dry_run ? json_response(200, preview)
                   : error(400, fmt::format("{}：没有认出任何一张报表，什么也没有导入", file_name));
  if (dry_run) return json_response(200, preview);
  if (!refusals.empty()) return error(409, refusals.front().get<std::string>());
  std::vector<const Report*> reports;
  for (const Report& r : found->reports) reports.push_back(&r);
  if (Status s = replica_.import_reports(reports); !s.ok()) return refusal(s);
  json imported = json::array();
  for (const Report& r : found->reports) imported.push_back(r.key.to_string());
  preview["imported"] = imported;
  return json_response(200, preview);
}

}  // namespace budgetsync::client
