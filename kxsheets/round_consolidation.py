"""Consolidating a round: validation → consolidation → outputs → history → the report upward.

    consolidate_round(rnd) -> RoundConsolidation

Writes output/乡镇汇总表.xlsx, feedback/<单位>_本单位情况.xlsx for each counted unit, the round's
consolidated values and their sources into kxsheets.db (next year's 上年), and — when
kxsheets.toml names a ``report_template`` — the county's own filled form for the level above,
output/<县>_<年>年上报.xlsx, which a city round validates and consolidates the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .consolidate import UNITS_COUNTED, Consolidation, consolidate
from .errors import KxError
from .history import previous_values
from .ledger import record_consolidated
from .round_validation import RoundValidation, context_for, validate_round
from .rounds import Round
from .text import safe_filename

SUMMARY_FILE = "乡镇汇总表.xlsx"


@dataclass
class RoundConsolidation:
    consolidation: Consolidation
    validation: RoundValidation
    summary_path: Path
    feedback: dict[str, Path] = field(default_factory=dict)  # unit code → 本单位情况 workbook
    report_path: Path | None = None  # the county's form for the level above
    notes: list[str] = field(default_factory=list)  # things the clerk should know, in Chinese


def title_prefix(rnd: Round) -> str:
    return f"{rnd.config.county}{rnd.config.year}年"


def consolidate_round(rnd: Round, validation: RoundValidation | None = None,
                      progress: Callable[[Path], None] | None = None) -> RoundConsolidation:
    ctx = context_for(rnd)
    validation = validation or validate_round(rnd, progress=progress, write=False)
    previous, notes = previous_values(rnd)
    cons = consolidate(ctx.schema, ctx.units or [], validation.reports, previous)
    prefix = title_prefix(rnd)
    from .unit_feedback import write_unit_feedback

    result = RoundConsolidation(cons, validation, write_county_outputs(cons, rnd.dir / "output", prefix), notes=notes)
    for u in cons.counted:
        target = rnd.dir / "feedback" / safe_filename(f"{u.unit.name}_本单位情况", ".xlsx")
        result.feedback[u.unit.code] = write_unit_feedback(cons, u, target, prefix)
    record_consolidated(rnd.dir, {"": cons.totals, **cons.values},
                        ((s.unit_code, s.name, s.file, s.sha256, s.sheet, s.cell, s.received) for s in cons.sources()))
    if rnd.config.report_template:
        result.report_path = report_upward(rnd, cons)
    return result


def write_county_outputs(cons: Consolidation, output: Path, prefix: str) -> Path:
    """乡镇汇总表.xlsx, and 数据来源.csv when the values are too many for its 数据来源 sheet."""
    from .summary_book import MAX_SOURCE_ROWS, SOURCES_CSV, write_sources_csv, write_summary

    path = write_summary(cons, output / SUMMARY_FILE, prefix)
    if sum(1 for _ in cons.sources()) > MAX_SOURCE_ROWS:
        write_sources_csv(cons, output / SOURCES_CSV)
    return path


def report_upward(rnd: Round, cons: Consolidation) -> Path:
    """The county's totals written into the next level's form (``report_template``)."""
    from .roster import Unit
    from .schema import Registry, TemplateSchema
    from .template import RoundInfo, write_template

    upper = Registry.default(rnd.dir).load(rnd.config.report_template)
    if not isinstance(upper, TemplateSchema) or upper.rollup is None or upper.rollup.source != cons.schema.id:
        raise KxError("rollup-mismatch", f"“{rnd.config.report_template}”不是由“{cons.schema.id}”汇总而来的填报表"
                                         "（需要 rollup.source）")
    values = rollup_values(upper, cons.totals)
    me = Unit(rnd.config.county, rnd.config.code or "000000", "", "")
    path = rnd.dir / "output" / safe_filename(f"{rnd.config.county}_{rnd.config.year}年上报", ".xlsx")
    return write_template(upper, me, RoundInfo(rnd.config.county, rnd.config.year), path, values)


def rollup_values(upper, totals: dict[str, Any]) -> dict[str, Any]:
    """The upper form's values from the lower level's totals (``rollup.values`` maps the names)."""
    from .layout import layout

    out: dict[str, Any] = {}
    for sl in layout(upper).sheets:
        for c in sl.cells:
            if c.spec.prefill:
                continue
            source = upper.rollup.values.get(c.name, c.name)
            value = totals.get(UNITS_COUNTED if source == "units" else source)
            if value is not None:
                out[c.name] = value
    return out


def consolidate_path(path: Path, progress: Callable[[Path], None] | None = None) -> RoundConsolidation:
    """Consolidate the round that ``path`` is (or whose inbox it is)."""
    from .round_validation import open_round

    rnd = open_round(path, "汇总")
    with rnd.lock():
        return consolidate_round(rnd, progress=progress)
