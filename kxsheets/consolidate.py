"""Consolidation: one picture of the county from each unit's newest clean submission.

    consolidate(schema, units, reports, previous=None) -> Consolidation

Each unit's newest submission counts. If it still has errors the unit is 待修改 and is left
out of the totals — an older clean version never silently stands in for it. Totals follow each
field's ``aggregate``: sums; 是/否 counted; derived rates recomputed from the totals, so a
county rate is a ratio of sums (Σ注册数 ÷ Σ常住人口), never a mean of township rates. Arithmetic
is Decimal, exact to the cent. Every township value keeps its file, sha256, sheet and cell.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from .findings import Report
from .report import latest_by_unit
from .roster import Unit
from .schema.checks import summary_columns
from .schema.expr import Expr, MissingValue
from .schema.models import Derived, FieldSpec, TemplateSchema
from .schema.names import iter_names, names
from .text import plain_value
from .validate import env_of

Status = Literal["已交", "待修改", "未交"]
UNITS_COUNTED = "units"  # the number of counted units is kept under this name (reserved in schemas)


@dataclass
class UnitStatus:
    """One row of the roster matrix."""

    unit: Unit
    status: Status
    report: Report | None = None  # the newest submission: the one that counts
    versions: int = 0  # distinct submissions received
    note: str = ""

    @property
    def counted(self) -> bool:
        return self.status == "已交"


@dataclass(frozen=True)
class Source:
    """Where one consolidated township value came from."""

    unit_code: str
    unit_name: str
    name: str
    value: Any
    file: str
    sha256: str
    sheet: str
    cell: str
    received: float


@dataclass
class Consolidation:
    schema: TemplateSchema
    roster: list[UnitStatus]
    values: dict[str, dict[str, Any]]  # unit code → name → value, for counted units
    totals: dict[str, Any]  # name → the county's value; UNITS_COUNTED → how many units
    ranks: dict[str, dict[str, int]] = field(default_factory=dict)  # column → unit code → rank
    previous: dict[str, dict[str, Any]] | None = None  # "" → last round's totals; unit code → values

    @property
    def columns(self) -> tuple[str, ...]:
        return summary_columns(self.schema)

    @property
    def counted(self) -> list[UnitStatus]:
        return [u for u in self.roster if u.counted]

    @property
    def missing(self) -> list[UnitStatus]:
        return [u for u in self.roster if u.status == "未交"]

    @property
    def pending(self) -> list[UnitStatus]:
        return [u for u in self.roster if u.status == "待修改"]

    def sources(self) -> Iterator[Source]:
        """Every township value that went into the totals, with its cell (roster order)."""
        counted = aggregated_names(self.schema)
        for u in self.counted:
            rep = u.report
            assert rep is not None
            for name, (sheet, cell) in rep.cells.items():
                if name in counted and name in rep.values:
                    yield Source(u.unit.code, u.unit.name, name, rep.values[name], rep.file, rep.sha256,
                                 sheet, cell, rep.received)

    def source_of(self, unit_code: str, name: str) -> Source | None:
        return next((s for s in self.sources() if s.unit_code == unit_code and s.name == name), None)

    def last_year(self, name: str, unit_code: str = "") -> Any:
        return (self.previous or {}).get(unit_code, {}).get(name)


def roster_matrix(units: Sequence[Unit], reports: Sequence[Report]) -> list[UnitStatus]:
    latest = latest_by_unit(list(reports))
    counts: dict[str, int] = {}
    for r in reports:
        if r.unit_code and not r.duplicate_of:
            counts[r.unit_code] = counts.get(r.unit_code, 0) + 1
    out = []
    for u in units:
        rep = latest.get(u.code)
        if rep is None:
            out.append(UnitStatus(u, "未交"))
            continue
        n = counts.get(u.code, 1)
        if rep.errors:
            older = f"；较早的 {n - 1} 份不代替它" if n > 1 else ""
            out.append(UnitStatus(u, "待修改", rep, n, f"最新一份（{Path(rep.file).name}）有 {rep.errors} 个错误，"
                                                       f"未计入汇总{older}"))
        else:
            note = f"采用最新的第 {n} 份（{Path(rep.file).name}）" if n > 1 else ""
            out.append(UnitStatus(u, "已交", rep, n, note))
    return out


def consolidate(schema: TemplateSchema, units: Sequence[Unit], reports: Sequence[Report],
                previous: dict[str, dict[str, Any]] | None = None) -> Consolidation:
    roster = roster_matrix(units, reports)
    values = {u.unit.code: u.report.values for u in roster if u.counted and u.report}
    totals = aggregate(schema, list(values.values()))
    ranks = {c: rank({code: v.get(c) for code, v in values.items()}) for c in schema.summary.rank}
    return Consolidation(schema, roster, values, totals, ranks, previous)


# -- aggregation ---------------------------------------------------------------------------------

def _sum(vals: list[Any]) -> Decimal:
    return sum((Decimal(v) for v in vals), Decimal(0))


AGGREGATES = {
    "sum": _sum,
    "mean": lambda vals: _sum(vals) / len(vals),
    "min": min,
    "max": max,
    "count_yes": lambda vals: Decimal(sum(1 for v in vals if v is True)),
    "count": lambda vals: Decimal(len(vals)),
}


def aggregated_names(schema: TemplateSchema) -> frozenset[str]:
    """The input cells whose values go into totals (numbers and 是/否; not names, phones, notes)."""
    return frozenset(n.name for n in iter_names(schema)
                     if n.kind == "cell" and isinstance(n.spec, FieldSpec) and n.spec.agg in AGGREGATES)


def aggregate(schema: TemplateSchema, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The totals of ``rows`` (one dict of values per unit) by each field's aggregate."""
    out: dict[str, Any] = {UNITS_COUNTED: Decimal(len(rows))}
    by_name = names(schema)
    for name in sorted(aggregated_names(schema)):
        got = _present(rows, name)
        if got:
            out[name] = AGGREGATES[by_name[name].spec.agg](got)
    env = env_of(schema, out)
    for d in schema.derived:
        value = _derived_total(d, env, rows)
        if value is not None:
            out[d.key] = env[d.key] = value
    return out


def _present(rows: list[dict[str, Any]], name: str) -> list[Any]:
    return [r[name] for r in rows if r.get(name) is not None and r.get(name) != ""]


def _derived_total(d: Derived, env: dict[str, Any], rows: list[dict[str, Any]]) -> Any:
    if d.aggregate == "recompute":  # the same formula on the totals: a ratio of sums
        try:
            return Expr.parse(d.expr).evaluate(env)
        except MissingValue:
            return None
    got = _present(rows, d.key)
    return AGGREGATES[d.aggregate](got) if got and d.aggregate in AGGREGATES else None


def rank(values: dict[str, Any]) -> dict[str, int]:
    """Competition ranking, largest first (1, 2, 2, 4), as Excel's RANK; blanks are not ranked."""
    present = {k: v for k, v in values.items() if v is not None and v != ""}
    ordered = sorted(present.values(), reverse=True)
    first = {}
    for i, v in enumerate(ordered, start=1):
        first.setdefault(v, i)
    return {k: first[v] for k, v in present.items()}


def change(now: Any, before: Any) -> tuple[Decimal | None, Decimal | None]:
    """(增减, 增减率) of now against before; the rate is None when before is 0 or missing."""
    if not isinstance(now, Decimal) or not isinstance(before, Decimal):
        return None, None
    diff = now - before
    return diff, (diff / before if before else None)


def label_of(schema: TemplateSchema, name: str) -> tuple[str, str | None]:
    """(label, unit) of a name for headings: 科普活动总场次, 场."""
    if name == UNITS_COUNTED:
        return "计入汇总的单位数", "个"
    n = names(schema)[name]
    return n.label, n.spec.unit


def to_dict(cons: Consolidation) -> dict[str, Any]:
    """The whole consolidation as plain data (``kxsheets consolidate --format json``)."""
    def row(name: str) -> dict[str, Any]:
        label, unit = label_of(cons.schema, name)
        now, before = cons.totals.get(name), cons.last_year(name)
        diff, rate = change(now, before)
        kind = names(cons.schema)[name].spec.type
        if kind == "bool":
            label += "（“是”的单位数）"
        return {"name": name, "label": label, "unit": unit, "type": kind, "value": plain_value(now), "previous": plain_value(before),
                "change": plain_value(diff), "change_rate": plain_value(rate)}

    return {
        "template": {"id": cons.schema.id, "version": cons.schema.version},
        "units_counted": len(cons.counted),
        "totals": [row(n) for n in cons.columns],
        "units": [{"code": u.unit.code, "name": u.unit.name, "status": u.status, "versions": u.versions,
                   "file": u.report.file if u.report else None, "sha256": u.report.sha256 if u.report else None,
                   "errors": u.report.errors if u.report else None,
                   "warnings": u.report.warnings if u.report else None, "note": u.note,
                   "values": {n: plain_value(cons.values[u.unit.code].get(n)) for n in cons.columns}
                   if u.counted else None,
                   "ranks": {c: r.get(u.unit.code) for c, r in cons.ranks.items()} if u.counted else None}
                  for u in cons.roster],
        "sources": [{"unit": s.unit_code, "name": s.name, "value": plain_value(s.value), "file": s.file,
                     "sha256": s.sha256, "sheet": s.sheet, "cell": s.cell} for s in cons.sources()],
    }
