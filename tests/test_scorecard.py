"""The 自评表 scored end to end: seed 003 reproduced, 完成值 from the townships or the department,
what the department still has to explain, the workbook's formulas and the JSON breakdown."""

from __future__ import annotations

import json
from decimal import Decimal as D

import openpyxl
import pytest
from typer.testing import CliRunner

from kxsheets.cli import app
from kxsheets.department import department_template
from kxsheets.demo import run_demo
from kxsheets.scorecard import score_card

SEED_ACTUALS = {  # seed 003's 完成值 as the department typed them
    "indicators.media_posts.actual": "300余篇", "indicators.grassroots_training.actual": "1次",
    "indicators.funds_on_time.actual": "100%", "indicators.staff_cost.actual": "126.73万元",
    "indicators.running_cost.actual": "50 万元", "indicators.earmarked.actual": "120 万元",
    "indicators.social_benefit.level": "达成", "indicators.internal_control.level": "达成",
    "indicators.satisfaction.actual": "90%以上",
}


def township_totals(participants: int = 12000, sessions: int = 35, volunteer: int = 30) -> dict:
    """County totals as consolidation leaves them (only the names the indicators read)."""
    rows = ["science_day", "tech_week", "lectures", "caravan", "volunteer", "rural_training", "youth", "other"]
    totals = {f"activities.{r}.participants": D(0) for r in rows} | {f"activities.{r}.sessions": D(0) for r in rows}
    totals |= {"activities.lectures.participants": D(participants), "activities.lectures.sessions": D(sessions - volunteer),
               "activities.volunteer.sessions": D(volunteer)}
    return totals


def card_for(registry, department_values, totals, preset="wangcheng"):
    scoring = registry.load("department-self-evaluation")
    rules = registry.scoring_rules(scoring.model_copy(update={"preset": preset}))
    return score_card(scoring, rules, preset, totals, department_values, registry.load("township-annual"),
                      "长沙市望城区科学技术协会", 2021)


def test_seed_003_funding_row_118_65_percent_scores_7_95(registry) -> None:
    card = card_for(registry, {"total_a": D(302), "total_b": D("363.88"), "total_c": D("5.56"), **SEED_ACTUALS},
                    township_totals())
    row = card.funding[-1]
    assert (row.result.display_rate, row.result.score) == (D("1.1865"), D("7.95"))


def test_seed_003_total_94_52(registry) -> None:
    """Seed 003's 总分 row adds the project table's execution score (1720.3 / 2286.89 = 75.22 % → 7.52)
    to 85 points of fully met indicators and 2 points on the 5-point row whose name the extracted
    text lost (here 科技志愿服务活动 10次以上, done 4 times → 4/10 × 5)."""
    card = card_for(registry, {"total_a": D("2286.89"), "total_b": D("1720.3"), **SEED_ACTUALS},
                    township_totals(volunteer=4))
    assert card.funding[-1].result.display_rate == D("0.7522") and card.funding_score == D("7.52")
    volunteer = next(i for i in card.indicators if i.indicator.key == "volunteer_service")
    assert (volunteer.source, volunteer.score) == ("乡镇汇总", D("2.00"))
    assert [i.score for i in card.indicators if i is not volunteer] == [D(w) for w in
                                                                        (10, 5, 5, 5, 5, 5, 5, 5, 15, 15, 10)]
    assert card.total == D("94.52") and card.grade == "优" and card.complete
    assert [f.code for f in card.findings] == ["reason-missing"]  # 2 of 5 with no 未完成原因 written


def test_actuals_from_townships_are_ratio_free_sums(registry) -> None:
    card = card_for(registry, SEED_ACTUALS, township_totals(participants=11000, sessions=30))
    people = next(i for i in card.indicators if i.indicator.key == "service_people")
    assert (people.actual_text, people.score) == ("11000人次", D("9.17"))  # 11000/12000 × 10
    count = next(i for i in card.indicators if i.indicator.key == "activity_count")
    assert count.score == D("4.29")  # T8: 30/35 × 5


def test_department_problems_are_findings(registry) -> None:
    values = {**SEED_ACTUALS, "indicators.staff_cost.actual": "1267300元", "indicators.social_benefit.level": None,
              "indicators.internal_control.score": D(11), "indicators.media_posts.actual": "三百篇",
              "indicators.grassroots_training.actual": "0次", "indicators.grassroots_training.reason": "疫情"}
    card = card_for(registry, values, township_totals())
    codes = {(f.code, f.field) for f in card.findings}
    assert ("actual-unit-mismatch", "staff_cost") in codes
    assert ("level-missing", "social_benefit") in codes
    assert ("score-out-of-band", "internal_control") in codes
    assert ("actual-unreadable", "media_posts") in codes
    assert ("reason-missing", "grassroots_training") in codes  # a reason but no 改进措施
    assert ("funding-missing", "total") in codes
    assert not card.complete


def test_the_department_form_is_an_ordinary_template(registry) -> None:
    form = department_template(registry.load("department-self-evaluation"))
    assert [s.name for s in form.sheets] == ["资金情况", "绩效指标", "年度总体目标"]
    assert [r.key for r in form.sheets[1].rows][:2] == ["service_people", "activity_count"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return run_demo(tmp_path_factory.mktemp("demo") / "demo")


def test_demo_round_scores_and_writes_the_form(demo) -> None:
    result = demo.score
    assert result.card.total == D("97.95") and result.card.grade == "优" and not result.findings
    ws = openpyxl.load_workbook(result.path)["自评表"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert "部门整体支出绩效自评表" in cells and "年度资金总额" in cells
    formulas = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert any("MAX(0,1-ABS(" in f for f in formulas)  # the symmetric rule, readable
    assert any(f.startswith('=IF(N(') and "-" in f and "/" in f for f in formulas)  # (B-C)/A
    cached = openpyxl.load_workbook(result.path, data_only=True)["自评表"]
    values = [c.value for row in cached.iter_rows() for c in row]
    assert 97.95 in values and "优" in values and 7.95 in values


def test_score_json_has_the_whole_breakdown(demo) -> None:
    out = CliRunner().invoke(app, ["score", str(demo.round.dir), "--format", "json"])
    assert out.exit_code == 0, out.stdout
    data = json.loads(out.stdout)
    assert (data["preset"], data["total"], data["grade"]) == ("wangcheng", 97.95, "优")
    row = data["funding"][-1]
    assert (row["a"], row["b"], row["c"], row["weight"], row["display_rate"], row["score"]) == \
           (302, 363.88, 5.56, 10, 1.1865, 7.95)
    ind = data["indicators"][0]
    assert {k: ind[k] for k in ("level1", "level2", "type", "target", "target_value", "target_unit", "source")} == \
           {"level1": "产出指标", "level2": "数量指标", "type": "positive", "target": "12000人次",
            "target_value": 12000, "target_unit": "人次", "source": "乡镇汇总"}


def test_project_layout_for_the_national_preset(registry, tmp_path) -> None:
    from kxsheets.self_eval_book import write_self_evaluation

    card = card_for(registry, {"total_a": D(100), "total_b": D(95), **SEED_ACTUALS}, township_totals(), "national")
    ws = openpyxl.load_workbook(write_self_evaluation(card, tmp_path / "x.xlsx"))["自评表"]
    texts = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert "项目支出绩效自评表" in texts and "偏差原因分析及改进措施" in texts and "年度指标值" in texts
    assert card.funding_score == D("9.50")
