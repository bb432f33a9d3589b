"""The whole round in one call, and where each unit stands.

    run_round(rnd) -> RoundRun        validate → feedback → consolidate → score → write
    round_status(rnd) -> [UnitState]  the roster matrix with 逾期 (past the deadline, not clean)

Every output is written atomically and depends only on the inputs, so a rerun (after more
returns arrive, or after an interruption) is always safe. The caller holds the round's lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .consolidate import UnitStatus, roster_matrix
from .rounds import Round


@dataclass
class RoundRun:
    validation: object  # round_validation.RoundValidation
    consolidation: object  # round_consolidation.RoundConsolidation
    score: object  # round_scoring.RoundScore


def run_round(rnd: Round, progress: Callable[[Path], None] | None = None) -> RoundRun:
    from .round_consolidation import consolidate_round
    from .round_scoring import score_round
    from .round_validation import validate_round

    validation = validate_round(rnd, progress=progress)
    consolidation = consolidate_round(rnd, validation)
    return RoundRun(validation, consolidation, score_round(rnd))


@dataclass
class UnitState:
    row: UnitStatus
    late: bool  # the deadline has passed and the unit is not 已交


def round_status(rnd: Round, today: dt.date | None = None) -> list[UnitState]:
    from .intake import scan
    from .round_validation import context_for, received_by_mail
    from .validate import validate_paths

    ctx = context_for(rnd)
    reports = validate_paths(scan(rnd.dir / "inbox"), ctx, received=received_by_mail(rnd))
    due = _deadline(rnd.config.deadline)
    past = due is not None and (today or dt.date.today()) > due
    return [UnitState(row, past and row.status != "已交") for row in roster_matrix(ctx.units or [], reports)]


def _deadline(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None
