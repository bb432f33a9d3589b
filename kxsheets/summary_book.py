"""output/乡镇汇总表.xlsx: the county picture in a workbook leadership reads and auditors check.

Sheets: 汇总 (one row per unit, 合计, 上年/增减/增减率 when last round is known, ranks), one
sheet per fixed table of the form (科普活动), 图表 (native Excel charts), the free tables'
rows from every unit (重点活动明细), 报送情况 (the roster matrix) and 数据来源 (each value's file
and cell). Totals, derived rates and ranks are live formulas carrying the values kxsheets
computed, so Excel, WPS, LibreOffice and a phone's preview all show the same numbers. The
same inputs give the same cell contents (and bytes) on every run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from .atomic import atomic_path
from .consolidate import Consolidation, change, label_of
from .formulas import Ref, excel_formula
from .schema.models import DEFAULT_FORMATS, Derived, FieldSpec, TableSheet
from .schema.names import names
from .styles import WORKBOOK_OPTIONS, Styles, document_date, print_setup
from .text import column_width, format_time

SUMMARY_SHEET, STATUS_SHEET, SOURCES_SHEET, CHART_SHEET = "汇总", "报送情况", "数据来源", "图表"
FIRST = 4  # first unit row (0-based): title, subtitle, two header rows
MAX_SOURCE_ROWS = 20_000  # beyond this (about 650 units) the 数据来源 sheet points to a CSV
SOURCES_CSV = "数据来源.csv"
MAX_CHART_UNITS = 300  # a bar per unit stops being readable


# Every function the 汇总表's formulas use. None needs Excel's _xlfn. prefix, which is what lets
# _PlainFormulas skip xlsxwriter's ~30 regular expressions per formula (the writer's main cost).
FUNCTIONS = frozenset({"IF", "OR", "AND", "NOT", "IFERROR", "SUM", "MIN", "MAX", "ABS", "ROUND", "COUNT",
                       "COUNTA", "COUNTIF", "AVERAGE", "RANK", "ISNUMBER"})


class _PlainFormulas(Worksheet):
    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        return formula[1:] if formula.startswith("=") else formula


@dataclass
class _Grid:
    """Where everything sits, so formulas can point at it."""

    rows: dict[str, int] = field(default_factory=dict)  # unit code → row (the same on every sheet)
    total: int = 0
    cols: dict[str, int] = field(default_factory=dict)  # 汇总 column of each summary name
    table_cells: dict[str, tuple[str, int]] = field(default_factory=dict)  # table cell name → (sheet, col)
    table_columns: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # activities.sessions → cells
    yes_no: set[str] = field(default_factory=set)  # columns holding 是/否 on unit rows (a count on the 合计 row)

    def ref(self, row: int | None, yes_no: bool) -> Any:
        """Where names live on ``row``; with row None, cells carry ROW_MARK for the row number."""
        def cell(col: int) -> str:
            return f"{xl_col_to_name(col)}{ROW_MARK}" if row is None else xl_rowcol_to_cell(row, col)

        def lookup(name: str) -> Ref | None:
            if name in self.cols:
                return Ref((cell(self.cols[name]),), yes_no=yes_no and name in self.yes_no)
            if name in self.table_cells:
                sheet, col = self.table_cells[name]
                return Ref((f"'{sheet}'!{cell(col)}",))
            if name in self.table_columns:
                return Ref(tuple(f"'{s}'!{cell(c)}" for s, c in self.table_columns[name]), column=True)
            return None
        return lookup


ROW_MARK = "\ue000"  # stands for the row number in a formula made once per column


def write_summary(cons: Consolidation, path: Path, title_prefix: str = "") -> Path:
    import xlsxwriter

    with atomic_path(Path(path)) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        wb.set_properties({"title": _title(cons, title_prefix), "author": "kxsheets",
                           "created": _as_of(cons)})
        _Writer(wb, cons, title_prefix).write()
        wb.close()
    return Path(path)


def _title(cons: Consolidation, prefix: str) -> str:
    return prefix + (cons.schema.summary.title or f"{cons.schema.title}汇总")


def _as_of(cons: Consolidation) -> dt.datetime:
    """The newest counted submission's time: the document date, stable across runs."""
    return document_date([u.report.received for u in cons.counted if u.report])


def _num(v: Any) -> float | int | None:
    """A value for a number cell (Excel holds doubles anyway), or None when it is not a number."""
    if type(v) is Decimal:
        return float(v)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return v


class _Writer:
    def __init__(self, wb: Any, cons: Consolidation, prefix: str) -> None:
        self.wb, self.cons, self.prefix = wb, cons, prefix
        self.st = Styles(wb)
        self.names = names(cons.schema)
        self.grid = _Grid()
        self.grid.rows = {u.unit.code: FIRST + i for i, u in enumerate(cons.roster)}
        self.grid.total = FIRST + len(cons.roster)
        self.n_sources = sum(1 for _ in cons.sources())
        self.sources_fit = self.n_sources <= MAX_SOURCE_ROWS

    def write(self) -> None:
        summary = self.wb.add_worksheet(SUMMARY_SHEET, worksheet_class=_PlainFormulas)
        tables = [s for s in self.cons.schema.sheets if isinstance(s, TableSheet)]
        fixed = [(t, self.wb.add_worksheet(t.name, worksheet_class=_PlainFormulas)) for t in tables if t.fixed]
        for t, ws in fixed:  # first, so the 汇总's formulas can point at them
            self._fixed_table(ws, t)
        self._summary(summary)
        if self.cons.schema.summary.charts:
            self._charts(self.wb.add_worksheet(CHART_SHEET))
        for t in tables:
            if not t.fixed:
                self._free_table(self.wb.add_worksheet(t.name), t)
        self._status(self.wb.add_worksheet(STATUS_SHEET))
        self._sources(self.wb.add_worksheet(SOURCES_SHEET))
        summary.activate()

    # -- shared pieces -----------------------------------------------------------------------------

    def _heading(self, ws: Any, title: str, last_col: int) -> None:
        ws.merge_range(0, 0, 0, last_col, title, self.st.get("title"))
        cons = self.cons
        sub = (f"应报 {len(cons.roster)} 个单位，计入汇总 {len(cons.counted)} 个，待修改 {len(cons.pending)} 个，"
               f"未交 {len(cons.missing)} 个")
        ws.merge_range(1, 0, 1, last_col, sub, self.st.get("note", align="center"))
        ws.set_row(0, 30)

    def _unit_columns(self, ws: Any) -> None:
        st = self.st
        for col, text in ((0, "序号"), (1, "单位名称")):
            ws.merge_range(2, col, 3, col, text, st.get("head"))
        for i, u in enumerate(self.cons.roster):
            ws.write_number(FIRST + i, 0, i + 1, st.get("body", align="center"))
            ws.write_string(FIRST + i, 1, u.unit.name, st.get("body"))
        ws.write_string(self.grid.total, 0, "", st.get("total"))
        ws.write_string(self.grid.total, 1, "合计", st.get("total", align="center"))
        ws.set_column(0, 0, 5)
        ws.set_column(1, 1, column_width([u.unit.name for u in self.cons.roster] + ["单位名称"], 10, 24))
        ws.freeze_panes(FIRST, 2)

    def _fmt(self, name: str) -> str:
        spec = self.names[name].spec
        if isinstance(spec, FieldSpec) and spec.type == "bool":
            return "0"
        return spec.number_format

    def _value_cell(self, ws: Any, row: int, col: int, value: Any, fmt: Any) -> None:
        n = _num(value)
        if n is not None:
            ws.write_number(row, col, n, fmt)
        elif isinstance(value, bool):
            ws.write_string(row, col, "是" if value else "否", fmt)
        else:
            ws.write_blank(row, col, None, fmt)

    def _formula(self, ws: Any, row: int, col: int, formula: str | None, value: Any, fmt: Any) -> None:
        """A live formula with the value kxsheets computed cached in it (or the value alone)."""
        if formula is None:
            self._value_cell(ws, row, col, value, fmt)
            return
        n = _num(value)
        ws.write_formula(row, col, formula, fmt, n if n is not None else "")

    def _head(self, name: str, sep: str = "\n") -> str:
        label, unit = label_of(self.cons.schema, name)
        return f"{label}{sep}（{unit}）" if unit and unit != "%" else label

    # -- 汇总 ------------------------------------------------------------------------------------------

    def _summary(self, ws: Any) -> None:
        cons, st, grid = self.cons, self.st, self.grid
        cols = cons.columns
        grid.cols = {name: 2 + j for j, name in enumerate(cols)}
        grid.yes_no = {n for n in cols if isinstance(self.names[n].spec, FieldSpec) and self.names[n].spec.type == "bool"}
        rank_cols = {name: 2 + len(cols) + j for j, name in enumerate(cons.schema.summary.rank)}
        status_col = 2 + len(cols) + len(rank_cols)
        self._heading(ws, _title(cons, self.prefix), status_col)
        self._unit_columns(ws)
        for name, col in grid.cols.items():
            ws.merge_range(2, col, 3, col, self._head(name), st.get("head"))
            ws.set_column(col, col, min(16, max(11, column_width([self._head(name)], 10, 40) / 2 + 2)))
        for name, col in rank_cols.items():
            ws.merge_range(2, col, 3, col, f"{label_of(cons.schema, name)[0]}排名", st.get("head"))
            ws.set_column(col, col, 9)
        ws.merge_range(2, status_col, 3, status_col, "状态", st.get("head"))
        ws.set_column(status_col, status_col, 8)
        ws.set_row(2, 36)
        ws.set_row(3, 36)
        fmts = {name: st.get("body", self._fmt(name), **({"align": "center"} if name in grid.yes_no else {}))
                for name in grid.cols}
        per_row = {name: excel_formula(self.names[name].spec.expr, grid.ref(None, yes_no=True))
                   for name in grid.cols if isinstance(self.names[name].spec, Derived)}  # made once per column
        rank_fmt, centred = st.get("body", "0", align="center"), st.get("body", align="center")
        for u in cons.roster:
            r = grid.rows[u.unit.code]
            values = cons.values.get(u.unit.code, {})
            for name, col in grid.cols.items():
                if not u.counted:
                    ws.write_blank(r, col, None, fmts[name])
                    continue
                formula = per_row.get(name)
                self._formula(ws, r, col, formula and formula.replace(ROW_MARK, str(r + 1)), values.get(name),
                              fmts[name])
            for name, col in rank_cols.items():
                src = xl_rowcol_to_cell(r, grid.cols[name])
                rng = f"{xl_col_to_name(grid.cols[name])}${FIRST + 1}:{xl_col_to_name(grid.cols[name])}${grid.total}"
                self._formula(ws, r, col, f'=IF(ISNUMBER({src}),RANK({src},{rng}),"")',
                              cons.ranks[name].get(u.unit.code), rank_fmt)
            ws.write_string(r, status_col, u.status, centred)
        self._totals(ws)
        if cons.previous is not None:
            self._year_on_year(ws)
        self._summary_formats(ws, rank_cols, status_col)
        print_setup(ws, (2, 3))
        ws.print_area(0, 0, grid.total + (3 if cons.previous is not None else 0), status_col)

    def _totals(self, ws: Any) -> None:
        grid, st = self.grid, self.st
        for name, col in grid.cols.items():
            fmt = st.get("total", self._fmt(name))
            self._formula(ws, grid.total, col, self._total_formula(name, col), self.cons.totals.get(name), fmt)

    def _total_formula(self, name: str, col: int) -> str | None:
        letter = xl_col_to_name(col)
        rng = f"{letter}{FIRST + 1}:{letter}{self.grid.total}"
        spec = self.names[name].spec
        agg = spec.aggregate if isinstance(spec, Derived) else spec.agg
        if agg == "recompute":
            return excel_formula(spec.expr, self.grid.ref(self.grid.total, yes_no=False))
        return {"sum": f"=SUM({rng})", "mean": f'=IFERROR(AVERAGE({rng}),"")', "min": f'=IF(COUNT({rng})=0,"",MIN({rng}))',
                "max": f'=IF(COUNT({rng})=0,"",MAX({rng}))', "count_yes": f'=COUNTIF({rng},"是")',
                "count": f"=COUNTA({rng})"}.get(agg)

    def _year_on_year(self, ws: Any) -> None:
        """上年 / 增减 / 增减率 under the 合计 row, as in the district's work report (减少16.89万元，5.18%)."""
        grid, st, t = self.grid, self.st, self.grid.total
        for k, text in enumerate(("上年", "增减", "增减率"), start=1):
            ws.write_string(t + k, 0, "", st.get("body"))
            ws.write_string(t + k, 1, text, st.get("body", align="center"))
        for name, col in grid.cols.items():
            now, before = self.cons.totals.get(name), self.cons.last_year(name)
            diff, rate = change(now, before)
            fmt = self._fmt(name)
            self._value_cell(ws, t + 1, col, before, st.get("body", fmt))
            cur, prev = xl_rowcol_to_cell(t, col), xl_rowcol_to_cell(t + 1, col)
            self._formula(ws, t + 2, col, f'=IF(OR({cur}="",{prev}=""),"",{cur}-{prev})', diff,
                          st.get("body", fmt))
            is_rate = fmt.endswith("%")
            self._formula(ws, t + 3, col, None if is_rate else f'=IF(OR({cur}="",{prev}="",{prev}=0),"",({cur}-{prev})/{prev})',
                          None if is_rate else rate, st.get("body", "0.00%"))

    def _summary_formats(self, ws: Any, rank_cols: dict[str, int], status_col: int) -> None:
        first, last = FIRST, self.grid.total - 1
        if last < first:
            return
        for name in rank_cols:  # the ranked columns are the ones worth a glance: bars, or colours for rates
            col = self.grid.cols[name]
            if self._fmt(name).endswith("%"):
                ws.conditional_format(first, col, last, col, {"type": "3_color_scale", "min_color": "#F8696B",
                                                              "mid_color": "#FFEB84", "max_color": "#63BE7B"})
            else:
                ws.conditional_format(first, col, last, col, {"type": "data_bar", "bar_color": "#9BC2E6",
                                                              "bar_solid": True})
        for text, colour in (("未交", "#F8CBAD"), ("待修改", "#FFE699")):
            ws.conditional_format(first, status_col, last, status_col, {
                "type": "cell", "criteria": "==", "value": f'"{text}"', "format": self.wb.add_format({"bg_color": colour})})

    # -- fixed tables ----------------------------------------------------------------------------------

    def _fixed_table(self, ws: Any, t: TableSheet) -> None:
        st, grid, cons = self.st, self.grid, self.cons
        numeric = [c for c in t.columns if c.agg != "none"]
        last_col = 1 + len(t.rows or ()) * len(numeric)
        self._heading(ws, f"{self.prefix}{t.title or t.name}汇总", last_col)
        self._unit_columns(ws)
        col = 2
        for row in t.rows or ():
            if len(numeric) > 1:
                ws.merge_range(2, col, 2, col + len(numeric) - 1, row.label, st.get("head"))
            else:
                ws.write_string(2, col, row.label, st.get("head"))
            for c in numeric:
                name = f"{t.key}.{row.key}.{c.key}"
                grid.table_cells[name] = (t.name, col)
                grid.table_columns.setdefault(f"{t.key}.{c.key}", []).append((t.name, col))
                ws.write_string(3, col, f"{c.label}（{c.unit}）" if c.unit else c.label, st.get("head"))
                ws.set_column(col, col, 11)
                letter = xl_col_to_name(col)
                fmt = st.get("body", c.number_format)
                for u in cons.roster:
                    v = cons.values.get(u.unit.code, {}).get(name) if u.counted else None
                    self._value_cell(ws, grid.rows[u.unit.code], col, v, fmt)
                self._formula(ws, grid.total, col, f"=SUM({letter}{FIRST + 1}:{letter}{grid.total})",
                              cons.totals.get(name), st.get("total", c.number_format))
                col += 1
        ws.set_row(2, 30)
        ws.set_row(3, 30)
        print_setup(ws, (2, 3))

    # -- free tables: every unit's rows ----------------------------------------------------------------

    def _free_table(self, ws: Any, t: TableSheet) -> None:
        st = self.st
        last_col = 2 + len(t.columns)
        self._heading(ws, f"{self.prefix}{t.title or t.name}", last_col)
        heads = ["序号", "单位名称", "行号"] + [c.label for c in t.columns]
        for j, h in enumerate(heads):
            ws.merge_range(2, j, 3, j, h, st.get("head"))
        row = FIRST
        prefix = t.key + "."
        for u in self.cons.counted:
            values = self.cons.values[u.unit.code]
            for i in sorted({int(k.split(".")[1]) for k in values if k.startswith(prefix)}):  # the rows used
                cells = [values.get(f"{t.key}.{i}.{c.key}") for c in t.columns]
                ws.write_number(row, 0, row - FIRST + 1, st.get("body", align="center"))
                ws.write_string(row, 1, u.unit.name, st.get("body"))
                ws.write_number(row, 2, i, st.get("body", align="center"))
                for j, (c, v) in enumerate(zip(t.columns, cells), start=3):
                    self._typed(ws, row, j, v, c)
                row += 1
        ws.set_column(0, 0, 5)
        ws.set_column(1, 1, 12)
        ws.set_column(2, 2, 5)
        for j, c in enumerate(t.columns, start=3):
            ws.set_column(j, j, c.width or (12 if c.type != "text" else 20))
        ws.freeze_panes(FIRST, 2)
        print_setup(ws, (2, 3))

    def _typed(self, ws: Any, row: int, col: int, v: Any, spec: FieldSpec) -> None:
        if isinstance(v, dt.date):
            ws.write_datetime(row, col, dt.datetime(v.year, v.month, v.day), self.st.get("body", DEFAULT_FORMATS["date"]))
        elif isinstance(v, str):
            ws.write_string(row, col, v, self.st.get("text"))
        else:
            self._value_cell(ws, row, col, v, self.st.get("body", spec.number_format))

    # -- 图表 --------------------------------------------------------------------------------------------

    def _charts(self, ws: Any) -> None:
        grid, roster = self.grid, self.cons.roster
        ws.write_string(0, 0, f"{self.prefix}{self.cons.schema.summary.title or ''}图表", self.st.get("title", align="left"))
        if len(roster) > MAX_CHART_UNITS or not roster:
            ws.write_string(2, 0, f"单位数为 {len(roster)}，图表从略（见“{SUMMARY_SHEET}”表）", self.st.get("note"))
            return
        first, last = FIRST, grid.total - 1
        top = 2
        for chart_spec in self.cons.schema.summary.charts:
            chart = self.wb.add_chart({"type": "column"})
            for name in chart_spec.bars:
                chart.add_series({"name": self._head(name, ""), "categories": [SUMMARY_SHEET, first, 1, last, 1],
                                  "values": [SUMMARY_SHEET, first, grid.cols[name], last, grid.cols[name]],
                                  "data_labels": {"value": len(roster) <= 20}})
            if chart_spec.line:
                line = self.wb.add_chart({"type": "line"})
                line.add_series({"name": self._head(chart_spec.line, ""), "y2_axis": True, "marker": {"type": "circle"},
                                 "categories": [SUMMARY_SHEET, first, 1, last, 1],
                                 "values": [SUMMARY_SHEET, first, grid.cols[chart_spec.line], last,
                                            grid.cols[chart_spec.line]]})
                chart.combine(line)
                line.set_y2_axis({"name": self._head(chart_spec.line, "")})
            chart.set_title({"name": chart_spec.title, "name_font": {"name": "黑体", "size": 14}})
            chart.set_y_axis({"name": self._head(chart_spec.bars[0], ""), "major_gridlines": {"visible": True}})
            chart.set_x_axis({"num_font": {"rotation": -45 if len(roster) > 10 else 0}})
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": max(720, 48 * len(roster)), "height": 400})
            ws.insert_chart(top, 0, chart)
            top += 22
        print_setup(ws, (0, 0))

    # -- 报送情况 and 数据来源 ----------------------------------------------------------------------------

    def _status(self, ws: Any) -> None:
        st = self.st
        heads = ["序号", "单位名称", "统一编码", "状态", "采用的文件", "收到时间", "收到份数", "错误", "提示", "说明",
                 "文件 SHA-256"]
        widths = [5, 12, 10, 8, 36, 17, 8, 6, 6, 40, 20]
        self._heading(ws, f"{self.prefix}报送情况", len(heads) - 1)
        for j, (h, w) in enumerate(zip(heads, widths)):
            ws.merge_range(2, j, 3, j, h, st.get("head"))
            ws.set_column(j, j, w)
        for i, u in enumerate(self.cons.roster):
            r, rep = FIRST + i, u.report
            row = [i + 1, u.unit.name, u.unit.code, u.status, Path(rep.file).name if rep else "",
                   format_time(rep.received) if rep else "", u.versions, rep.errors if rep else "",
                   rep.warnings if rep else "", u.note, rep.sha256 if rep else ""]
            for j, v in enumerate(row):
                if isinstance(v, int):
                    ws.write_number(r, j, v, st.get("body", align="center"))
                else:
                    ws.write_string(r, j, str(v), st.get("text"))
        last = FIRST + len(self.cons.roster) - 1
        for text, colour in (("未交", "#F8CBAD"), ("待修改", "#FFE699"), ("已交", "#C6EFCE")):
            ws.conditional_format(FIRST, 3, max(last, FIRST), 3, {
                "type": "cell", "criteria": "==", "value": f'"{text}"', "format": self.wb.add_format({"bg_color": colour})})
        ws.autofilter(3, 0, max(last, 3), len(heads) - 1)
        ws.freeze_panes(FIRST, 2)
        print_setup(ws, (2, 3))

    def _sources(self, ws: Any) -> None:
        """One row per township value in the totals: its sheet and cell. The file, its SHA-256 and
        the time received are on 报送情况 (one row per unit), so a value is traced in two steps."""
        st = self.st
        heads = ["单位名称", "统一编码", "指标", "名称", "数值", "工作表", "单元格"]
        widths = [12, 10, 30, 30, 12, 10, 8]
        self._heading(ws, f"{self.prefix}数据来源（各单位文件见“{STATUS_SHEET}”表）", len(heads) - 1)
        for j, (h, w) in enumerate(zip(heads, widths)):
            ws.merge_range(2, j, 3, j, h, st.get("head"))
            ws.set_column(j, j, w)
        body, code = st.get("body"), st.get("body", "@")
        labels = {n: v.label for n, v in self.names.items()}
        r = FIRST
        if not self.sources_fit:
            ws.write_string(r, 0, f"共 {self.n_sources} 个数值，超过本表的 {MAX_SOURCE_ROWS} 行：完整清单见 "
                                  f"output/{SOURCES_CSV}（及本轮 kxsheets.db 的 sources 表）", st.get("note"))
            return
        for s in self.cons.sources():
            ws.write_string(r, 0, s.unit_name, body)
            ws.write_string(r, 1, s.unit_code, code)
            ws.write_string(r, 2, labels.get(s.name, s.name), body)
            ws.write_string(r, 3, s.name, body)
            self._value_cell(ws, r, 4, s.value, body)
            ws.write_string(r, 5, s.sheet, body)
            ws.write_string(r, 6, s.cell, body)
            r += 1
        ws.autofilter(3, 0, max(r - 1, 3), len(heads) - 1)
        ws.freeze_panes(FIRST, 1)
        print_setup(ws, (2, 3), landscape=False)


def write_sources_csv(cons: Consolidation, path: Path) -> Path:
    """Every value's provenance in one CSV (UTF-8 with BOM, so Excel shows the Chinese)."""
    import csv

    with atomic_path(Path(path)) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["单位名称", "统一编码", "名称", "数值", "文件", "SHA-256", "工作表", "单元格", "收到时间"])
        files: dict[str, tuple[str, str]] = {}  # a unit's file name and time, formatted once
        for s in cons.sources():
            if s.file not in files:
                files[s.file] = (Path(s.file).name, format_time(s.received))
            name, when = files[s.file]
            out.writerow([s.unit_name, s.unit_code, s.name, s.value, name, s.sha256, s.sheet, s.cell, when])
    return Path(path)
