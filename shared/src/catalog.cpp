#include "shared/catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <tuple>

namespace budgetsync {

Status Catalog::add_form(FormTemplate t) {
  auto& versions = forms_[t.id];
  if (versions.count(t.version)) {
    return Status::InvalidArgument(fmt::format("{}：表“{}”第 {} 版已在 {} 中定义", t.source, t.id,
                                               t.version, versions.at(t.version).source));
  }
  const int v = t.version;
  versions.emplace(v, std::move(t));
  return Status::Ok();
}

Status Catalog::add_code_list(CodeList list) {
  auto& years = code_lists_[list.id()];
  if (years.count(list.year())) {
    return Status::InvalidArgument(
        fmt::format("{1} 年的科目表“{0}”定义了两次", list.id(), list.year()));
  }
  const int y = list.year();
  years.emplace(y, std::move(list));
  return Status::Ok();
}

void Catalog::replace_code_list(CodeList list) {
  auto& years = code_lists_[list.id()];
  const int y = list.year();
  years.insert_or_assign(y, std::move(list));
}

const FormTemplate* Catalog::form(std::string_view id, int version) const {
  auto it = forms_.find(id);
  if (it == forms_.end() || it->second.empty()) return nullptr;
  if (version == 0) return &it->second.rbegin()->second;
  auto v = it->second.find(version);
  return v == it->second.end() ? nullptr : &v->second;
}

const FormTemplate* Catalog::form_for_year(std::string_view id, int year) const {
  auto it = forms_.find(id);
  if (it == forms_.end() || it->second.empty()) return nullptr;
  const FormTemplate* best = nullptr;      // latest from_year <= year, then highest version
  const FormTemplate* earliest = nullptr;  // when every version starts later
  for (const auto& [v, t] : it->second) {
    if (t.from_year <= year) {
      if (!best || t.from_year >= best->from_year) best = &t;
    } else if (!earliest || t.from_year <= earliest->from_year) {
      earliest = &t;
    }
  }
  return best ? best : earliest;
}

const CodeList* Catalog::code_list(std::string_view id, int year) const {
  auto it = code_lists_.find(id);
  if (it == code_lists_.end() || it->second.empty()) return nullptr;
  auto after = it->second.upper_bound(year);
  if (after == it->second.begin()) return &after->second;  // all later: the oldest
  return &std::prev(after)->second;
}

namespace {

// Families in the order a unit's table set is printed; unknown ones go last.
int family_rank(const std::string& family) {
  static const std::array<std::string_view, 6> kOrder{"预算",     "决算", "绩效",
                                                      "基础数据", "审核", "文字"};
  for (size_t i = 0; i < kOrder.size(); ++i) {
    if (kOrder[i] == family) return static_cast<int>(i);
  }
  return static_cast<int>(kOrder.size());
}

}  // namespace

std::vector<const FormTemplate*> Catalog::forms() const {
  std::vector<const FormTemplate*> out;
  for (const auto& [id, versions] : forms_) out.push_back(&versions.rbegin()->second);
  std::sort(out.begin(), out.end(), [](const FormTemplate* a, const FormTemplate* b) {
    return std::tuple(family_rank(a->family), a->family, a->order, a->id) <
           std::tuple(family_rank(b->family), b->family, b->order, b->id);
  });
  return out;
}

Status Catalog::check() const {
  std::vector<const FormTemplate*> every_version;  // an older layout is checked too
  for (const auto& [id, versions] : forms_) {
    for (const auto& [v, t] : versions) every_version.push_back(&t);
  }
  for (const FormTemplate* t : every_version) {
    for (const auto& s : t->sections) {
      if (!s.code_list.empty() && !code_lists_.count(s.code_list)) {
        return Status::NotFound(
            fmt::format("{}：“{}”部分用的科目表“{}”没有安装", t->source, s.key, s.code_list));
      }
    }
    // A reference to another form names an installed form, row and column.
    auto check_ref = [&](const CellRef& ref, const std::string& where,
                         const std::vector<std::string>& for_columns) -> Status {
      if (ref.form.empty()) return Status::Ok();
      const FormTemplate* other = form(ref.form);
      if (!other) {
        return Status::NotFound(fmt::format("{}：{}：“{}”引用的表“{}”没有安装", t->source, where,
                                            ref.to_string(), ref.form));
      }
      const Section* sec = other->section_for_row(ref.row);
      if (!sec) {
        return Status::NotFound(
            fmt::format("{}：{}：表“{}”没有“{}”这一行", t->source, where, ref.form, ref.row));
      }
      const std::vector<std::string> cols =
          ref.column.empty() ? for_columns : std::vector{ref.column};
      for (const auto& c : cols) {
        if (!sec->column(c)) {
          return Status::NotFound(fmt::format("{}：{}：表“{}”的“{}”部分没有“{}”这一栏", t->source,
                                              where, ref.form, sec->key, c));
        }
      }
      return Status::Ok();
    };
    for (const auto& r : t->rules) {
      std::vector<const CellRef*> refs{&r.target};
      for (const auto& term : r.terms) refs.push_back(&term);
      for (const CellRef* ref : refs) {
        BS_RETURN_IF_ERROR(check_ref(*ref, "规则 " + r.id, r.for_columns));
      }
    }
    for (size_t i = 0; i < t->offsets.size(); ++i) {
      if (!t->offsets[i].amount) continue;
      BS_RETURN_IF_ERROR(check_ref(*t->offsets[i].amount, fmt::format("offsets[{}]", i), {}));
    }
    for (size_t i = 0; i < t->mentions.size(); ++i) {
      const Mention& m = t->mentions[i];
      const std::string where = fmt::format("mentions[{}]", i);
      for (const auto& c : m.cells) BS_RETURN_IF_ERROR(check_ref(c, where, {}));
      if (m.project) BS_RETURN_IF_ERROR(check_ref(*m.project, where, {}));
      if (m.named_row) {
        const FormTemplate* other = form(m.named_row->form);
        const Section* sec = other ? other->section(m.named_row->row) : nullptr;
        if (!sec || sec->code_list.empty() || !sec->column(m.named_row->column)) {
          return Status::NotFound(
              fmt::format("{}：{}：“{}”指的不是按科目编码排列、且有这一栏的部分", t->source, where,
                          m.named_row->to_string()));
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace budgetsync
