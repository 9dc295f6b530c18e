// Reading a workbook by its kind, and the legacy .xls of the 部门决算 software
// through FreeXL (xlsx_read.cpp reads .xlsx).
#include <fmt/format.h>
#include <freexl.h>

#include <charconv>
#include <memory>

#include "client/grid.h"
#include "shared/text.h"
#include "workbook_readers.h"

namespace budgetsync::client {
namespace fs = std::filesystem;
namespace {

// Tables are at most a few thousand cells; a sheet claiming more than this is
// not a report, and looping over it would take the program hostage.
constexpr unsigned kMaxRows = 100000;
constexpr unsigned kMaxCols = 500;

// FreeXL gives a number as a double: its shortest text, made exact decimal text.
std::string number_text(double v) {
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "0";
  return spreadsheet_number_text(std::string_view(buf, static_cast<size_t>(end - buf)));
}

Status too_big(const std::string& source, std::string_view sheet) {
  return Status::InvalidArgument(fmt::format("{}：工作表“{}”超出可导入的范围（最多 {} 行、{} 列）",
                                             source, sheet, kMaxRows, kMaxCols));
}

struct XlsCloser {
  void operator()(const void* h) const { freexl_close(h); }
};

}  // namespace

Result<Grid> read_xls(const fs::path& path) {
  const std::string source = path.string();
  const void* raw = nullptr;
  if (freexl_open(source.c_str(), &raw) != FREEXL_OK || !raw) {
    if (raw) freexl_close(raw);
    return Status::InvalidArgument(
        fmt::format("{}：不是能读取的 Excel 97-2003 工作簿（.xls）", source));
  }
  std::unique_ptr<const void, XlsCloser> handle(raw);
  unsigned int count = 0;
  if (freexl_get_info(raw, FREEXL_BIFF_SHEET_COUNT, &count) != FREEXL_OK)
    return Status::InvalidArgument(fmt::format("{}：读不出工作表", source));
  Grid grid;
  grid.source = source;
  for (unsigned int si = 0; si < count; ++si) {
    GridSheet gs;
    const char* name = nullptr;
    if (freexl_get_worksheet_name(raw, static_cast<unsigned short>(si), &name) == FREEXL_OK && name)
      gs.name = name;
    if (freexl_select_active_worksheet(raw, static_cast<unsigned short>(si)) != FREEXL_OK)
      return Status::InvalidArgument(fmt::format("{}：读不出工作表“{}”", source, gs.name));
    unsigned int rows = 0;
    unsigned short cols = 0;
    if (freexl_worksheet_dimensions(raw, &rows, &cols) != FREEXL_OK)
      return Status::InvalidArgument(fmt::format("{}：读不出工作表“{}”", source, gs.name));
    if (rows > kMaxRows || cols > kMaxCols) return too_big(source, gs.name);
    for (unsigned int r = 0; r < rows; ++r) {
      for (unsigned short c = 0; c < cols; ++c) {
        FreeXL_CellValue v;
        if (freexl_get_cell_value(raw, r, c, &v) != FREEXL_OK) continue;
        GridCell cell;
        switch (v.type) {
          case FREEXL_CELL_INT:
            cell.kind = GridCell::Kind::kNumber;
            cell.text = std::to_string(v.value.int_value);
            break;
          case FREEXL_CELL_DOUBLE:
            cell.kind = GridCell::Kind::kNumber;
            cell.text = number_text(v.value.double_value);
            break;
          case FREEXL_CELL_TEXT:
          case FREEXL_CELL_SST_TEXT:
          case FREEXL_CELL_DATE:
          case FREEXL_CELL_DATETIME:
          case FREEXL_CELL_TIME:
            if (!v.value.text_value) continue;
            cell.text = v.value.text_value;
            if (trim(cell.text).empty()) continue;
            break;
          default:
            continue;
        }
        gs.put(static_cast<int>(r), static_cast<int>(c), std::move(cell));
      }
    }
    grid.sheets.push_back(std::move(gs));
  }
  return grid;
}

namespace {

std::string lower_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  for (char& c : ext) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return ext;
}

}  // namespace

Result<Grid> read_workbook(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    return Status::NotFound(fmt::format("{}：文件不存在", path.string()));
  const std::string ext = lower_extension(path);
  if (ext == ".xlsx" || ext == ".xlsm") return read_xlsx(path);
  if (ext == ".xls") return read_xls(path);
  return Status::InvalidArgument(
      fmt::format("{}：不认识的文件类型；可导入 .xlsx、.xls、.csv 和 .json", path.string()));
}

}  // namespace budgetsync::client
