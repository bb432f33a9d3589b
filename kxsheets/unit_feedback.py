"""feedback/<单位名称>_本单位情况.xlsx: a township's own figures against the county's — total,
average, its rank, and last year — ready to e-mail back."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from .atomic import atomic_path
from .consolidate import UNITS_COUNTED, Consolidation, UnitStatus, change, label_of, rank
from .schema.models import Derived, FieldSpec
from .schema.names import names
from .styles import WORKBOOK_OPTIONS, Styles, print_setup
from .summary_book import _as_of, _num

HEADS = ("指标", "计量单位", "本单位", "全县合计", "全县平均", "本单位排名", "本单位上年", "增减", "增减率")
WIDTHS = (30, 9, 12, 12, 12, 10, 12, 12, 9)


def write_unit_feedback(cons: Consolidation, unit: UnitStatus, path: Path, title_prefix: str = "") -> Path:
    import xlsxwriter

    with atomic_path(Path(path)) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        wb.set_properties({"title": f"{unit.unit.name}本单位情况", "author": "kxsheets", "created": _as_of(cons)})
        _write(wb, cons, unit, title_prefix)
        wb.close()
    return Path(path)


def rows_for(cons: Consolidation, code: str) -> list[tuple[Any, ...]]:
    """(label, unit, own, county total, county average, rank text, last year, change, change rate)."""
    spec_of = names(cons.schema)
    n = len(cons.counted)
    own = cons.values.get(code, {})
    out = []
    for name in cons.columns:
        spec = spec_of[name].spec
        label, unit = label_of(cons.schema, name)
        total, mine = cons.totals.get(name), own.get(name)
        is_bool = isinstance(spec, FieldSpec) and spec.type == "bool"
        is_rate = spec.type == "percent"
        summed = (isinstance(spec, FieldSpec) and spec.agg == "sum") or \
                 (isinstance(spec, Derived) and spec.aggregate == "sum")
        if is_bool:
            average, total_shown = None, total  # total: how many units answered 是
        elif is_rate:
            average, total_shown = None, total  # a county rate is the ratio of the totals
        else:
            average = total / n if summed and isinstance(total, Decimal) and n else None
            total_shown = total
        ranks = rank({c: v.get(name) for c, v in cons.values.items()}) if not is_bool else {}
        place = f"{ranks[code]}/{len(ranks)}" if code in ranks else ""
        before = cons.last_year(name, code)
        diff, rate = change(mine, before)
        out.append((label, "" if is_rate else unit or "", mine, total_shown, average, place, before, diff,
                    None if is_rate else rate))
    return out


def _write(wb: Any, cons: Consolidation, u: UnitStatus, prefix: str) -> None:
    st = Styles(wb)
    ws = wb.add_worksheet("本单位情况")
    last = len(HEADS) - 1
    ws.merge_range(0, 0, 0, last, f"{prefix}{u.unit.name}科协工作情况（与全县对比）", st.get("title"))
    ws.merge_range(1, 0, 1, last, f"全县计入汇总 {int(cons.totals.get(UNITS_COUNTED, 0))} 个单位；"
                                  "比率类指标的全县值为各单位合计数之比", st.get("note", align="center"))
    for j, (h, w) in enumerate(zip(HEADS, WIDTHS)):
        ws.write_string(2, j, h, st.get("head"))
        ws.set_column(j, j, w)
    spec_of = names(cons.schema)
    for i, row in enumerate(rows_for(cons, u.unit.code), start=3):
        name = cons.columns[i - 3]
        spec = spec_of[name].spec
        fmt = "0" if isinstance(spec, FieldSpec) and spec.type == "bool" else spec.number_format
        label, unit, mine, total, average, place, before, diff, rate = row
        ws.write_string(i, 0, label, st.get("text"))
        ws.write_string(i, 1, unit, st.get("body", align="center"))
        for j, v, f in ((2, mine, fmt), (3, total, fmt), (4, average, _average_format(fmt)), (6, before, fmt),
                        (7, diff, fmt), (8, rate, "0.00%")):
            _cell(ws, i, j, v, st.get("body", f))
        ws.write_string(i, 5, place, st.get("body", align="center"))
    ws.freeze_panes(3, 1)
    print_setup(ws, (2, 2))


def _average_format(fmt: str) -> str:
    return "#,##0.0" if fmt in ("0", "#,##0") else fmt


def _cell(ws: Any, r: int, c: int, v: Any, fmt: Any) -> None:
    if isinstance(v, bool):
        ws.write_string(r, c, "是" if v else "否", fmt)
    elif _num(v) is not None:
        ws.write_number(r, c, _num(v), fmt)
    else:
        ws.write_blank(r, c, None, fmt)
