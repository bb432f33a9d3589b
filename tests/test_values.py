"""The value parser: township spellings in, numbers/dates/choices out, every change noted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kxsheets.schema.models import FieldSpec
from kxsheets.values import parse_cell

PEOPLE = FieldSpec(key="p", label="参与人次", type="integer", unit="人次", min=0, max=10_000_000, approx=True)
EXACT = FieldSpec(key="e", label="村数", type="integer", unit="个", min=0, max=1000)
MONEY = FieldSpec(key="m", label="预算", type="money", unit="万元", min=0)
RATE = FieldSpec(key="r", label="比例", type="percent", min=0, max=1)
BOARDS = FieldSpec(key="b", label="展板", type="integer", unit="块", dash_means="zero")
DATE = FieldSpec(key="d", label="填报日期", type="date")
YESNO = FieldSpec(key="y", label="是否合格", type="bool")
CHOICE = FieldSpec(key="c", label="渠道", type="choice", choices=("微信公众号", "宣传栏"))
PHONE = FieldSpec(key="t", label="电话", type="text", pattern=r"^1\d{10}$", max_length=20)


@pytest.mark.parametrize(
    "spec, raw, value, codes",
    [
        (PEOPLE, 1200.0, Decimal(1200), []),
        (PEOPLE, "1200", Decimal(1200), []),
        (PEOPLE, "1200人次", Decimal(1200), ["unit-in-cell"]),
        (PEOPLE, "１２００", Decimal(1200), ["value-normalized"]),
        (PEOPLE, " 1,200 ", Decimal(1200), ["value-normalized"]),
        (PEOPLE, "1.7万", Decimal(17000), ["value-scaled"]),
        (PEOPLE, "约500", Decimal(500), ["value-approximate"]),
        (PEOPLE, "300余", Decimal(300), ["value-approximate"]),
        (EXACT, "约20", None, ["approximate-not-allowed"]),
        (PEOPLE, "一千二", None, ["not-a-number"]),
        (PEOPLE, "١٢", None, ["non-ascii-digits"]),
        (PEOPLE, 12.5, None, ["not-an-integer"]),
        (PEOPLE, -3.0, None, ["out-of-range"]),
        (EXACT, 1001.0, None, ["out-of-range"]),
        (PEOPLE, "5%", None, ["wrong-unit"]),
        (EXACT, "12人", None, ["wrong-unit"]),
        (PEOPLE, True, None, ["not-a-number"]),
        (PEOPLE, "无", None, ["dash-as-blank"]),
        (BOARDS, "—", Decimal(0), ["dash-as-zero"]),
        (BOARDS, "/", Decimal(0), ["dash-as-zero"]),
        (MONEY, 12.34, Decimal("12.34"), []),
        (MONEY, "50000元", Decimal(5), ["unit-converted"]),
        (MONEY, "5万元", Decimal(5), ["unit-in-cell"]),
        (RATE, 0.85, Decimal("0.85"), []),
        (RATE, "85%", Decimal("0.85"), ["value-normalized"]),
        (RATE, 85.0, None, ["out-of-range"]),
        (DATE, dt.date(2026, 1, 8), dt.date(2026, 1, 8), []),
        (DATE, dt.datetime(2026, 1, 8, 9), dt.date(2026, 1, 8), []),
        (DATE, "2026年1月8日", dt.date(2026, 1, 8), ["date-from-text"]),
        (DATE, "2026.1.8", dt.date(2026, 1, 8), ["date-from-text"]),
        (DATE, 46030.0, dt.date(2026, 1, 8), ["date-from-text"]),
        (DATE, "2026年13月1日", None, ["not-a-date"]),
        (DATE, "下周", None, ["not-a-date"]),
        (YESNO, "是", True, []),
        (YESNO, "否", False, []),
        (YESNO, "Y", True, ["value-normalized"]),
        (YESNO, "可能", None, ["not-a-choice"]),
        (CHOICE, "宣传栏", "宣传栏", []),
        (CHOICE, "广播", None, ["not-a-choice"]),
        (PHONE, 13974103220.0, "13974103220", []),
        (PHONE, "１３９７４１０３２２０", "13974103220", []),
        (PHONE, "0731", None, ["pattern-mismatch"]),
        (PHONE, "1" * 30, None, ["value-too-long"]),
        (PEOPLE, "", None, []),
        (PEOPLE, None, None, []),
    ],
)
def test_parse_table(spec, raw, value, codes) -> None:
    parsed = parse_cell(raw, spec)
    assert parsed.value == value
    assert [n.code for n in parsed.notes] == codes


CELLS = st.one_of(st.text(max_size=40), st.floats(allow_nan=True, allow_infinity=True), st.integers(),
                  st.booleans(), st.none(), st.dates(), st.datetimes())


@settings(max_examples=300, deadline=None)
@given(raw=CELLS, spec=st.sampled_from([PEOPLE, EXACT, MONEY, RATE, BOARDS, DATE, YESNO, CHOICE, PHONE]))
def test_parser_never_raises(raw, spec) -> None:
    parsed = parse_cell(raw, spec)
    assert parsed.value is not None or all(n.code for n in parsed.notes)
