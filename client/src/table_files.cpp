#include "client/table_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "client/grid.h"
#include "shared/csv.h"
#include "shared/text.h"

namespace budgetsync::client {
namespace fs = std::filesystem;

bool is_workbook_path(const fs::path& p) {
  std::string ext = p.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".xlsx" || ext == ".xlsm" || ext == ".xls";
}

bool is_long_csv(std::string_view text) {
  text = csv_text(text);
  for (int line = 0; line < 2 && !text.empty(); ++line) {
    const size_t end = std::min(text.find('\n'), text.size());
    const std::string head(trim(text.substr(0, end)));
    text.remove_prefix(std::min(end + 1, text.size()));
    if (head.find("row") != std::string::npos && head.find("column") != std::string::npos &&
        head.find("value") != std::string::npos)
      return true;
  }
  return false;
}

Result<GridImport> read_table_file(const fs::path& path, const Catalog& catalog,
                                   const GridImportOptions& options) {
  Result<Grid> grid = Status::Ok();
  if (is_workbook_path(path)) {
    grid = read_workbook(path);
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::NotFound(fmt::format("{}：无法打开文件", path.string()));
    std::ostringstream text;
    text << in.rdbuf();
    grid = read_csv_grid(text.str(), path.string());
  }
  if (!grid.ok()) return grid.status();
  auto found = import_grid(*grid, catalog, options);
  if (!found.ok()) return found.status();
  return found;
}

nlohmann::ordered_json grid_import_json(const std::string& file, const GridImport& found) {
  using json = nlohmann::ordered_json;
  json sheets = json::array(), unmatched = json::array();
  for (const auto& m : found.matched) {
    sheets.push_back({{"sheet", m.sheet},
                      {"report", m.key.to_string()},
                      {"form_title", m.form_title},
                      {"rows", m.rows},
                      {"cells", m.cells},
                      {"money_unit", m.stated_unit ? json(std::string(unit_name(*m.stated_unit)))
                                                   : json(nullptr)}});
  }
  for (const auto& u : found.unmatched)
    unmatched.push_back({{"sheet", u.sheet}, {"address", u.address}, {"what", u.what}});
  return json{{"file", file}, {"sheets", sheets}, {"unmatched", unmatched}};
}

}  // namespace budgetsync::client
