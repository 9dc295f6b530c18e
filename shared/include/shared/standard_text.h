// A scoring standard as printed (评分标准, seed 001: "预算调整率=0，计3分；0-10%(含)，
// 计2分；20%-30%(含)，计1分；大于30%不得分") checked as a rule definition. Pure.
//
// Rules:
//  - The best score the text names ("计5分", "得15分") is the indicator's 分值; a
//    text naming another ("完成任务100%得5分" on an indicator weighted 10) is an issue.
//  - Bands the text sets out ("A-B", "≥A", "A(含)以上", "低于A", "大于A", "=A") must
//    cover the scale without a gap or an overlap between neighbours (0; 0–10%;
//    20%–30%; >30% leaves 10%–20% scoring nothing). Texts with fewer than two bands,
//    or without a range "A-B", are not read as band tables.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/decimal.h"

namespace budgetsync {

struct StandardTextIssue {
  enum class Kind { kFullMarks, kGap, kOverlap };
  Kind kind = Kind::kFullMarks;
  std::string named;     // kFullMarks: the score the text names ("5")
  std::string from, to;  // kGap / kOverlap: the interval ("10", "20"), % when written
};

std::vector<StandardTextIssue> check_standard_text(std::string_view text, const Decimal& weight);

}  // namespace budgetsync
