"""Scoring a round: the townships' consolidated totals + the department's own form → the 自评表.

    write_department_form(rnd) -> templates/<县>科协_部门整体支出绩效自评表填报表.xlsx
    score_round(rnd) -> RoundScore       (writes output/部门整体支出绩效自评表.xlsx)

The department returns its filled form into ``department/`` (the newest file there counts); it
is checked like any return. The townships' totals come from the round's ledger, so run
``kxsheets consolidate`` first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .department import department_template
from .errors import KxError
from .findings import Finding, Report
from .ledger import consolidated
from .roster import Unit
from .rounds import Round
from .schema.scoring import RuleSet, ScoringSchema
from .scorecard import Scorecard, score_card
from .text import safe_filename

DEPARTMENT_DIR = "department"
SELF_EVAL_FILE = "部门整体支出绩效自评表.xlsx"


@dataclass
class RoundScore:
    card: Scorecard
    path: Path
    form: Report | None  # the department's form as checked, if one was returned
    notes: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return (self.form.findings if self.form else []) + self.card.findings


def scoring_of(rnd: Round) -> tuple[ScoringSchema, RuleSet, str]:
    from .schema import Registry

    reg = Registry.default(rnd.dir)
    scoring = reg.load(rnd.config.scoring)
    if not isinstance(scoring, ScoringSchema):
        raise KxError("schema-kind", f"“{rnd.config.scoring}”是填报模式，不是评分模式")
    if rnd.config.preset:  # the round may pick another province's rules than the schema's default
        scoring = scoring.model_copy(update={"preset": rnd.config.preset})
    return scoring, reg.scoring_rules(scoring), scoring.preset


def department_unit(rnd: Round) -> Unit:
    return Unit(f"{rnd.config.county}科学技术协会", rnd.config.code or "000000", "", "")


def write_department_form(rnd: Round) -> Path:
    from .template import RoundInfo, write_template

    scoring, _, _ = scoring_of(rnd)
    unit = department_unit(rnd)
    form = department_template(scoring)
    path = rnd.dir / "templates" / safe_filename(f"{unit.name}_{form.title}", ".xlsx")
    return write_template(form, unit, RoundInfo(rnd.config.county, rnd.config.year), path)


def score_round(rnd: Round) -> RoundScore:
    from .intake import scan
    from .schema import Registry
    from .self_eval_book import write_self_evaluation
    from .validate import Context, validate_paths

    scoring, rules, preset = scoring_of(rnd)
    totals = consolidated(rnd.dir).get("", {})
    notes = [] if totals else ["本轮尚未汇总（kxsheets consolidate），取自乡镇汇总的完成值暂缺"]
    form_schema = department_template(scoring)
    unit = department_unit(rnd)
    files = scan(rnd.dir / DEPARTMENT_DIR) if (rnd.dir / DEPARTMENT_DIR).is_dir() else []
    reports = validate_paths(files, Context(form_schema, [unit], rnd.config.year), workers=0)
    form = max((r for r in reports if r.readable), key=lambda r: r.received, default=None)
    if form is None:
        notes.append(f"{DEPARTMENT_DIR}/ 中没有部门填报的自评填报表，资金情况与部门自填的完成值暂缺")
    source = Registry.default(rnd.dir).load(scoring.source_template) if scoring.source_template else None
    card = score_card(scoring, rules, preset, totals, form.values if form else {}, source,  # type: ignore[arg-type]
                      unit.name, rnd.config.year)
    path = write_self_evaluation(card, rnd.dir / "output" / SELF_EVAL_FILE)
    return RoundScore(card, path, form, notes)


def score_path(path: Path) -> RoundScore:
    from .round_validation import open_round

    rnd = open_round(path, "计分")
    with rnd.lock():
        return score_round(rnd)
