// shared/scoring.h: parse_quantity() of targets and measured values ("≥95%",
// "≤200万元"), and score_indicator() of a target against a measured value (the
// input's first line against the rest).
#include <map>

#include "fuzz_check.h"
#include "shared/scoring.h"

using namespace budgetsync;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz_input(data, size);
  (void)parse_quantity(text);
  const size_t nl = text.find('\n');
  const std::string_view target = text.substr(0, nl);
  const std::string_view actual = nl == std::string_view::npos ? "" : text.substr(nl + 1);
  static const std::map<std::string, Decimal> kQualitative = {{"达标", Decimal::from_int(100)},
                                                              {"基本达标", Decimal::from_int(80)}};
  const Decimal weight = Decimal::from_int(10);
  try {
    const IndicatorScore s = score_indicator(target, actual, weight, kQualitative);
    if (s.score) {
      FUZZ_CHECK(!s.score->is_negative(), "a score is never below zero");
      FUZZ_CHECK(*s.score <= weight, "a score is never above the weight");
    }
  } catch (const DecimalOverflow&) {
    // Documented: the checking engine turns this into a finding (check.cpp).
  }
  return 0;
}
