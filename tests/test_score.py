"""The worked cases T1–T22 of ../shared/domain/scoring-rules.md §7, one test each (or a table)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from kxsheets.quantity import parse_quantity as q
from kxsheets.schema import Registry
from kxsheets.schema.scoring import RuleSet
from kxsheets.score import grade, score_funding, score_indicator


@pytest.fixture(scope="module")
def presets() -> dict[str, RuleSet]:
    return Registry.default().presets()


def rules(presets, preset: str = "national", **over) -> RuleSet:
    return presets[preset].model_copy(update=over)


def test_t1_wangcheng_net_rate_shown_symmetric_on_gross(presets) -> None:
    r = score_funding(D(302), D("363.88"), D("5.56"), D(10), rules(presets, "wangcheng"))
    assert r.display_rate == D("1.1865") and r.score == D("7.95")
    assert "对称" in r.rule


@pytest.mark.parametrize("over, score", [
    ({"rate_scoring": "net"}, D("8.14")),       # symmetric on the net rate
    ({"over_rule": "cap"}, D("10.00")),         # 财预〔2020〕10号 cap
])
def test_t1b_the_rule_choice_matters(presets, over, score) -> None:
    assert score_funding(D(302), D("363.88"), D("5.56"), D(10), rules(presets, "wangcheng", **over)).score == score


def test_t1b_uncapped_never_exceeds_the_weight(presets) -> None:
    """12.05 by the uncapped formula, but 得分不能大于分值."""
    r = score_funding(D(302), D("363.88"), D("5.56"), D(10), rules(presets, "wangcheng", over_rule="uncapped"))
    assert r.score == D(10)


@pytest.mark.parametrize("preset", ["national", "wangcheng", "hubei", "chongqing"])
def test_t2_below_100_percent_every_rule_agrees(presets, preset) -> None:
    r = score_funding(D("2286.89"), D("1720.3"), D(0), D(10), rules(presets, preset))
    assert r.display_rate == D("0.7522") and r.score == D("7.52")


def test_t3_chongqing_truncates(presets) -> None:
    a, b = D("4764453.11"), D("4614453.11")
    r = score_funding(a, b, D(0), D(10), rules(presets, "chongqing"))
    assert r.display_rate == D("0.9685") and r.score == D("9.68")
    assert score_funding(a, b, D(0), D(10), rules(presets, "national")).score == D("9.69")  # half-up differs


def test_t4_hubei_20_points(presets) -> None:
    r = score_funding(D(104), D("103.97"), D(0), D(20), rules(presets, "hubei"))
    assert r.display_rate == D("0.9997") and r.score == D("19.99")  # the published 19 is a hand truncation


@pytest.mark.parametrize("a, b, rate, score", [
    (D("43.2"), D("37.24"), D("0.8620"), D("8.62")),     # T5: published 9 (hand rounding)
    (D("1397.90"), D("1389.3"), D("0.9938"), D("9.94")),  # T6: published 10
])
def test_t5_t6_the_formula_not_the_hand_rounding(presets, a, b, rate, score) -> None:
    r = score_funding(a, b, D(0), D(10), rules(presets))
    assert (r.display_rate, r.score) == (rate, score)


def test_t7_over_execution_symmetric_or_capped(presets) -> None:
    a, b = D("285.84"), D("309.39")
    assert score_funding(a, b, D(0), D(10), rules(presets)).display_rate == D("1.0824")
    assert score_funding(a, b, D(0), D(10), rules(presets, over_rule="symmetric")).score == D("9.18")
    assert score_funding(a, b, D(0), D(10), rules(presets, over_rule="cap")).score == D(10)
    assert D("309.39") + D("16.89") == D("326.28")  # 上年 from 减少 16.89


def ind(presets, kind, target, actual, w, preset="national", **kw):
    return score_indicator(kind, q(target) if target else None, q(actual) if actual else None, D(w),
                           rules(presets, preset), **kw)


@pytest.mark.parametrize("case, kind, target, actual, w, score", [
    ("T8", "positive", "35次", "30次", 5, D("4.29")),
    ("T9", "positive", "300篇", "300余篇", 5, D(5)),
    ("T10", "reverse", "132万元", "126.73万元", 5, D(5)),
    ("T11", "reverse", "100", "120", 10, D("8.00")),
    ("T12", "reverse", "132", "150", 10, D("8.64")),
    ("T13", "reverse", "100", "200", 10, D(0)),
    ("T14a", "equal", "0", "0", 5, D(5)),
    ("T14b", "equal", "0", "1", 5, D(0)),
    ("T17", "positive", "10场", "9场", 8, D("7.2")),
    ("T18", "positive", "5%以上", "5.00%", 10, D(10)),
    ("T20", "positive", "35次", "-3次", 5, D(0)),
    ("T22", "positive", "10次以上", "10次", 5, D(5)),
])
def test_quantitative_indicators(presets, case, kind, target, actual, w, score) -> None:
    assert ind(presets, kind, target, actual, w).score == score, case


def test_t18_the_rate_is_a_ratio_of_sums() -> None:
    rate = (D(1100) + D(1400)) / (D(20000) + D(30000))
    assert rate == D("0.05") and (D(1100) / 20000 + D(1400) / 30000) / 2 != rate


def test_t20_a_negative_actual_is_noted(presets) -> None:
    assert ind(presets, "positive", "35次", "-3次", 5).problems[0][0] == "actual-negative"


@pytest.mark.parametrize("case, level, typed, ok", [
    ("T15", "部分达成", D(8), False),    # must be in [6, 8)
    ("T16", "达成", D("7.9"), False),     # must be in [8, 10]
    ("in band", "部分达成", D(7), True),
    ("top", "达成", D(10), True),
    ("T21", "达成", D(11), False),        # 得分不能大于分值
])
def test_qualitative_bands(presets, case, level, typed, ok) -> None:
    r = ind(presets, "qualitative", None, None, 10, level=level, typed=typed)
    assert (r.score is not None) == ok, case
    if not ok:
        assert r.problems[0][0] == "score-out-of-band"


def test_qualitative_default_scores_and_hubei_bands(presets) -> None:
    assert ind(presets, "qualitative", None, None, 10, level="达成").score == D(10)
    assert ind(presets, "qualitative", None, None, 10, level="部分达成").score == D(7)
    assert ind(presets, "qualitative", None, None, 10, level="未达成").score == D(3)
    assert ind(presets, "qualitative", None, None, 10, "hubei", level="部分达成", typed=D(5)).score == D(5)
    assert ind(presets, "qualitative", None, None, 10, "national", level="部分达成", typed=D(5)).score is None
    assert ind(presets, "qualitative", None, None, 10).problems[0][0] == "level-missing"


def test_unit_mismatch_is_a_finding_not_a_conversion(presets) -> None:
    r = ind(presets, "reverse", "132万元", "1267300元", 5)
    assert r.score is None and r.problems[0][0] == "actual-unit-mismatch"
    assert ind(presets, "positive", "12000人次", "12000人", 10).problems[0][0] == "actual-unit-mismatch"


@pytest.mark.parametrize("total, expected", [
    (D("94.52"), "优"), (D(95), "优"), (D("89.99"), "良"), (D(80), "良"), (D("79.99"), "中"), (D(60), "中"),
    (D("59.99"), "差")])
def test_t19_grades(presets, total, expected) -> None:
    assert grade(total, rules(presets)) == expected


def test_t19_grade_bands_are_configurable(presets) -> None:
    from kxsheets.schema.scoring import GradeBand

    system = tuple(GradeBand(min=D(m), grade=g) for m, g in ((80, "优"), (70, "良"), (60, "中"), (0, "差")))
    assert grade(D(75), rules(presets, grades=system)) == "良" and grade(D(75), rules(presets)) == "中"
