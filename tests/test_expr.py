from decimal import Decimal

import pytest

from kxsheets.schema.expr import Expr, ExprError, MissingValue

ENV = {"a": 3, "b": 4.5, "t.x": [1, 2, None, ""], "flag": True, "name": "城关镇", "zero": 0}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a + b", Decimal("7.5")),
        ("a * 2 - 1", Decimal(5)),
        ("b / a", Decimal("1.5")),
        ("a <= b", True),
        ("1 < a < 3", False),
        ("1 < a <= 3", True),
        ("sum(t.x)", Decimal(3)),
        ("count(t.x)", Decimal(2)),
        ("max(t.x)", Decimal(2)),
        ("min(a, b)", Decimal(3)),
        ("abs(zero - a)", Decimal(3)),
        ("round(b / a, 1)", Decimal("1.5")),
        ("1 if flag else 0", Decimal(1)),
        ("not flag or a == 3", True),
        ("name == '城关镇'", True),
        ("0.1 + 0.2 == 0.3", True),  # Decimal: exact to the cent
    ],
)
def test_evaluates(text: str, expected: object) -> None:
    assert Expr.parse(text).evaluate(ENV) == expected


def test_names_are_collected() -> None:
    assert Expr.parse("a.b.c <= sum(t.x) + d").names == {"a.b.c", "t.x", "d"}


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("__import__('os').system('x')", "不允许"),
        ("__import__('os')", "不支持的函数"),
        ("open('/etc/passwd')", "不支持的函数"),
        ("a[0]", "不允许"),
        ("a ** 99999", "不允许"),
        ("(lambda: 1)()", "不允许"),
        ("[x for x in t]", "不允许"),
        ("a.b()", "不允许"),
        ("sum(x=1)", "名称=值"),
        ("a +", "语法错误"),
        ("", "为空"),
    ],
)
def test_refuses_everything_outside_the_language(text: str, fragment: str) -> None:
    with pytest.raises(ExprError, match=fragment):
        Expr.parse(text)


@pytest.mark.parametrize("text", ["missing + 1", "a / zero", "min(t.y)", "t.x.y"])
def test_blank_or_undefined_values_mean_the_rule_does_not_apply(text: str) -> None:
    with pytest.raises(MissingValue):
        Expr.parse(text).evaluate({**ENV, "t.y": [None]})
