"""Writes a 项目支出绩效自评表 as a clerk keeps it in Excel: merged title and
headings, amounts in 元, a percentage-formatted 执行率, labels numbered 一、,
a blank row among the indicators, 总分 under the indicators' headings, and the
project's name, department and implementer as label | value fields."""
import sys

import openpyxl

wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Sheet1"
ws["A1"] = "项目支出绩效自评表"
ws.merge_cells("A1:I1")
ws["A2"] = "（2025年度）"
ws.merge_cells("A2:I2")
ws["H3"] = "金额单位：元"
ws["A4"] = "项目名称"
ws["B4"] = "乡镇医保经办能力提升培训"
ws.merge_cells("B4:I4")
ws["A5"] = "主管部门"
ws["B5"] = "内乡县医疗保障局"
ws.merge_cells("B5:D5")
ws["E5"] = "实施单位"
ws["F5"] = "内乡县医疗保障事业中心"
ws.merge_cells("F5:I5")
ws["A6"] = "项目资金（元）"
ws.merge_cells("A6:A10")
for col, head in zip("CDEFGH", ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"]):
    ws[f"{col}6"] = head
funds = [
    ("年度资金总额", 1234500, 1234500, 1200000, 10, 0.9721, 9.72),
    ("其中：财政拨款（当年财政拨款）", 1234500, 1234500, 1200000, None, None, None),
    ("上年结转资金", None, None, None, None, None, None),
    ("其他资金", 0, 0, 0, None, None, None),
]
for i, (label, initial, full, spent, weight, rate, score) in enumerate(funds):
    r = 7 + i
    ws[f"B{r}"] = label
    for col, v in zip("CDEFGH", [initial, full, spent, weight, rate, score]):
        if v is not None:
            ws[f"{col}{r}"] = v
            if col in "CDE":
                ws[f"{col}{r}"].number_format = "#,##0.00"
    if rate is not None:
        ws[f"G{r}"].number_format = "0.00%"
ws["A12"] = "年度总体目标"
ws.merge_cells("A12:A13")
ws["B12"] = "预期目标"
ws.merge_cells("B12:E12")
ws["F12"] = "实际完成情况"
ws.merge_cells("F12:I12")
ws["B13"] = "培训乡镇经办人员300人次"
ws.merge_cells("B13:E13")
ws["F13"] = "培训320人次，合格率97%"
ws.merge_cells("F13:I13")
ws["A15"] = "绩效指标"
ws.merge_cells("A15:A20")
for col, head in zip("BCDEFGHI", ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值",
                                  "分值", "得分", "偏差原因分析及改进措施"]):
    ws[f"{col}15"] = head
ws["B16"] = "一、产出指标"
ws.merge_cells("B16:B17")
ws["C16"], ws["D16"], ws["E16"], ws["F16"], ws["G16"], ws["H16"] = (
    "数量指标", "培训人次", "≥300人次", "320人次", 40, 40)
ws["C17"], ws["D17"], ws["E17"], ws["F17"], ws["G17"], ws["H17"] = (
    "质量指标", "培训合格率", "≥95%", 0.97, 30, 30)
ws["F17"].number_format = "0%"
# row 18 left blank, as clerks leave one
ws["B19"], ws["C19"], ws["D19"], ws["E19"], ws["F19"], ws["G19"], ws["H19"] = (
    "二、满意度指标", "服务对象满意度指标", "参训人员满意度", "≥90%", "92%", 20, 19)
ws["I19"] = "个别学员反映课时偏少"
ws["A21"] = "总分"
ws.merge_cells("A21:F21")
ws["G21"] = 100
ws["H21"] = 98.72
wb.save(sys.argv[1])
