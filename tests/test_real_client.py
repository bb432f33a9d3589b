"""A real spreadsheet app (LibreOffice headless) re-saves a generated template, as a township's
Excel/WPS would; the meta sheet, values, protection and data validations must survive."""

from __future__ import annotations

import openpyxl
import pytest

from kxsheets.layout import META_SHEET, layout
from kxsheets.template import meta_values, write_template

pytestmark = pytest.mark.libreoffice


def test_template_survives_a_libreoffice_resave(tmp_path, libreoffice, township, unit, info) -> None:
    values = {"filler": "刘洋", "activities.science_day.sessions": 3, "activities.tech_week.sessions": 4,
              "population": 52000, "is_standard": True}
    src = write_template(township, unit, info, tmp_path / "模板.xlsx", values)
    resaved = libreoffice(src, "xlsx", tmp_path / "out")
    before, after = openpyxl.load_workbook(src), openpyxl.load_workbook(resaved)

    assert after.sheetnames == before.sheetnames
    assert after[META_SHEET].sheet_state in ("hidden", "veryHidden")
    assert {r[0].value: r[1].value for r in after[META_SHEET].iter_rows()} == meta_values(township, unit, info)

    for sl in layout(township).sheets:
        ws_b, ws_a = before[sl.name], after[sl.name]
        assert ws_a.protection.sheet
        for c in sl.cells:
            assert ws_a[c.ref].value == ws_b[c.ref].value, f"{sl.name}!{c.ref}"
            assert ws_a[c.ref].protection.locked == ws_b[c.ref].protection.locked
            if c.spec.prefill:
                continue
            kinds = [d.type for d in ws_a.data_validations.dataValidation if c.ref in d.sqref]
            assert kinds == [d.type for d in ws_b.data_validations.dataValidation if c.ref in d.sqref], \
                f"validation lost at {sl.name}!{c.ref}"
    # LibreOffice recalculated the 合计 row on load: it agrees with the cached value we wrote
    recalced = openpyxl.load_workbook(resaved, data_only=True)["科普活动"]
    assert recalced["B12"].value == 7


def test_template_renders_to_pdf(tmp_path, libreoffice, township, unit, info) -> None:
    src = write_template(township, unit, info, tmp_path / "模板.xlsx")
    pdf = libreoffice(src, "pdf", tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000


def test_a_legacy_xls_saved_by_a_real_app_is_read(tmp_path, libreoffice, township) -> None:
    """A township that saves as Excel 97-2003 (.xls, an OLE/BIFF file): read through calamine,
    values intact, with a warning asking for .xlsx next time."""
    from kxsheets.validate import validate_file

    from .helpers import context, submission, values_for

    src = submission(tmp_path / "城关镇.xlsx", township, values={**values_for(), "population": 63690})
    xls = libreoffice(src, "xls:MS Excel 97", tmp_path / "xls")
    assert xls.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    rep = validate_file(xls, context(township))
    assert [f.code for f in rep.findings] == ["file-legacy-format"], [f.message for f in rep.findings]
    assert rep.unit_name == "城关镇" and rep.values["population"] == 63690
    assert rep.values["total_sessions"] == validate_file(src, context(township)).values["total_sessions"]
