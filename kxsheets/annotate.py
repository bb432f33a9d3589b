"""The township's own workbook, marked: problem cells red (errors) or yellow (warnings), the
message as a cell comment, and a first sheet 错误清单 with a link to every cell.

Works on a copy made from the received bytes (the input file is never opened for writing).
openpyxl keeps the template's data validations, formats and protection on this round trip
(tested). Township text goes back as strings only.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from .findings import Report
from .report import SEVERITY_ZH

LIST_SHEET = "错误清单"
LIST_COLUMNS = (("序号", 6), ("级别", 6), ("位置", 16), ("项目", 22), ("填写值", 14), ("问题", 48), ("改法", 30))
FILLS = {"error": "F8CBAD", "warning": "FFE699"}


def _text(cell: Any, value: str) -> None:
    """Set a string that openpyxl must not turn into a formula (a leading '=')."""
    cell.value = value
    if cell.data_type == "f":
        cell.data_type = "s"


def annotate(report: Report, data: bytes, path: Path) -> Path | None:
    """Write the marked copy of ``data`` (the received file's bytes) to ``path``; None if not xlsx."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    from .atomic import atomic_path

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data))
    except Exception:  # legacy .xls or a file only calamine could read: the report still lists all
        return None
    by_cell: dict[tuple[str, str], list[Any]] = {}
    for f in report.sorted_findings():
        if f.severity in FILLS and f.sheet in wb.sheetnames and f.cell:
            by_cell.setdefault((f.sheet, f.cell), []).append(f)
    for (sheet, ref), fs in by_cell.items():
        cell = wb[sheet][ref]
        worst = fs[0].severity
        cell.fill = PatternFill("solid", fgColor=FILLS[worst])
        note = "\n".join(f"【{SEVERITY_ZH[f.severity]}】{f.message}" + (f"\n改法：{f.hint}" if f.hint else "")
                         for f in fs)
        cell.comment = Comment(note, "kxsheets", width=320, height=120)
    _list_sheet(wb, report)
    wb.active = 0
    with atomic_path(Path(path)) as tmp:
        wb.save(tmp)
    return Path(path)


def _list_sheet(wb: Any, report: Report) -> None:
    """First sheet: every finding, most serious first, each with a link to its cell; prints on A4."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.page import PageMargins

    ws = wb.create_sheet(LIST_SHEET, 0)
    title = f"{report.unit_name}：{report.errors} 处需修改（红色），{report.warnings} 处请核实（黄色）"
    _text(ws.cell(1, 1), title)
    ws.cell(1, 1).font = Font(bold=True, size=13)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(LIST_COLUMNS))
    wrap = Alignment(wrap_text=True, vertical="top")
    for c, (head, width) in enumerate(LIST_COLUMNS, start=1):
        _text(ws.cell(2, c), head)
        ws.cell(2, c).font = Font(bold=True)
        ws.column_dimensions[ws.cell(2, c).column_letter].width = width
    for i, f in enumerate(report.sorted_findings(), start=1):
        r = i + 2
        row = (str(i), SEVERITY_ZH[f.severity], f.where, f.label or f.field, f.value, f.message, f.hint)
        for c, v in enumerate(row, start=1):
            _text(ws.cell(r, c), v)
            ws.cell(r, c).alignment = wrap
        if f.sheet in wb.sheetnames and f.cell:
            ws.cell(r, 3).hyperlink = f"#'{f.sheet}'!{f.cell}"
            ws.cell(r, 3).font = Font(color="0563C1", underline="single")
        if f.severity in FILLS:
            ws.cell(r, 2).fill = PatternFill("solid", fgColor=FILLS[f.severity])
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:G{len(report.findings) + 2}"
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.5)
