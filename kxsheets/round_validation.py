"""Validating a whole round: every file in inbox/, the 校验报告, the marked copies for townships.

    validate_round(rnd) -> RoundValidation
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import KxError
from .findings import Report
from .intake import scan
from .report import latest_by_unit, write_report
from .roster import Unit
from .rounds import Round
from .text import safe_filename
from .validate import Context, validate_paths

REPORT_FILE = "校验报告.xlsx"


@dataclass
class RoundValidation:
    reports: list[Report]
    latest: dict[str, Report]  # unit code → the newest submission, the one that counts
    missing: list[Unit]
    report_path: Path | None = None
    feedback: dict[str, Path] = field(default_factory=dict)  # unit code → marked copy

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.latest.values()) + sum(
            r.errors for r in self.reports if not r.unit_code)


def context_for(rnd: Round) -> Context:
    from .schema import Registry, TemplateSchema

    from .history import previous_values

    schema = Registry.default(rnd.dir).load(rnd.config.template)
    if not isinstance(schema, TemplateSchema):
        raise KxError("schema-kind", f"“{rnd.config.template}”是评分模式，不能用来校验填报表")
    return Context(schema, rnd.units(), rnd.config.year, previous_values(rnd)[0])


def validate_round(rnd: Round, progress: Callable[[Path], None] | None = None,
                   write: bool = True) -> RoundValidation:
    ctx = context_for(rnd)
    paths = scan(rnd.dir / "inbox")
    reports = validate_paths(paths, ctx, received=received_by_mail(rnd), progress=progress)
    latest = latest_by_unit(reports)
    missing = [u for u in ctx.units or () if u.code not in latest]
    result = RoundValidation(reports, latest, missing)
    if write:
        result.report_path = write_report(reports, rnd.dir / "output" / REPORT_FILE,
                                          [(u.name, u.code) for u in missing])
        result.feedback = write_feedback(rnd, latest)
    return result


def received_by_mail(rnd: Round) -> dict[Path, float]:
    """When each collected file arrived (the ledger), which beats a file's modification time."""
    from .ledger import received_times

    return {rnd.dir / "inbox" / p: t for p, t in received_times(rnd.dir).items()}


def write_feedback(rnd: Round, latest: dict[str, Report]) -> dict[str, Path]:
    """A marked copy of each township's newest file that has errors or warnings."""
    from .annotate import annotate

    out: dict[str, Path] = {}
    for code, rep in latest.items():
        if not (rep.errors or rep.warnings):
            continue
        data = Path(rep.file).read_bytes()
        if hashlib.sha256(data).hexdigest() != rep.sha256:
            continue  # the file changed since it was checked: never mark what was not checked
        target = rnd.dir / "feedback" / safe_filename(f"{rep.unit_name}_问题标注", ".xlsx")
        if annotate(rep, data, target) is not None:
            out[code] = target
    return out


def round_of(path: Path) -> Path | None:
    """The round folder that ``path`` is (or whose inbox it is), if any."""
    from .config import CONFIG_FILE

    for d in (path, path.parent):
        if d.is_dir() and (d / CONFIG_FILE).is_file():
            return d
    return None


def open_round(path: Path, what: str) -> Round:
    """The round that ``path`` is (or whose inbox it is), or a KxError saying ``what`` needs one."""
    round_dir = round_of(Path(path).resolve()) if Path(path).exists() else None
    if round_dir is None:
        raise KxError("round-not-found", f"{what}需要填报轮次文件夹（含 kxsheets.toml）；可用 kxsheets init 创建",
                      path=str(path))
    return Round.open(round_dir)


def validate_path(path: Path, schema_id: str = "township-annual",
                  progress: Callable[[Path], None] | None = None) -> RoundValidation:
    """Validate a round (its inbox, roster and outputs) or, outside a round, any folder or file."""
    from .report import latest_by_unit
    from .schema import Registry, TemplateSchema

    if not Path(path).exists():
        raise KxError("path-not-found", "找不到这个文件或文件夹", path=str(path))
    round_dir = round_of(Path(path).resolve())
    if round_dir:
        return validate_round(Round.open(round_dir), progress=progress)
    schema = Registry.default().load(schema_id)
    if not isinstance(schema, TemplateSchema):
        raise KxError("schema-kind", f"“{schema_id}”是评分模式，不能用来校验填报表")
    reports = validate_paths(scan(Path(path)), Context(schema), progress=progress)
    return RoundValidation(reports, latest_by_unit(reports), [])


def files_to_check(path: Path) -> list[Path]:
    round_dir = round_of(Path(path).resolve())
    return scan(round_dir / "inbox") if round_dir else scan(Path(path))
