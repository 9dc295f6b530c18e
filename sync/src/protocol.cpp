#include "sync/protocol.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "shared/text.h"

namespace budgetsync::sync {
namespace {

using nlohmann::json;

// What decode() refuses a frame with: the status code (frame_error_code()
// names it on the wire) and what was wrong.
struct DecodeError {
  StatusCode code;
  std::string message;
};

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw DecodeError{StatusCode::kInvalidArgument, fmt::format("{}：{}", path, what)};
}

const json& field(const json& o, const char* key, const std::string& path) {
  if (!o.is_object()) bad(path, "必须是对象");
  auto it = o.find(key);
  if (it == o.end()) bad(path + "." + key, "缺少这个必填字段");
  return *it;
}

// The JSON parser checks that strings are UTF-8; CBOR's text strings are not
// checked, and a string that is not UTF-8 could be stored but never sent as JSON.
const std::string& utf8(const json& v, const std::string& path) {
  const std::string& s = v.get_ref<const std::string&>();
  if (!is_valid_utf8(s)) bad(path, "必须是 UTF-8 文本");
  return s;
}

std::string str(const json& o, const char* key, const std::string& path) {
  const json& v = field(o, key, path);
  if (!v.is_string()) bad(path + "." + key, "必须是字符串");
  return utf8(v, path + "." + key);
}

std::optional<std::string> opt_str(const json& o, const char* key, const std::string& path) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) bad(path + "." + key, "必须是字符串或 null");
  return utf8(*it, path + "." + key);
}

int64_t integer(const json& o, const char* key, const std::string& path) {
  const json& v = field(o, key, path);
  if (!v.is_number_integer()) bad(path + "." + key, "必须是整数");
  return v.get<int64_t>();
}

bool boolean(const json& o, const char* key, const std::string& path) {
  const json& v = field(o, key, path);
  if (!v.is_boolean()) bad(path + "." + key, "必须是 true 或 false");
  return v.get<bool>();
}

json to_json(const Hlc& h) {
  return h.to_string();
}

Hlc hlc_at(const json& o, const char* key, const std::string& path) {
  auto h = Hlc::parse(str(o, key, path));
  if (!h.ok()) bad(path + "." + key, h.status().message());
  return *h;
}

json to_json(const OpId& id) {
  return id.to_string();
}

OpId op_id_at(const json& o, const char* key, const std::string& path) {
  auto id = OpId::parse(str(o, key, path));
  if (!id.ok()) bad(path + "." + key, id.status().message());
  return *id;
}

json to_json(const Operation& op) {
  json j{{"id", to_json(op.id)},
         {"hlc", to_json(op.hlc)},
         {"author", op.author},
         {"kind", std::string(op_kind_name(op.kind))},
         {"report", op.report.to_string()},
         {"row", op.row},
         {"column", op.column},
         {"value", op.value ? json(*op.value) : json(nullptr)},
         {"base", op.base_version}};
  if (!op.section.empty()) j["section"] = op.section;
  if (!op.sort_key.empty()) j["sort_key"] = op.sort_key;
  return j;
}

Operation operation_at(const json& j, const std::string& path) {
  Operation op;
  op.id = op_id_at(j, "id", path);
  op.hlc = hlc_at(j, "hlc", path);
  op.author = str(j, "author", path);
  auto kind = parse_op_kind(str(j, "kind", path));
  if (!kind.ok()) bad(path + ".kind", kind.status().message());
  op.kind = *kind;
  auto key = ReportKey::parse(str(j, "report", path));
  if (!key.ok()) bad(path + ".report", key.status().message());
  op.report = *key;
  op.row = str(j, "row", path);
  op.column = str(j, "column", path);
  op.value = opt_str(j, "value", path);
  op.base_version = integer(j, "base", path);
  op.section = opt_str(j, "section", path).value_or("");
  op.sort_key = opt_str(j, "sort_key", path).value_or("");
  if (op.kind == OpKind::kSetCell && (op.row.empty() || op.column.empty())) {
    bad(path, "填写单元格的操作必须给出行和栏");
  }
  if (op.base_version < 0) bad(path + ".base", "不能是负数");
  return op;
}

json to_json(const Contender& c) {
  return {{"op", to_json(c.op)},
          {"author", c.author},
          {"hlc", to_json(c.hlc)},
          {"value", c.value ? json(*c.value) : json(nullptr)},
          {"base", c.base_version}};
}

Contender contender_at(const json& j, const std::string& path) {
  return {op_id_at(j, "op", path), str(j, "author", path), hlc_at(j, "hlc", path),
          opt_str(j, "value", path), integer(j, "base", path)};
}

json to_json(const ServerCell& c) {
  json conflict = json::array();
  for (const auto& k : c.conflict) conflict.push_back(to_json(k));
  return {{"value", c.value ? json(*c.value) : json(nullptr)},
          {"version", c.version},
          {"hlc", to_json(c.hlc)},
          {"writer", c.writer.counter ? to_json(c.writer) : json(nullptr)},
          {"author", c.author},
          {"writer_base", c.writer_base},
          {"conflict", conflict}};
}

ServerCell cell_at(const json& j, const std::string& path) {
  ServerCell c;
  c.value = opt_str(j, "value", path);
  c.version = integer(j, "version", path);
  c.hlc = hlc_at(j, "hlc", path);
  if (!field(j, "writer", path).is_null()) c.writer = op_id_at(j, "writer", path);
  c.author = str(j, "author", path);
  c.writer_base = integer(j, "writer_base", path);
  const json& conflict = field(j, "conflict", path);
  if (!conflict.is_array()) bad(path + ".conflict", "必须是数组");
  for (size_t i = 0; i < conflict.size(); ++i) {
    c.conflict.push_back(contender_at(conflict[i], fmt::format("{}.conflict[{}]", path, i)));
  }
  return c;
}

// Nearly every entry's cell was written by the entry's own operation and has
// no conflict: everything but its version then repeats the operation, and is
// left out (a pull of a big log is mostly such entries).
bool cell_repeats_op(const ServerCell& c, const Operation& op) {
  return c.conflict.empty() && c.writer == op.id && c.value == op.value && c.hlc == op.hlc &&
         c.author == op.author && c.writer_base == op.base_version;
}

json to_json(const LogEntry& e) {
  json j{{"seq", e.seq}, {"op", to_json(e.op)}, {"outcome", std::string(outcome_name(e.outcome))}};
  if (e.outcome == Outcome::kRejected) j["code"] = std::string(reject_code_name(e.code));
  if (!e.reason.empty()) j["reason"] = e.reason;
  if (e.op.kind == OpKind::kSetCell && e.outcome != Outcome::kRejected) {
    j["cell"] = cell_repeats_op(e.cell, e.op) ? json{{"version", e.cell.version}} : to_json(e.cell);
  }
  if (e.row_deleted) j["row_deleted"] = true;
  if (e.server_ms != 0) j["at"] = e.server_ms;
  return j;
}

LogEntry entry_at(const json& j, const std::string& path) {
  LogEntry e;
  e.seq = integer(j, "seq", path);
  e.op = operation_at(field(j, "op", path), path + ".op");
  const std::string outcome = str(j, "outcome", path);
  if (outcome == "applied") {
    e.outcome = Outcome::kApplied;
  } else if (outcome == "conflict") {
    e.outcome = Outcome::kConflict;
  } else if (outcome == "rejected") {
    e.outcome = Outcome::kRejected;
  } else {
    bad(path + ".outcome", fmt::format("不认识的处理结果“{}”", outcome));
  }
  e.reason = opt_str(j, "reason", path).value_or("");
  e.code = parse_reject_code(opt_str(j, "code", path).value_or(""));
  if (j.contains("cell")) {
    const json& cell = j["cell"];
    if (cell.is_object() && cell.size() == 1 && cell.contains("version")) {
      e.cell.version = integer(cell, "version", path + ".cell");
      e.cell.value = e.op.value;
      e.cell.hlc = e.op.hlc;
      e.cell.writer = e.op.id;
      e.cell.author = e.op.author;
      e.cell.writer_base = e.op.base_version;
    } else {
      e.cell = cell_at(cell, path + ".cell");
    }
  }
  if (j.contains("row_deleted")) e.row_deleted = boolean(j, "row_deleted", path);
  if (j.contains("at")) e.server_ms = integer(j, "at", path);
  return e;
}

template <typename T>
json entries_json(const std::vector<T>& v) {
  json a = json::array();
  for (const auto& x : v) a.push_back(to_json(x));
  return a;
}

struct Encoder {
  json operator()(const Hello& m) const {
    return {{"type", "hello"},        {"device", m.device}, {"cursor", m.cursor},
            {"store_id", m.store_id}, {"epoch", m.epoch},   {"scope", m.scope}};
  }
  json operator()(const Welcome& m) const {
    return {{"type", "welcome"},      {"store_id", m.store_id},         {"epoch", m.epoch},
            {"last_seq", m.last_seq}, {"cursor_valid", m.cursor_valid}, {"scope", m.scope}};
  }
  json operator()(const Push& m) const {
    return {{"type", "push"}, {"batch_id", m.batch_id}, {"ops", entries_json(m.ops)}};
  }
  json operator()(const PushResult& m) const {
    return {
        {"type", "push_result"}, {"batch_id", m.batch_id}, {"results", entries_json(m.results)}};
  }
  json operator()(const Pull& m) const {
    return {{"type", "pull"}, {"cursor", m.cursor}, {"limit", m.limit}};
  }
  json operator()(const PullResult& m) const {
    return {{"type", "pull_result"},
            {"entries", entries_json(m.entries)},
            {"cursor", m.cursor},
            {"more", m.more}};
  }
  json operator()(const Notify& m) const {
    json j{{"type", "notify"}, {"last_seq", m.last_seq}};
    if (m.from) {
      j["from"] = *m.from;
      j["entries"] = entries_json(m.entries);
    }
    return j;
  }
  json operator()(const ErrorMessage& m) const {
    return {{"type", "error"}, {"code", m.code}, {"message", m.message}, {"fatal", m.fatal}};
  }
};

const json& array_at(const json& o, const char* key, const std::string& path, size_t max,
                     const char* what) {
  const json& a = field(o, key, path);
  if (!a.is_array()) bad(path + "." + key, "必须是数组");
  if (a.size() > max) {
    throw DecodeError{StatusCode::kOutOfRange,
                      fmt::format("{}.{}：{} {}，超过了上限 {}", path, key, a.size(), what, max)};
  }
  return a;
}

Message decode_json(const json& j, const Limits& limits) {
  if (!j.is_object()) bad("message", "必须是 JSON 对象");
  const int64_t v = integer(j, "v", "message");
  if (v != kProtocolVersion) {
    throw DecodeError{StatusCode::kFailedPrecondition,
                      fmt::format("不支持协议版本 {}（本方使用的版本是 {}）", v, kProtocolVersion)};
  }
  const std::string type = str(j, "type", "message");
  const std::string p = type;
  if (type == "hello")
    return Hello{str(j, "device", p), integer(j, "cursor", p), str(j, "store_id", p),
                 integer(j, "epoch", p), opt_str(j, "scope", p).value_or("")};
  if (type == "welcome") {
    return Welcome{str(j, "store_id", p), integer(j, "epoch", p), integer(j, "last_seq", p),
                   boolean(j, "cursor_valid", p), opt_str(j, "scope", p).value_or("")};
  }
  if (type == "push") {
    Push m{str(j, "batch_id", p), {}};
    const json& ops = array_at(j, "ops", p, limits.max_batch_ops, "个操作");
    for (size_t i = 0; i < ops.size(); ++i)
      m.ops.push_back(operation_at(ops[i], fmt::format("push.ops[{}]", i)));
    return m;
  }
  if (type == "push_result") {
    PushResult m{str(j, "batch_id", p), {}};
    const json& r = array_at(j, "results", p, limits.max_batch_ops, "条结果");
    for (size_t i = 0; i < r.size(); ++i)
      m.results.push_back(entry_at(r[i], fmt::format("push_result.results[{}]", i)));
    return m;
  }
  if (type == "pull") {
    const int64_t limit = integer(j, "limit", p);
    if (limit < 1 || static_cast<size_t>(limit) > limits.max_pull_entries) {
      throw DecodeError{StatusCode::kOutOfRange, fmt::format("pull.limit：{} 不在 1..{} 范围内",
                                                             limit, limits.max_pull_entries)};
    }
    return Pull{integer(j, "cursor", p), static_cast<size_t>(limit)};
  }
  if (type == "pull_result") {
    PullResult m;
    const json& e = array_at(j, "entries", p, limits.max_pull_entries, "条记录");
    for (size_t i = 0; i < e.size(); ++i)
      m.entries.push_back(entry_at(e[i], fmt::format("pull_result.entries[{}]", i)));
    m.cursor = integer(j, "cursor", p);
    m.more = boolean(j, "more", p);
    return m;
  }
  if (type == "notify") {
    Notify m{integer(j, "last_seq", p), std::nullopt, {}};
    if (j.contains("from")) {
      m.from = integer(j, "from", p);
      const json& e = array_at(j, "entries", p, limits.max_pull_entries, "条记录");
      for (size_t i = 0; i < e.size(); ++i)
        m.entries.push_back(entry_at(e[i], fmt::format("notify.entries[{}]", i)));
    }
    return m;
  }
  if (type == "error")
    return ErrorMessage{str(j, "code", p), str(j, "message", p), boolean(j, "fatal", p)};
  throw DecodeError{StatusCode::kInvalidArgument,
                    fmt::format("message.type：不认识的消息类型“{}”", type)};
}

}  // namespace

std::string_view message_type(const Message& m) {
  static constexpr std::string_view kNames[] = {"hello", "welcome",     "push",   "push_result",
                                                "pull",  "pull_result", "notify", "error"};
  return kNames[m.index()];
}

namespace {

template <typename T, typename Read>
Result<T> decode_part(std::string_view text, const char* what, const char* label, Read read) {
  try {
    return read(json::parse(text.begin(), text.end()), std::string(what));
  } catch (const DecodeError& e) {
    return Status::Corruption(fmt::format("保存的{}已损坏：{}", label, e.message));
  } catch (const json::exception&) {
    return Status::Corruption(fmt::format("保存的{}不是有效的 JSON", label));
  }
}

}  // namespace

std::string encode_entry(const LogEntry& e) {
  return to_json(e).dump();
}
Result<LogEntry> decode_entry(std::string_view text) {
  return decode_part<LogEntry>(text, "entry", "日志记录", entry_at);
}
std::string encode_cell(const ServerCell& c) {
  return to_json(c).dump();
}
Result<ServerCell> decode_cell(std::string_view text) {
  return decode_part<ServerCell>(text, "cell", "单元格", cell_at);
}
std::string encode_contender(const Contender& c) {
  return to_json(c).dump();
}
Result<Contender> decode_contender(std::string_view text) {
  return decode_part<Contender>(text, "contender", "竞争值", contender_at);
}

std::string encode(const Message& m, Encoding enc) {
  json j = std::visit(Encoder{}, m);
  j["v"] = kProtocolVersion;
  if (enc == Encoding::kCbor) {
    const std::vector<uint8_t> bytes = json::to_cbor(j);
    return std::string(bytes.begin(), bytes.end());
  }
  return j.dump();
}

namespace {

// Whether a CBOR item's arrays, maps and tags nest more than `max` deep, read
// without recursion: nlohmann's from_cbor recurses once per level, so a frame of
// a million nested arrays would overflow the stack. Malformed bytes answer false
// where they are found: from_cbor refuses them.
bool cbor_nests_deeper_than(std::string_view bytes, size_t max) {
  constexpr uint64_t kIndefinite = UINT64_MAX;
  std::vector<uint64_t> open;  // items still due in each open array, map or tag
  size_t pos = 0;
  // One item complete: count it in the containers it completes; true when it
  // was the top-level item.
  auto item_done = [&] {
    while (!open.empty() && open.back() != kIndefinite && --open.back() == 0) open.pop_back();
    return open.empty();
  };
  while (pos < bytes.size()) {
    const auto initial = static_cast<uint8_t>(bytes[pos++]);
    const int major = initial >> 5;
    const int info = initial & 0x1f;
    if (initial == 0xff) {  // "break": ends an indefinite-length item
      if (open.empty() || open.back() != kIndefinite) return false;
      open.pop_back();
      if (item_done()) return false;
      continue;
    }
    uint64_t arg = 0;
    if (info < 24) {
      arg = static_cast<uint64_t>(info);
    } else if (info <= 27) {
      const size_t n = size_t{1} << (info - 24);
      if (bytes.size() - pos < n) return false;
      for (size_t i = 0; i < n; ++i) arg = arg << 8 | static_cast<uint8_t>(bytes[pos++]);
    } else if (info == 31 && major >= 2 && major <= 5) {
      arg = kIndefinite;
    } else if (major != 7) {
      return false;
    }
    if (major == 2 || major == 3) {  // byte and text strings
      if (arg == kIndefinite) {
        open.push_back(kIndefinite);  // chunks until a break
        continue;
      }
      if (arg > bytes.size() - pos) return false;
      pos += static_cast<size_t>(arg);
      if (item_done()) return false;
    } else if (major == 4 || major == 5 || major == 6) {           // arrays, maps, tags
      if (arg != kIndefinite && arg > bytes.size()) return false;  // more items than bytes
      const uint64_t due = major == 6 ? 1 : major == 5 && arg != kIndefinite ? 2 * arg : arg;
      if (due == 0) {
        if (item_done()) return false;
        continue;
      }
      open.push_back(due);
      if (open.size() > max) return true;
    } else if (item_done()) {  // integers, simple values, floats
      return false;
    }
  }
  return false;
}

}  // namespace

Result<Message> decode(std::string_view frame, Encoding enc, const Limits& limits) {
  if (frame.size() > limits.max_frame_bytes) {
    return Status::OutOfRange(
        fmt::format("一帧有 {} 字节，超过了上限 {}", frame.size(), limits.max_frame_bytes));
  }
  if (enc == Encoding::kCbor && cbor_nests_deeper_than(frame, limits.max_nesting)) {
    return Status::OutOfRange(
        fmt::format("这一帧中数组和映射的嵌套超过了 {} 层", limits.max_nesting));
  }
  try {
    json j = enc == Encoding::kCbor ? json::from_cbor(frame.begin(), frame.end())
                                    : json::parse(frame.begin(), frame.end());
    return decode_json(j, limits);
  } catch (const DecodeError& e) {
    switch (e.code) {
      case StatusCode::kOutOfRange:
        return Status::OutOfRange(e.message);
      case StatusCode::kFailedPrecondition:
        return Status::FailedPrecondition(e.message);
      default:
        return Status::InvalidArgument(e.message);
    }
  } catch (const json::exception&) {
    return Status::InvalidArgument(
        fmt::format("这一帧不是有效的 {}", enc == Encoding::kCbor ? "CBOR" : "JSON"));
  }
}

std::string_view frame_error_code(const Status& refused) {
  switch (refused.code()) {
    case StatusCode::kOutOfRange:
      return "too_large";
    case StatusCode::kFailedPrecondition:
      return "unsupported_version";
    default:
      return "malformed";
  }
}

}  // namespace budgetsync::sync
