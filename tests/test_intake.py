"""Hostile and broken inputs (../shared/domain/hostile-inputs.md §1): every one ends in a
classified finding, none in a traceback, and the run goes on."""

from __future__ import annotations

import hashlib
import random
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from kxsheets.intake import scan, sniff
from kxsheets.validate import validate_file, validate_paths

from .helpers import context, submission


@pytest.fixture
def good(tmp_path, township) -> Path:
    return submission(tmp_path / "good.xlsx", township)


def rezip(src: Path, dst: Path, replace: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, replace.get(item.filename, zin.read(item)))
    return dst


def far_cell(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet().write_string(1048575, 16383, "far away")
    wb.close()
    return path


def zip_bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as fh:
            for _ in range(40):
                fh.write(b" " * 1_000_000)
    return path


def encrypted(good: Path, path: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    with open(good, "rb") as src, open(path, "wb") as out:
        OOXMLFile(src).encrypt("secret", out)
    return path


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="&lol3;" sheetId="1" r:id="rId1" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/></sheets></workbook>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="&xxe;" sheetId="1" r:id="rId1" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/></sheets></workbook>"""


def make(kind: str, tmp: Path, good: Path) -> Path:
    p = tmp / f"{kind}.xlsx"
    builders = {
        "html": lambda: p.write_bytes(b"<html><body><table><tr><td>1</td></tr></table></body></html>"),
        "spreadsheetml-2003": lambda: p.write_bytes(b'\xef\xbb\xbf<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>'),
        "csv": lambda: p.write_text("单位名称,常住人口\n城关镇,52000\n", encoding="utf-8"),
        "binary-junk": lambda: p.write_bytes(bytes(range(256)) * 8),
        "truncated": lambda: p.write_bytes(good.read_bytes()[: good.stat().st_size // 2]),
        "word": lambda: _word(p),
        "zip-bomb": lambda: zip_bomb(p),
        "far-cell": lambda: far_cell(p),
        "encrypted": lambda: encrypted(good, p),
        "ole-damaged": lambda: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),
        "billion-laughs": lambda: rezip(good, p, {"xl/workbook.xml": BILLION_LAUGHS}),
        "xxe": lambda: rezip(good, p, {"xl/workbook.xml": XXE}),
        "bad-sheet-xml": lambda: rezip(good, p, {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row"}),
        "missing-part": lambda: _drop(good, p, "xl/_rels/workbook.xml.rels"),
    }
    builders[kind]()
    return p


def _word(p: Path) -> None:
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("word/document.xml", "<document/>")


def _drop(src: Path, dst: Path, name: str) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename != name:
                zout.writestr(item, zin.read(item))


HOSTILE = [
    ("html", "file-not-workbook"),
    ("spreadsheetml-2003", "file-not-workbook"),
    ("csv", "file-not-workbook"),
    ("binary-junk", "file-not-workbook"),
    ("truncated", "file-damaged"),
    ("word", "file-not-workbook"),
    ("zip-bomb", "file-zip-bomb"),
    ("far-cell", "file-dimensions-absurd"),
    ("encrypted", "file-encrypted"),
    ("ole-damaged", "file-damaged"),
    ("billion-laughs", "file-damaged"),
    ("xxe", "file-damaged"),
    ("bad-sheet-xml", "file-damaged"),
    ("missing-part", "file-damaged"),
]


@pytest.mark.parametrize("kind, code", HOSTILE)
def test_hostile_file_gets_a_classified_finding(tmp_path, township, good, kind, code) -> None:
    path = make(kind, tmp_path, good)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    rep = validate_file(path, context(township))
    assert [f.code for f in rep.findings] == [code], rep.findings
    assert rep.findings[0].severity == "error" and rep.findings[0].message and not rep.readable
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # inputs are never modified


def test_one_bad_file_never_stops_the_others(tmp_path, township, good) -> None:
    paths = [make(k, tmp_path, good) for k, _ in HOSTILE] + [good]
    reports = validate_paths(paths, context(township))
    assert len(reports) == len(paths)
    assert reports[-1].status == "通过" and reports[-1].unit_name == "城关镇"


def test_far_cell_is_rejected_before_calamine_sees_it(tmp_path) -> None:
    """calamine aborts the whole process on this 5 KB file; the guard must stop it first."""
    import subprocess
    import sys

    path = far_cell(tmp_path / "far.xlsx")
    assert path.stat().st_size < 10_000
    code = ("from kxsheets.validate import validate_file, Context\n"
            "from kxsheets.schema import Registry\n"
            f"r = validate_file({str(path)!r}, Context(Registry.default().load('township-annual')))\n"
            "print(r.findings[0].code)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "file-dimensions-absurd", out.stderr


def test_whole_column_formatting_is_not_absurd(tmp_path) -> None:
    path = tmp_path / "styled.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("封面")
    ws.write_string(0, 0, "单位名称")
    ws.write_blank(1048575, 0, None, wb.add_format({"bold": True}))
    wb.close()
    from kxsheets.intake import open_submission

    sub, found = open_submission(path)
    assert sub is not None and found == []


def test_formula_without_cached_value(tmp_path, township) -> None:
    path = submission(tmp_path / "script.xlsx", township, edit=lambda wb: None)  # saved by openpyxl
    rep = validate_file(path, context(township))
    f = next(f for f in rep.findings if f.code == "formula-no-cache")
    assert (f.sheet, f.cell, f.severity) == ("科普活动", "B12", "warning")
    assert rep.errors == 0


def test_folder_scan_skips_lock_temp_hidden_empty_files(tmp_path, good) -> None:
    (tmp_path / "~$good.xlsx").write_bytes(b"\x05owner" + b" " * 150)
    (tmp_path / ".~tmp-abc.xlsx").write_bytes(b"PK")
    (tmp_path / ".hidden.xlsx").write_bytes(b"PK")
    (tmp_path / "Thumbs.db").write_bytes(b"x")
    (tmp_path / "empty.xlsx").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "note.txt").write_text("hi")
    assert [p.name for p in scan(tmp_path)] == ["good.xlsx", "note.txt"]


@pytest.mark.parametrize("data, kind", [(b"PK\x03\x04rest", "xlsx"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
                                        (b"\xef\xbb\xbf  <html>", "html"), (b"a,b\n1,2", "text"),
                                        (b"\xff\xfe\x00\x81" * 10, "unknown")])
def test_sniff_by_bytes(data, kind) -> None:
    assert sniff(data) == kind


def test_extension_is_not_trusted(tmp_path, township, good) -> None:
    renamed = tmp_path / "城关镇.xls"
    renamed.write_bytes(good.read_bytes())
    rep = validate_file(renamed, context(township))
    assert rep.status == "通过" and rep.unit_name == "城关镇"


def test_mutated_files_never_raise(tmp_path, township, good) -> None:
    """A small mutation corpus: flipped bytes anywhere in a good file."""
    data = good.read_bytes()
    rng = random.Random(2025)
    ctx = context(township)
    for i in range(60):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        p = tmp_path / f"m{i}.xlsx"
        p.write_bytes(bytes(buf))
        rep = validate_file(p, ctx)  # must not raise
        assert all(f.code and f.message for f in rep.findings)


def test_defusedxml_guards_openpyxl() -> None:
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


@pytest.mark.parametrize("cells, bounds", [
    ('<c r="A1" t="s"><v>0</v></c><c r="Z99"><v>1</v></c>', (0, 0)),  # all within A1:Z99
    ('<c r="B5"><v>1</v></c><c r="XFD7"><v>1</v></c>', (7, 16384)),    # far right, near top
    ('<c r="C1048576"><v>1</v></c>', (1048576, 26)),                   # far down: columns bounded by Z
    ('<c r="AB300"><v>1</v></c><c r="A2"/>', (300, 28)),
    ('<c r="A1"/><c r="XFD1048576" s="3"/>', (0, 0)),                  # styled but empty cells
    ('<c r="C200"><f>SUM(A1:A2)</f><v>3</v></c>', (200, 26)),
])
def test_bounds_of_a_sheet_without_visiting_every_cell(cells, bounds) -> None:
    from kxsheets.intake import _bounds

    assert _bounds(f"<sheetData><row>{cells}</row></sheetData>".encode()) == bounds
