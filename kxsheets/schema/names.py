"""The names a template schema defines, as rules and derived fields refer to them.

* a form field: its key (``population``);
* a cell of a fixed table: ``table.row.column`` (``activities.science_day.sessions``);
* a table column: ``table.column`` — a list of the column's values, for sum()/min()/max();
* a derived field: its key.

The same names address unit values and, after consolidation, aggregated values.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from .models import Derived, FieldSpec, FormSheet, RowSpec, TableSheet, TemplateSchema


@dataclass(frozen=True)
class Name:
    name: str
    kind: Literal["cell", "column", "derived"]
    label: str
    spec: FieldSpec | Derived
    sheet: FormSheet | TableSheet | None = None
    row: RowSpec | None = None


def iter_names(schema: TemplateSchema) -> Iterator[Name]:
    for sheet in schema.sheets:
        if isinstance(sheet, FormSheet):
            for f in sheet.fields:
                yield Name(f.key, "cell", f.label, f, sheet)
            continue
        for col in sheet.columns:
            yield Name(f"{sheet.key}.{col.key}", "column", f"{sheet.name}·{col.label}", col, sheet)
            for row in sheet.rows or ():
                label = f"{row.label}·{col.label}"
                yield Name(f"{sheet.key}.{row.key}.{col.key}", "cell", label, col, sheet, row)
    for d in schema.derived:
        yield Name(d.key, "derived", d.label, d)


def names(schema: TemplateSchema) -> dict[str, Name]:
    """Every name of the schema (first definition wins; duplicates are a schema error)."""
    out: dict[str, Name] = {}
    for n in iter_names(schema):
        out.setdefault(n.name, n)
    return out
