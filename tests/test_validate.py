"""One table-driven case per finding code, on submissions built by code, plus the round outputs."""

from __future__ import annotations

import dataclasses
import json

import pytest

from kxsheets.layout import META_SHEET
from kxsheets.validate import Context, validate_file, validate_paths

from .helpers import context, submission, values_for


def clean_report(tmp_path, township):
    return validate_file(submission(tmp_path / "clean.xlsx", township), context(township))


def test_clean_submission_passes(tmp_path, township) -> None:
    rep = clean_report(tmp_path, township)
    assert rep.findings == [] and rep.status == "通过"
    assert (rep.unit_code, rep.unit_name, rep.template_id) == ("990001", "城关镇", "township-annual")
    assert rep.values["population"] > 0 and rep.values["informant_rate"] < 1
    assert rep.cells["activities.lectures.participants"] == ("科普活动", "C6")


def set_cell(sheet: str, ref: str, value):
    def edit(wb):
        wb[sheet][ref] = value
    return edit


def rename(old: str, new: str):
    def edit(wb):
        wb[old].title = new
    return edit


def delete_rows(sheet: str, row: int):
    def edit(wb):
        wb[sheet].delete_rows(row)
    return edit


def move_column(wb):
    ws = wb["科普活动"]  # swap 场次 (B) and 参与人次 (C)
    for row in ws.iter_rows(min_row=3, max_row=12, min_col=2, max_col=3):
        row[0].value, row[1].value = row[1].value, row[0].value


def drop_meta(wb):
    del wb[META_SHEET]


def meta(key: str, value: str):
    def edit(wb):
        for row in wb[META_SHEET].iter_rows():
            if row[0].value == key:
                row[1].value = value
    return edit


CASES = [
    # id, value changes, hand edit, expected (code, severity, sheet, cell)
    ("required", {"filler": None}, None, ("required-missing", "error", "封面", "B7")),
    ("not-number", {"population": "很多"}, None, ("not-a-number", "error", "组织建设", "B9")),
    ("not-integer", {"volunteers": 12.5}, None, ("not-an-integer", "error", "组织建设", "B7")),
    ("range", {"villages_total": 5000}, None, ("out-of-range", "error", "组织建设", "B4")),
    ("choice", {"channel": "抖音"}, None, ("not-a-choice", "error", "宣传阵地", "B8")),
    ("bool", {"is_standard": "基本合格"}, None, ("not-a-choice", "error", "组织建设", "B6")),
    ("date", {"fill_date": "下周一"}, None, ("not-a-date", "error", "封面", "B9")),
    ("date-text", {"fill_date": "2026年1月8日"}, None, ("date-from-text", "info", "封面", "B9")),
    ("pattern", {"phone": "12345"}, None, ("pattern-mismatch", "error", "封面", "B8")),
    ("too-long", {"filler": "长" * 30}, None, ("value-too-long", "error", "封面", "B7")),
    ("arabic-indic", {"banners": "١٢"}, None, ("non-ascii-digits", "error", "宣传阵地", "B6")),
    ("unit-in-cell", {"activities__lectures__participants": "1200人次"}, None, ("unit-in-cell", "info", "科普活动", "C6")),
    ("unit-converted", {"budget": "120000元"}, None, ("unit-converted", "warning", "经费情况", "B4")),
    ("wrong-unit", {"villages_total": "12人"}, None, ("wrong-unit", "error", "组织建设", "B4")),
    ("approx", {"activities__volunteer__participants": "约500"}, None, ("value-approximate", "warning", "科普活动", "C8")),
    ("approx-refused", {"villages_total": "约20"}, None, ("approximate-not-allowed", "error", "组织建设", "B4")),
    ("normalized", {"leaflets": "３,２００"}, None, ("value-normalized", "info", "宣传阵地", "B4")),
    ("scaled", {"informants": "1.7万"}, None, ("value-scaled", "warning", "组织建设", "B8")),
    ("dash-zero", {"boards": "无"}, None, ("dash-as-zero", "info", "宣传阵地", "B5")),
    ("dash-blank", {"info_reach": "—"}, None, ("dash-as-blank", "info", "组织建设", "B10")),
    ("rule-error", {"villages_total": 10, "villages_with_assoc": 12}, None, ("rule-failed", "error", "组织建设", "B5")),
    ("rule-warning", {"budget": 10, "spent": 20, "transfer": 1}, None, ("rule-failed", "warning", "经费情况", "B5")),
    ("total", None, set_cell("科普活动", "B12", 999), ("total-mismatch", "warning", "科普活动", "B12")),
    ("rows-too-many", None, set_cell("重点活动明细", "B40", "多出来的活动"), ("rows-too-many", "error", "重点活动明细", "A40")),
    ("free-row-required", {"highlights__1__date": None}, None, ("required-missing", "error", "重点活动明细", "C4")),
    ("outside", None, set_cell("组织建设", "F6", "备注：含新建"), ("data-outside-template", "warning", "组织建设", "F6")),
    ("sheet-missing", None, lambda wb: wb.remove(wb["宣传阵地"]), ("sheet-missing", "error", "", "")),
    ("sheet-renamed", None, rename("组织建设", "Sheet1"), ("sheet-renamed", "warning", "Sheet1", "")),
    ("row-inserted", None, lambda wb: wb["科普活动"].insert_rows(6), ("row-inserted", "warning", "科普活动", "A6")),
    ("row-deleted", None, delete_rows("科普活动", 6), ("row-deleted", "error", "科普活动", "A6")),
    ("column-moved", None, move_column, ("column-moved", "warning", "科普活动", "C3")),
    ("column-missing", None, lambda wb: wb["科普活动"].delete_cols(3), ("column-missing", "error", "科普活动", "C3")),
    ("label-edited", None, set_cell("组织建设", "A7", "志愿者人数"), ("label-edited", "warning", "组织建设", "A7")),
    ("version", None, meta("template_version", "0.9"), ("template-version-mismatch", "error", "", "")),
    ("other-template", None, meta("template_id", "county-annual"), ("template-unknown", "error", META_SHEET, "")),
    ("from-cover", None, drop_meta, ("identified-from-cover", "warning", "", "")),
    ("not-in-roster", None, meta("unit_code", "123456"), ("unit-not-in-roster", "error", "", "")),
    ("unit-mismatch", None, meta("unit_code", "990002"), ("unit-mismatch", "error", "封面", "B5")),
]


@pytest.mark.parametrize("changes, edit, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_finding_table(tmp_path, township, changes, edit, expected) -> None:
    vals = values_for(**(changes or {}))
    path = submission(tmp_path / "t.xlsx", township, values=vals, edit=edit)
    rep = validate_file(path, context(township))
    seen = [(f.code, f.severity, f.sheet, f.cell) for f in rep.findings]
    assert expected in seen, seen
    f = next(f for f in rep.findings if (f.code, f.severity, f.sheet, f.cell) == expected)
    assert f.message and f.unit and f.file == str(path)


def test_data_below_an_inserted_row_is_still_read(tmp_path, township) -> None:
    path = submission(tmp_path / "t.xlsx", township, edit=lambda wb: wb["科普活动"].insert_rows(6))
    rep = validate_file(path, context(township))
    clean = clean_report(tmp_path, township)
    assert rep.values["activities.other.sessions"] == clean.values["activities.other.sessions"]
    assert rep.cells["activities.lectures.participants"] == ("科普活动", "C7")


def test_renamed_sheet_is_still_checked(tmp_path, township) -> None:
    vals = values_for(villages_total=10, villages_with_assoc=12)
    rep = validate_file(submission(tmp_path / "t.xlsx", township, values=vals, edit=rename("组织建设", "Sheet1")),
                        context(township))
    assert ("rule-failed", "Sheet1", "B5") in [(f.code, f.sheet, f.cell) for f in rep.findings]


def test_all_findings_of_a_file_in_one_pass(tmp_path, township) -> None:
    vals = values_for(filler=None, population="很多", channel="抖音", informants="1.7万")
    rep = validate_file(submission(tmp_path / "t.xlsx", township, values=vals), context(township))
    assert {"required-missing", "not-a-number", "not-a-choice", "value-scaled"} <= {f.code for f in rep.findings}


def test_explanation_accepts_warnings(tmp_path, township) -> None:
    vals = values_for(informants="1.7万", explanation="信息员数为系统导出约数，已与县科协核对")
    rep = validate_file(submission(tmp_path / "t.xlsx", township, values=vals), context(township))
    scaled = next(f for f in rep.findings if f.code == "value-scaled")
    assert scaled.severity == "info" and scaled.justification.startswith("信息员数")
    assert any(f.code == "warning-accepted" for f in rep.findings)
    assert rep.status == "通过"


def test_duplicates_are_checked_once(tmp_path, township) -> None:
    a = submission(tmp_path / "a.xlsx", township)
    b = tmp_path / "b.xlsx"
    b.write_bytes(a.read_bytes())
    first, second = validate_paths([a, b], context(township))
    assert first.status == "通过" and second.status == "重复" and second.duplicate_of == str(a)
    assert [f.code for f in second.findings] == ["file-duplicate"]


def test_without_a_roster_units_are_taken_from_the_meta_sheet(tmp_path, township) -> None:
    rep = validate_file(submission(tmp_path / "t.xlsx", township), Context(township))
    assert rep.unit_name == "城关镇" and rep.findings == []


def test_findings_are_data(tmp_path, township) -> None:
    rep = validate_file(submission(tmp_path / "t.xlsx", township, values=values_for(filler=None)), context(township))
    d = rep.findings[0].to_dict()
    assert {"code", "severity", "unit", "file", "sheet", "cell", "field", "label", "value", "expected",
            "message", "hint"} <= set(d)
    assert json.loads(json.dumps(d, ensure_ascii=False)) == d
    with pytest.raises(ValueError):
        dataclasses.replace(rep.findings[0], code="no-such-code")
