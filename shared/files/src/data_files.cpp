#include "files/data_files.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#ifndef BUDGETSYNC_SOURCE_DATA_DIR
#define BUDGETSYNC_SOURCE_DATA_DIR ""
#endif

namespace budgetsync {
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> json_files_under(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".json") files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

fs::path default_data_dir(const char* argv0) {
  if (const char* env = std::getenv("BUDGETSYNC_DATA_DIR"); env && *env) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec && argv0) exe = fs::absolute(argv0, ec);
  if (!exe.empty()) {
    const fs::path installed = exe.parent_path().parent_path() / "share" / "budgetsync";
    if (fs::is_directory(installed / "forms", ec)) return installed;
  }
  return BUDGETSYNC_SOURCE_DATA_DIR;
}

Status make_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  // Only a folder made here is made private: an existing one (the user's
  // home, a shared /srv) keeps the mode its owner gave it.
  if (std::filesystem::create_directories(dir, ec) && !ec) {
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  if (ec) {
    return Status::IoError(fmt::format("{}：无法创建文件夹：{}", dir.string(), ec.message()));
  }
  return Status::Ok();
}

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(fmt::format("{}：无法打开文件", path.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IoError(fmt::format("{}：读取失败", path.string()));
  return ss.str();
}

Result<Catalog> load_catalog(const fs::path& data_dir) {
  Catalog catalog;
  std::error_code ec;
  if (!fs::is_directory(data_dir / "forms", ec)) {
    return Status::NotFound(fmt::format(
        "{} 下没有表样（把 BUDGETSYNC_DATA_DIR 或 --data 设为含 forms/ 和 codes/ 的文件夹）",
        (data_dir / "forms").string()));
  }
  for (const auto& file : json_files_under(data_dir / "forms")) {
    auto text = read_file(file);
    if (!text.ok()) return text.status();
    auto t = parse_form_template(*text, file.string());
    if (!t.ok()) return t.status();
    if (Status s = catalog.add_form(std::move(*t)); !s.ok()) return s;
  }
  for (const auto& file : json_files_under(data_dir / "codes")) {
    auto text = read_file(file);
    if (!text.ok()) return text.status();
    auto list = parse_code_list(*text, file.string());
    if (!list.ok()) return list.status();
    if (Status s = catalog.add_code_list(std::move(*list)); !s.ok())
      return s.with_context(file.string());
  }
  if (Status s = catalog.check(); !s.ok()) return s;
  return catalog;
}

ReportFiles load_each_report(const std::vector<fs::path>& paths, const Catalog& catalog,
                             const std::function<void(size_t, size_t)>& progress) {
  ReportFiles out;
  std::vector<fs::path> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      auto found = json_files_under(p);
      if (found.empty()) {
        out.refused.push_back(
            {p, Status::NotFound(fmt::format("{}：这个文件夹里没有 .json 报表文件", p.string()))});
      }
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      out.refused.push_back(
          {p, Status::NotFound(fmt::format("{}：没有这个文件或文件夹", p.string()))});
    }
  }
  std::map<ReportKey, std::string> seen;
  for (size_t i = 0; i < files.size(); ++i) {
    auto text = read_file(files[i]);
    auto r =
        text.ok() ? parse_report(*text, files[i].string(), catalog) : Result<Report>(text.status());
    if (!r.ok()) {
      out.refused.push_back({files[i], r.status()});
    } else if (auto [it, inserted] = seen.emplace(r->key, files[i].string()); !inserted) {
      out.refused.push_back({files[i], Status::InvalidArgument(fmt::format(
                                           "{}：报表 {} 也在 {} 中；每张报表只给一次",
                                           files[i].string(), r->key.to_string(), it->second))});
    } else {
      out.reports.push_back(std::move(*r));
    }
    if (progress) progress(i + 1, files.size());
  }
  return out;
}

Status load_user_code_lists(Catalog& catalog, const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::Ok();
  for (const auto& file : json_files_under(dir)) {
    auto text = read_file(file);
    if (!text.ok()) return text.status();
    auto list = parse_code_list(*text, file.string());
    if (!list.ok()) return list.status();
    catalog.replace_code_list(std::move(*list));
  }
  return catalog.check();
}

Status save_user_code_list(const CodeList& list, const fs::path& dir) {
  const fs::path folder = dir / std::to_string(list.year());
  BS_RETURN_IF_ERROR(make_private_dir(folder));
  const fs::path target = folder / (list.id() + ".json");
  const fs::path temp = folder / (list.id() + ".json.tmp");
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << render_code_list_json(list);
    out.flush();
    if (!out) return Status::IoError(fmt::format("{}：无法写入", temp.string()));
  }
  std::error_code ec;
  fs::rename(temp, target, ec);
  if (ec) return Status::IoError(fmt::format("{}：无法保存：{}", target.string(), ec.message()));
  return Status::Ok();
}

Result<std::vector<Report>> load_reports(const std::vector<fs::path>& paths, const Catalog& catalog,
                                         const std::function<void(size_t, size_t)>& progress) {
  ReportFiles files = load_each_report(paths, catalog, progress);
  if (!files.refused.empty()) return files.refused.front().status;
  return std::move(files.reports);
}

}  // namespace budgetsync
