"""Validation: every returned workbook checked against its schema, all findings in one pass.

    validate_file(path, ctx)  -> Report     one file
    validate_paths(paths, ctx) -> [Report]  many, in worker processes; one bad file never stops
                                            (or crashes) the others

The steps: intake guards (intake.py) → fast read (python-calamine, content-sniffed) →
identification from the hidden meta sheet, else the cover cells → structure alignment
(structure.py) → cell values (values.py) → required / range / rules / 合计 checks → warnings
accepted by a written 上报说明.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .findings import Report, finding
from .intake import Rejected, Submission, open_submission, scan_sheet
from .layout import META_SHEET, Layout, SheetLayout, a1, layout
from .roster import Unit
from .schema.expr import Expr, MissingValue
from .schema.models import TableSheet, TemplateSchema
from .structure import SPECIAL, Grid, Placement, cell, find_sheet, norm_label, place, show_raw
from .values import Parsed, is_blank, parse_cell, show


@dataclass
class Context:
    """What a file is checked against: the round's template schema and roster."""

    schema: TemplateSchema
    units: list[Unit] | None = None
    year: int | None = None
    previous: dict[str, dict[str, Any]] | None = None  # unit code → last round's values (ledger)

    def unit_by_code(self, code: str) -> Unit | None:
        return next((u for u in self.units or () if u.code == code), None)

    def unit_by_name(self, name: str) -> Unit | None:
        return next((u for u in self.units or () if u.name == name), None)


def validate_paths(paths: Iterable[Path], ctx: Context, received: dict[Path, float] | None = None,
                   progress: Callable[[Path], None] | None = None, workers: int | None = None) -> list[Report]:
    """Check many files, in worker processes (isolate.py) unless ``workers == 0``.

    Reports come back in the order of ``paths``; a file identical to an earlier one is marked as
    its duplicate instead of being counted twice.
    """
    paths = list(paths)
    if workers == 0:
        reports = []
        for path in paths:
            reports.append(validate_file(path, ctx, (received or {}).get(path)))
            if progress:
                progress(path)
    else:
        from .isolate import validate_isolated

        reports = validate_isolated(paths, ctx, received, workers, progress)
    _mark_duplicates(reports)
    _share_strings(reports)
    return reports


def _share_strings(reports: list[Report]) -> None:
    """One object per distinct name and (sheet, cell) across all reports: a national round keeps
    40,000 reports, and their ~60 names and addresses each would otherwise be copied into every
    one (reports come back from worker processes as fresh objects)."""
    pool: dict[Any, Any] = {}
    same = pool.setdefault
    for rep in reports:
        rep.cells = {same(k, k): same(where, (same(where[0], where[0]), same(where[1], where[1])))
                     for k, where in rep.cells.items()}
        rep.values = {same(k, k): v for k, v in rep.values.items()}


def _mark_duplicates(reports: list[Report]) -> None:
    first_by_hash: dict[str, Report] = {}
    for rep in reports:
        if rep.sha256 and rep.sha256 in first_by_hash:
            orig = first_by_hash[rep.sha256]
            rep.findings = [finding("file-duplicate", f"与“{Path(orig.file).name}”内容完全相同，未重复检查",
                                    file=rep.file, unit=rep.unit_name)]
            rep.duplicate_of = orig.file
        elif rep.sha256:
            first_by_hash[rep.sha256] = rep


def validate_file(path: Path, ctx: Context, received: float | None = None) -> Report:
    """Check one file. Never raises for anything in the file; problems become findings."""
    path = Path(path)
    rep = Report(file=str(path))
    try:
        return _validate(path, ctx, received, rep)
    except Exception as exc:  # last line of defence: a file no guard foresaw is still just a finding
        rep.readable = False
        rep.add(finding("file-damaged", "文件内容异常，无法检查", value=type(exc).__name__,
                        hint="请用 Excel/WPS 重新保存后发送"))
        return rep


def _validate(path: Path, ctx: Context, received: float | None, rep: Report) -> Report:
    try:
        sub, found = open_submission(path, received)
    except OSError as exc:
        rep.readable = False
        rep.add(finding("file-damaged", f"无法读取文件：{exc.strerror or exc}"))
        return rep
    for f in found:
        rep.add(f)
    if sub is None:
        rep.readable = False
        return rep
    rep.sha256, rep.received = sub.sha256, sub.received
    book = _read(sub, rep)
    if book is None:
        return rep
    try:
        if _identify(book, ctx, rep):
            _check_book(book, ctx, rep)
    except Rejected as rej:  # a sheet that must not be parsed: the file is not read at all
        rep.readable, rep.values, rep.findings = False, {}, [rej.finding]
    for f in rep.findings:  # findings made before the unit was known
        f.unit = f.unit or rep.unit_name
    return rep


class Book(Mapping[str, Grid]):
    """Sheets read on first use — each scanned by intake.scan_sheet just before it is parsed —
    so the 填表说明 and list sheets are usually never read. Raises Rejected for a sheet that must
    not be parsed."""

    def __init__(self, wb: Any, sub: Submission, rep: Report) -> None:
        self._wb, self._sub, self._rep = wb, sub, rep
        self._names, self._grids = list(wb.sheet_names), {}

    def __getitem__(self, name: str) -> Grid:
        if name not in self._grids:
            if name not in self._names:
                raise KeyError(name)
            for f in scan_sheet(self._sub, name):
                self._rep.add(f)
            try:
                self._grids[name] = self._wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except Exception as exc:  # CalamineError, XmlError …: the sheet's XML is broken
                raise Rejected(finding("file-damaged", f"工作表「{name}」内容已损坏，无法读取", sheet=name,
                                       value=type(exc).__name__, hint="请用 Excel/WPS 重新保存后发送")) from None
        return self._grids[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names


def _read(sub: Submission, rep: Report) -> Book | None:
    from python_calamine import CalamineWorkbook

    try:
        return Book(CalamineWorkbook.from_filelike(io.BytesIO(sub.data)), sub, rep)
    except Exception as exc:  # calamine raises CalamineError, PasswordError, ZipError, XmlError …
        rep.readable = False
        if "password" in type(exc).__name__.lower():
            rep.add(finding("file-encrypted", "文件设有打开密码，无法读取", hint="请去除密码后重新发送"))
        else:
            rep.add(finding("file-damaged", "文件内容已损坏，无法读取", hint="请用 Excel/WPS 重新保存后发送",
                            value=type(exc).__name__))
        return None


def _meta(book: Mapping[str, Grid]) -> dict[str, str]:
    grid = book[META_SHEET] if META_SHEET in book else []
    return {show_raw(r[0]): show_raw(r[1]) for r in grid if len(r) >= 2 and r[0] not in (None, "")}


def _identify(book: Mapping[str, Grid], ctx: Context, rep: Report) -> bool:
    meta = _meta(book)
    schema = ctx.schema
    cover = None if meta.get("template_id") else _cover_identity(book)
    if meta.get("template_id"):
        rep.unit_code, rep.unit_name = meta.get("unit_code", ""), meta.get("unit_name", "")
        if meta["template_id"] != schema.id:
            rep.add(finding("template-unknown", f"这是“{meta['template_id']}”模板，不是本轮的“{schema.title}”",
                            sheet=META_SHEET, hint="请使用本轮下发的模板"))
            return False
        if meta.get("template_version") != schema.version:
            rep.add(finding("template-version-mismatch",
                            f"模板版本为 {meta.get('template_version')}，本轮为 {schema.version}；已尽量按新版本检查",
                            value=meta.get("template_version", ""), expected=schema.version,
                            hint="请把数据抄到本轮下发的新模板中重新报送"))
        code, name = meta.get("unit_code", ""), meta.get("unit_name", "")
    elif cover:
        code, name = cover
        rep.add(finding("identified-from-cover", f"文件中没有模板标识，按封面识别为“{name or code}”",
                        hint="请使用下发的模板填报，不要把数据粘贴到其他文件中"))
    else:
        rep.add(finding("template-unknown", f"无法识别：这不是本轮下发的“{schema.title}”模板",
                        hint="请使用下发的模板填报"))
        return False
    unit = ctx.unit_by_code(code) or (None if code else ctx.unit_by_name(name))
    if ctx.units is not None and unit is None:
        rep.add(finding("unit-not-in-roster", f"单位“{name}”（编码 {code}）不在本轮名单中", value=code))
    rep.unit_code, rep.unit_name = (unit.code, unit.name) if unit else (code, name)
    rep.template_id, rep.template_version = schema.id, meta.get("template_version", schema.version)
    return True


def _check_unit_cells(schema: TemplateSchema, rep: Report) -> None:
    """The cover's pre-filled 统一编码 must be the unit the meta sheet names (no borrowed template)."""
    for s in layout(schema).sheets:
        for c in s.cells:
            seen = rep.values.get(c.name)
            if c.spec.prefill == "unit.code" and seen and rep.unit_code and str(seen) != rep.unit_code:
                sheet, ref = rep.cells[c.name]
                rep.add(finding("unit-mismatch", f"封面上的编码 {seen} 与模板所属单位（{rep.unit_name}，{rep.unit_code}）不一致",
                                sheet=sheet, cell=ref, value=str(seen), expected=rep.unit_code,
                                hint="请用本单位自己的模板填报"))


def _cover_identity(book: Mapping[str, Grid]) -> tuple[str, str] | None:
    """(code, name) from cells labelled 统一编码 / 单位名称 anywhere near the top of any sheet."""
    found: dict[str, str] = {}
    for name in book:
        if name in SPECIAL:
            continue
        grid = book[name]
        for r, row in enumerate(grid[:40]):
            for c, v in enumerate(row[:6]):
                label = norm_label(v)
                if label in ("统一编码", "单位编码", "编码", "单位名称", "乡镇名称", "填报单位"):
                    value = show_raw(cell(grid, r, c + 1)).strip()
                    key = "code" if "编码" in label else "name"
                    if value and key not in found:
                        found[key] = value
    if not found:
        return None
    return found.get("code", ""), found.get("name", "")


# -- the checks ----------------------------------------------------------------------------------

def _check_book(book: Mapping[str, Grid], ctx: Context, rep: Report) -> None:
    lay = layout(ctx.schema)
    taken: set[str] = set()
    for sl in lay.sheets:
        sheet, found = find_sheet(sl, book, taken)
        for f in found:
            rep.add(f)
        if sheet is None:
            continue
        taken.add(sheet)
        placement, found = place(sl, sheet, book[sheet])
        for f in found:
            rep.add(f)
        filled = _read_cells(sl, placement, rep)
        _outside(placement, rep)
        if isinstance(sl.sheet, TableSheet):
            _check_table(sl, placement, rep, filled)
    _check_unit_cells(ctx.schema, rep)
    _derive(lay, rep)
    _rules(lay, rep)
    if ctx.previous and rep.unit_code in ctx.previous:
        _swings(ctx.schema, rep, ctx.previous[rep.unit_code])
    _accept_explained(ctx.schema, rep)


_BLANK = Parsed(None)


def _read_cells(sl: SheetLayout, p: Placement, rep: Report) -> set[str]:
    """Parse every input cell into rep.values; returns the names of the cells that are not blank."""
    filled: set[str] = set()
    required_here = not (isinstance(sl.sheet, TableSheet) and not sl.sheet.fixed)  # free rows: see _check_table
    rows, cols, grid = p.rows, p.cols, p.grid  # the hot loop of validation: plain lookups only
    for c in sl.cells:
        r, k = rows.get(c.row), cols.get(c.col)
        if r is None or k is None:
            continue  # its row or column is missing: already reported
        line = grid[r] if r < len(grid) else ()
        raw = line[k] if k < len(line) else None
        blank = raw is None or raw == "" or isinstance(raw, str) and not raw.strip()
        if blank and not (c.spec.required and required_here):
            continue  # most cells of a free table: nothing to parse, nothing to say
        ref = a1(r, k)
        if not blank:  # where each value came from; blank cells are not kept (memory at 40,000 files)
            filled.add(c.name)
            rep.cells[c.name] = (p.sheet, ref)
        parsed = _BLANK if blank else parse_cell(raw, c.spec)
        for n in parsed.notes:
            rep.add(finding(n.code, f"{c.label}：{n.message}", expected=n.expected, sheet=p.sheet, cell=ref,
                            field=c.name, label=c.label, value=show(raw)))
        if parsed.value is not None:
            rep.values[c.name] = parsed.value
        elif not parsed.notes and c.spec.required and required_here:
            rep.add(finding("required-missing", f"{c.label}：必填项未填写", hint="请填写此项", sheet=p.sheet,
                            cell=ref, field=c.name, label=c.label, value="" if blank else show(raw)))
    return filled


def _outside(p: Placement, rep: Report) -> None:
    """Content right of the template's last column, or in an inserted row, is not counted: say so."""
    last_col = max(p.cols.values(), default=0)
    for r in sorted(set(p.rows.values()) | set(p.extra_rows)):
        row = p.grid[r] if r < len(p.grid) else []
        start = 0 if r in p.extra_rows else last_col + 1
        cols = [c for c in range(start, len(row)) if not is_blank(row[c])]
        if cols:
            rep.add(finding("data-outside-template", f"第{r + 1}行{a1(r, cols[0])[:-len(str(r + 1))]}列等处有模板以外的内容"
                                                     f"“{show(row[cols[0]])}”，未计入", sheet=p.sheet,
                            cell=a1(r, cols[0]), value=show(row[cols[0]]), hint="数据请填在黄色单元格中"))


def _check_table(sl: SheetLayout, p: Placement, rep: Report, filled: set[str]) -> None:
    sheet: TableSheet = sl.sheet  # type: ignore[assignment]
    if sheet.fixed:
        _check_totals(sl, p, rep)
        return
    used = [r for r, cells in sl.by_row.items() if any(c.name in filled for c in cells)]
    for r in used:  # a row that is used must have its required columns
        for c in sl.by_row[r]:
            if c.spec.required and c.name not in rep.values:
                at = p.at(c.row, c.col)
                if at and is_blank(cell(p.grid, *at)):
                    rep.add(finding("required-missing", f"{c.label}：本行已填写，此项必填",
                                    sheet=p.sheet, cell=a1(*at), field=c.name, label=c.spec.label))
    if len(used) < sheet.min_rows:
        rep.add(finding("rows-too-few", f"「{p.sheet}」至少应填 {sheet.min_rows} 行，实际 {len(used)} 行", sheet=p.sheet))
    beyond = p.rows.get(sl.data_rows[1], 0) + 1
    extra = [r for r in range(beyond, len(p.grid)) if any(not is_blank(v) for v in p.grid[r])]
    if extra:
        rep.add(finding("rows-too-many", f"「{p.sheet}」最多 {sheet.max_rows} 行，第{extra[0] + 1}行起的内容超出模板范围，未计入",
                        sheet=p.sheet, cell=a1(extra[0], 0)))


def _check_totals(sl: SheetLayout, p: Placement, rep: Report) -> None:
    """The township's own 合计 row against the sum of its rows."""
    if sl.total_row is None or sl.total_row not in p.rows:
        return
    tr = p.rows[sl.total_row]
    for j, col in enumerate(sl.sheet.columns, start=1):  # type: ignore[union-attr]
        if col.agg != "sum" or j not in p.cols:
            continue
        names = [c.name for c in sl.cells if c.col == j]
        raw = cell(p.grid, tr, p.cols[j])
        rows = [p.at(c.row, c.col) for c in sl.cells if c.col == j]
        if is_blank(raw) or any(at is None or isinstance(cell(p.grid, *at), str) and
                                not is_blank(cell(p.grid, *at)) for at in rows):
            continue  # a text cell: the app's SUM skipped it, and the cell itself is reported
        try:
            stated = Decimal(repr(float(raw))) if not isinstance(raw, str) else None
        except (TypeError, ValueError):
            stated = None
        total = sum((rep.values.get(n, Decimal(0)) for n in names), Decimal(0))
        if stated is None or abs(stated - total) > Decimal("0.005"):
            rep.add(finding("total-mismatch", f"{col.label}合计为 {show(raw)}，各行之和为 {total.normalize():f}",
                            sheet=p.sheet, cell=a1(tr, p.cols[j]), value=show(raw), expected=f"{total.normalize():f}",
                            label=f"合计·{col.label}", hint="合计以各行之和为准"))


def env_of(schema: TemplateSchema, values: dict[str, Any]) -> dict[str, Any]:
    """Names → values for expressions; a table column is the list of its rows' values."""
    env = dict(values)
    for col, cells in layout(schema).columns.items():
        env[col] = [values[c] for c in cells if c in values]
    return env


def _derive(lay: Layout, rep: Report) -> None:
    env = env_of(lay.schema, rep.values)
    for d in lay.schema.derived:
        try:
            v = Expr.parse(d.expr).evaluate(env)
        except MissingValue:
            continue
        rep.values[d.key] = env[d.key] = v


def _rules(lay: Layout, rep: Report) -> None:
    env = env_of(lay.schema, rep.values)
    for rule in lay.schema.rules:
        try:
            if rule.when is not None and not Expr.parse(rule.when).evaluate(env):
                continue
            ok = Expr.parse(rule.assert_).evaluate(env)
        except MissingValue:
            continue  # a blank input: the required check speaks for it
        if ok:
            continue
        targets = list(rule.cells or sorted(Expr.parse(rule.assert_).names, key=rule.assert_.find))
        where = next((rep.cells[t] for t in targets if t in rep.cells), ("", ""))
        seen = "，".join(f"{t}={show(rep.values[t])}" for t in targets if t in rep.values and not isinstance(
            rep.values[t], list))
        rep.add(finding("rule-failed", rule.message, severity=rule.severity, sheet=where[0], cell=where[1],
                        field=targets[0] if targets else "", value=seen, rule_id=rule.id,
                        hint="请核实相关数据" if rule.severity != "error" else "请改正相关数据"))


def _swings(schema: TemplateSchema, rep: Report, before: dict[str, Any]) -> None:
    """A figure far from last year's is worth a question (the 联网直报 practice), not an error."""
    from .history import swing
    from .schema.checks import summary_columns
    from .schema.names import names

    s = schema.summary
    if s.swing is None:
        return
    by_name = names(schema)
    for name in summary_columns(schema):
        spec = by_name[name].spec
        if spec.type not in ("integer", "decimal", "money"):
            continue  # rates move in points, 是/否 has no size
        rate = swing(rep.values.get(name), before.get(name), s.swing, s.swing_min)
        if rate is None:
            continue
        now, then = (f"{v.normalize():f}" for v in (rep.values[name], before[name]))
        sheet, cell = rep.cells.get(name, ("", ""))
        way = "增长" if rate > 0 else "下降"
        rep.add(finding("value-swing", f"{spec.label}为 {now}，上年为 {then}，{way} {abs(rate) * 100:.0f}%，"
                                       "请核实；如属实，请在“上报说明”中说明原因", sheet=sheet, cell=cell, field=name,
                        label=spec.label, value=now, expected=f"上年 {then}",
                        hint="数据无误时在封面“上报说明”中写明原因即可"))


def _accept_explained(schema: TemplateSchema, rep: Report) -> None:
    """A warning is accepted by a written 上报说明: it becomes info, with the reason recorded."""
    key = schema.explanation_field
    text = rep.values.get(key) if key else None
    if not text:
        return
    accepted = 0
    for f in rep.findings:
        if f.severity == "warning":
            f.severity, f.justification = "info", str(text)
            accepted += 1
    if accepted:
        sheet, ref = rep.cells.get(key, ("", ""))
        rep.add(finding("warning-accepted", f"{accepted} 条提示已由上报说明解释：{text}", sheet=sheet, cell=ref,
                        field=key, justification=str(text)))
