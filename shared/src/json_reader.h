// Internal: reading JSON files with errors that name the field that was wrong.
// JsonError is thrown inside a loader and turned into a Status at its boundary.
#pragma once

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "shared/decimal.h"
#include "shared/status.h"

namespace budgetsync::detail {

struct JsonError : std::runtime_error {
  JsonError(std::string path, std::string msg) : std::runtime_error(msg), path(std::move(path)) {}
  std::string path;
};

inline std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
inline std::string child(const std::string& path, size_t index) {
  return fmt::format("{}[{}]", path, index);
}

inline const nlohmann::json& require(const nlohmann::json& obj, std::string_view key,
                                     const std::string& path) {
  if (!obj.is_object()) throw JsonError(path, "应是一个对象（{…}）");
  auto it = obj.find(key);
  if (it == obj.end()) throw JsonError(child(path, key), "必填，但没有写");
  return *it;
}

inline std::string get_string(const nlohmann::json& obj, std::string_view key,
                              const std::string& path) {
  const auto& v = require(obj, key, path);
  if (!v.is_string()) throw JsonError(child(path, key), "应是字符串");
  return v.get<std::string>();
}

inline std::string opt_string(const nlohmann::json& obj, std::string_view key,
                              const std::string& path, std::string fallback = {}) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_string()) throw JsonError(child(path, key), "应是字符串");
  return it->get<std::string>();
}

inline int get_int(const nlohmann::json& obj, std::string_view key, const std::string& path) {
  const auto& v = require(obj, key, path);
  if (!v.is_number_integer()) throw JsonError(child(path, key), "应是整数");
  return v.get<int>();
}

inline int opt_int(const nlohmann::json& obj, std::string_view key, const std::string& path,
                   int fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_number_integer()) throw JsonError(child(path, key), "应是整数");
  return it->get<int>();
}

inline bool opt_bool(const nlohmann::json& obj, std::string_view key, const std::string& path,
                     bool fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_boolean()) throw JsonError(child(path, key), "应是 true 或 false");
  return it->get<bool>();
}

// Decimals are written as strings in our files ("0.5") so no binary floating
// point ever carries them.
inline Decimal get_decimal(const nlohmann::json& obj, std::string_view key,
                           const std::string& path) {
  const auto& v = require(obj, key, path);
  if (!v.is_string()) {
    throw JsonError(child(path, key), "应是写成字符串的小数，如 \"0.5\"");
  }
  auto d = Decimal::parse(v.get<std::string>());
  if (!d.ok()) throw JsonError(child(path, key), d.status().message());
  return *d;
}

inline const nlohmann::json& get_array(const nlohmann::json& obj, std::string_view key,
                                       const std::string& path) {
  const auto& v = require(obj, key, path);
  if (!v.is_array()) throw JsonError(child(path, key), "应是数组（[…]）");
  return v;
}

inline nlohmann::json parse_json_text(std::string_view text) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann reports a byte offset; turn it into line and column for people.
    size_t line = 1, col = 1;
    const size_t upto = std::min(e.byte == 0 ? 0 : e.byte - 1, text.size());
    for (size_t i = 0; i < upto; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw JsonError(fmt::format("第 {} 行第 {} 列", line, col), "不是有效的 JSON");
  } catch (const nlohmann::json::out_of_range& e) {
    // A number no double holds ("1e999") is out_of_range, not a parse_error;
    // nlohmann's message ends with the number in quotes.
    const std::string what = e.what();
    const size_t open = what.find('\'');
    const std::string number =
        open == std::string::npos ? "" : " " + what.substr(open, what.size() - open);
    throw JsonError("数字" + number, "超出了可表示的范围");
  }
}

inline void expect_format(const nlohmann::json& doc, std::string_view expected) {
  const std::string fmt_name = get_string(doc, "format", "");
  if (fmt_name != expected) {
    throw JsonError("format", fmt::format("是“{}”，应为“{}”", fmt_name, expected));
  }
}

inline Status to_status(std::string_view source, const JsonError& e) {
  if (e.path.empty()) return Status::InvalidArgument(fmt::format("{}：{}", source, e.what()));
  return Status::InvalidArgument(fmt::format("{}：{}：{}", source, e.path, e.what()));
}

}  // namespace budgetsync::detail
