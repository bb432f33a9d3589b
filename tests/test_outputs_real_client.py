"""Every output of the demo round, opened and recalculated by a real LibreOffice: each formula's
recalculated value equals the value kxsheets cached in it, and each output prints to PDF."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from kxsheets.demo import run_demo

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def demo_outputs(tmp_path_factory) -> list[Path]:
    res = run_demo(tmp_path_factory.mktemp("demo") / "demo")
    result = res.consolidation
    return [result.summary_path, res.score.path, *result.feedback.values(), res.validation.report_path]


def formula_cells(path: Path) -> list[tuple[str, str, object]]:
    """(sheet, cell, cached value) of every formula in the workbook."""
    formulas, cached = openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True)
    return [(ws.title, c.coordinate, cached[ws.title][c.coordinate].value)
            for ws in formulas.worksheets for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and c.value.startswith("=")]


def agree(cached: object, recalculated: object) -> bool:
    if cached in (None, ""):
        return recalculated in (None, "")
    if isinstance(cached, (int, float)) and isinstance(recalculated, (int, float)):
        tolerance = 1e-9 if abs(cached) < 1 else 0.01  # rates exactly, amounts to the cent
        return abs(cached - recalculated) <= tolerance
    return cached == recalculated


def test_libreoffice_recalculation_equals_every_cached_value(demo_outputs, libreoffice, tmp_path) -> None:
    checked = 0
    converted = libreoffice(demo_outputs, "xlsx", tmp_path / "recalc")
    for src, out in zip(demo_outputs, converted):
        cells = formula_cells(src)
        recalced = openpyxl.load_workbook(out, data_only=True)
        wrong = [(s, ref, v, recalced[s][ref].value) for s, ref, v in cells if not agree(v, recalced[s][ref].value)]
        assert not wrong, f"{src.name}: {wrong[:10]}"
        checked += len(cells)
    assert checked > 100  # totals, rates, ranks of the 汇总表 and the 自评表's scores at least


def test_recalculation_check_would_catch_a_wrong_cached_value(demo_outputs, libreoffice, tmp_path) -> None:
    """The check above can fail: a cached value that disagrees with its formula is caught."""
    import xlsxwriter

    path = tmp_path / "wrong.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("汇总")
    ws.write_number(0, 0, 2)
    ws.write_formula(1, 0, "=A1*2", None, 5)  # cached 5, really 4
    wb.close()
    cells = formula_cells(path)
    recalced = openpyxl.load_workbook(libreoffice(path, "xlsx", tmp_path / "out"), data_only=True)
    assert [agree(v, recalced[s][ref].value) for s, ref, v in cells] == [False]


def test_every_output_prints_to_pdf(demo_outputs, libreoffice, tmp_path) -> None:
    for src, pdf in zip(demo_outputs, libreoffice(demo_outputs, "pdf", tmp_path / "pdf")):
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5_000, src.name


def test_the_self_evaluation_prints_one_page_wide(demo_outputs, libreoffice, tmp_path) -> None:
    pdf = libreoffice(demo_outputs[1], "pdf", tmp_path / "one").read_bytes()
    assert pdf.count(b"/Type/Page") - pdf.count(b"/Type/Pages") == 1 or \
        pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1
