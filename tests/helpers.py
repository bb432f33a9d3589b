"""Builders for submissions: a clean filled template, optionally edited by hand (openpyxl)."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kxsheets.demo import clean_values
from kxsheets.roster import Unit
from kxsheets.template import RoundInfo, write_template
from kxsheets.validate import Context

UNITS = [Unit("城关镇", "990001", "刘洋", "cg@example.org"), Unit("青山镇", "990002", "陈静", "qs@example.org")]
INFO = RoundInfo("示例县", 2025)


def values_for(unit: Unit = UNITS[0], **changes: Any) -> dict[str, Any]:
    v = clean_values(unit, random.Random(7))
    v.update({k.replace("__", "."): val for k, val in changes.items()})
    return v


def submission(path: Path, schema, unit: Unit = UNITS[0], values: dict[str, Any] | None = None,
               edit: Callable[[Any], None] | None = None) -> Path:
    """A township's return: its template with ``values``, then ``edit`` applied as by hand."""
    vals = values if values is not None else values_for(unit)
    if edit is None:
        write_template(schema, unit, INFO, path, vals)
        return path
    import openpyxl

    buf = io.BytesIO()
    write_template(schema, unit, INFO, buf, vals)
    wb = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    edit(wb)
    wb.save(path)
    return path


def context(schema) -> Context:
    return Context(schema, list(UNITS), 2025)
