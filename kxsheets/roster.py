"""The roster of units (units.xlsx): who gets a template, who is expected to return one.

Columns: 单位名称, 编码, 联系人, 邮箱. Everything here ends up in file names, workbook cells and
(later) mail headers, so it is checked on the way in: no control characters or line breaks,
unique names and codes, codes of digits, plausible e-mail addresses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import KxError
from .layout import a1
from .text import has_line_break, strip_controls

ROSTER_SHEET = "单位名单"
COLUMNS = ("单位名称", "编码", "联系人", "邮箱")
_CODE = re.compile(r"^\d{6,18}$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+$")


@dataclass(frozen=True)
class Unit:
    name: str
    code: str
    contact: str = ""
    email: str = ""


def read_roster(path: Path) -> list[Unit]:
    """Read and check units.xlsx; raises KxError naming the sheet and cell of the first problems."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several unrelated types for damaged files
        raise KxError("roster-unreadable", f"无法读取单位名单：{exc}", path=str(path)) from None
    sheet = ROSTER_SHEET if ROSTER_SHEET in wb.sheet_names else wb.sheet_names[0]
    rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    if not rows or [str(c).strip() for c in rows[0][: len(COLUMNS)]] != list(COLUMNS):
        raise KxError("roster-header", f"工作表「{sheet}」第 1 行应为：{'、'.join(COLUMNS)}", path=str(path))
    units, problems = _parse_rows(rows[1:], sheet)
    if problems:
        raise KxError("roster-invalid", "单位名单有误：\n  " + "\n  ".join(problems), path=str(path))
    if not units:
        raise KxError("roster-empty", f"工作表「{sheet}」中没有单位", path=str(path))
    return units


def _cell_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)  # calamine returns numbers as float; a code typed as a number is still a code
    return strip_controls(str(v)).strip() if v is not None else ""


def _parse_rows(rows: list[list[object]], sheet: str) -> tuple[list[Unit], list[str]]:
    units: list[Unit] = []
    problems: list[str] = []
    names: set[str] = set()
    codes: set[str] = set()
    for i, row in enumerate(rows, start=1):
        raw = [row[j] if j < len(row) else "" for j in range(len(COLUMNS))]
        if all(v in ("", None) for v in raw):
            continue
        if any(isinstance(v, str) and has_line_break(v) for v in raw):
            problems.append(f"{sheet}!A{i + 1}: 单元格中不能有换行")
            continue
        if any(isinstance(v, str) and "=?" in v for v in raw):  # an encoded word could smuggle a mail header
            problems.append(f"{sheet}!A{i + 1}: 单元格中不能有“=?”")
            continue
        name, code, contact, email = (_cell_text(v) for v in raw)
        where = lambda c: f"{sheet}!{a1(i, c)}"  # noqa: E731 - tiny local helper
        if not name or len(name) > 40:
            problems.append(f"{where(0)}: 单位名称为空或超过 40 个字")
        elif name in names:
            problems.append(f"{where(0)}: 单位名称“{name}”重复")
        if not _CODE.match(code):
            problems.append(f"{where(1)}: 编码“{code}”应为 6 至 18 位数字")
        elif code in codes:
            problems.append(f"{where(1)}: 编码“{code}”重复")
        if email and not _EMAIL.match(email):
            problems.append(f"{where(3)}: 邮箱“{email}”格式不正确")
        names.add(name)
        codes.add(code)
        units.append(Unit(name, code, contact, email))
    return units, problems


def write_roster(path: Path, units: list[Unit]) -> None:
    """Write units.xlsx (atomically), every value as text."""
    import xlsxwriter

    from .atomic import atomic_path
    from .styles import WORKBOOK_OPTIONS
    from .text import column_width

    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        ws = wb.add_worksheet(ROSTER_SHEET)
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "font_name": "宋体"})
        body = wb.add_format({"num_format": "@", "border": 1, "font_name": "宋体"})
        for c, h in enumerate(COLUMNS):
            ws.write_string(0, c, h, head)
        table = [(u.name, u.code, u.contact, u.email) for u in units]
        for r, values in enumerate(table, start=1):
            for c, v in enumerate(values):
                ws.write_string(r, c, v, body)
        for c, h in enumerate(COLUMNS):
            ws.set_column(c, c, column_width([h, *(row[c] for row in table)]))
        ws.freeze_panes(1, 0)
        wb.close()
