"""The whole 自评表 scored: funding rows, indicators (完成值 from the townships' totals or the
department's own form), 总分 and 等级, and what the department still has to explain.

    score_card(scoring, rules, totals, department, source) -> Scorecard
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .findings import Finding, finding
from .quantity import NotANumber, Quantity, parse_quantity
from .schema.expr import Expr, MissingValue
from .schema.models import TemplateSchema
from .schema.scoring import Indicator, IndicatorType, RuleSet, ScoringSchema
from .schema.scoring_checks import indicator_type, parse_target
from .score import FundingResult, IndicatorScore, grade, score_funding, score_indicator
from .text import plain_value
from .validate import env_of

TYPE_NAMES = {"positive": "正向", "reverse": "反向", "equal": "等于", "qualitative": "定性"}


@dataclass
class FundingLine:
    key: str
    label: str
    a: Decimal | None
    b: Decimal | None
    c: Decimal
    weight: Decimal | None  # None: a row that is shown, not scored
    result: FundingResult | None


@dataclass
class IndicatorLine:
    indicator: Indicator
    kind: IndicatorType
    target: Quantity | None
    actual_text: str
    actual: Quantity | None
    source: str  # 乡镇汇总 / 部门填报
    level: str | None
    outcome: IndicatorScore
    reason: str = ""
    measure: str = ""

    @property
    def score(self) -> Decimal | None:
        return self.outcome.score


@dataclass
class Scorecard:
    scoring: ScoringSchema
    rules: RuleSet
    preset: str
    unit_name: str
    year: int
    funding: list[FundingLine]
    indicators: list[IndicatorLine]
    goals: list[tuple[str, str]]  # (年初设定目标, 目标完成情况)
    findings: list[Finding] = field(default_factory=list)

    @property
    def funding_score(self) -> Decimal:
        return sum((f.result.score for f in self.funding if f.weight is not None and f.result and f.result.score
                    is not None), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.funding_score + sum((i.score for i in self.indicators if i.score is not None), Decimal(0))

    @property
    def grade(self) -> str:
        return grade(self.total, self.rules)

    @property
    def complete(self) -> bool:
        """Every scored part has a score (otherwise 总分 is provisional)."""
        return all(i.score is not None for i in self.indicators) and all(
            f.result is not None and f.result.score is not None for f in self.funding if f.weight is not None)


def score_card(scoring: ScoringSchema, rules: RuleSet, preset: str, totals: dict[str, Any],
               department: dict[str, Any], source: TemplateSchema | None, unit_name: str = "",
               year: int = 0) -> Scorecard:
    """Score everything. ``totals``: the townships' consolidated values; ``department``: the values
    read from the department's form (department.py names)."""
    card = Scorecard(scoring, rules, preset, unit_name or str(department.get("unit_name", "")), year,
                     [], [], [])
    for row in scoring.funding:
        card.funding.append(_funding(row.key, row.label, row.scored, department, rules, card))
    env = env_of(source, totals) if source is not None else dict(totals)
    for ind in scoring.indicators:
        card.indicators.append(_indicator(ind, env, department, rules, card))
    card.goals = [(g, str(department.get(f"goals.g{n}.done") or "")) for n, g in enumerate(scoring.goals, start=1)]
    return card


def _funding(key: str, label: str, scored: bool, dept: dict[str, Any], rules: RuleSet,
             card: Scorecard) -> FundingLine:
    a, b, c = (dept.get(f"{key}_{x}") for x in "abc")
    c = c if isinstance(c, Decimal) else Decimal(0)
    weight = rules.funding_weight if scored else None
    if not isinstance(a, Decimal) or not isinstance(b, Decimal):
        if scored:
            card.findings.append(finding("funding-missing", f"{label}：缺少全年预算数（A）或全年执行数（B），执行率无法计分",
                                         sheet="资金情况", field=key))
        return FundingLine(key, label, a, b, c, weight, None)
    result = score_funding(a, b, c, weight or rules.funding_weight, rules)
    return FundingLine(key, label, a, b, c, weight, result)


def _indicator(ind: Indicator, env: dict[str, Any], dept: dict[str, Any], rules: RuleSet,
               card: Scorecard) -> IndicatorLine:
    kind, target = indicator_type(ind), parse_target(ind)
    row = lambda col: dept.get(f"indicators.{ind.key}.{col}")  # noqa: E731
    level = row("level")
    actual_text, actual, source = "", None, "部门填报"
    problems: list[tuple[str, str]] = []
    if kind != "qualitative" and ind.actual.from_ == "township":
        source = "乡镇汇总"
        try:
            value = Expr.parse(ind.actual.expr or "").evaluate(env)
            unit = ind.actual.unit or (target.unit if target else "")
            actual = Quantity(Decimal(value), unit, text=f"{Decimal(value).normalize():f}{unit}")
            actual_text = actual.text
        except MissingValue:
            problems.append(("actual-missing", "乡镇汇总中没有这个数（尚未汇总或各乡镇均未填写）"))
    elif kind != "qualitative":
        actual_text = str(row("actual") or "")
        try:
            actual = parse_quantity(actual_text) if actual_text else None
        except NotANumber as exc:
            problems.append(("actual-unreadable", str(exc)))
        if actual_text and actual is None and not problems:
            problems.append(("actual-unreadable", f"完成值“{actual_text}”读不出数字"))
        if actual is not None and not actual.unit and target is not None:
            actual = Quantity(actual.value, target.unit, actual.bound, actual.approx, actual.text)
    else:
        actual_text = str(row("actual") or level or "")
    if problems:
        outcome = IndicatorScore(None, "", problems)
    else:
        typed = row("score")
        outcome = score_indicator(kind, target, actual, ind.weight, rules, level=level,
                                  typed=typed if isinstance(typed, Decimal) else None)
    line = IndicatorLine(ind, kind, target, actual_text, actual, source, level, outcome,
                         str(row("reason") or ""), str(row("measure") or ""))
    for code, message in outcome.problems:
        card.findings.append(finding(code, f"{ind.name}：{message}", sheet="绩效指标", field=ind.key,
                                     label=ind.name, value=actual_text))
    if line.score is not None and line.score < ind.weight and not (line.reason and line.measure):
        card.findings.append(finding("reason-missing", f"{ind.name}：得分 {line.score} 低于分值 {ind.weight}，"
                                                       "请填写未完成原因和改进措施", sheet="绩效指标", field=ind.key,
                                     label=ind.name))
    return line


def to_dict(card: Scorecard) -> dict[str, Any]:
    """The whole breakdown as plain data (``kxsheets score --format json``)."""
    return {
        "preset": card.preset, "layout": card.rules.layout, "unit": card.unit_name, "year": card.year,
        "funding": [{"key": f.key, "label": f.label, "a": plain_value(f.a), "b": plain_value(f.b), "c": plain_value(f.c),
                     "weight": plain_value(f.weight),
                     "display_rate": plain_value(f.result.display_rate) if f.result else None,
                     "scored_rate": plain_value(f.result.scored_rate) if f.result else None,
                     "score": plain_value(f.result.score) if f.result and f.weight is not None else None,
                     "rule": f.result.rule if f.result and f.weight is not None else ""} for f in card.funding],
        "indicators": [{"key": i.indicator.key, "level1": i.indicator.level1, "level2": i.indicator.level2,
                        "level3": i.indicator.level3, "name": i.indicator.name, "type": i.kind,
                        "type_name": TYPE_NAMES[i.kind], "target": i.indicator.target,
                        "target_value": plain_value(i.target.value) if i.target else None,
                        "target_unit": i.target.unit if i.target else None, "actual": i.actual_text,
                        "actual_value": plain_value(i.actual.value) if i.actual else None,
                        "actual_unit": i.actual.unit if i.actual else None, "source": i.source, "level": i.level,
                        "weight": plain_value(i.indicator.weight), "score": plain_value(i.score), "rule": i.outcome.rule,
                        "reason": i.reason, "measure": i.measure} for i in card.indicators],
        "total": plain_value(card.total), "grade": card.grade, "complete": card.complete,
        "findings": [f.to_dict() for f in card.findings],
    }
