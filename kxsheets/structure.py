"""Finding a template's cells in a returned workbook, and saying what the township changed.

Sheets are matched by name, else by content (a renamed sheet); the header row by its texts;
columns by their headings; rows by their labels, aligned with difflib so an inserted or deleted
row is reported as such ("第6行疑似插入了新行") and the data below it is still checked in its
new place.
"""

from __future__ import annotations

import difflib
import unicodedata
from functools import lru_cache
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any

from .findings import Finding, finding
from .layout import FIRST_ROW, HEADER_ROW, LISTS_SHEET, META_SHEET, GUIDE_SHEET, SheetLayout, a1

Grid = list[list[Any]]
SPECIAL = {LISTS_SHEET, META_SHEET, GUIDE_SHEET}


def norm_label(v: Any) -> str:
    """Label text for comparison: NFKC, no spaces or asterisks."""
    if v is None or v == "":
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return _norm_text(str(v))


@lru_cache(maxsize=4096)
def _norm_text(t: str) -> str:
    return "".join(unicodedata.normalize("NFKC", t).split()).replace("*", "")


def cell(grid: Grid, row: int, col: int) -> Any:
    if 0 <= row < len(grid) and 0 <= col < len(grid[row]):
        return grid[row][col]
    return None


@dataclass
class Placement:
    """Where a sheet layout landed in the workbook: expected row/col → actual row/col."""

    sheet: str
    grid: Grid = field(repr=False)
    rows: dict[int, int] = field(default_factory=dict)
    cols: dict[int, int] = field(default_factory=dict)
    extra_rows: list[int] = field(default_factory=list)  # actual rows that match nothing expected

    def at(self, row: int, col: int) -> tuple[int, int] | None:
        if row in self.rows and col in self.cols:
            return self.rows[row], self.cols[col]
        return None


def find_sheet(sl: SheetLayout, book: Mapping[str, Grid], taken: set[str]) -> tuple[str | None, list[Finding]]:
    if sl.name in book:
        return sl.name, []
    expected = {norm_label(t) for _, _, t in sl.labels} - {""}
    best, score = None, 0.0
    for name in book:
        if name in taken or name in SPECIAL:
            continue
        grid = book[name]
        seen = {norm_label(v) for row in grid[:200] for v in row[:12]}
        s = len(expected & seen) / max(1, len(expected))
        if s > score:
            best, score = name, s
    if best is not None and score >= 0.5:
        return best, [finding("sheet-renamed", f"工作表「{sl.name}」被改名为「{best}」，已按内容识别并继续检查",
                              sheet=best, hint=f"请把工作表名改回「{sl.name}」")]
    return None, [finding("sheet-missing", f"缺少工作表「{sl.name}」", hint="请使用下发的模板，不要删除工作表")]


def place(sl: SheetLayout, sheet: str, grid: Grid) -> tuple[Placement, list[Finding]]:
    p = Placement(sheet, grid)
    out = _columns(sl, p)
    if sl.sheet.kind == "table" and not getattr(sl.sheet, "fixed", True):
        out += _free_rows(sl, p)
    else:
        out += _fixed_rows(sl, p)
    return p, out


def _header_row(sl: SheetLayout, grid: Grid) -> int:
    heads = {norm_label(t) for r, _, t in sl.labels if r == HEADER_ROW}
    if HEADER_ROW < len(grid) and heads <= {norm_label(v) for v in grid[HEADER_ROW]}:
        return HEADER_ROW  # the template's own place: no need to search
    best, hits = HEADER_ROW, 0
    for r in range(min(len(grid), 15)):
        n = sum(1 for v in grid[r] if norm_label(v) in heads)
        if n > hits:
            best, hits = r, n
    return best


def _columns(sl: SheetLayout, p: Placement) -> list[Finding]:
    out: list[Finding] = []
    hr = _header_row(sl, p.grid)
    p.rows[HEADER_ROW] = hr
    actual = [norm_label(v) for v in (p.grid[hr] if hr < len(p.grid) else [])]
    heads = {norm_label(t) for r, _, t in sl.labels if r == HEADER_ROW}
    for r, c, text in sl.labels:
        if r != HEADER_ROW:
            continue
        want = norm_label(text)
        if c < len(actual) and actual[c] == want:
            p.cols[c] = c
        elif want in actual:
            p.cols[c] = actual.index(want)
            out.append(finding("column-moved", f"“{text}”列从 {a1(0, c)[:-1]} 列移到了 {a1(0, p.cols[c])[:-1]} 列，已按列名读取",
                               sheet=p.sheet, cell=a1(hr, p.cols[c]), hint="请不要移动列"))
        elif c < len(actual) and actual[c] and actual[c] not in heads:
            p.cols[c] = c
            out.append(finding("label-edited", f"表头“{text}”被改成了“{show_raw(p.grid[hr][c])}”，按原位置读取",
                               sheet=p.sheet, cell=a1(hr, c), expected=text))
        else:
            out.append(finding("column-missing", f"缺少“{text}”列", sheet=p.sheet, cell=a1(hr, c),
                               hint="请不要删除列"))
    return out


def show_raw(v: Any) -> str:
    return "" if v is None else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def _fixed_rows(sl: SheetLayout, p: Placement) -> list[Finding]:
    out: list[Finding] = []
    expected = [(r, t) for r, c, t in sl.labels if c == 0 and r > HEADER_ROW]
    start = p.rows[HEADER_ROW] + 1
    label_col = p.cols.get(0, 0)
    last = _last_row(p.grid, start)
    actual = [norm_label(cell(p.grid, r, label_col)) for r in range(start, last + 1)]
    wanted = [norm_label(t) for _, t in expected]
    if actual == wanted:  # untouched rows, the usual case: no alignment needed
        opcodes = [("equal", 0, len(wanted), 0, len(actual))]
    else:
        opcodes = difflib.SequenceMatcher(None, wanted, actual, autojunk=False).get_opcodes()
    for op, i1, i2, j1, j2 in opcodes:
        if op == "equal":
            for k in range(i2 - i1):
                p.rows[expected[i1 + k][0]] = start + j1 + k
            continue
        paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(paired):  # same count, different text: an edited label, read in place
            (er, text), ar = expected[i1 + k], start + j1 + k
            p.rows[er] = ar
            if actual[j1 + k]:
                out.append(finding("label-edited", f"第{ar + 1}行的项目名称“{text}”被改成了“{show_raw(cell(p.grid, ar, label_col))}”",
                                   sheet=p.sheet, cell=a1(ar, label_col), expected=text, hint="请不要修改项目名称"))
            else:
                out.append(finding("label-edited", f"第{ar + 1}行的项目名称“{text}”被删去，按原位置读取",
                                   sheet=p.sheet, cell=a1(ar, label_col), expected=text))
        for k in range(i1 + paired, i2):
            er, text = expected[k]
            out.append(finding("row-deleted", f"“{text}”这一行被删除了", sheet=p.sheet,
                               cell=a1(start + j1 + paired if j1 + paired < len(actual) else start + len(actual), 0),
                               expected=text, hint="请使用下发的模板，不要删除行"))
        for k in range(j1 + paired, j2):
            ar = start + k
            p.extra_rows.append(ar)
            out.append(finding("row-inserted", f"第{ar + 1}行疑似插入了新行，已跳过该行并按项目名称对齐其余各行",
                               sheet=p.sheet, cell=a1(ar, 0), hint="请删除插入的行"))
    return out


def _free_rows(sl: SheetLayout, p: Placement) -> list[Finding]:
    start = p.rows[HEADER_ROW] + 1
    for r, c, _ in sl.labels:
        if c == 0 and r > HEADER_ROW:
            p.rows[r] = start + (r - FIRST_ROW)
    return []


def _last_row(grid: Grid, start: int) -> int:
    last = start - 1
    for r in range(start, len(grid)):
        if any(v not in (None, "") for v in grid[r]):
            last = r
    return last
