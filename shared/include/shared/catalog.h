// Catalog: the form templates and code lists a program knows, by id and year.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "shared/code_list.h"
#include "shared/form_template.h"
#include "shared/status.h"

namespace budgetsync {

class Catalog {
 public:
  // Adds a template; a second template with the same id and version is refused.
  Status add_form(FormTemplate t);
  Status add_code_list(CodeList list);
  // A list a user loaded (budgetsync codes import) takes the place of the
  // shipped one of the same id and year.
  void replace_code_list(CodeList list);

  // The template `id` at `version`, or its newest version when version is 0.
  const FormTemplate* form(std::string_view id, int version = 0) const;
  // The version of template `id` a report of `year` is made with: of the versions
  // whose from_year is not after `year`, the one with the latest from_year, then
  // the highest version; when every version starts after `year`, the earliest
  // layout there is (its highest version). Null when there is no template `id`.
  const FormTemplate* form_for_year(std::string_view id, int year) const;
  // A report's template: `version` when it is not 0, else the one for `year`.
  const FormTemplate* form(std::string_view id, int version, int year) const {
    return version != 0 ? form(id, version) : form_for_year(id, year);
  }
  // The list `id` for `year`: the newest list of that id whose year is not after
  // `year`, else the oldest one there is. Null when there is no list of that id.
  const CodeList* code_list(std::string_view id, int year) const;

  // Every form (newest versions), by family (预算, 决算, 绩效, 基础数据, 审核, 文字,
  // then others), then order, then id.
  std::vector<const FormTemplate*> forms() const;

  // Cross-checks after loading, every version of every form: every cross-table
  // reference names a known form, row and column (of its newest version); every
  // section's code_list exists. Errors name the template file and the rule.
  Status check() const;

 private:
  std::map<std::string, std::map<int, FormTemplate>, std::less<>> forms_;
  std::map<std::string, std::map<int, CodeList>, std::less<>> code_lists_;
};

}  // namespace budgetsync
