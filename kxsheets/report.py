"""Rendering validation results: 校验报告.xlsx, JSON, and the short text for each township.

Everything a township wrote is written back as a string (never a formula or link).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .findings import Finding, Report
from .text import format_time

SEVERITY_ZH = {"error": "错误", "warning": "提示", "info": "说明"}
FINDING_COLUMNS = ("单位", "文件", "工作表", "单元格", "级别", "代码", "项目", "填写值", "要求", "问题", "改法", "说明")
JSON_KEYS = ("code", "severity", "file", "unit", "sheet", "cell", "field", "label", "value", "expected",
             "message", "hint", "rule_id", "justification")


def finding_row(f: Finding) -> tuple[str, ...]:
    return (f.unit, Path(f.file).name, f.sheet, f.cell, SEVERITY_ZH[f.severity], f.code, f.label or f.field,
            f.value, f.expected, f.message, f.hint, f.justification)


def to_json(reports: list[Report]) -> str:
    """The findings as one JSON array (shape documented in README)."""
    rows = [{k: getattr(f, k) for k in JSON_KEYS} for r in reports for f in r.sorted_findings()]
    return json.dumps(rows, ensure_ascii=False, indent=1)


def latest_by_unit(reports: list[Report]) -> dict[str, Report]:
    """The newest readable submission of each identified unit (by time received)."""
    out: dict[str, Report] = {}
    for r in sorted(reports, key=lambda r: r.received):
        if r.unit_code and not r.duplicate_of:
            out[r.unit_code] = r
    return out


def write_report(reports: list[Report], path: Path, missing: list[tuple[str, str]] | None = None) -> Path:
    """校验报告.xlsx: a per-file summary and one filterable row per finding (atomic write)."""
    import xlsxwriter

    from .atomic import atomic_path
    from .styles import WORKBOOK_OPTIONS, document_date
    from .text import column_width

    with atomic_path(Path(path)) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        wb.set_properties({"title": "校验报告", "author": "kxsheets",
                           "created": document_date([r.received for r in reports])})
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "font_name": "宋体"})
        body = wb.add_format({"border": 1, "font_name": "宋体", "valign": "top", "text_wrap": True})
        colour = {"error": wb.add_format({"border": 1, "font_name": "宋体", "bg_color": "#F8CBAD"}),
                  "warning": wb.add_format({"border": 1, "font_name": "宋体", "bg_color": "#FFE699"}),
                  "info": body}
        summary_rows = [(r.unit_name or "（未识别）", r.unit_code, Path(r.file).name, r.status, str(r.errors),
                         str(r.warnings), format_time(r.received)) for r in reports]
        summary_rows += [(name, code, "", "未报送", "", "", "") for name, code in missing or []]
        _sheet(wb, "汇总", ("单位", "编码", "文件", "状态", "错误", "提示", "收到时间"), summary_rows, head, body)
        rows = [(f.severity, finding_row(f)) for r in reports for f in r.sorted_findings()]
        ws = _sheet(wb, "问题清单", FINDING_COLUMNS, [row for _, row in rows], head, body)
        for i, (sev, _) in enumerate(rows, start=1):
            ws.write_string(i, 4, SEVERITY_ZH[sev], colour[sev])
        for c, h in enumerate(FINDING_COLUMNS):
            ws.set_column(c, c, column_width([h, *(row[c] for _, row in rows[:500])], 6, 50))
        wb.close()
    return Path(path)


def _sheet(wb: Any, name: str, header: tuple[str, ...], rows: list[tuple[str, ...]], head: Any, body: Any) -> Any:
    from .text import column_width

    ws = wb.add_worksheet(name)
    for c, h in enumerate(header):
        ws.write_string(0, c, h, head)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            ws.write_string(r, c, str(v), body)
    for c, h in enumerate(header):
        ws.set_column(c, c, column_width([h, *(row[c] for row in rows[:500])], 6, 50))
    ws.autofilter(0, 0, max(1, len(rows)), len(header) - 1)
    ws.freeze_panes(1, 0)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    return ws


def feedback_text(r: Report) -> str:
    """A short Chinese summary for the township (mail body, terminal)."""
    if r.status == "通过":
        return f"{r.unit_name}：报送的《{Path(r.file).name}》已通过校验，谢谢！"
    lines = [f"{r.unit_name}：报送的《{Path(r.file).name}》有 {r.errors} 处需要修改、{r.warnings} 处请核实："]
    for i, f in enumerate((f for f in r.sorted_findings() if f.severity != "info"), start=1):
        where = f"（{f.where}）" if f.where else ""
        lines.append(f"{i}. {f.message}{where}" + (f" —— {f.hint}" if f.hint else ""))
    lines.append("详见附件中标注的工作簿（红色为需修改，黄色为请核实）。改好后请把整个文件重新发回。")
    return "\n".join(lines)
