"""Writing the per-unit input workbook (the 填报模板) from a template schema.

Everything comes from the schema via :mod:`.layout`: title block pre-filled with the unit,
input cells unlocked and tinted, everything else locked (sheet protection, no password), a data
validation with a Chinese input message and error alert on every input cell (list sources on a
hidden sheet), number formats, CJK-aware column widths, frozen headers, A4 print setup with
repeated header rows, a 填表说明 sheet, and a hidden meta sheet that identifies the template,
version, unit and structure fingerprint. No formulas in input cells; untrusted text (roster
names) is always written as a string. Files are written atomically.

``values`` (dotted cell name → value) fills input cells; the demo uses it to simulate returns.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape as xml_escape

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_range_abs
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from . import __version__
from .atomic import atomic_path
from .errors import KxError
from .layout import (FORM_VALUE_COL, GUIDE_SHEET, HEADER_ROW, LISTS_SHEET, META_SHEET,
                     TOTAL_LABEL, Cell, Layout, SheetLayout, layout)
from .roster import Unit
from .styles import WORKBOOK_OPTIONS as TEXT_STAYS_TEXT
from .schema.models import FieldSpec, FormSheet, TemplateSchema
from .text import column_width, display_width

FONT = "宋体"
INPUT_FILL = "#FFF2CC"
HEAD_FILL = "#DDEBF7"
WORKBOOK_OPTIONS = {**TEXT_STAYS_TEXT, "in_memory": True}
PROTECT_OPTIONS = {"format_columns": True, "format_rows": True, "select_locked_cells": True,
                   "select_unlocked_cells": True}
NUM_LIMIT = 1e15  # validation bounds when the schema gives none
DATE_MIN, DATE_MAX = dt.date(1990, 1, 1), dt.date(2100, 12, 31)
META_KEYS = ("generator", "generator_version", "template_id", "template_version", "fingerprint",
             "unit_code", "unit_name", "county", "year")


@dataclass(frozen=True)
class RoundInfo:
    county: str
    year: int


def prefill_values(schema: TemplateSchema, unit: Unit, info: RoundInfo) -> dict[str, Any]:
    """Values of the fields the schema marks ``prefill`` (unit name, code, year …)."""
    source = {"unit.name": unit.name, "unit.code": unit.code, "unit.contact": unit.contact,
              "unit.email": unit.email, "round.year": info.year, "round.county": info.county}
    return {c.name: source[c.spec.prefill] for s in layout(schema).sheets for c in s.cells if c.spec.prefill}


def meta_values(schema: TemplateSchema, unit: Unit, info: RoundInfo) -> dict[str, str]:
    return {"generator": "kxsheets", "generator_version": __version__, "template_id": schema.id,
            "template_version": schema.version, "fingerprint": layout(schema).fingerprint,
            "unit_code": unit.code, "unit_name": unit.name, "county": info.county, "year": str(info.year)}


def write_template(schema: TemplateSchema, unit: Unit, info: RoundInfo, path: Path | BinaryIO,
                   values: Mapping[str, Any] | None = None) -> Path | BinaryIO:
    """Write one unit's template to ``path`` (atomically) or to a binary file object."""
    if not isinstance(path, (str, Path)):
        _render(schema, unit, info, values, path)
        return path
    with atomic_path(Path(path)) as tmp:
        _render(schema, unit, info, values, tmp)
    return Path(path)


def _render(schema: TemplateSchema, unit: Unit, info: RoundInfo, values: Mapping[str, Any] | None,
            target: Path | BinaryIO) -> None:
    filled = {**prefill_values(schema, unit, info), **(values or {})}
    wb = xlsxwriter.Workbook(target if not isinstance(target, Path) else str(target), WORKBOOK_OPTIONS)
    wb.set_properties({"title": schema.title, "subject": f"{info.year}年 {unit.name}",
                       "author": "kxsheets", "comments": f"{schema.id} v{schema.version}"})
    _Writer(wb, layout(schema), unit, info, filled).write()
    wb.close()


class TemplateBatch:
    """Many units' templates of one schema and round, fast.

    The workbook is rendered once with placeholder unit texts; each unit's file is that package
    with the placeholders replaced (XML-escaped) in the parts that hold them, re-zipped. The
    result has the same cells as :func:`write_template` for that unit (tested), at a fraction
    of the cost: rendering with xlsxwriter is ~40 ms, re-zipping ~3 ms.
    """

    _FIELDS = ("name", "code", "contact", "email")

    def __init__(self, schema: TemplateSchema, info: RoundInfo) -> None:
        marks = {f: f"\ue000{f}\ue001" for f in self._FIELDS}
        buf = io.BytesIO()
        _render(schema, Unit(**marks), info, None, buf)
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
            self._parts = [(zi, zf.read(zi)) for zi in zf.infolist()]
        self._marks = {f: m.encode("utf-8") for f, m in marks.items()}

    def write(self, unit: Unit, path: Path) -> Path:
        subs = {self._marks[f]: xml_escape(getattr(unit, f)).encode("utf-8") for f in self._FIELDS}
        with atomic_path(Path(path)) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            for zi, data in self._parts:
                if b"\xee\x80\x80" in data:  # U+E000, the placeholders' first character
                    for mark, text in subs.items():
                        data = data.replace(mark, text)
                out.writestr(zi, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
        return Path(path)


class _Writer:
    def __init__(self, wb: Workbook, lay: Layout, unit: Unit, info: RoundInfo, values: Mapping[str, Any]):
        self.wb, self.lay, self.unit, self.info, self.values = wb, lay, unit, info, values
        self._fmt: dict[tuple[Any, ...], Any] = {}
        self.lists = _list_sources(lay)

    # -- formats -----------------------------------------------------------------------------
    def fmt(self, kind: str, num: str = "General") -> Any:
        key = (kind, num)
        if key not in self._fmt:
            base = {"font_name": FONT, "font_size": 11, "valign": "vcenter", "border": 1}
            extra = {
                "title": {"bold": True, "font_size": 16, "align": "center", "border": 0},
                "info": {"font_size": 10, "border": 0},
                "head": {"bold": True, "bg_color": HEAD_FILL, "align": "center", "text_wrap": True},
                "label": {"text_wrap": True},
                "help": {"font_size": 9, "text_wrap": True, "font_color": "#595959"},
                "input": {"locked": False, "bg_color": INPUT_FILL, "num_format": num},
                "fixed": {"num_format": num, "bg_color": "#F2F2F2"},
                "total": {"bold": True, "num_format": num, "bg_color": "#F2F2F2"},
            }[kind]
            self._fmt[key] = self.wb.add_format({**base, **extra})
        return self._fmt[key]

    # -- sheets ------------------------------------------------------------------------------
    def write(self) -> None:
        for sl in self.lay.sheets:
            ws = self.wb.add_worksheet(sl.name)
            self._frame(ws, sl)
            (self._form if isinstance(sl.sheet, FormSheet) else self._table)(ws, sl)
            self._validations(ws, sl)
            ws.protect("", PROTECT_OPTIONS)
        self._guide()
        self._lists_sheet()
        self._meta()

    def _frame(self, ws: Worksheet, sl: SheetLayout) -> None:
        title = sl.sheet.title or sl.name
        ws.merge_range(0, 0, 0, sl.last_col, "", self.fmt("title"))
        _text(ws, 0, 0, title, self.fmt("title"))
        ws.merge_range(1, 0, 1, sl.last_col, "", self.fmt("info"))
        _text(ws, 1, 0, f"填报单位：{self.unit.name}　　年度：{self.info.year}　　（黄色单元格为填报区）",
              self.fmt("info"))
        ws.set_row(0, 30)
        for row, col, text in sl.labels:
            kind = "head" if row == HEADER_ROW else "label"
            _text(ws, row, col, text, self.fmt(kind if row == HEADER_ROW or col == 0 else "label"))
        ws.freeze_panes(HEADER_ROW + 1, 1 if sl.sheet.kind == "table" else 0)
        ws.set_paper(9)
        ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        ws.center_horizontally()
        ws.repeat_rows(HEADER_ROW)
        ws.fit_to_pages(1, 0)
        ws.set_footer("&C第 &P 页，共 &N 页")
        if sl.sheet.kind == "table":
            ws.set_landscape()

    def _form(self, ws: Worksheet, sl: SheetLayout) -> None:
        for c in sl.cells:
            f = c.spec
            self._value(ws, c)
            hint = ("【必填】" if f.required else "") + f.help
            _text(ws, c.row, 2, f.unit or "", self.fmt("label"))
            _text(ws, c.row, 3, hint, self.fmt("help"))
            ws.set_row(c.row, max(20, 14 * max(1, math.ceil(display_width(hint) / 56))))
        labels = [t for r, col, t in sl.labels if col == 0]
        ws.set_column(0, 0, column_width(labels, 14, 30))
        ws.set_column(FORM_VALUE_COL, FORM_VALUE_COL, 26)
        ws.set_column(2, 2, 8)
        ws.set_column(3, 3, 58)

    def _table(self, ws: Worksheet, sl: SheetLayout) -> None:
        for c in sl.cells:
            self._value(ws, c)
        first, last = sl.data_rows
        for r in range(first, last + 2):
            ws.set_row(r, 20)
        if sl.total_row is not None:
            self._totals(ws, sl, first, last)
        row_labels = [t for r, col, t in sl.labels if col == 0]
        ws.set_column(0, 0, column_width(row_labels, 6, 24))
        for j, col in enumerate(sl.sheet.columns, start=1):  # type: ignore[union-attr]
            ws.set_column(j, j, col.width or column_width([col.heading], 10, 40))
        ws.set_row(HEADER_ROW, 30)

    def _totals(self, ws: Worksheet, sl: SheetLayout, first: int, last: int) -> None:
        for j, col in enumerate(sl.sheet.columns, start=1):  # type: ignore[union-attr]
            if col.agg != "sum":
                _text(ws, sl.total_row, j, "", self.fmt("total"))
                continue
            rng = f"{xl_col_to_name(j)}{first + 1}:{xl_col_to_name(j)}{last + 1}"
            cached = sum(_number(self.values.get(c.name)) for c in sl.cells if c.col == j)
            ws.write_formula(sl.total_row, j, f"=SUM({rng})", self.fmt("total", col.number_format),
                             _plain(cached))
        _text(ws, sl.total_row, 0, TOTAL_LABEL, self.fmt("total"))

    def _value(self, ws: Worksheet, c: Cell) -> None:
        f = c.spec
        fmt = self.fmt("fixed" if f.prefill else "input", f.number_format)
        v = self.values.get(c.name)
        if v is None or v == "":
            ws.write_blank(c.row, c.col, None, fmt)
        elif isinstance(v, bool):
            _text(ws, c.row, c.col, "是" if v else "否", fmt)
        elif isinstance(v, (int, float, Decimal)):
            ws.write_number(c.row, c.col, float(v), fmt)
        elif isinstance(v, (dt.date, dt.datetime)):
            ws.write_datetime(c.row, c.col, v if isinstance(v, dt.datetime) else
                              dt.datetime.combine(v, dt.time()), fmt)
        else:
            _text(ws, c.row, c.col, str(v), fmt)

    # -- data validation ---------------------------------------------------------------------
    def _validations(self, ws: Worksheet, sl: SheetLayout) -> None:
        """One validation per input range: a form field, or a table column's data rows."""
        by_col: dict[int, list[Cell]] = {}
        for c in sl.cells:
            if not c.spec.prefill:
                by_col.setdefault(c.col, []).append(c)
        for cells in by_col.values():
            runs = [[cells[0]]]
            for c in cells[1:]:  # contiguous rows with the same field share one validation
                if c.row == runs[-1][-1].row + 1 and c.spec is runs[-1][-1].spec:
                    runs[-1].append(c)
                else:
                    runs.append([c])
            for run in runs:
                ws.data_validation(run[0].row, run[0].col, run[-1].row, run[-1].col,
                                   self._rule(run[0].spec))

    def _rule(self, f: FieldSpec) -> dict[str, Any]:
        rule: dict[str, Any]
        if f.options is not None:
            rule = {"validate": "list", "source": self.lists[f.options]}
        elif f.type == "integer":
            rule = {"validate": "integer", **_between(f)}
        elif f.type in ("decimal", "money", "percent"):
            rule = {"validate": "decimal", **_between(f)}
        elif f.type == "date":
            rule = {"validate": "date", "criteria": "between", "minimum": DATE_MIN, "maximum": DATE_MAX}
        else:
            rule = {"validate": "length", "criteria": "<=", "value": f.max_length}
        rule.update({
            "input_title": f.label[:32],
            "input_message": input_message(f)[:255],
            "error_title": "输入有误"[:32],
            "error_message": error_message(f)[:255],
            # approximations ("300余") are allowed through and reported as warnings later
            "error_type": "warning" if f.approx else "stop",
            "ignore_blank": True,
        })
        return rule

    # -- helper sheets -----------------------------------------------------------------------
    def _guide(self) -> None:
        ws = self.wb.add_worksheet(GUIDE_SHEET)
        head = ("工作表", "填报项目", "类型", "单位", "必填", "取值要求", "说明")
        rows = guide_rows(self.lay)
        ws.merge_range(0, 0, 0, len(head) - 1, None, self.fmt("title"))
        _text(ws, 0, 0, f"{self.lay.schema.title} · 填表说明", self.fmt("title"))
        notes = [
            "1. 只在黄色单元格中填写；其他单元格已锁定，请勿插入或删除行、列，请勿修改工作表名称。",
            "2. 数值请填阿拉伯数字（如 1200），不要带单位；确实只有约数时可写“约500”，系统会提示核实。",
            "3. 数据与往年差异较大或有特殊情况时，请在“封面”的“上报说明”中写明原因。",
            f"4. 模板编号 {self.lay.schema.id}，版本 {self.lay.schema.version}；请使用本次下发的模板填报。",
        ]
        for i, n in enumerate(notes, start=1):
            ws.merge_range(i, 0, i, len(head) - 1, None, self.fmt("label"))
            _text(ws, i, 0, n, self.fmt("label"))
            ws.set_row(i, 30)
        top = len(notes) + 2
        for c, h in enumerate(head):
            _text(ws, top, c, h, self.fmt("head"))
        for r, row in enumerate(rows, start=top + 1):
            for c, v in enumerate(row):
                _text(ws, r, c, v, self.fmt("help" if c == 6 else "label"))
        r = top + len(rows) + 2
        _text(ws, r, 0, "表间与逻辑关系", self.fmt("head"))
        for i, rule in enumerate(self.lay.schema.rules, start=r + 1):
            ws.merge_range(i, 0, i, len(head) - 1, None, self.fmt("label"))
            level = {"error": "必须满足", "warning": "请核实", "info": "提示"}[rule.severity]
            _text(ws, i, 0, f"【{level}】{rule.message}", self.fmt("label"))
        for c, h in enumerate(head):
            ws.set_column(c, c, column_width([h, *(row[c] for row in rows)], 6, 48 if c == 6 else 30))
        ws.freeze_panes(top + 1, 0)
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(top)
        ws.protect("", PROTECT_OPTIONS)

    def _lists_sheet(self) -> None:
        ws = self.wb.add_worksheet(LISTS_SHEET)
        for j, options in enumerate(self.lists):
            for i, opt in enumerate(options):
                _text(ws, i, j, opt, None)
        ws.hide()
        ws.protect("", PROTECT_OPTIONS)

    def _meta(self) -> None:
        ws = self.wb.add_worksheet(META_SHEET)
        for i, (k, v) in enumerate(meta_values(self.lay.schema, self.unit, self.info).items()):
            _text(ws, i, 0, k, None)
            _text(ws, i, 1, v, None)
        ws.hide()
        ws.protect("", PROTECT_OPTIONS)


def _list_sources(lay: Layout) -> dict[tuple[str, ...], str]:
    """Each distinct option list → its absolute range on the hidden lists sheet."""
    out: dict[tuple[str, ...], str] = {}
    for s in lay.sheets:
        for c in s.cells:
            opts = c.spec.options
            if opts is not None and opts not in out:
                j = len(out)
                out[opts] = f"='{LISTS_SHEET}'!{xl_range_abs(0, j, len(opts) - 1, j)}"
    return out


def _between(f: FieldSpec) -> dict[str, Any]:
    lo = _plain(float(f.min)) if f.min is not None else -NUM_LIMIT
    hi = _plain(float(f.max)) if f.max is not None else NUM_LIMIT
    return {"criteria": "between", "minimum": lo, "maximum": hi}


def _fmt_num(v: Decimal | None, f: FieldSpec) -> str:
    if v is None:
        return ""
    if f.type == "percent":
        return f"{v * 100:g}%"
    return f"{v:,f}".rstrip("0").rstrip(".") if "." in f"{v}" else f"{v:,}"


def value_range(f: FieldSpec) -> str:
    """The allowed values in words, for input messages and the 填表说明."""
    if f.options is not None:
        return "可选：" + "、".join(f.options)
    if f.type in ("integer", "decimal", "money", "percent"):
        lo, hi = _fmt_num(f.min, f), _fmt_num(f.max, f)
        kind = "整数" if f.type == "integer" else "数字"
        if lo and hi:
            return f"{kind}，{lo} 至 {hi}"
        return f"{kind}" + (f"，不小于 {lo}" if lo else "") + (f"，不大于 {hi}" if hi else "")
    if f.type == "date":
        return "日期，如 2024-03-05"
    return f"文字，最多 {f.max_length} 字" + ("，须符合规定格式" if f.pattern else "")


def input_message(f: FieldSpec) -> str:
    parts = [f.help] if f.help else []
    parts.append(value_range(f) + (f"（单位：{f.unit}）" if f.unit else ""))
    if f.required:
        parts.append("必填。")
    return "\n".join(parts)


def error_message(f: FieldSpec) -> str:
    tail = "可保留后由县科协核实。" if f.approx else "请重新输入。"
    return f"“{f.label}”应为：{value_range(f)}。{tail}"


TYPE_NAMES = {"integer": "整数", "decimal": "数字", "money": "金额", "percent": "百分比", "text": "文字",
              "choice": "下拉选择", "date": "日期", "bool": "是/否"}


def guide_rows(lay: Layout) -> list[tuple[str, ...]]:
    """One row per field for the 填表说明 sheet (and docs)."""
    rows: list[tuple[str, ...]] = []
    for s in lay.sheets:
        specs = s.sheet.fields if isinstance(s.sheet, FormSheet) else s.sheet.columns
        for f in specs:
            rows.append((s.name, f.label, TYPE_NAMES[f.type], f.unit or "", "是" if f.required else "",
                         value_range(f), f.help))
    return rows


def _text(ws: Worksheet, row: int, col: int, text: str, fmt: Any) -> None:
    if ws.write_string(row, col, text, fmt) == -2:
        raise KxError("text-too-long", f"文字超过 Excel 单元格上限 32767 字：{text[:20]}…")


def _number(v: Any) -> float:
    return float(v) if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) else 0.0


def _plain(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x
