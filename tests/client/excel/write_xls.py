"""Writes a legacy .xls as the 部门决算 software exports it: a sheet named
"Z01 收入支出决算总表(财决01表)", 收入 and 支出 side by side with 行次."""
import sys

import xlwt

wb = xlwt.Workbook(encoding="utf-8")
ws = wb.add_sheet("Z01 收入支出决算总表(财决01表)")
ws.write(0, 0, "收入支出决算总表")
ws.write(1, 0, "单位：内乡县医疗保障局")
ws.write(1, 3, "2024年度")
ws.write(1, 5, "金额单位：万元")
for c, h in enumerate(["项目", "行次", "决算数", "项目", "行次", "决算数"]):
    ws.write(2, c, h)
ws.write(3, 0, "一、一般公共预算财政拨款收入")
ws.write(3, 1, "1")
ws.write(3, 2, 2945.68)
ws.write(3, 3, "九、卫生健康支出")
ws.write(3, 4, "40")
ws.write(3, 5, 2903.86)
ws.write(4, 0, "本年收入合计")
ws.write(4, 1, "27")
ws.write(4, 2, 2945.68)
ws.write(4, 3, "本年支出合计")
ws.write(4, 4, "58")
ws.write(4, 5, 2903.86)
wb.save(sys.argv[1])
