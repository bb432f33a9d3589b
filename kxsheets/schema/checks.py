"""Semantic checks of a template schema, after pydantic has checked its shape.

Each problem is ``(yaml_path, chinese_message)``; all problems are collected, none stops the
others (pandera's lazy validation), and the loader raises them together.
"""

from __future__ import annotations

from collections import Counter

from .expr import Expr, ExprError
from .models import FieldSpec, FormSheet, TableSheet, TemplateSchema
from .names import iter_names, names

Problem = tuple[str, str]


def check_template(schema: TemplateSchema) -> list[Problem]:
    problems: list[Problem] = []
    problems += _unique_sheets(schema)
    for i, sheet in enumerate(schema.sheets):
        problems += _check_sheet(sheet, f"sheets[{i}]")
    problems += _unique_names(schema)
    problems += _check_derived(schema)
    problems += _check_rules(schema)
    problems += _check_summary(schema)
    if schema.explanation_field is not None:
        n = names(schema).get(schema.explanation_field)
        if n is None or n.kind != "cell" or n.spec.type != "text":
            problems.append(("explanation_field", f"“{schema.explanation_field}”不是一个文本填报项"))
    return problems


def _unique_sheets(schema: TemplateSchema) -> list[Problem]:
    out: list[Problem] = []
    seen_keys: set[str] = set()
    seen_names: set[str] = set()
    for i, s in enumerate(schema.sheets):
        if s.key in seen_keys:
            out.append((f"sheets[{i}].key", f"工作表 key “{s.key}”重复"))
        if s.name.casefold() in seen_names:
            out.append((f"sheets[{i}].name", f"工作表名“{s.name}”重复"))
        seen_keys.add(s.key)
        seen_names.add(s.name.casefold())
    return out


def _check_sheet(sheet: FormSheet | TableSheet, path: str) -> list[Problem]:
    attr = "fields" if isinstance(sheet, FormSheet) else "columns"
    specs = sheet.fields if isinstance(sheet, FormSheet) else sheet.columns
    out = [(f"{path}.{attr}[{j}].key", f"字段 key “{k}”在本表重复")
           for j, k in _dupes([f.key for f in specs])]
    labels = [f.label for f in specs]
    out += [(f"{path}.{attr}[{j}].label", f"字段名称“{k}”在本表重复") for j, k in _dupes(labels)]
    for j, f in enumerate(specs):
        out += [(f"{path}.{attr}[{j}].{p}", m) for p, m in _check_field(f, sheet)]
    if isinstance(sheet, TableSheet) and sheet.rows:
        out += [(f"{path}.rows[{j}].key", f"行 key “{k}”重复") for j, k in _dupes([r.key for r in sheet.rows])]
        out += [(f"{path}.rows[{j}].label", f"行名称“{k}”重复") for j, k in _dupes([r.label for r in sheet.rows])]
    if isinstance(sheet, TableSheet) and sheet.total_row:
        if not any(c.agg == "sum" for c in sheet.columns):
            out.append((f"{path}.total_row", "合计行需要至少一列可求和的数值列"))
    return out


def _check_field(f: FieldSpec, sheet: FormSheet | TableSheet) -> list[Problem]:
    out: list[Problem] = []
    agg = f.agg
    if agg in ("sum", "mean", "min", "max") and f.type not in ("integer", "decimal", "money", "percent"):
        out.append(("aggregate", f"{f.type} 类型不能按 {agg} 汇总"))
    if agg == "sum" and f.type == "percent":
        out.append(("aggregate", "百分比不能相加汇总：请用 derived 字段按“比值之和”重新计算（aggregate: recompute）"))
    if agg == "count_yes" and f.type != "bool":
        out.append(("aggregate", "count_yes 只适用于 是/否 字段"))
    if agg == "recompute":
        out.append(("aggregate", "recompute 只适用于 derived 字段"))
    if f.prefill is not None and not isinstance(sheet, FormSheet):
        out.append(("prefill", "预填 prefill 只用于表单（form）工作表"))
    if f.prefill == "round.year" and f.type not in ("integer", "text"):
        out.append(("prefill", "round.year 只能预填到 integer 或 text 字段"))
    return out


RESERVED = frozenset({"units"})  # consolidation keeps the number of units counted under this name


def _unique_names(schema: TemplateSchema) -> list[Problem]:
    counts = Counter(n.name for n in iter_names(schema))
    out = [("sheets", f"名称“{name}”被定义了不止一次（表单字段、表格与派生字段的 key 须互不相同）")
           for name, c in counts.items() if c > 1]
    return out + [("sheets", f"“{name}”是保留名称（汇总时表示计入的单位数），请换一个 key")
                  for name in sorted(RESERVED & set(counts))]


def _check_expr(text: str, path: str, known: set[str]) -> tuple[Expr | None, list[Problem]]:
    try:
        e = Expr.parse(text)
    except ExprError as exc:
        return None, [(path, str(exc))]
    unknown = sorted(e.names - known)
    if unknown:
        return e, [(path, f"引用了不存在的名称：{', '.join(unknown)}")]
    return e, []


def _check_derived(schema: TemplateSchema) -> list[Problem]:
    out: list[Problem] = []
    known = {n.name for n in iter_names(schema) if n.kind != "derived"}
    for i, d in enumerate(schema.derived):
        _, probs = _check_expr(d.expr, f"derived[{i}].expr", known)
        out += probs
        if d.aggregate in ("count_yes",):
            out.append((f"derived[{i}].aggregate", "derived 字段不能按 count_yes 汇总"))
        known.add(d.key)  # later derived fields may use earlier ones
    return out


def _check_rules(schema: TemplateSchema) -> list[Problem]:
    out: list[Problem] = []
    known = set(names(schema))
    for i, r in enumerate(schema.rules):
        out += _check_expr(r.assert_, f"rules[{i}].assert", known)[1]
        if r.when is not None:
            out += _check_expr(r.when, f"rules[{i}].when", known)[1]
        for j, c in enumerate(r.cells or ()):
            if c not in known:
                out.append((f"rules[{i}].cells[{j}]", f"引用了不存在的名称：{c}"))
    out += [(f"rules[{j}].id", f"规则 id “{k}”重复") for j, k in _dupes([r.id for r in schema.rules])]
    return out


def summary_columns(schema: TemplateSchema) -> tuple[str, ...]:
    """The 汇总 sheet's columns: as listed, else every numeric or 是/否 form field and every derived."""
    if schema.summary.columns is not None:
        return schema.summary.columns
    return tuple(n.name for n in iter_names(schema) if _summable(n))


def _summable(n) -> bool:
    if n.kind == "derived":
        return True
    return n.kind == "cell" and n.row is None and n.spec.prefill is None and n.spec.agg != "none"


def _check_summary(schema: TemplateSchema) -> list[Problem]:
    out: list[Problem] = []
    by_name = names(schema)
    for j, c in enumerate(schema.summary.columns or ()):
        if c not in by_name or not _summable(by_name[c]):
            out.append((f"summary.columns[{j}]", f"“{c}”不是可汇总的表单字段或派生字段"))
    cols = set(summary_columns(schema))
    for j, c in enumerate(schema.summary.rank):
        if c not in cols or by_name[c].spec.type == "bool":
            out.append((f"summary.rank[{j}]", f"“{c}”不是汇总表中的数值列"))
    for i, chart in enumerate(schema.summary.charts):
        for j, c in enumerate((*chart.bars, *([chart.line] if chart.line else []))):
            if c not in cols or by_name[c].spec.type == "bool":
                out.append((f"summary.charts[{i}]", f"“{c}”不是汇总表中的数值列"))
    return out


def _dupes(items: list[str]) -> list[tuple[int, str]]:
    seen: set[str] = set()
    out = []
    for j, k in enumerate(items):
        if k in seen:
            out.append((j, k))
        seen.add(k)
    return out
