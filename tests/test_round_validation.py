"""A round's validation: 校验报告, marked copies that keep the township's data and validations,
inputs byte-identical, and the copies open in LibreOffice."""

from __future__ import annotations

import hashlib
import zipfile

import openpyxl
import pytest

from kxsheets.annotate import LIST_SHEET
from kxsheets.demo import run_demo
from kxsheets.round_validation import validate_round


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return run_demo(tmp_path_factory.mktemp("rv") / "county")


def hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_demo_findings_match_the_stories(demo) -> None:
    v = demo.validation
    by_unit = {r.unit_name: r for r in v.latest.values()}
    codes = {name: {f.code for f in r.findings} for name, r in by_unit.items()}
    assert "required-missing" in codes["龙泉镇"] and by_unit["龙泉镇"].status == "需修改"
    assert "sheet-renamed" in codes["东湖街道"]
    assert "row-inserted" in codes["长乐镇"]
    assert "value-scaled" in codes["桃花街道"]
    assert "value-approximate" in codes["云台乡"]
    assert {"unit-in-cell", "dash-as-zero"} <= codes["石门乡"]
    assert by_unit["新河镇"].status == "通过"  # the corrected second version is the one that counts
    old = [r for r in v.reports if r.unit_name == "新河镇" and r is not by_unit["新河镇"]]
    assert old and "rule-failed" in {f.code for f in old[0].findings}
    assert [u.name for u in v.missing] == ["凤凰街道"]
    for name in ("城关镇", "青山镇", "白沙镇"):
        assert by_unit[name].status == "通过"


def test_inputs_are_byte_identical_after_runs(demo) -> None:
    inbox = demo.round.dir / "inbox"
    before = hashes(inbox)
    validate_round(demo.round)
    validate_round(demo.round)
    assert hashes(inbox) == before


def test_report_workbook(demo) -> None:
    wb = openpyxl.load_workbook(demo.validation.report_path)
    assert wb.sheetnames == ["汇总", "问题清单"]
    summary = [[c.value for c in row] for row in wb["汇总"].iter_rows(min_row=2)]
    assert ["凤凰街道", "990014", "", "未报送", "", "", ""] in [[v or "" for v in r] for r in summary]
    assert wb["问题清单"].auto_filter.ref
    assert wb["问题清单"].max_row - 1 == sum(len(r.findings) for r in demo.validation.reports)


def test_marked_copy_keeps_data_and_validations(demo) -> None:
    code = next(c for c, r in demo.validation.latest.items() if r.unit_name == "龙泉镇")
    copy = demo.validation.feedback[code]
    original = demo.validation.latest[code].file
    a, b = openpyxl.load_workbook(original), openpyxl.load_workbook(copy)
    assert b.sheetnames[0] == LIST_SHEET and b.sheetnames[1:] == a.sheetnames
    for ws in a.worksheets:
        def vals(sheet):
            return [[c.value if c.value != "" else None for c in r] for r in sheet.iter_rows()]

        assert vals(ws) == vals(b[ws.title])
        assert len(b[ws.title].data_validations.dataValidation) == len(ws.data_validations.dataValidation)
    cell = b["封面"]["B7"]
    assert cell.fill.fgColor.rgb.endswith("F8CBAD") and "必填" in cell.comment.text
    links = [c.hyperlink.location or c.hyperlink.target for c in b[LIST_SHEET]["C"] if c.hyperlink]
    assert "'封面'!B7" in "".join(links)


def test_township_text_is_never_a_formula_in_the_copy(tmp_path, township) -> None:
    from kxsheets.annotate import annotate
    from kxsheets.validate import validate_file

    from .helpers import context, submission, values_for

    path = submission(tmp_path / "t.xlsx", township, values=values_for(population='=HYPERLINK("http://evil.example")'))
    rep = validate_file(path, context(township))
    out = annotate(rep, path.read_bytes(), tmp_path / "marked.xlsx")
    with zipfile.ZipFile(out) as zf:
        first = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in first
    values = [c.value for row in openpyxl.load_workbook(out)[LIST_SHEET].iter_rows() for c in row]
    assert '=HYPERLINK("http://evil.example")' in values


@pytest.mark.libreoffice
def test_marked_copies_open_in_libreoffice(demo, libreoffice, tmp_path) -> None:
    for path in demo.validation.feedback.values():
        out = libreoffice(path, "xlsx", tmp_path / path.stem)
        assert openpyxl.load_workbook(out).sheetnames[0] == LIST_SHEET
    libreoffice(demo.validation.report_path, "pdf", tmp_path / "pdf")
