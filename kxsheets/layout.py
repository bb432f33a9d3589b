"""Where every field of a template schema sits in the workbook.

The one place that turns a schema into cell addresses: the template writer writes here, the
validator reads here, and the structure fingerprint in the meta sheet is a hash of this. Rows
and columns are 0-based (xlsxwriter's convention); :func:`a1` gives the Excel address.

Form sheet                               Table sheet
  row 0  title (merged)                    row 0  title (merged)
  row 1  填报单位 / 年度 (merged)            row 1  填报单位 / 年度 (merged)
  row 2  填报项目 | 填报值 | 单位 | 填写说明    row 2  <row_header or 序号> | column headings …
  row 3+ one field per row                 row 3+ one row per enumerated item, or free rows
                                           (then 合计 for fixed tables with total_row)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache

from xlsxwriter.utility import xl_rowcol_to_cell

from .schema.models import FieldSpec, FormSheet, TableSheet, TemplateSchema

HEADER_ROW = 2
FIRST_ROW = 3
FORM_HEADERS = ("填报项目", "填报值", "单位", "填写说明")
FORM_VALUE_COL = 1
META_SHEET = "_meta"
LISTS_SHEET = "_lists"
GUIDE_SHEET = "填表说明"
TOTAL_LABEL = "合计"


@lru_cache(maxsize=65536)
def a1(row: int, col: int) -> str:
    return xl_rowcol_to_cell(row, col)


@dataclass(frozen=True)
class Cell:
    """One input cell: its dotted name (see schema.names), position and field."""

    name: str
    row: int
    col: int
    spec: FieldSpec
    label: str = ""  # as findings name it: 全国科普日·场次, 第3行·活动名称, 常住人口

    @property
    def ref(self) -> str:
        return a1(self.row, self.col)


@dataclass(frozen=True)
class SheetLayout:
    sheet: FormSheet | TableSheet
    cells: tuple[Cell, ...]
    labels: tuple[tuple[int, int, str], ...]  # fixed texts a township must not change
    last_col: int
    total_row: int | None = None
    data_rows: tuple[int, int] = (FIRST_ROW, FIRST_ROW)  # first, last (inclusive)
    by_name: dict[str, Cell] = field(default_factory=dict, compare=False, repr=False)
    by_row: dict[int, tuple[Cell, ...]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.sheet.name


def _sheet_layout(sheet: FormSheet | TableSheet, cells: list[Cell], labels: list[tuple[int, int, str]],
                  last_col: int, total: int | None, last_row: int) -> SheetLayout:
    by_row: dict[int, list[Cell]] = {}
    for c in cells:
        by_row.setdefault(c.row, []).append(c)
    return SheetLayout(sheet, tuple(cells), tuple(labels), last_col, total, (FIRST_ROW, last_row),
                       {c.name: c for c in cells}, {r: tuple(cs) for r, cs in by_row.items()})


@dataclass(frozen=True)
class Layout:
    schema: TemplateSchema
    sheets: tuple[SheetLayout, ...]
    fingerprint: str
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    def cell(self, name: str) -> tuple[SheetLayout, Cell]:
        for s in self.sheets:
            if name in s.by_name:
                return s, s.by_name[name]
        raise KeyError(name)


def _form(sheet: FormSheet) -> SheetLayout:
    cells = [Cell(f.key, FIRST_ROW + i, FORM_VALUE_COL, f, f.label) for i, f in enumerate(sheet.fields)]
    labels = [(HEADER_ROW, c, h) for c, h in enumerate(FORM_HEADERS)]
    labels += [(FIRST_ROW + i, 0, f.label) for i, f in enumerate(sheet.fields)]
    return _sheet_layout(sheet, cells, labels, len(FORM_HEADERS) - 1, None, FIRST_ROW + len(sheet.fields) - 1)


def _table(sheet: TableSheet) -> SheetLayout:
    first_header = sheet.row_header if sheet.fixed else "序号"
    labels = [(HEADER_ROW, 0, first_header)]
    labels += [(HEADER_ROW, 1 + j, col.heading) for j, col in enumerate(sheet.columns)]
    cells: list[Cell] = []
    row_ids = [r.key for r in sheet.rows] if sheet.rows else [str(i + 1) for i in range(sheet.row_count)]
    for i, rid in enumerate(row_ids):
        r = FIRST_ROW + i
        labels.append((r, 0, sheet.rows[i].label if sheet.rows else rid))
        row_label = sheet.rows[i].label if sheet.rows else f"第{rid}行"
        cells += [Cell(f"{sheet.key}.{rid}.{col.key}", r, 1 + j, col, f"{row_label}·{col.label}")
                  for j, col in enumerate(sheet.columns)]
    last = FIRST_ROW + len(row_ids) - 1
    total = last + 1 if sheet.total_row else None
    if total is not None:
        labels.append((total, 0, TOTAL_LABEL))
    return _sheet_layout(sheet, cells, labels, len(sheet.columns), total, last)


def _fingerprint(schema: TemplateSchema, sheets: tuple[SheetLayout, ...]) -> str:
    shape = [
        [s.name, s.sheet.kind, [[c.name, c.ref, c.spec.type] for c in s.cells], [list(x) for x in s.labels]]
        for s in sheets
    ]
    blob = json.dumps([schema.id, schema.version, shape], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _columns(sheets: tuple[SheetLayout, ...]) -> dict[str, tuple[str, ...]]:
    """Table column name (activities.sessions) → its cells' names, in row order."""
    out: dict[str, list[str]] = {}
    for s in sheets:
        if isinstance(s.sheet, TableSheet):
            for c in s.cells:
                out.setdefault(f"{s.sheet.key}.{c.spec.key}", []).append(c.name)
    return {k: tuple(v) for k, v in out.items()}


_LAYOUTS: dict[int, tuple[TemplateSchema, Layout]] = {}


def layout(schema: TemplateSchema) -> Layout:
    """The layout of a template schema, cached by identity: schemas are immutable, and hashing a
    whole pydantic model on every lookup cost more than the validation of a cell."""
    hit = _LAYOUTS.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    sheets = tuple(_form(s) if isinstance(s, FormSheet) else _table(s) for s in schema.sheets)
    lay = Layout(schema, sheets, _fingerprint(schema, sheets), _columns(sheets))
    if len(_LAYOUTS) > 64:
        _LAYOUTS.clear()
    _LAYOUTS[id(schema)] = (schema, lay)
    return lay
