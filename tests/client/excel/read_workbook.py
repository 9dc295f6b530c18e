"""Reads a workbook with openpyxl, an independent reader, and prints what a
test asserts on as JSON: every sheet's state, merged ranges, frozen pane, page
setup, print titles, and every cell's value (and, for a formula, the value the
file keeps for it), number format and hyperlink."""
import json
import sys

import openpyxl


def dump(path):
    formulas = openpyxl.load_workbook(path)
    values = openpyxl.load_workbook(path, data_only=True)
    out = {}
    for ws in formulas.worksheets:
        cached = values[ws.title]
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                if c.value is None and c.hyperlink is None:
                    continue
                entry = {"value": c.value, "format": c.number_format}
                if isinstance(c.value, str) and c.data_type == "f":
                    entry["formula"] = c.value
                    entry["value"] = cached[c.coordinate].value
                if c.hyperlink is not None:
                    entry["link"] = c.hyperlink.location or c.hyperlink.target
                cells[c.coordinate] = entry
        out[ws.title] = {
            "state": ws.sheet_state,
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "freeze": ws.freeze_panes,
            "paper": ws.page_setup.paperSize,
            "orientation": ws.page_setup.orientation,
            "fit_to_page": bool(ws.sheet_properties.pageSetUpPr
                                and ws.sheet_properties.pageSetUpPr.fitToPage),
            "fit_height": ws.page_setup.fitToHeight,
            "print_titles": ws.print_title_rows,
            "footer": ws.oddFooter.center.text,
            "hidden_columns": sorted(k for k, d in ws.column_dimensions.items() if d.hidden),
            "cells": cells,
        }
    return out


if __name__ == "__main__":
    json.dump(dump(sys.argv[1]), sys.stdout, ensure_ascii=False, default=str)
