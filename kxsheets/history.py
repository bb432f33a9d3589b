"""Last round's figures: where a round finds them (kxsheets.toml ``previous_round``) and what
counts as a swing worth a question."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .ledger import consolidated
from .rounds import Round


def previous_values(rnd: Round) -> tuple[dict[str, dict[str, Any]] | None, list[str]]:
    """Last round's consolidated values from its ledger, when kxsheets.toml names it."""
    if not rnd.config.previous_round:
        return None, []
    prev = (rnd.dir / rnd.config.previous_round).resolve()
    if not (prev / "kxsheets.db").is_file():
        return None, [f"上一轮次“{rnd.config.previous_round}”（{prev}）没有汇总记录，本次不做同比"]
    values = consolidated(prev, read_only=True)  # last year's folder is not ours to change
    if not values:
        return None, [f"上一轮次“{rnd.config.previous_round}”尚未汇总，本次不做同比"]
    return values, []


def swing(now: Any, before: Any, share: Decimal, minimum: Decimal) -> Decimal | None:
    """The relative change when it is larger than ``share`` and the absolute one than ``minimum``."""
    if not isinstance(now, Decimal) or not isinstance(before, Decimal) or not before:
        return None
    diff = now - before
    rate = diff / abs(before)
    return rate if abs(rate) > share and abs(diff) > minimum else None
