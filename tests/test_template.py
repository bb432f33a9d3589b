"""The generated template, read back with openpyxl: validations, locks, meta, formats, print setup."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kxsheets.errors import KxError
from kxsheets.layout import GUIDE_SHEET, LISTS_SHEET, META_SHEET, layout
from kxsheets.roster import Unit
from kxsheets.template import TemplateBatch, meta_values, write_template
from kxsheets.text import display_width


@pytest.fixture
def book(tmp_path, township, unit, info):
    path = write_template(township, unit, info, tmp_path / "t.xlsx")
    return openpyxl.load_workbook(path)


def validation_for(ws, ref: str):
    found = [dv for dv in ws.data_validations.dataValidation if ref in dv.sqref]
    assert len(found) == 1, f"{ws.title}!{ref}: {len(found)} validations"
    return found[0]


def test_every_input_cell_has_a_validation_and_is_unlocked(book, township) -> None:
    n = 0
    for sl in layout(township).sheets:
        ws = book[sl.name]
        for c in sl.cells:
            cell = ws[c.ref]
            if c.spec.prefill:
                assert cell.protection.locked, f"prefilled {sl.name}!{c.ref} must be locked"
                continue
            n += 1
            assert not cell.protection.locked, f"{sl.name}!{c.ref}"
            dv = validation_for(ws, c.ref)
            assert dv.promptTitle and dv.prompt and dv.error and dv.showErrorMessage
            assert cell.number_format == c.spec.number_format
            assert cell.data_type != "f"  # no formulas in input cells
    assert n > 100


def test_labels_and_frame_are_locked_and_sheets_protected_without_password(book, township) -> None:
    for sl in layout(township).sheets:
        ws = book[sl.name]
        assert ws.protection.sheet and not ws.protection.password
        for row, col, text in sl.labels:
            cell = ws.cell(row + 1, col + 1)
            assert cell.protection.locked
            assert str(cell.value) == text
        assert ws["A1"].protection.locked and ws["A1"].value


def test_validation_kinds(book) -> None:
    acts, org, pub, cover = book["科普活动"], book["组织建设"], book["宣传阵地"], book["封面"]
    sessions = validation_for(acts, "B4")
    assert (sessions.type, sessions.formula1, sessions.formula2) == ("whole", "0", "10000")
    assert sessions.operator in (None, "between")  # OOXML's default operator is between
    assert sessions.errorStyle in (None, "stop")
    assert validation_for(acts, "C4").errorStyle == "warning"  # approximations tolerated, reported later
    assert validation_for(acts, "D4").type == "textLength"
    std = validation_for(org, "B6")
    assert std.type == "list" and std.formula1.startswith(f"'{LISTS_SHEET}'!")
    assert validation_for(cover, "B9").type == "date"
    channel = validation_for(pub, "B8")
    rng = channel.formula1.split("!")[1].replace("$", "")
    values = [c.value for row in book[LISTS_SHEET][rng] for c in row]
    assert values == ["微信公众号", "村村响广播", "宣传栏", "电子屏", "其他"]


def test_meta_sheet_hidden_and_identifies_template(book, township, unit, info) -> None:
    meta = book[META_SHEET]
    assert meta.sheet_state in ("hidden", "veryHidden")
    assert book[LISTS_SHEET].sheet_state in ("hidden", "veryHidden")
    values = {r[0].value: r[1].value for r in meta.iter_rows()}
    assert values == meta_values(township, unit, info)
    assert values["fingerprint"] == layout(township).fingerprint
    assert values["template_id"] == "township-annual" and values["unit_code"] == "990001"


def test_prefilled_title_block(book) -> None:
    cover = book["封面"]
    assert (cover["B4"].value, cover["B5"].value, cover["B6"].value) == ("城关镇", "990001", 2025)
    assert "城关镇" in book["科普活动"]["A2"].value and "2025" in book["科普活动"]["A2"].value


def test_print_setup_and_freeze(book) -> None:
    for name in ("封面", "科普活动", GUIDE_SHEET):
        ws = book[name]
        assert ws.page_setup.paperSize == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0  # one page wide
        assert ws.print_title_rows
    assert book["科普活动"].page_setup.orientation == "landscape"
    assert book["科普活动"].freeze_panes == "B4"


def test_cjk_aware_column_widths(book, township) -> None:
    ws = book["组织建设"]
    widest = max(display_width(f.label) for f in township.sheets[2].fields)
    assert ws.column_dimensions["A"].width >= widest


def test_guide_sheet_lists_every_field_and_rule(book, township) -> None:
    text = {str(c.value) for row in book[GUIDE_SHEET].iter_rows() for c in row if c.value}
    for sheet in township.sheets:
        for f in getattr(sheet, "fields", None) or sheet.columns:
            assert f.label in text
    for rule in township.rules:
        assert any(rule.message in t for t in text)


def test_total_row_is_a_formula_with_cached_value(tmp_path, township, unit, info) -> None:
    values = {"activities.science_day.sessions": 2, "activities.tech_week.sessions": 3}
    path = write_template(township, unit, info, tmp_path / "f.xlsx", values)
    ws = openpyxl.load_workbook(path)["科普活动"]
    assert ws["A12"].value == "合计" and ws["B12"].value == "=SUM(B4:B11)"
    assert openpyxl.load_workbook(path, data_only=True)["科普活动"]["B12"].value == 5


def test_values_are_written_by_type(tmp_path, township, unit, info) -> None:
    values = {"is_standard": True, "fill_date": dt.date(2026, 1, 8), "budget": 12.5, "informants": "1.7万"}
    wb = openpyxl.load_workbook(write_template(township, unit, info, tmp_path / "v.xlsx", values))
    assert wb["组织建设"]["B6"].value == "是"
    assert wb["封面"]["B9"].value == dt.datetime(2026, 1, 8)
    assert wb["经费情况"]["B4"].value == 12.5
    assert wb["组织建设"]["B8"].value == "1.7万"


def test_batch_output_equals_direct_output(tmp_path, township, info) -> None:
    u = Unit('石门乡<&>"', "990004", "李娜", "shimen@example.org")
    direct = openpyxl.load_workbook(write_template(township, u, info, tmp_path / "a.xlsx"))
    stamped = openpyxl.load_workbook(TemplateBatch(township, info).write(u, tmp_path / "b.xlsx"))
    assert direct.sheetnames == stamped.sheetnames
    for a, b in zip(direct.worksheets, stamped.worksheets):
        assert [[c.value for c in r] for r in a.iter_rows()] == [[c.value for c in r] for r in b.iter_rows()]
        assert [str(d.sqref) for d in a.data_validations.dataValidation] == \
               [str(d.sqref) for d in b.data_validations.dataValidation]
    assert stamped["封面"]["B4"].value == u.name


@pytest.mark.parametrize("evil", ['=HYPERLINK("http://evil.example/x","点我")', "=cmd|' /C calc'!A0",
                                  "http://evil.example", "+1+1", "@SUM(1,1)"])
def test_untrusted_text_is_never_a_formula_or_link(tmp_path, township, info, evil) -> None:
    u = Unit(evil, "990009", evil, "x@example.org")
    for path in (write_template(township, u, info, tmp_path / "d.xlsx"),
                 TemplateBatch(township, info).write(u, tmp_path / "b.xlsx")):
        with zipfile.ZipFile(path) as zf:
            sheets = [zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any("<hyperlink" in s for s in sheets)
        assert not any("HYPERLINK" in s or "cmd|" in s for s in sheets)  # not in any <f>
        assert openpyxl.load_workbook(path)["封面"]["B4"].value == evil


def test_write_is_atomic(tmp_path, township, unit, info) -> None:
    path = tmp_path / "t.xlsx"
    write_template(township, unit, info, path)
    before = path.read_bytes()
    with pytest.raises(KxError, match="32767"):
        write_template(township, unit, info, path, {"explanation": "很长" * 20000})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]


def test_same_inputs_same_cells(tmp_path, township, unit, info) -> None:
    a = openpyxl.load_workbook(write_template(township, unit, info, tmp_path / "a.xlsx"))
    b = openpyxl.load_workbook(write_template(township, unit, info, tmp_path / "b.xlsx"))
    for x, y in zip(a.worksheets, b.worksheets):
        assert [[c.value for c in r] for r in x.iter_rows()] == [[c.value for c in r] for r in y.iter_rows()]


def test_file_permissions_follow_umask(tmp_path, township, unit, info) -> None:
    path = write_template(township, unit, info, tmp_path / "p.xlsx")
    assert Path(path).stat().st_mode & 0o044 == 0o044  # readable by the office, not 0600
