from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kxsheets.quantity import NotANumber, parse_quantity


@pytest.mark.parametrize(
    "text, value, unit, bound, approx",
    [
        ("12000人次", Decimal(12000), "人次", None, False),
        ("5%以上", Decimal("0.05"), "%", "ge", False),
        ("≤104万元", Decimal(104), "万元", "le", False),
        ("300余篇", Decimal(300), "篇", None, True),
        ("1.7万", Decimal(17000), "", None, False),
        ("１２", Decimal(12), "", None, False),  # full-width digits
        ("1,234.5元", Decimal("1234.5"), "元", None, False),
        ("约50人", Decimal(50), "人", None, True),
        ("500左右", Decimal(500), "", None, True),
        ("不超过 50 万元", Decimal(50), "万元", "le", False),
        ("10次以上", Decimal(10), "次", "ge", False),
        ("90％以上", Decimal("0.9"), "%", "ge", False),
        ("-3", Decimal(-3), "", None, False),
    ],
)
def test_parses(text, value, unit, bound, approx) -> None:
    q = parse_quantity(text)
    assert q is not None
    assert (q.value, q.unit, q.bound, q.approx) == (value, unit, bound, approx)


@pytest.mark.parametrize("text", ["良好以上", "长期坚持", "无", "", "—", "1.2.3", "12ab34"])
def test_not_a_quantity(text) -> None:
    assert parse_quantity(text) is None


def test_non_ascii_digits_are_refused() -> None:
    with pytest.raises(NotANumber):
        parse_quantity("١٢")  # float() would accept this; we do not


@given(st.text(max_size=30))
def test_never_raises_anything_else(text: str) -> None:
    try:
        parse_quantity(text)
    except NotANumber:
        pass
