"""Scoring: 预算执行率 and its 得分, indicator scores from their target text, 总分 and 等级.

Pure functions over Decimal. Every score carries, in Chinese, the rule that produced it, so a
clerk can see why it is what it is. The formulas and where each comes from are in
../shared/domain/scoring-rules.md (§1 执行率, §2 indicators, §3 grades, §6 summary).

    score_funding(a, b, c, weight, rules) -> FundingResult
    score_indicator(kind, target, actual, weight, rules, level=…, typed=…) -> IndicatorScore
    grade(total, rules) -> "优" | "良" | …
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from .quantity import Quantity
from .schema.scoring import IndicatorType, RuleSet

CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")  # a rate shown as 118.65 %
LEVELS = ("达成", "部分达成", "未达成")
# A 定性 score when the department gives none: the top of 达成's band, the middle of the others
# (scoring-rules.md §2.3 suggests 0.7w and 0.3w for the national bands).
DEFAULT_SHARE = {"达成": Decimal(1), "部分达成": Decimal("0.7"), "未达成": Decimal("0.3")}


def rounded(x: Decimal, rounding: str = "half_up") -> Decimal:
    """2 dp: 四舍五入 (half_up) or truncation (down, as 重庆 publishes)."""
    return x.quantize(CENT, rounding=ROUND_DOWN if rounding == "down" else ROUND_HALF_UP)


@dataclass
class FundingResult:
    display_rate: Decimal | None  # the rate the form shows (net or gross), 4 dp as a fraction
    scored_rate: Decimal | None  # the rate the score is computed on
    score: Decimal | None
    rule: str


def execution_rate(a: Decimal, b: Decimal, c: Decimal, basis: str) -> Decimal | None:
    """gross B/A or net (B−C)/A; None when A is 0 (no budget: no rate)."""
    if not a:
        return None
    return (b - c) / a if basis == "net" else b / a


def score_funding(a: Decimal, b: Decimal, c: Decimal, weight: Decimal, rules: RuleSet) -> FundingResult:
    shown = execution_rate(a, b, c, rules.rate_display)
    rate = execution_rate(a, b, c, rules.rate_scoring)
    if rate is None or shown is None:
        return FundingResult(None, None, None, "全年预算数为 0，无法计算执行率")
    basis = "(B−C)/A" if rules.rate_scoring == "net" else "B/A"
    if rules.over_rule == "cap":
        raw, rule = weight * min(rate, Decimal(1)), f"分值×min({basis},100%)（超过 100% 按满分）"
    elif rules.over_rule == "symmetric":
        raw = weight * max(Decimal(0), 1 - abs(rate - 1))
        rule = f"分值×(1−|{basis}−100%|)（偏离 100% 对称扣分）"
    else:
        raw, rule = weight * rate, f"分值×{basis}（不封顶）"
    score = min(rounded(raw, rules.rounding), weight)
    how = "截尾" if rules.rounding == "down" else "四舍五入"
    return FundingResult(shown.quantize(RATE_PLACES, ROUND_HALF_UP), rate, score, f"{rule}，保留两位小数{how}")


@dataclass
class IndicatorScore:
    score: Decimal | None
    rule: str
    problems: list[tuple[str, str]] = field(default_factory=list)  # (finding code, Chinese message)


def score_indicator(kind: IndicatorType, target: Quantity | None, actual: Quantity | None, weight: Decimal,
                    rules: RuleSet, level: str | None = None, typed: Decimal | None = None) -> IndicatorScore:
    """One indicator's 得分. ``level`` is 达成/部分达成/未达成 for a 定性 indicator and ``typed`` a
    score the department entered for it; quantitative scores are computed, never typed."""
    if kind == "qualitative":
        return _qualitative(level, typed, weight, rules)
    if target is None or actual is None:
        return IndicatorScore(None, "", [("actual-missing", "缺少完成值，无法计分")])
    if actual.unit and target.unit and actual.unit != target.unit:
        return IndicatorScore(None, "", [("actual-unit-mismatch", f"完成值单位“{actual.unit}”与目标值单位“{target.unit}”不一致，"
                                                           "不做自动换算，请改用同一单位")])
    x, t = actual.value, target.value
    notes: list[tuple[str, str]] = []
    if x < 0:
        x = Decimal(0)
        notes.append(("actual-negative", "完成值为负数，按 0 计"))
    raw, rule = _quantitative(kind, t, x, weight)
    return IndicatorScore(min(rounded(raw, rules.rounding), weight), rule, notes)


def _quantitative(kind: str, t: Decimal, x: Decimal, w: Decimal) -> tuple[Decimal, str]:
    if kind == "equal" and t == 0:
        return (w, "目标为 0 且完成值为 0，得满分") if x <= 0 else (Decimal(0), "目标为 0 而完成值大于 0，得 0 分")
    if kind == "reverse":
        if x <= t:
            return w, "反向指标：完成值不超过目标值，得满分"
        if t <= 0 or x >= 2 * t:
            return Decimal(0), "反向指标：完成值达到目标值的 2 倍及以上，得 0 分"
        return w * (1 - (x - t) / t), "反向指标：分值×(1−超出部分÷目标值)"
    if x >= t or t <= 0:
        return w, "完成值达到目标值（含边界），得满分"
    return w * x / t, "未达到目标值：分值×完成值÷目标值"


def qual_band(level: str, weight: Decimal, rules: RuleSet) -> tuple[Decimal, Decimal, bool]:
    """(low, high, high included) of a 定性 level's score band, bounds rounded to 2 dp."""
    hi = rounded(weight * rules.qual_bands.achieved)
    lo = rounded(weight * rules.qual_bands.partial)
    return {"达成": (hi, weight, True), "部分达成": (lo, hi, False), "未达成": (Decimal(0), lo, False)}[level]


def _qualitative(level: str | None, typed: Decimal | None, weight: Decimal, rules: RuleSet) -> IndicatorScore:
    if level not in LEVELS:
        return IndicatorScore(None, "", [("level-missing", "定性指标须选择完成程度：达成 / 部分达成 / 未达成")])
    lo, hi, closed = qual_band(level, weight, rules)
    band = f"[{lo}, {hi}{']' if closed else ')'}"
    if typed is None:
        score = rounded(weight * DEFAULT_SHARE[level])
        score = min(max(score, lo), hi if closed else hi - CENT)
        return IndicatorScore(score, f"定性“{level}”，分值区间 {band}，未填自评分，取 {score}")
    if typed > weight:
        return IndicatorScore(None, "", [("score-out-of-band", f"自评分 {typed} 大于分值 {weight}：得分不能大于分值")])
    if not (lo <= typed <= hi if closed else lo <= typed < hi):
        return IndicatorScore(None, "", [("score-out-of-band", f"“{level}”的得分应在 {band} 之间，填的是 {typed}")])
    return IndicatorScore(rounded(typed, rules.rounding), f"定性“{level}”，分值区间 {band}，自评分 {typed}")


def grade(total: Decimal, rules: RuleSet) -> str:
    """The first band whose lower bound the total reaches (90/80/60 by default, bounds included)."""
    return next(g.grade for g in rules.grades if total >= g.min)
