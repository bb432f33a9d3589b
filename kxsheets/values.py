"""Reading one cell as the schema's field type, the way townships actually write it.

Every conversion that changes what the cell says comes back as a note (info or warning) so it
is visible in the report; a value that cannot be read comes back as None with an error note.
The parser never raises for any text (a Hypothesis test holds it to that).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .quantity import NotANumber, normalize, parse_quantity
from .schema.models import NUMERIC_TYPES, FieldSpec
from .text import strip_controls

DASHES = {"无", "没有", "空", "-", "—", "——", "－", "–", "/", "／", "\\", "、", "暂无"}
YES, NO = {"是", "Y", "YES", "TRUE", "√", "有"}, {"否", "N", "NO", "FALSE", "×", "无"}
_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
_MONEY_FACTORS = {("元", "万元"): Decimal("0.0001"), ("万元", "元"): Decimal(10000)}


@dataclass(frozen=True)
class Note:
    code: str
    message: str
    expected: str = ""


@dataclass
class Parsed:
    value: Any = None
    notes: list[Note] = field(default_factory=list)

    def note(self, code: str, message: str, expected: str = "") -> Parsed:
        self.notes.append(Note(code, message, expected))
        return self


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def show(raw: Any) -> str:
    """A cell value as the user would see it, for messages."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, (dt.date, dt.datetime)):
        return raw.strftime("%Y-%m-%d")
    return str(raw)


def parse_cell(raw: Any, spec: FieldSpec) -> Parsed:
    """The cell's value as ``spec`` says it should be read, with notes on what was done."""
    if is_blank(raw):
        return Parsed(None)
    try:
        if spec.type in NUMERIC_TYPES:
            return _number(raw, spec)
        return {"text": _text, "choice": _choice, "bool": _bool, "date": _date}[spec.type](raw, spec)
    except (ValueError, ArithmeticError, OverflowError) as exc:  # belt and braces: never raise
        return Parsed(None).note("not-a-number", f"无法读取：{exc}")


def _number(raw: Any, spec: FieldSpec) -> Parsed:
    if isinstance(raw, bool) or isinstance(raw, (dt.date, dt.time, dt.timedelta)):
        return Parsed(None).note("not-a-number", f"应填数字，这里是“{show(raw)}”", _kind(spec))
    if isinstance(raw, (int, float)):
        return _checked(Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw), Parsed(), spec)
    text = strip_controls(str(raw))
    norm = normalize(text)
    if norm in DASHES:
        if spec.dash_means == "zero":
            return Parsed(Decimal(0)).note("dash-as-zero", f"“{text}”按 0 计")
        return Parsed(None).note("dash-as-blank", f"“{text}”按未填处理")
    try:
        q = parse_quantity(text)
    except NotANumber as exc:
        return Parsed(None).note("non-ascii-digits", str(exc), "0-9")
    if q is None:
        return Parsed(None).note("not-a-number", f"应填数字，这里是“{text}”", _kind(spec))
    out = Parsed()
    value = q.value
    unit = q.unit
    if spec.type == "percent":
        if unit == "%":
            unit = ""
        elif unit == "" and q.value > 1:
            pass  # "85" typed as text in a percent cell: left for the range check to question
    if unit:
        if spec.unit and unit == spec.unit:
            out.note("unit-in-cell", f"去掉了单元格中的单位“{unit}”，按 {_plain(value)} 读取")
        elif spec.unit and (unit, spec.unit) in _MONEY_FACTORS:
            value = value * _MONEY_FACTORS[(unit, spec.unit)]
            out.note("unit-converted", f"“{text}”已由{unit}换算为 {_plain(value)} {spec.unit}", spec.unit)
        else:
            want = spec.unit or ("百分比" if spec.type == "percent" else "不带单位的数字")
            return Parsed(None).note("wrong-unit", f"单位“{unit}”与本项要求的“{want}”不符，未自动换算", want)
    scaled = any(w in norm for w in ("万", "亿")) and not unit.endswith("元")
    if q.approx or q.bound:
        if not spec.approx:
            return Parsed(None).note("approximate-not-allowed", f"“{text}”是约数，本项须填确切数字", _kind(spec))
        out.note("value-approximate", f"“{text}”是约数，按 {_plain(value)} 计，请核实", _kind(spec))
    elif scaled:
        out.note("value-scaled", f"“{text}”按 {_plain(value)} 读取，请核实是否为确切数")
    elif not out.notes and (text.strip() != norm or not _PLAIN_NUMBER.match(norm)):
        out.note("value-normalized", f"“{text}”按 {_plain(value)} 读取")
    return _checked(value, out, spec)


def _checked(value: Decimal, out: Parsed, spec: FieldSpec) -> Parsed:
    if spec.type == "integer" and value != value.to_integral_value():
        return Parsed(None, out.notes).note("not-an-integer", f"应为整数，这里是 {_plain(value)}", "整数")
    if spec.min is not None and value < spec.min:
        return Parsed(None, out.notes).note("out-of-range", f"{_plain(value)} 小于下限 {_plain(spec.min)}",
                                            f"≥ {_plain(spec.min)}")
    if spec.max is not None and value > spec.max:
        return Parsed(None, out.notes).note("out-of-range", f"{_plain(value)} 大于上限 {_plain(spec.max)}",
                                            f"≤ {_plain(spec.max)}")
    out.value = value
    return out


def _text(raw: Any, spec: FieldSpec) -> Parsed:
    text = strip_controls(show(raw)).strip()
    if len(text) > spec.max_length:
        return Parsed(None).note("value-too-long", f"有 {len(text)} 个字，超过 {spec.max_length} 字",
                                 f"≤ {spec.max_length} 字")
    if spec.pattern and not re.fullmatch(spec.pattern, unicodedata.normalize("NFKC", text)):
        return Parsed(None).note("pattern-mismatch", f"“{text}”格式不符", spec.help or spec.pattern)
    return Parsed(unicodedata.normalize("NFKC", text) if spec.pattern else text)


def _choice(raw: Any, spec: FieldSpec) -> Parsed:
    text = unicodedata.normalize("NFKC", show(raw)).strip()
    options = spec.options or ()
    if text in options:
        return Parsed(text)
    return Parsed(None).note("not-a-choice", f"“{text}”不是可选值", "、".join(options))


def _bool(raw: Any, spec: FieldSpec) -> Parsed:
    if isinstance(raw, bool):
        return Parsed(raw)
    text = unicodedata.normalize("NFKC", show(raw)).strip().upper()
    if text in YES:
        return Parsed(True) if text == "是" else Parsed(True).note("value-normalized", f"“{show(raw)}”按“是”读取")
    if text in NO:
        return Parsed(False) if text == "否" else Parsed(False).note("value-normalized", f"“{show(raw)}”按“否”读取")
    return Parsed(None).note("not-a-choice", f"“{show(raw)}”应为“是”或“否”", "是、否")


def _date(raw: Any, spec: FieldSpec) -> Parsed:
    if isinstance(raw, dt.datetime):
        return Parsed(raw.date())
    if isinstance(raw, dt.date):
        return Parsed(raw)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 25_000 <= raw <= 80_000:
        from openpyxl.utils.datetime import from_excel

        d = from_excel(raw)
        return Parsed(d.date()).note("date-from-text", f"日期序号 {show(raw)} 按 {d:%Y-%m-%d} 读取")
    text = unicodedata.normalize("NFKC", show(raw)).strip().replace(" ", "")
    for pat in _DATE_PATTERNS:
        m = pat.match(text)
        if m:
            try:
                d = dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                break
            return Parsed(d).note("date-from-text", f"“{show(raw)}”按日期 {d:%Y-%m-%d} 读取")
    return Parsed(None).note("not-a-date", f"“{show(raw)}”不是日期", "如 2025-03-05")


def _kind(spec: FieldSpec) -> str:
    return "整数" if spec.type == "integer" else "百分比" if spec.type == "percent" else "数字"


def _plain(v: Decimal) -> str:
    try:
        if v == v.to_integral_value():
            return f"{int(v)}"
    except InvalidOperation:
        pass
    return f"{v.normalize():f}"
