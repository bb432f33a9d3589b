"""Semantic checks of a scoring schema: targets readable, types consistent, weights add up."""

from __future__ import annotations

from collections import Counter

from ..quantity import NotANumber, Quantity, parse_quantity
from .checks import Problem
from .expr import Expr, ExprError
from .models import TemplateSchema
from .names import names
from .scoring import Indicator, IndicatorType, RuleSet, ScoringSchema


def parse_target(ind: Indicator) -> Quantity | None:
    """The target as a quantity, or None for a qualitative target ("良好以上")."""
    return parse_quantity(ind.target)


def indicator_type(ind: Indicator) -> IndicatorType:
    """Explicit type, else inferred from the target text (scoring-rules.md §2.3)."""
    if ind.type is not None:
        return ind.type
    q = parse_target(ind)
    if q is None:
        return "qualitative"
    if q.bound in ("le", "lt") or (q.bound is None and ind.level2 == "成本指标"):
        return "reverse"
    return "equal" if q.bound == "eq" else "positive"


def check_scoring(schema: ScoringSchema, rules: RuleSet, source: TemplateSchema | None) -> list[Problem]:
    out: list[Problem] = []
    scored = [i for i, f in enumerate(schema.funding) if f.scored]
    if len(scored) != 1:
        out.append(("funding", f"资金情况中必须恰好有一行计分（scored: true），现有 {len(scored)} 行"))
    for key, c in Counter(f.key for f in schema.funding).items():
        if c > 1:
            out.append(("funding", f"资金行 key “{key}”重复"))
    for key, c in Counter(i.key for i in schema.indicators).items():
        if c > 1:
            out.append(("indicators", f"指标 key “{key}”重复"))
    for i, ind in enumerate(schema.indicators):
        out += [(f"indicators[{i}].{p}", m) for p, m in _check_indicator(ind, source, schema)]
    total = rules.funding_weight + sum((i.weight for i in schema.indicators), start=0)
    if total != rules.total_weight:
        out.append(("indicators", f"分值合计为 {total}（执行率 {rules.funding_weight} + 各指标），应为 {rules.total_weight}"))
    return out


def _check_indicator(ind: Indicator, source: TemplateSchema | None, schema: ScoringSchema) -> list[Problem]:
    try:
        q = parse_target(ind)
    except NotANumber as exc:
        return [("target", str(exc))]
    out: list[Problem] = []
    if ind.type in ("positive", "reverse", "equal") and q is None:
        out.append(("type", f"目标值“{ind.target}”不是数值，不能按 {ind.type} 计分（定性指标请用 qualitative）"))
    if ind.actual.from_ == "township":
        if q is None:
            out.append(("actual.from", "定性指标的完成值不能取自乡镇汇总数"))
        out += _check_township_expr(ind, source, schema)
    if q is not None and ind.actual.unit is not None and ind.actual.unit != q.unit:
        out.append(("actual.unit", f"完成值单位“{ind.actual.unit}”与目标值单位“{q.unit}”不一致（不做自动换算）"))
    return out


def _check_township_expr(ind: Indicator, source: TemplateSchema | None, schema: ScoringSchema) -> list[Problem]:
    if source is None:
        return [("actual.expr", f"完成值取自乡镇汇总，但 source_template “{schema.source_template}”未找到")]
    try:
        e = Expr.parse(ind.actual.expr or "")
    except ExprError as exc:
        return [("actual.expr", str(exc))]
    unknown = sorted(e.names - set(names(source)))
    if unknown:
        return [("actual.expr", f"乡镇填报表 {source.id} 中没有这些名称：{', '.join(unknown)}")]
    return []
