"""Writes a 公开02表 as another program would: title and 年度 lines, code and
name columns, and one cell chosen by the test (argv[2]: "text" puts 十五 in
D14, "formula" puts a formula whose value is not kept there, "good" leaves the
amount), plus a 说明 sheet that is no table."""
import sys

import openpyxl

wb = openpyxl.Workbook()
ws = wb.active
ws.title = "公开02表"
ws["A1"] = "收入决算表"
ws["A2"] = "编制单位：内乡县医疗保障局"
ws["D2"] = "2024年度"
ws["F2"] = "金额单位：万元"
heads = ["科目编码", "科目名称", "本年收入合计", "财政拨款收入", "上级补助收入", "事业收入"]
for i, h in enumerate(heads):
    ws.cell(row=4, column=i + 1, value=h)
for i in range(6):
    ws.cell(row=5, column=i + 1, value="栏次" if i == 0 else (None if i == 1 else str(i - 1)))
rows = [("合计", None, 2945.68, 2945.68)]
rows += [("210", "卫生健康支出", 2945.68, 2945.68)]
rows += [("21015", "医疗保障管理事务", 2945.68, 2945.68)]
for i in range(8):
    rows.append((f"21015{i + 1:02d}", f"项目{i + 1}", 10, 10))
for r, (code, name, total, fiscal) in enumerate(rows, start=6):
    ws.cell(row=r, column=1, value=code)
    if name:
        ws.cell(row=r, column=2, value=name)
    ws.cell(row=r, column=3, value=total)
    ws.cell(row=r, column=4, value=fiscal)
mode = sys.argv[2]
if mode == "text":
    ws["D14"] = "十五"
elif mode == "formula":
    ws["D14"] = "=C14*1"
notes = wb.create_sheet("说明")
notes["A1"] = "本表由财务室填报。"
wb.save(sys.argv[1])
