"""Typed models of the scoring schema (部门整体 / 项目支出 绩效自评表) and its presets.

A preset bundles one province's rules (分值 of 预算执行率, which rate is shown and which is
scored, what happens above 100 %, rounding, 定性 bands, grade bands, layout). A scoring schema
names a preset and may override any of its rules under ``rules:``. See
../shared/domain/scoring-rules.md for where each rule comes from.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .models import Kebab, Key, Level, Period, Strict, Version

RateBasis = Literal["gross", "net"]  # gross B/A, net (B−C)/A
OverRule = Literal["cap", "symmetric", "uncapped"]
Rounding = Literal["half_up", "down"]
IndicatorType = Literal["positive", "reverse", "equal", "qualitative"]
Layout = Literal["department", "project"]


class GradeBand(Strict):
    min: Decimal = Field(ge=0, le=100)
    grade: str = Field(min_length=1, max_length=4)


class QualBands(Strict):
    """Lower bounds, as fractions of 分值, of 达成 and 部分达成 (national 0.8/0.6, Hubei 0.8/0.5)."""

    achieved: Decimal = Field(default=Decimal("0.8"), gt=0, lt=1)
    partial: Decimal = Field(default=Decimal("0.6"), gt=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> QualBands:
        if self.partial >= self.achieved:
            raise ValueError("部分达成的下限必须低于达成的下限")
        return self


class RuleSet(Strict):
    funding_weight: Decimal = Field(default=Decimal(10), gt=0, le=100)
    rate_display: RateBasis = "gross"
    rate_scoring: RateBasis = "gross"
    over_rule: OverRule = "cap"
    rounding: Rounding = "half_up"
    qual_bands: QualBands = QualBands()
    grades: tuple[GradeBand, ...] = (
        GradeBand(min=Decimal(90), grade="优"),
        GradeBand(min=Decimal(80), grade="良"),
        GradeBand(min=Decimal(60), grade="中"),
        GradeBand(min=Decimal(0), grade="差"),
    )
    total_weight: Decimal = Decimal(100)
    layout: Layout = "department"

    @field_validator("grades")
    @classmethod
    def _grades_descending(cls, grades: tuple[GradeBand, ...]) -> tuple[GradeBand, ...]:
        return check_grades(grades)


def check_grades(grades: tuple[GradeBand, ...]) -> tuple[GradeBand, ...]:
    mins = [g.min for g in grades]
    if not mins or mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
        raise ValueError("grades 必须按下限从高到低排列且互不相同")
    if mins[-1] != 0:
        raise ValueError("最后一个等级的下限必须是 0")
    return grades


class Preset(RuleSet):
    id: Kebab
    title: str
    basis: str = Field(default="", description="where the rule comes from")


class RuleOverrides(Strict):
    """Any subset of a preset's rules, applied on top of it."""

    funding_weight: Decimal | None = Field(default=None, gt=0, le=100)
    rate_display: RateBasis | None = None
    rate_scoring: RateBasis | None = None
    over_rule: OverRule | None = None
    rounding: Rounding | None = None
    qual_bands: QualBands | None = None
    grades: tuple[GradeBand, ...] | None = None
    total_weight: Decimal | None = None
    layout: Layout | None = None

    @field_validator("grades")
    @classmethod
    def _grades_descending(cls, grades: tuple[GradeBand, ...] | None) -> tuple[GradeBand, ...] | None:
        return None if grades is None else check_grades(grades)


class FundingRow(Strict):
    """A row of the funding block; ``scored`` rows carry 分值 (the preset's funding_weight)."""

    key: Key
    label: str = Field(min_length=1, max_length=30)
    scored: bool = False


class Actual(Strict):
    """Where an indicator's 完成值 comes from."""

    from_: Literal["township", "department"] = Field(alias="from")
    expr: str | None = Field(default=None, description="over the source template's aggregated names")
    unit: str | None = None

    @model_validator(mode="after")
    def _expr_for_township(self) -> Actual:
        if self.from_ == "township" and not self.expr:
            raise ValueError("from: township 必须给出 expr（引用乡镇填报表的汇总值）")
        if self.from_ == "department" and self.expr:
            raise ValueError("from: department 的完成值由部门自填，不能给 expr")
        return self


class Indicator(Strict):
    key: Key
    level1: str = Field(min_length=1, max_length=20)
    level2: str = Field(min_length=1, max_length=20)
    level3: str = Field(default="", max_length=40)
    name: str = Field(min_length=1, max_length=120, description="目标内容")
    target: str = Field(min_length=1, max_length=60, description="目标值 as written: 12000人次")
    weight: Decimal = Field(ge=0, le=100)
    type: IndicatorType | None = Field(default=None, description="inferred from target when absent")
    actual: Actual = Actual(**{"from": "department"})


class ScoringSchema(Strict):
    kind: Literal["scoring"]
    id: Kebab
    version: Version
    title: str = Field(min_length=1, max_length=60)
    level: Level = "county"
    period: Period = "annual"
    description: str = ""
    preset: Kebab
    rules: RuleOverrides = RuleOverrides()
    source_template: Kebab | None = None
    funding: tuple[FundingRow, ...] = Field(min_length=1)
    goals: tuple[str, ...] = ()
    indicators: tuple[Indicator, ...] = Field(min_length=1)


def effective_rules(preset: Preset, overrides: RuleOverrides) -> RuleSet:
    """The preset with the schema's overrides applied."""
    base = preset.model_dump(exclude={"id", "title", "basis"})
    base.update(overrides.model_dump(exclude_none=True))
    return RuleSet.model_validate(base)
