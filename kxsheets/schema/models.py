"""Typed models of the schema language (template schemas).

A *template schema* describes one reporting form: identity, sheets (form or table), fields,
derived fields, cross-field rules and how every value aggregates across units. The template
writer, the validator, consolidation and the 填表说明 all read these models; nothing about a
field is written anywhere else. Structural mistakes are caught by pydantic, semantic ones
(unknown names in rules, duplicate keys, sums over percentages …) by :mod:`.checks`.
See docs/schema-language.md for the language with one example per construct.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="ASCII key")]
Kebab = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")]
Version = Annotated[str, Field(pattern=r"^\d+(\.\d+){0,2}$")]

FieldType = Literal["integer", "decimal", "money", "percent", "text", "choice", "date", "bool"]
Aggregate = Literal["sum", "mean", "min", "max", "count_yes", "count", "none", "recompute"]
Severity = Literal["error", "warning", "info"]
Level = Literal["township", "county", "city", "province"]
Period = Literal["annual", "semiannual", "quarterly", "monthly"]
Prefill = Literal["unit.name", "unit.code", "unit.contact", "unit.email", "round.year", "round.county"]

NUMERIC_TYPES = frozenset({"integer", "decimal", "money", "percent"})
MONEY_UNITS = ("元", "万元")
BOOL_CHOICES = ("是", "否")

# Display formats per type (Excel number format codes), overridable per field.
DEFAULT_FORMATS: dict[str, str] = {
    "integer": "#,##0",
    "decimal": "#,##0.00",
    "money": "#,##0.00",
    "percent": "0.00%",
    "text": "@",
    "choice": "@",
    "bool": "@",
    "date": "yyyy-mm-dd",
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FieldSpec(Strict):
    """One value a unit reports: a labelled cell on a form sheet or a column of a table."""

    key: Key
    label: str = Field(min_length=1, max_length=60)
    type: FieldType
    unit: str | None = Field(default=None, max_length=10)
    required: bool = False
    min: Decimal | None = None
    max: Decimal | None = None
    choices: tuple[str, ...] | None = None
    help: str = Field(default="", max_length=250)
    format: str | None = None
    approx: bool = Field(default=False, description="“300余篇” tolerated as a warning")
    dash_means: Literal["blank", "zero"] = Field(default="blank", description="无 / — / 斜杠")
    max_length: int = Field(default=255, ge=1, le=32767)
    pattern: str | None = None
    prefill: Prefill | None = None
    aggregate: Aggregate | None = None
    width: float | None = Field(default=None, gt=0, le=120)

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, v: str | None) -> str | None:
        if v is not None:
            import re

            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"正则表达式无效：{exc}") from None
        return v

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        if self.type == "choice" and not self.choices:
            raise ValueError("choice 类型必须给出 choices")
        if self.choices is not None and self.type not in ("choice",):
            raise ValueError(f"只有 choice 类型可以有 choices（这里是 {self.type}）")
        if self.choices is not None and len(set(self.choices)) != len(self.choices):
            raise ValueError("choices 有重复项")
        if self.type == "money" and self.unit not in MONEY_UNITS:
            raise ValueError(f"money 类型的 unit 必须是 {' 或 '.join(MONEY_UNITS)}")
        if (self.min is not None or self.max is not None) and self.type not in NUMERIC_TYPES:
            raise ValueError(f"min/max 只适用于数值类型（这里是 {self.type}）")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) 大于 max ({self.max})")
        if self.approx and self.type not in NUMERIC_TYPES:
            raise ValueError("approx 只适用于数值类型")
        if self.pattern is not None and self.type != "text":
            raise ValueError("pattern 只适用于 text 类型")
        return self

    @property
    def agg(self) -> Aggregate:
        """The aggregate in force: explicit, else the natural one for the type."""
        if self.aggregate is not None:
            return self.aggregate
        if self.type in ("integer", "decimal", "money"):
            return "sum"
        return "count_yes" if self.type == "bool" else "none"

    @property
    def number_format(self) -> str:
        return self.format or DEFAULT_FORMATS[self.type]

    @property
    def options(self) -> tuple[str, ...] | None:
        """The allowed values of a list field (choice or 是/否)."""
        return BOOL_CHOICES if self.type == "bool" else self.choices

    @property
    def heading(self) -> str:
        """Label with unit, as written in headers: 参与人次（人次）."""
        return f"{self.label}（{self.unit}）" if self.unit else self.label


class RowSpec(Strict):
    """One enumerated row of a fixed table (e.g. one activity type)."""

    key: Key
    label: str = Field(min_length=1, max_length=60)
    help: str = Field(default="", max_length=250)


class FormSheet(Strict):
    """Labelled single-value cells: 单位名称, 填报人, 常住人口 …"""

    kind: Literal["form"]
    key: Key
    name: str = Field(min_length=1, max_length=31)
    title: str | None = None
    fields: tuple[FieldSpec, ...] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _sheet_name(cls, v: str) -> str:
        return _check_sheet_name(v)


class TableSheet(Strict):
    """A header plus either fixed enumerated rows or free rows (min/max count)."""

    kind: Literal["table"]
    key: Key
    name: str = Field(min_length=1, max_length=31)
    title: str | None = None
    row_header: str = Field(default="项目", max_length=30)
    rows: tuple[RowSpec, ...] | None = None
    min_rows: int = Field(default=0, ge=0)
    max_rows: int | None = Field(default=None, ge=1, le=2000)
    total_row: bool = False
    columns: tuple[FieldSpec, ...] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _sheet_name(cls, v: str) -> str:
        return _check_sheet_name(v)

    @model_validator(mode="after")
    def _rows_or_free(self) -> TableSheet:
        if self.rows is None and self.max_rows is None:
            raise ValueError("表格必须给出固定行 rows，或自由行的 max_rows")
        if self.rows is not None and self.max_rows is not None:
            raise ValueError("rows（固定行）与 max_rows（自由行）只能二选一")
        if self.max_rows is not None and self.min_rows > self.max_rows:
            raise ValueError(f"min_rows ({self.min_rows}) 大于 max_rows ({self.max_rows})")
        if self.total_row and self.rows is None:
            raise ValueError("合计行 total_row 只用于固定行表格")
        return self

    @property
    def fixed(self) -> bool:
        return self.rows is not None

    @property
    def row_count(self) -> int:
        return len(self.rows) if self.rows is not None else int(self.max_rows or 0)


Sheet = Annotated[FormSheet | TableSheet, Field(discriminator="kind")]


class Derived(Strict):
    """A value computed from others (per unit), and how it rolls up across units.

    ``aggregate: recompute`` evaluates the same expression on the aggregated inputs, which is
    what makes a county rate a ratio of sums rather than a mean of township rates.
    """

    key: Key
    label: str = Field(min_length=1, max_length=60)
    type: Literal["integer", "decimal", "money", "percent"]
    unit: str | None = None
    expr: str
    aggregate: Aggregate = "recompute"
    format: str | None = None
    help: str = Field(default="", max_length=250)

    @property
    def number_format(self) -> str:
        return self.format or DEFAULT_FORMATS[self.type]


class Rule(Strict):
    """A cross-field rule: ``assert`` must hold, else a finding of ``severity``."""

    id: Kebab
    assert_: str = Field(alias="assert")
    when: str | None = None
    severity: Severity = "error"
    message: str = Field(min_length=1, max_length=200)
    cells: tuple[str, ...] | None = None


class Chart(Strict):
    """A native Excel chart on the 汇总表: one bar per unit for each of ``bars``, and optionally
    ``line`` on a secondary axis (counts and people differ by orders of magnitude)."""

    title: str = Field(min_length=1, max_length=60)
    bars: tuple[str, ...] = Field(min_length=1, max_length=4)
    line: str | None = None


class Summary(Strict):
    """How consolidated values are shown; how each one aggregates is said by its field."""

    title: str | None = Field(default=None, max_length=60)
    columns: tuple[str, ...] | None = Field(
        default=None, description="the 汇总 sheet's columns; default: every numeric or 是/否 form field, "
                                  "then every derived field")
    rank: tuple[str, ...] = Field(default=(), description="columns ranked across units (largest = 1)")
    charts: tuple[Chart, ...] = ()
    swing: Decimal | None = Field(
        default=Decimal("0.5"), ge=0,
        description="a unit's value changing by more than this share from last round is a warning")
    swing_min: Decimal = Field(default=Decimal(10), ge=0, description="…and by more than this amount")


class Rollup(Strict):
    """This form is filled from the consolidated totals of another (the level below)."""

    source: Kebab = Field(description="id of the lower level's template schema")
    values: dict[str, str] = Field(
        default_factory=dict,
        description="this form's key → the lower level's name (or `units`, the number of units counted); "
                    "keys not listed take the lower level's value of the same name")


class TemplateSchema(Strict):
    """A reporting form, versioned; ``id`` + ``version`` identify a template in the field."""

    kind: Literal["template"] = "template"
    id: Kebab
    version: Version
    title: str = Field(min_length=1, max_length=60)
    level: Level
    period: Period = "annual"
    description: str = ""
    explanation_field: str | None = Field(
        default=None, description="key of the 上报说明 field that can accept warnings"
    )
    sheets: tuple[Sheet, ...] = Field(min_length=1)
    derived: tuple[Derived, ...] = ()
    rules: tuple[Rule, ...] = ()
    summary: Summary = Summary()
    rollup: Rollup | None = None


_BAD_SHEET_CHARS = set('[]:*?/\\')


def _check_sheet_name(name: str) -> str:
    bad = sorted(set(name) & _BAD_SHEET_CHARS)
    if bad:
        raise ValueError(f"工作表名不能包含 {' '.join(bad)}")
    if name.startswith("'") or name.endswith("'") or name.lower() == "history":
        raise ValueError("工作表名不能以单引号开头或结尾，也不能叫 History")
    if name.startswith("_"):
        raise ValueError("以下划线开头的工作表名留给 kxsheets 内部使用")
    return name
