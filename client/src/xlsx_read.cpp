// The .xlsx reader: the zip package through libzip, its XML parts through
// expat, streamed. It reads what an import needs and no more: sheet names and
// visibility, the relationships that say where each part is (absolute part
// names, as openpyxl writes them, and relative ones), shared strings, the
// number format of every cell style, cells (the text a number is stored as, so
// no binary floating point is involved; a formula's saved value) and merged
// ranges.
#include <expat.h>
#include <fmt/format.h>
#include <zip.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "client/grid.h"
#include "shared/text.h"
#include "workbook_readers.h"

namespace budgetsync::client {
namespace fs = std::filesystem;
namespace {

// A part bigger than this is not a report table (nor an honest file).
constexpr zip_uint64_t kMaxPartBytes = 256u << 20;
constexpr int kMaxRows = 100000;
constexpr int kMaxCols = 500;
// Across the whole workbook: cells kept, bytes unpacked, merged ranges.
constexpr size_t kMaxCells = 1'000'000;
constexpr zip_uint64_t kMaxTotalBytes = 512u << 20;
constexpr size_t kMaxMerges = 20000;

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
struct ParserFree {
  void operator()(XML_Parser p) const { XML_ParserFree(p); }
};

// Element and attribute names without their namespace ("uri|c" gives "c").
std::string_view local(const XML_Char* name) {
  std::string_view s(name);
  const size_t bar = s.rfind('|');
  return bar == std::string_view::npos ? s : s.substr(bar + 1);
}

const XML_Char* attr(const XML_Char** atts, std::string_view name) {
  for (size_t i = 0; atts[i]; i += 2) {
    if (local(atts[i]) == name) return atts[i + 1];
  }
  return nullptr;
}

// SAX handlers as functions; the parser calls back into them.
struct Handlers {
  bool stop = false;  // set by a handler: the rest of the part is not read
  std::function<void(std::string_view, const XML_Char**)> start;
  std::function<void(std::string_view)> end;
  std::function<void(std::string_view)> text;
};

void XMLCALL on_start(void* data, const XML_Char* name, const XML_Char** atts) {
  auto* h = static_cast<Handlers*>(data);
  if (h->start) h->start(local(name), atts);
}
void XMLCALL on_end(void* data, const XML_Char* name) {
  auto* h = static_cast<Handlers*>(data);
  if (h->end) h->end(local(name));
}
void XMLCALL on_text(void* data, const XML_Char* s, int len) {
  auto* h = static_cast<Handlers*>(data);
  if (h->text) h->text(std::string_view(s, static_cast<size_t>(len)));
}

class Package {
 public:
  static Result<Package> open(const fs::path& path) {
    int err = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &err);
    if (!z) {
      return Status::InvalidArgument(
          fmt::format("{}：不是能读取的 Excel 工作簿（.xlsx 应是一个 zip 包）", path.string()));
    }
    Package p;
    p.source_ = path.string();
    p.zip_.reset(z);
    return p;
  }

  bool has(const std::string& part) const { return locate(part) >= 0; }

  // Streams the part through expat to `h`. A missing part is NotFound.
  Status parse(const std::string& part, Handlers& h) const {
    const zip_int64_t index = locate(part);
    if (index < 0) return Status::NotFound(fmt::format("{}：工作簿里缺少 {}", source_, part));
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip_.get(), static_cast<zip_uint64_t>(index), 0, &st) != 0 ||
        ((st.valid & ZIP_STAT_SIZE) && st.size > kMaxPartBytes)) {
      return Status::InvalidArgument(fmt::format("{}：{} 太大，不像是一张报表", source_, part));
    }
    std::unique_ptr<zip_file_t, ZipFileCloser> file(
        zip_fopen_index(zip_.get(), static_cast<zip_uint64_t>(index), 0));
    if (!file) return bad(part);
    std::unique_ptr<XML_ParserStruct, ParserFree> parser(XML_ParserCreateNS(nullptr, '|'));
    XML_SetUserData(parser.get(), &h);
    XML_SetElementHandler(parser.get(), on_start, on_end);
    XML_SetCharacterDataHandler(parser.get(), on_text);
    char buf[64 * 1024];
    zip_uint64_t total = 0;
    for (;;) {
      const zip_int64_t n = zip_fread(file.get(), buf, sizeof buf);
      if (n < 0) return bad(part);
      total += static_cast<zip_uint64_t>(n);
      unpacked_ += static_cast<zip_uint64_t>(n);
      if (unpacked_ > kMaxTotalBytes)
        return Status::InvalidArgument(
            fmt::format("{}：工作簿解压后超过 {} MiB，不像是报表", source_, kMaxTotalBytes >> 20));
      if (total > kMaxPartBytes)
        return Status::InvalidArgument(fmt::format("{}：{} 太大，不像是一张报表", source_, part));
      if (XML_Parse(parser.get(), buf, static_cast<int>(n), n == 0) == XML_STATUS_ERROR) {
        return Status::InvalidArgument(fmt::format(
            "{}：{} 第 {} 行的 XML 有误：{}", source_, part, XML_GetCurrentLineNumber(parser.get()),
            XML_ErrorString(XML_GetErrorCode(parser.get()))));
      }
      if (n == 0 || h.stop) break;
    }
    return Status::Ok();
  }

  const std::string& source() const { return source_; }

 private:
  zip_int64_t locate(const std::string& part) const {
    zip_int64_t i = zip_name_locate(zip_.get(), part.c_str(), 0);
    if (i < 0) i = zip_name_locate(zip_.get(), part.c_str(), ZIP_FL_NOCASE);
    return i;
  }
  Status bad(const std::string& part) const {
    return Status::InvalidArgument(fmt::format("{}：读不出工作簿中的 {}", source_, part));
  }

  std::string source_;
  std::unique_ptr<zip_t, ZipCloser> zip_;
  mutable zip_uint64_t unpacked_ = 0;  // bytes unpacked from every part so far
};

// "xl/workbook.xml" -> "xl/_rels/workbook.xml.rels".
std::string rels_of(const std::string& part) {
  const size_t slash = part.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : part.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? part : part.substr(slash + 1);
  return dir + "_rels/" + base + ".rels";
}

// A relationship's target as a part name: absolute ("/xl/worksheets/sheet1.xml")
// from the package root, relative from the folder of the part that names it.
std::string resolve(const std::string& from_part, const std::string& target) {
  std::string path;
  if (!target.empty() && target.front() == '/') {
    path = target.substr(1);
  } else {
    const size_t slash = from_part.rfind('/');
    path = (slash == std::string::npos ? "" : from_part.substr(0, slash + 1)) + target;
  }
  std::vector<std::string> parts;
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t end = path.find('/', begin);
    if (end == std::string::npos) end = path.size();
    const std::string seg = path.substr(begin, end - begin);
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!seg.empty() && seg != ".") {
      parts.push_back(seg);
    }
    begin = end + 1;
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

struct Relationship {
  std::string type;  // the last word of the type: worksheet, sharedStrings, styles, officeDocument
  std::string part;
};

Result<std::map<std::string, Relationship>> read_rels(const Package& pkg,
                                                      const std::string& from_part) {
  std::map<std::string, Relationship> rels;
  Handlers h;
  h.start = [&](std::string_view name, const XML_Char** atts) {
    if (name != "Relationship") return;
    const char* id = attr(atts, "Id");
    const char* target = attr(atts, "Target");
    const char* type = attr(atts, "Type");
    const char* mode = attr(atts, "TargetMode");
    if (!id || !target || !type || (mode && std::string_view(mode) == "External")) return;
    std::string t = type;
    rels[id] = {t.substr(t.rfind('/') + 1), resolve(from_part, target)};
  };
  if (Status s = pkg.parse(rels_of(from_part), h); !s.ok()) return s;
  return rels;
}

// Cell references: "B3" -> (2, 1).
bool parse_ref(std::string_view ref, int& row, int& col) {
  size_t i = 0;
  long c = 0, r = 0;
  while (i < ref.size() && ref[i] >= 'A' && ref[i] <= 'Z') {
    c = c * 26 + (ref[i] - 'A' + 1);
    if (c > 16384) return false;
    ++i;
  }
  if (i == 0 || i == ref.size()) return false;
  for (; i < ref.size(); ++i) {
    if (ref[i] < '0' || ref[i] > '9') return false;
    r = r * 10 + (ref[i] - '0');
    if (r > 1048576) return false;
  }
  if (r == 0) return false;
  row = static_cast<int>(r - 1);
  col = static_cast<int>(c - 1);
  return true;
}

bool percent_code(std::string_view code) {
  bool quoted = false, escaped = false;
  for (char ch : code) {
    if (escaped) {
      escaped = false;
      continue;
    }
    if (ch == '\\') escaped = true;
    if (ch == '"') quoted = !quoted;
    if (!quoted && ch == '%') return true;
  }
  return false;
}

// The fraction digits a number format always shows ("#,##0.00" 2, "0.0%" 1).
int min_decimals(std::string_view code) {
  const size_t semi = code.find(';');
  if (semi != std::string_view::npos) code = code.substr(0, semi);
  const size_t point = code.find('.');
  if (point == std::string_view::npos) return 0;
  int n = 0;
  for (size_t i = point + 1; i < code.size() && code[i] == '0'; ++i) ++n;
  return n;
}

struct NumberStyle {
  bool percent = false;
  bool date = false;
  int decimals = -1;
};

// A format that shows a number as a date or time: y, m, d, h or s outside
// quotes, brackets and escapes.
bool date_code(std::string_view code) {
  bool quoted = false, bracket = false, escaped = false;
  for (char ch : code) {
    if (escaped) {
      escaped = false;
      continue;
    }
    if (ch == '\\')
      escaped = true;
    else if (ch == '"')
      quoted = !quoted;
    else if (!quoted && ch == '[')
      bracket = true;
    else if (!quoted && ch == ']')
      bracket = false;
    else if (!quoted && !bracket &&
             std::string_view("yYmMdDhHsS").find(ch) != std::string_view::npos)
      return true;
  }
  return false;
}

// Excel's day number as a date: day 1 is 1900-01-01, and day 60 the
// 1900-02-29 Excel counts that never was.
std::string date_text(std::string_view number) {
  const double v = std::strtod(std::string(number).c_str(), nullptr);
  if (!(v >= 1 && v < 2958466)) return std::string(number);  // before 1900 or after 9999
  long days = static_cast<long>(v);
  const long seconds = std::lround((v - static_cast<double>(days)) * 86400);
  days += days < 60 ? 1 : 0;
  // Days since 1899-12-30 to a civil date (Howard Hinnant's algorithm).
  long z = days - 25569 + 719468;  // 25569: 1970-01-01
  const long era = (z >= 0 ? z : z - 146096) / 146097;
  const long doe = z - era * 146097;
  const long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long mp = (5 * doy + 2) / 153;
  const long d = doy - (153 * mp + 2) / 5 + 1;
  const long m = mp < 10 ? mp + 3 : mp - 9;
  const long y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  std::string out = fmt::format("{:04}-{:02}-{:02}", y, m, d);
  if (seconds > 0 && seconds < 86400)
    out += fmt::format(" {:02}:{:02}", seconds / 3600, seconds / 60 % 60);
  return out;
}

// How each cell style shows its number.
Result<std::vector<NumberStyle>> read_styles(const Package& pkg, const std::string& part) {
  std::map<int, std::string> codes;
  std::vector<NumberStyle> percent;
  int depth_xfs = 0;
  Handlers h;
  h.start = [&](std::string_view name, const XML_Char** atts) {
    if (name == "numFmt") {
      const char* id = attr(atts, "numFmtId");
      const char* code = attr(atts, "formatCode");
      if (id && code) codes[std::atoi(id)] = code;
    } else if (name == "cellXfs") {
      ++depth_xfs;
    } else if (name == "xf" && depth_xfs > 0) {
      const char* id = attr(atts, "numFmtId");
      const int n = id ? std::atoi(id) : 0;
      auto it = codes.find(n);
      // Built-ins: 2 0.00, 4 #,##0.00, 9 0%, 10 0.00%.
      NumberStyle style;
      style.percent = n == 9 || n == 10 || (it != codes.end() && percent_code(it->second));
      // Built-in dates and times: 14–22, 45–47.
      style.date = (n >= 14 && n <= 22) || (n >= 45 && n <= 47) ||
                   (it != codes.end() && date_code(it->second));
      if (it != codes.end()) {
        style.decimals = min_decimals(it->second);
      } else if (n == 2 || n == 4 || n == 10) {
        style.decimals = 2;
      } else if (n == 1 || n == 3 || n == 9) {
        style.decimals = 0;
      }
      percent.push_back(style);
    }
  };
  h.end = [&](std::string_view name) {
    if (name == "cellXfs") --depth_xfs;
  };
  if (Status s = pkg.parse(part, h); !s.ok()) return s;
  return percent;
}

Result<std::vector<std::string>> read_shared_strings(const Package& pkg, const std::string& part) {
  std::vector<std::string> strings;
  bool in_t = false;
  int in_phonetic = 0;
  Handlers h;
  h.start = [&](std::string_view name, const XML_Char**) {
    if (name == "si") strings.emplace_back();
    if (name == "rPh") ++in_phonetic;
    if (name == "t") in_t = true;
  };
  h.end = [&](std::string_view name) {
    if (name == "rPh") --in_phonetic;
    if (name == "t") in_t = false;
  };
  h.text = [&](std::string_view s) {
    if (in_t && in_phonetic == 0 && !strings.empty()) strings.back() += s;
  };
  if (Status s = pkg.parse(part, h); !s.ok()) return s;
  return strings;
}

Status read_sheet(const Package& pkg, const std::string& part,
                  const std::vector<std::string>& strings, const std::vector<NumberStyle>& percent,
                  GridSheet& sheet) {
  int row = -1, next_col = 0;
  bool too_big = false;
  std::string broken;  // the first cell that cannot be read, and why
  // The cell being read.
  struct Current {
    bool open = false;
    int row = 0, col = 0;
    std::string type;
    int style = 0;
    bool has_formula = false;
    bool has_value = false;
    std::string value;
    std::string formula;
    std::string inline_text;
  } cur;
  enum class In { kNone, kValue, kFormula, kInline } in = In::kNone;
  Handlers h;
  h.start = [&](std::string_view name, const XML_Char** atts) {
    if (name == "row") {
      const char* r = attr(atts, "r");
      row = r ? std::atoi(r) - 1 : row + 1;
      next_col = 0;
    } else if (name == "c") {
      cur = Current{};
      cur.open = true;
      cur.row = row < 0 ? 0 : row;
      cur.col = next_col;
      if (const char* r = attr(atts, "r")) {
        int rr = 0, cc = 0;
        if (parse_ref(r, rr, cc)) {
          cur.row = rr;
          cur.col = cc;
        } else if (broken.empty()) {
          broken = fmt::format("单元格位置“{}”读不懂", r);
        }
      }
      next_col = cur.col + 1;
      if (const char* t = attr(atts, "t")) cur.type = t;
      if (const char* s = attr(atts, "s")) cur.style = std::atoi(s);
    } else if (cur.open && name == "v") {
      in = In::kValue;
      cur.has_value = true;
    } else if (cur.open && name == "f") {
      in = In::kFormula;
      cur.has_formula = true;
    } else if (cur.open && name == "t") {
      in = In::kInline;
    } else if (name == "mergeCell") {
      const char* ref = attr(atts, "ref");
      if (!ref) return;
      const std::string_view s(ref);
      const size_t colon = s.find(':');
      if (colon == std::string_view::npos) return;
      GridRange m;
      if (parse_ref(s.substr(0, colon), m.first_row, m.first_col) &&
          parse_ref(s.substr(colon + 1), m.last_row, m.last_col) && m.last_row >= m.first_row &&
          m.last_col >= m.first_col) {
        if (sheet.merges().size() >= kMaxMerges || m.last_row >= kMaxRows ||
            m.last_col >= kMaxCols || !sheet.add_merge(m)) {
          too_big = true;
          h.stop = true;
          return;
        }
      }
    }
  };
  h.text = [&](std::string_view s) {
    switch (in) {
      case In::kValue:
        cur.value += s;
        break;
      case In::kFormula:
        cur.formula += s;
        break;
      case In::kInline:
        cur.inline_text += s;
        break;
      case In::kNone:
        break;
    }
  };
  h.end = [&](std::string_view name) {
    if (name == "v" || name == "f" || name == "t") {
      in = In::kNone;
      return;
    }
    if (name != "c" || !cur.open) return;
    cur.open = false;
    if (cur.row >= kMaxRows || cur.col >= kMaxCols || sheet.cells.size() >= kMaxCells) {
      too_big = true;
      h.stop = true;
      return;
    }
    GridCell cell;
    if (cur.has_formula) cell.formula = "=" + cur.formula;
    const bool valued = cur.has_value && !cur.value.empty();
    if (cur.type == "s") {
      if (!valued) return;
      char* end = nullptr;
      const long i = std::strtol(cur.value.c_str(), &end, 10);
      if (*end != '\0' || i < 0 || static_cast<size_t>(i) >= strings.size()) {
        if (broken.empty())
          broken = fmt::format("{} 指向不存在的文字（共享字符串 {}）",
                               cell_address(cur.row, cur.col), cur.value);
        return;
      }
      cell.text = strings[static_cast<size_t>(i)];
    } else if (cur.type == "inlineStr") {
      cell.text = cur.inline_text;
    } else if (cur.type == "str" || cur.type == "e" || cur.type == "d") {
      if (!valued && cur.has_formula) {
        cell.kind = GridCell::Kind::kUncomputed;
      } else {
        cell.text = cur.value;
      }
    } else if (cur.type == "b") {
      cell.text = cur.value == "1" ? "TRUE" : "FALSE";
    } else {  // a number
      if (!valued) {
        if (!cur.has_formula) return;  // a styled empty cell
        cell.kind = GridCell::Kind::kUncomputed;
      } else {
        cell.kind = GridCell::Kind::kNumber;
        cell.text = spreadsheet_number_text(trim(cur.value));
        if (cur.style >= 0 && static_cast<size_t>(cur.style) < percent.size()) {
          const NumberStyle& st = percent[static_cast<size_t>(cur.style)];
          cell.percent = st.percent;
          cell.decimals = st.decimals;
          if (st.date) {  // shown as a date: the date, as text
            cell.kind = GridCell::Kind::kText;
            cell.text = date_text(cell.text);
          }
        }
      }
    }
    if (cell.kind == GridCell::Kind::kText && trim(cell.text).empty()) return;
    sheet.put(cur.row, cur.col, std::move(cell));
  };
  if (Status s = pkg.parse(part, h); !s.ok()) return s;
  if (too_big) {
    return Status::InvalidArgument(fmt::format(
        "{}：工作表“{}”超出可导入的范围（最多 {} 行、{} 列、{} 个单元格、{} 处合并单元格）",
        pkg.source(), sheet.name, kMaxRows, kMaxCols, kMaxCells, kMaxMerges));
  }
  if (!broken.empty()) {
    return Status::InvalidArgument(
        fmt::format("{}：工作表“{}”已损坏：{}", pkg.source(), sheet.name, broken));
  }
  return Status::Ok();
}

}  // namespace

Result<Grid> read_xlsx(const fs::path& path) {
  auto pkg = Package::open(path);
  if (!pkg.ok()) return pkg.status();
  // The workbook part: where the package's own relationships say, else the usual place.
  std::string workbook = "xl/workbook.xml";
  if (pkg->has("_rels/.rels")) {
    auto root = read_rels(*pkg, "");
    if (!root.ok()) return root.status();
    for (const auto& [id, rel] : *root) {
      if (rel.type == "officeDocument") workbook = rel.part;
    }
  }
  struct SheetRef {
    std::string name, rel;
    bool hidden = false;
  };
  std::vector<SheetRef> refs;
  {
    Handlers h;
    h.start = [&](std::string_view name, const XML_Char** atts) {
      if (name != "sheet") return;
      const char* n = attr(atts, "name");
      const char* id = attr(atts, "id");  // r:id
      const char* state = attr(atts, "state");
      if (n && id) refs.push_back({n, id, state && std::string_view(state) != "visible"});
    };
    if (Status s = pkg->parse(workbook, h); !s.ok()) {
      return Status::InvalidArgument(
          fmt::format("{}：不是能读取的 Excel 工作簿：{}", path.string(), s.message()));
    }
  }
  auto rels = read_rels(*pkg, workbook);
  if (!rels.ok()) return rels.status();
  std::vector<std::string> strings;
  std::vector<NumberStyle> percent;
  for (const auto& [id, rel] : *rels) {
    if (rel.type == "sharedStrings") {
      auto s = read_shared_strings(*pkg, rel.part);
      if (!s.ok()) return s.status();
      strings = std::move(*s);
    } else if (rel.type == "styles") {
      auto p = read_styles(*pkg, rel.part);
      if (!p.ok()) return p.status();
      percent = std::move(*p);
    }
  }
  Grid grid;
  grid.source = path.string();
  std::set<std::string> parts;
  size_t cells = 0;
  for (const auto& ref : refs) {
    auto it = rels->find(ref.rel);
    if (it == rels->end() || it->second.type != "worksheet") continue;  // a chart sheet
    if (!parts.insert(it->second.part).second) {
      return Status::InvalidArgument(fmt::format(
          "{}：工作表“{}”与另一个工作表是同一份数据，工作簿已损坏", path.string(), ref.name));
    }
    GridSheet sheet;
    sheet.name = ref.name;
    sheet.hidden = ref.hidden;
    if (Status s = read_sheet(*pkg, it->second.part, strings, percent, sheet); !s.ok()) return s;
    cells += sheet.cells.size();
    if (cells > kMaxCells) {
      return Status::InvalidArgument(
          fmt::format("{}：工作簿超过 {} 个单元格，不像是报表", path.string(), kMaxCells));
    }
    grid.sheets.push_back(std::move(sheet));
  }
  return grid;
}

}  // namespace budgetsync::client
