// shared/decimal.h, money.h, cell_value.h: Decimal::parse, Money::parse (元 and
// 万元) and parse_cell for every column type, with the printed forms read back.
#include "fuzz_check.h"
#include "shared/cell_value.h"
#include "shared/decimal.h"
#include "shared/money.h"

using namespace budgetsync;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz_input(data, size);
  if (auto d = Decimal::parse(text); d.ok()) {
    const std::string plain = d->to_string();
    auto back = Decimal::parse(plain);
    FUZZ_CHECK(back.ok() && *back == *d && back->to_string() == plain,
               "a parsed decimal prints as text that parses to it");
    FUZZ_CHECK(d->normalized() == *d, "normalizing keeps the value");
    try {
      for (int places : {0, 2, Decimal::kMaxScale}) {
        auto grouped = Decimal::parse(d->format(places, true));
        FUZZ_CHECK(grouped.ok(), "a grouped print parses");
        FUZZ_CHECK(*grouped == d->rounded(places), "a grouped print is the rounded value");
      }
    } catch (const DecimalOverflow&) {
      // Documented: padding to more places than 128 bits hold signals.
    }
    try {
      (void)(*d + *d);
      (void)(*d - *d);
      (void)(*d * *d);
      if (!d->is_zero()) (void)Decimal::divide(Decimal::from_int(1), *d, 6);
    } catch (const DecimalOverflow&) {
      // Documented: arithmetic past 128 bits signals; callers turn it into a finding.
    }
  }
  for (MoneyUnit unit : {MoneyUnit::kYuan, MoneyUnit::kWanYuan}) {
    if (auto m = Money::parse(text, unit); m.ok()) {
      auto back = Money::parse(m->format(MoneyUnit::kYuan, 2, true), MoneyUnit::kYuan);
      FUZZ_CHECK(back.ok() && *back == *m, "an amount printed in 元 parses to itself");
      (void)m->format(MoneyUnit::kWanYuan, 2, true);
      (void)m->in(unit);
    }
  }
  for (ColumnType type :
       {ColumnType::kAmount, ColumnType::kRate, ColumnType::kScore, ColumnType::kNumber,
        ColumnType::kText, ColumnType::kTarget, ColumnType::kMeasure}) {
    for (MoneyUnit unit : {MoneyUnit::kYuan, MoneyUnit::kWanYuan}) {
      if (auto v = parse_cell(text, type, unit); v.ok()) (void)v->number(unit);
    }
  }
  return 0;
}
