// Numbers in narrative text (情况说明, 自评报告) checked against their own
// arithmetic. Pure functions on one text; the checker turns what they find
// into warnings quoting the sentence.
//
// Rules:
//  - A written sum "30+30+29.99=89.99" (full-width ＋ ＝ and unit words 万元, 元,
//    分, % after the numbers allowed) must hold exactly.
//  - A sentence stating a budget, an outturn and the share completed
//    ("年初预算为2,945.68万元，支出决算为2,945.68万元，完成年初预算的100.00%") must
//    agree at the precision the share is written: share = 决算 ÷ 预算 × 100. A share
//    stated over a budget of 0 has no base and is flagged.
//
// Numbers against the tables: find_mentions() reads the amounts, scores and
// rates written right after a phrase the template names (its "mentions"), and
// the checker compares each with the table cell the phrase stands for.
//  - Spaces are ignored, and so are full-width digits' widths. Between the
//    phrase and the number one joining word may stand: 为, 均为, 是, 共, 共计, ：.
//  - A number counts only with its unit word (万元, 元, 分, %): a year or a
//    count is never compared.
//  - Of the patterns whose phrase the text ends with before a number, the
//    longest phrase wins ("一般公共预算财政拨款基本支出" over "基本支出").
//    A pattern with a context applies only when its context is written earlier
//    in the sentence; a `named` pattern only where the paragraph has named a
//    类/款/项 ("卫生健康支出（类）医疗救助（款）城乡医疗救助（项）") before the
//    number. Among equally long phrases, the one whose context or naming is
//    written later (nearer the number) wins — a naming in an earlier sentence
//    counts as written before this one — then a context over a naming; a plain
//    phrase applies last.
//  - Sentences end at 。, ； and line breaks; a naming holds until the end of
//    its paragraph (the text of one cell).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shared/decimal.h"

namespace budgetsync {

struct NarrativeIssue {
  enum class Kind { kSum, kShare, kShareOfZero };
  Kind kind = Kind::kSum;
  std::string sentence;  // as written, trimmed
  std::string stated;    // the result or share as written ("89.97", "43.32%")
  std::string expected;  // what the arithmetic gives (empty for kShareOfZero)
};

std::vector<NarrativeIssue> check_narrative_numbers(std::string_view text);

struct MentionPattern {
  std::string phrase;   // written just before the number
  std::string context;  // when set: written earlier in the same sentence
  bool named = false;   // stands for the 类/款/项 the paragraph names
};

// The 类, 款 and 项 a paragraph names, nearest before a number ("" where absent).
struct ClassifiedNames {
  std::string class_name;  // "卫生健康支出", "卫生健康"
  std::string kuan;
  std::string xiang;
  bool empty() const { return class_name.empty(); }
};

struct MentionHit {
  size_t pattern = 0;    // index into the patterns given
  std::string sentence;  // as written, trimmed
  std::string stated;    // the number as written with its unit word ("1,200.00万元")
  Decimal value;
  std::string unit;       // "万元", "元", "分" or "%"
  std::string before;     // the sentence before the phrase, spaces removed
  ClassifiedNames names;  // for a named pattern
};

// Sentences longer than kMaxMentionSentence bytes are skipped, and at most
// kMaxMentionHits hits are returned per paragraph.
inline constexpr size_t kMaxMentionSentence = 2048;
inline constexpr size_t kMaxMentionHits = 512;
std::vector<MentionHit> find_mentions(std::string_view paragraph,
                                      const std::vector<MentionPattern>& patterns);

}  // namespace budgetsync
