// CellValue: what one cell of a form holds once its text is read by the cell's
// column type. Blank (no value) and not-applicable ("—", "-") are distinct from
// zero.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "shared/decimal.h"
#include "shared/money.h"
#include "shared/status.h"

namespace budgetsync {

// How a column's cells are read. Amounts are money in the form's unit; rates are
// percentages ("96.19%"); scores and numbers are plain decimals; target and
// measure cells keep their text for the scoring engine ("≥95%", "1430平方米").
enum class ColumnType { kAmount, kRate, kScore, kNumber, kText, kTarget, kMeasure };

std::string_view column_type_name(ColumnType t);
Result<ColumnType> parse_column_type(std::string_view name);

class CellValue {
 public:
  enum class Kind { kBlank, kNotApplicable, kMoney, kDecimal, kText };

  static CellValue blank() { return CellValue(Kind::kBlank); }
  static CellValue not_applicable() { return CellValue(Kind::kNotApplicable); }
  static CellValue money(Money m) {
    CellValue v(Kind::kMoney);
    v.money_ = m;
    return v;
  }
  static CellValue decimal(Decimal d) {
    CellValue v(Kind::kDecimal);
    v.decimal_ = d;
    return v;
  }
  static CellValue text(std::string t) {
    CellValue v(Kind::kText);
    v.text_ = std::move(t);
    return v;
  }

  Kind kind() const { return kind_; }
  bool is_blank() const { return kind_ == Kind::kBlank; }
  bool is_not_applicable() const { return kind_ == Kind::kNotApplicable; }
  // The value as a number for arithmetic: money in `unit`, rates in percent
  // points, scores and numbers as they are. Empty for blank, n/a and text.
  std::optional<Decimal> number(MoneyUnit unit) const;
  const Money& as_money() const { return money_; }
  const Decimal& as_decimal() const { return decimal_; }
  const std::string& as_text() const { return text_; }

 private:
  explicit CellValue(Kind k) : kind_(k) {}
  Kind kind_;
  Money money_;
  Decimal decimal_;
  std::string text_;
};

// Reads `text` as a value of type `type`. Amounts are in `unit` unless the text
// names its own. Blank text (after trimming) is blank; "—", "-", "——" and "/" are
// not applicable. A rate is a number with an optional trailing "%" ("100.0 %"
// is accepted, as the seeds print it); the value kept is in percent points.
// Malformed text gives InvalidArgument quoting the text.
Result<CellValue> parse_cell(std::string_view text, ColumnType type, MoneyUnit unit);

}  // namespace budgetsync
