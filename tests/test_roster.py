from __future__ import annotations

import pytest
import xlsxwriter

from kxsheets.errors import KxError
from kxsheets.roster import COLUMNS, Unit, read_roster, write_roster


def roster_file(tmp_path, rows, header=COLUMNS):
    path = tmp_path / "units.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    ws = wb.add_worksheet("单位名单")
    ws.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        ws.write_row(r, 0, row)
    wb.close()
    return path


def test_round_trip(tmp_path) -> None:
    units = [Unit("城关镇", "990001", "刘洋", "cg@example.org"), Unit("青山镇", "990002")]
    write_roster(tmp_path / "units.xlsx", units)
    assert read_roster(tmp_path / "units.xlsx") == units


def test_code_typed_as_number_is_still_a_code(tmp_path) -> None:
    assert read_roster(roster_file(tmp_path, [["城关镇", 990001, "", ""]]))[0].code == "990001"


@pytest.mark.parametrize(
    "rows, fragment",
    [
        ([["城关镇", "990001", "", ""], ["城关镇", "990002", "", ""]], "单位名单!A3: 单位名称“城关镇”重复"),
        ([["城关镇", "990001", "", ""], ["青山镇", "990001", "", ""]], "单位名单!B3: 编码“990001”重复"),
        ([["城关镇", "12ab", "", ""]], "单位名单!B2: 编码“12ab”应为 6 至 18 位数字"),
        ([["城关镇", "990001", "", "not-an-email"]], "单位名单!D2: 邮箱“not-an-email”格式不正确"),
        ([["城关镇\nBcc: x@evil.example", "990001", "", ""]], "单位名单!A2: 单元格中不能有换行"),
        ([["", "990001", "", ""]], "单位名单!A2: 单位名称为空"),
    ],
)
def test_problems_name_the_cell(tmp_path, rows, fragment) -> None:
    with pytest.raises(KxError) as err:
        read_roster(roster_file(tmp_path, rows))
    assert err.value.code == "roster-invalid" and fragment in err.value.message


def test_wrong_header(tmp_path) -> None:
    with pytest.raises(KxError) as err:
        read_roster(roster_file(tmp_path, [], header=("名称", "代码")))
    assert err.value.code == "roster-header"


def test_empty_and_unreadable(tmp_path) -> None:
    with pytest.raises(KxError) as err:
        read_roster(roster_file(tmp_path, []))
    assert err.value.code == "roster-empty"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"<html>not a workbook</html>")
    with pytest.raises(KxError) as err:
        read_roster(bad)
    assert err.value.code == "roster-unreadable"
