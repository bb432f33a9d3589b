"""Consolidation: ratio-of-sums rates, the roster matrix, provenance, year over year, roll-up."""

from __future__ import annotations

import hashlib
import json
import os
import random
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from kxsheets.cli import app
from kxsheets.config import CONFIG_FILE, render_config
from kxsheets.consolidate import consolidate, rank
from kxsheets.demo import clean_values
from kxsheets.round_consolidation import SUMMARY_FILE, consolidate_round
from kxsheets.roster import Unit
from kxsheets.rounds import Round, init_round
from kxsheets.validate import Context, validate_paths

from .helpers import submission, values_for

TOWNS = [Unit(name, f"99{i:04d}", "联系人", f"t{i}@example.org")
         for i, name in enumerate(["城关镇", "青山镇", "白沙镇", "石门乡"], start=1)]


def _received(path: Path, t: float) -> Path:
    os.utime(path, (t, t))
    return path


def filed(folder: Path, schema, unit: Unit, name: str = "", t: float = 1_750_000_000, **changes) -> Path:
    """A township's return with ``changes`` over clean demo values, received at time ``t``."""
    folder.mkdir(parents=True, exist_ok=True)
    vals = {**clean_values(unit, random.Random(unit.code)), **{k.replace("__", "."): v for k, v in changes.items()}}
    return _received(submission(folder / (name or f"{unit.name}.xlsx"), schema, unit, vals), t)


def check(paths, schema, units=TOWNS):
    return validate_paths(paths, Context(schema, list(units), 2025), workers=0)


def test_rates_are_ratios_of_sums_not_means_of_rates(tmp_path, township) -> None:
    a = filed(tmp_path, township, TOWNS[0], informants=100, population=1000, is_standard=True,
              villages_total=10, villages_with_assoc=10)
    b = filed(tmp_path, township, TOWNS[1], informants=9000, population=10000, is_standard=False,
              villages_total=30, villages_with_assoc=3)
    cons = consolidate(township, TOWNS[:2], check([a, b], township, TOWNS[:2]))
    t = cons.totals
    assert t["informants"] == 9100 and t["population"] == 11000
    assert t["informant_rate"] == Decimal(9100) / Decimal(11000)  # 82.7 %, not (10 % + 90 %) / 2
    assert t["informant_rate"] != (Decimal("0.1") + Decimal("0.9")) / 2
    assert t["village_coverage"] == Decimal(13) / Decimal(40)
    assert t["is_standard"] == 1 and t["standard_rate"] == Decimal("0.5")  # 合格数 ÷ 乡镇总数
    sessions = sum(v for k, v in cons.values["990001"].items() if k.startswith("activities.") and k.endswith(".sessions"))
    assert cons.values["990001"]["total_sessions"] == sessions
    assert t["total_sessions"] == cons.values["990001"]["total_sessions"] + cons.values["990002"]["total_sessions"]


def test_money_is_exact_to_the_cent(tmp_path, township) -> None:
    paths = [filed(tmp_path, township, u, budget=v, spent=v, transfer=0)
             for u, v in zip(TOWNS[:3], (Decimal("0.10"), Decimal("0.20"), Decimal("326.28")))]
    cons = consolidate(township, TOWNS[:3], check(paths, township))
    assert cons.totals["budget"] == Decimal("326.58")  # 0.1 + 0.2 in floats would be 0.30000000000000004


def test_roster_matrix_missing_resubmitted_and_still_erroneous(tmp_path, township) -> None:
    inbox = tmp_path / "inbox"
    clean = filed(inbox, township, TOWNS[0], t=1000)
    first = filed(inbox, township, TOWNS[1], "青山镇.xlsx", t=1000, population=50000)
    second = filed(inbox, township, TOWNS[1], "青山镇（修改）.xlsx", t=2000, population=51000)
    older_ok = filed(inbox, township, TOWNS[2], "白沙镇.xlsx", t=1000)
    newer_bad = filed(inbox, township, TOWNS[2], "白沙镇（第二版）.xlsx", t=3000, villages_with_assoc=99,
                      villages_total=10)
    cons = consolidate(township, TOWNS, check([clean, first, second, older_ok, newer_bad], township))
    status = {u.unit.name: u for u in cons.roster}
    assert [u.status for u in cons.roster] == ["已交", "已交", "待修改", "未交"]
    assert status["青山镇"].versions == 2 and status["青山镇"].report.file == str(second)
    assert cons.values["990002"]["population"] == 51000 and "采用最新的第 2 份" in status["青山镇"].note
    bad = status["白沙镇"]  # the newest has an error: reported, and the older clean file does not stand in
    assert bad.report.file == str(newer_bad) and "990003" not in cons.values
    assert "未计入汇总" in bad.note and "较早的 1 份不代替它" in bad.note
    assert cons.totals["units"] == 2 and [u.unit.name for u in cons.missing] == ["石门乡"]


def test_every_value_traces_back_to_its_file_and_cell(tmp_path, township) -> None:
    def insert_row(wb) -> None:
        wb["科普活动"].insert_rows(5)  # one row pushed in above 科普讲座 …

    moved = submission(tmp_path / "moved.xlsx", township, TOWNS[0],
                       {**values_for(TOWNS[0]), "activities.lectures.sessions": 7}, edit=insert_row)
    cons = consolidate(township, TOWNS[:1], check([moved], township, TOWNS[:1]))
    src = cons.source_of("990001", "activities.lectures.sessions")
    assert src is not None and src.value == 7
    assert (src.file, src.sheet, src.cell) == (str(moved), "科普活动", "B7")  # … so its cell moved from B6 to B7
    assert src.sha256 == hashlib.sha256(moved.read_bytes()).hexdigest()
    wb = openpyxl.load_workbook(moved)
    assert wb[src.sheet][src.cell].value == 7
    pop = cons.source_of("990001", "population")
    assert wb[pop.sheet][pop.cell].value == float(pop.value)
    assert "informant_rate" not in {s.name for s in cons.sources()}  # derived: explained by its formula


def test_rank_is_competition_ranking_like_excel() -> None:
    assert rank({"a": 5, "b": 9, "c": 5, "d": 1, "e": None}) == {"b": 1, "a": 2, "c": 2, "d": 4}


def make_round(folder: Path, county: str, units: list[Unit], year: int = 2025, **config) -> Round:
    rnd = init_round(folder, county, year, units)
    cfg = rnd.config.model_copy(update=config)
    (rnd.dir / CONFIG_FILE).write_text(render_config(cfg), encoding="utf-8")
    return Round.open(rnd.dir)


def test_year_over_year_as_in_the_district_report(tmp_path, township) -> None:
    """Seed 002: 309.39 万元 against 326.28 last year → 减少 16.89 万元, 5.18 %."""
    last = make_round(tmp_path / "2024", "示例县", TOWNS[:2], 2024)
    for u, budget in zip(TOWNS[:2], ("200.00", "126.28")):
        filed(last.dir / "inbox", township, u, budget=Decimal(budget), spent=Decimal(budget), transfer=0)
    consolidate_round(last)
    this = make_round(tmp_path / "2025", "示例县", TOWNS[:2], previous_round="../2024")
    for u, budget in zip(TOWNS[:2], ("200.00", "109.39")):
        filed(this.dir / "inbox", township, u, budget=Decimal(budget), spent=Decimal(budget), transfer=0)
    result = consolidate_round(this)
    cons = result.consolidation
    assert cons.totals["budget"] == Decimal("309.39") and cons.last_year("budget") == Decimal("326.28")
    data = json.loads(CliRunner().invoke(app, ["consolidate", str(this.dir), "--format", "json"]).stdout)
    row = next(r for r in data["totals"] if r["name"] == "budget")
    assert (row["value"], row["previous"], row["change"]) == (309.39, 326.28, -16.89)
    assert round(row["change_rate"] * 100, 2) == -5.18
    assert cons.last_year("budget", "990002") == Decimal("126.28")  # each unit's own last year too
    ws = openpyxl.load_workbook(result.summary_path, data_only=True)["汇总"]
    labels = [ws.cell(r, 2).value for r in range(1, ws.max_row + 1)]
    assert labels[-3:] == ["上年", "增减", "增减率"]


def test_previous_round_without_history_is_a_note_not_a_failure(tmp_path, township) -> None:
    rnd = make_round(tmp_path / "2025", "示例县", TOWNS[:1], previous_round="../2024")
    filed(rnd.dir / "inbox", township, TOWNS[0])
    result = consolidate_round(rnd)
    assert result.consolidation.previous is None and "没有汇总记录" in result.notes[0]


def test_three_counties_roll_up_to_city_totals(tmp_path, registry, township) -> None:
    """Each county consolidates its townships and writes its county-annual form; the city round
    validates and consolidates those like any return. City totals equal the sums over all
    townships, and city rates are again ratios of sums over every township."""
    county_schema = registry.load("county-annual")
    counties = [Unit(f"{n}县", f"43010{i}", "", f"c{i}@example.org") for i, n in enumerate("东西南", start=1)]
    towns_of = {c.code: [Unit(f"{c.name[0]}{j}镇", f"{c.code}{j:02d}", "联系人", "") for j in range(1, 2 + k)]
                for k, c in enumerate(counties, start=1)}
    city_inbox = tmp_path / "city-inbox"
    every_town = []
    for c in counties:
        rnd = make_round(tmp_path / c.name, c.name, towns_of[c.code], code=c.code, report_template="county-annual")
        for t in towns_of[c.code]:
            filed(rnd.dir / "inbox", township, t)
        result = consolidate_round(rnd)
        every_town += list(result.consolidation.values.values())
        city_inbox.mkdir(exist_ok=True)
        (city_inbox / result.report_path.name).write_bytes(result.report_path.read_bytes())
    assert len(every_town) == 2 + 3 + 4

    city = make_round(tmp_path / "city", "示例市", counties, template="county-annual")
    for f in city_inbox.iterdir():
        (city.dir / "inbox" / f.name).write_bytes(f.read_bytes())
    result = consolidate_round(city)
    assert [u.status for u in result.consolidation.roster] == ["已交"] * 3, \
        [(u.status, u.note, u.report and [f.message for f in u.report.findings]) for u in result.consolidation.roster]
    t = result.consolidation.totals

    def total(name: str) -> Decimal:
        return sum((v[name] for v in every_town), Decimal(0))

    for name in ("total_participants", "total_sessions", "population", "informants", "budget"):
        assert t[name] == total(name), name
    assert t["township_count"] == 9
    assert t["standard_count"] == sum(1 for v in every_town if v["is_standard"])
    assert t["informant_rate"] == total("informants") / total("population")
    assert t["standard_rate"] == Decimal(t["standard_count"]) / 9
    assert t["activities.youth.participants"] == total("activities.youth.participants")
    assert county_schema.rollup is not None


def test_outputs_are_the_same_every_run_and_text_stays_text(tmp_path, township) -> None:
    rnd = make_round(tmp_path / "r", "示例县", TOWNS[:2])
    evil = {"highlights.1.name": '=HYPERLINK("http://evil.example","点我")', "highlights.1.date": "2025-05-01",
            "highlights.1.kind": "科普讲座"}
    filed(rnd.dir / "inbox", township, TOWNS[0], **{k.replace(".", "__"): v for k, v in evil.items()})
    filed(rnd.dir / "inbox", township, TOWNS[1])
    first = consolidate_round(rnd).summary_path.read_bytes()
    again = consolidate_round(rnd).summary_path.read_bytes()
    assert first == again
    wb = openpyxl.load_workbook(rnd.dir / "output" / SUMMARY_FILE)
    ws = wb["重点活动明细"]
    cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert cell.data_type == "s" and cell.hyperlink is None
    assert wb.sheetnames == ["汇总", "科普活动", "图表", "重点活动明细", "报送情况", "数据来源"]


def test_unit_feedback_compares_with_the_county(tmp_path, township) -> None:
    rnd = make_round(tmp_path / "r", "示例县", TOWNS[:3])
    for u, n in zip(TOWNS[:3], (3000, 1000, 2000)):
        filed(rnd.dir / "inbox", township, u, informants=n, population=10000)
    result = consolidate_round(rnd)
    ws = openpyxl.load_workbook(result.feedback["990002"])["本单位情况"]
    row = next(r for r in ws.iter_rows(values_only=True) if r[0] == "科普中国信息员注册数")
    assert row[2:6] == (1000, 6000, 2000, "3/3")
    rate = next(r for r in ws.iter_rows(values_only=True) if r[0] == "科普中国信息员注册率")
    assert rate[2] == pytest.approx(0.1) and rate[3] == pytest.approx(0.2) and rate[5] == "3/3"


def test_summary_formulas_use_only_functions_without_the_xlfn_prefix(tmp_path, township) -> None:
    """summary_book skips xlsxwriter's future-function rewriting; that is only safe for these."""
    import re

    from kxsheets.summary_book import FUNCTIONS

    rnd = make_round(tmp_path / "r", "示例县", TOWNS[:2])
    for u in TOWNS[:2]:
        filed(rnd.dir / "inbox", township, u)
    wb = openpyxl.load_workbook(consolidate_round(rnd).summary_path)
    used = {f for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and c.value.startswith("=") for f in re.findall(r"([A-Z]+)\(", c.value)}
    assert used and used <= FUNCTIONS, used - FUNCTIONS


def test_a_large_swing_from_last_year_is_a_warning_a_written_reason_accepts(tmp_path, township) -> None:
    from kxsheets.round_validation import validate_round

    last = make_round(tmp_path / "2024", "示例县", TOWNS[:2], 2024)
    for u in TOWNS[:2]:
        filed(last.dir / "inbox", township, u, population=50000, volunteers=100)
    consolidate_round(last)
    this = make_round(tmp_path / "2025", "示例县", TOWNS[:2], previous_round="../2024")
    filed(this.dir / "inbox", township, TOWNS[0], population=52000, volunteers=400)  # +300 %: a question
    filed(this.dir / "inbox", township, TOWNS[1], volunteers=400, explanation="今年新组建了志愿服务队")
    reports = {r.unit_code: r for r in validate_round(this, write=False).reports}
    swing = [f for f in reports["990001"].findings if f.code == "value-swing"]
    assert [(f.severity, f.field, f.sheet, f.cell) for f in swing] == [("warning", "volunteers", "组织建设", "B7")]
    assert "上年为 100" in swing[0].message and "增长 300%" in swing[0].message
    accepted = next(f for f in reports["990002"].findings if f.code == "value-swing")
    assert accepted.severity == "info" and accepted.justification == "今年新组建了志愿服务队"


def test_last_years_ledger_is_read_not_written(tmp_path, township) -> None:
    last = make_round(tmp_path / "2024", "示例县", TOWNS[:1], 2024)
    filed(last.dir / "inbox", township, TOWNS[0])
    consolidate_round(last)
    db = last.dir / "kxsheets.db"
    before = (db.read_bytes(), db.stat().st_mtime_ns)
    this = make_round(tmp_path / "2025", "示例县", TOWNS[:1], previous_round="../2024")
    filed(this.dir / "inbox", township, TOWNS[0])
    assert consolidate_round(this).consolidation.previous is not None
    assert (db.read_bytes(), db.stat().st_mtime_ns) == before
