"""A schema with a mistake fails to load, naming the YAML path and what is wrong."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from kxsheets.schema import SchemaError, TemplateSchema, parse_schema
from kxsheets.schema.loader import Registry, read_yaml


def base() -> dict[str, Any]:
    return {
        "id": "mini",
        "version": "1.0",
        "title": "测试表",
        "level": "township",
        "sheets": [
            {"kind": "form", "key": "cover", "name": "封面", "fields": [
                {"key": "unit_name", "label": "单位名称", "type": "text", "prefill": "unit.name"},
                {"key": "population", "label": "常住人口", "type": "integer", "min": 1},
                {"key": "informants", "label": "信息员注册数", "type": "integer", "min": 0},
                {"key": "ok", "label": "是否合格", "type": "bool"},
            ]},
            {"kind": "table", "key": "acts", "name": "活动", "total_row": True,
             "rows": [{"key": "day", "label": "科普日"}, {"key": "week", "label": "科技周"}],
             "columns": [{"key": "sessions", "label": "场次", "type": "integer", "unit": "场"}]},
            {"kind": "table", "key": "free", "name": "明细", "max_rows": 5,
             "columns": [{"key": "name", "label": "名称", "type": "text"}]},
        ],
        "derived": [{"key": "rate", "label": "注册率", "type": "percent", "expr": "informants / population"}],
        "rules": [{"id": "le-pop", "assert": "informants <= population", "message": "不能大于常住人口"}],
    }


def setter(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation that sets a dotted/indexed path: 'sheets.0.fields.1.min'."""

    def apply(d: dict[str, Any]) -> None:
        *head, last = path.split(".")
        node: Any = d
        for p in head:
            node = node[int(p)] if p.isdigit() else node[p]
        if value is DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return apply


DELETE = object()

CASES = [
    # (mutation, yaml path, words of the message)
    (setter("version", "v1"), "version", "格式不符"),
    (setter("id", "Mini Form"), "id", "格式不符"),
    (setter("title", DELETE), "title", "缺少必填项"),
    (setter("level", "village"), "level", "取值应为"),
    (setter("colour", "red"), "colour", "未知的键"),
    (setter("sheets", []), "sheets", "至少需要 1 项"),
    (setter("sheets.0.kind", "grid"), "sheets[0]", "kind 应为"),
    (setter("sheets.0.fields.1.min", "很多"), "sheets[0].fields[1].min", "应为数字"),
    (setter("sheets.0.fields.1.min", 10), None, None),  # fine on its own …
    (setter("sheets.0.fields.1.max", 0), "sheets[0].fields[1]", "min (1) 大于 max (0)"),
    (setter("sheets.0.fields.1.type", "float"), "sheets[0].fields[1].type", "取值应为"),
    (setter("sheets.0.fields.1.key", "人口"), "sheets[0].fields[1].key", "格式不符"),
    (setter("sheets.0.fields.1.key", "unit_name"), "sheets[0].fields[1].key", "重复"),
    (setter("sheets.0.fields.1.label", "单位名称"), "sheets[0].fields[1].label", "重复"),
    (setter("sheets.0.fields.0.min", 1), "sheets[0].fields[0]", "min/max 只适用于数值类型"),
    (setter("sheets.0.fields.0.pattern", "(["), "sheets[0].fields[0].pattern", "正则表达式无效"),
    (setter("sheets.0.fields.3.type", "choice"), "sheets[0].fields[3]", "必须给出 choices"),
    (setter("sheets.0.fields.1.type", "money"), "sheets[0].fields[1]", "unit 必须是 元 或 万元"),
    (setter("sheets.0.fields.1.aggregate", "count_yes"), "sheets[0].fields[1].aggregate", "只适用于 是/否"),
    (setter("sheets.0.fields.1.type", "percent"), None, None),
    (setter("sheets.0.fields.2.aggregate", "recompute"), "sheets[0].fields[2].aggregate", "只适用于 derived"),
    (setter("sheets.0.fields.0.aggregate", "sum"), "sheets[0].fields[0].aggregate", "不能按 sum 汇总"),
    (setter("sheets.0.name", "封面/目录"), "sheets[0].name", "不能包含 /"),
    (setter("sheets.0.name", "工作表" * 11), "sheets[0].name", "太长"),
    (setter("sheets.1.name", "封面"), "sheets[1].name", "重复"),
    (setter("sheets.1.rows", DELETE), "sheets[1]", "必须给出固定行 rows，或自由行的 max_rows"),
    (setter("sheets.2.total_row", True), "sheets[2]", "合计行 total_row 只用于固定行表格"),
    (setter("sheets.1.max_rows", 3), "sheets[1]", "只能二选一"),
    (setter("sheets.1.rows.1.key", "day"), "sheets[1].rows[1].key", "重复"),
    (setter("sheets.1.columns.0.prefill", "unit.code"), "sheets[1].columns[0].prefill", "只用于表单"),
    (setter("sheets.2.min_rows", 9), "sheets[2]", "min_rows (9) 大于 max_rows (5)"),
    (setter("derived.0.expr", "informants / populaton"), "derived[0].expr", "不存在的名称：populaton"),
    (setter("derived.0.expr", "__import__('os')"), "derived[0].expr", "不支持的函数"),
    (setter("rules.0.assert", "informants <= population +"), "rules[0].assert", "语法错误"),
    (setter("rules.0.assert", "acts.day.sessions <= acts.month.sessions"), "rules[0].assert", "acts.month.sessions"),
    (setter("rules.0.severity", "fatal"), "rules[0].severity", "取值应为"),
    (setter("rules.0.cells", ["nowhere"]), "rules[0].cells[0]", "不存在的名称"),
    (setter("explanation_field", "population"), "explanation_field", "不是一个文本填报项"),
    (setter("sheets.0.fields.1.key", "units"), "sheets", "保留名称"),
    (setter("summary", {"columns": ["unit_name"]}), "summary.columns[0]", "不是可汇总"),
    (setter("summary", {"rank": ["ok"]}), "summary.rank[0]", "不是汇总表中的数值列"),
    (setter("summary", {"charts": [{"title": "图", "bars": ["nowhere"]}]}), "summary.charts[0]", "nowhere"),
    (setter("summary", {"columns": ["population", "rate"], "rank": ["rate"]}), None, None),
]


@pytest.mark.parametrize("mutate, path, words", CASES)
def test_schema_error_table(mutate: Callable[[dict[str, Any]], None], path: str | None, words: str | None) -> None:
    d = copy.deepcopy(base())
    mutate(d)
    if path is None:  # a valid variation: it must load
        assert isinstance(parse_schema(d), TemplateSchema)
        return
    with pytest.raises(SchemaError) as err:
        parse_schema(d)
    assert any(p == path and words in m for p, m in err.value.problems), err.value.problems
    assert err.value.code == "schema-invalid"


def test_all_problems_are_reported_together() -> None:
    d = base()
    d["version"] = "x"
    d["sheets"][0]["fields"][1]["min"] = "many"
    with pytest.raises(SchemaError) as err:
        parse_schema(d)
    assert {p for p, _ in err.value.problems} >= {"version", "sheets[0].fields[1].min"}


def test_sum_of_percent_is_refused_with_advice() -> None:
    d = base()
    d["sheets"][0]["fields"][1].update(type="percent", aggregate="sum")
    with pytest.raises(SchemaError, match="比值之和"):
        parse_schema(d)


def test_yaml_syntax_error_names_the_line(tmp_path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("id: x\nsheets: [\n  - a\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="第 .* 行"):
        read_yaml(p)


def test_file_name_must_match_id(tmp_path) -> None:
    import yaml

    p = tmp_path / "other-name.yaml"
    p.write_text(yaml.safe_dump(base(), allow_unicode=True), encoding="utf-8")
    with pytest.raises(SchemaError, match="应与文件名"):
        Registry((tmp_path,)).load_path(p)


def scoring_base() -> dict[str, Any]:
    return {
        "kind": "scoring", "id": "s", "version": "1", "title": "自评表", "preset": "national",
        "source_template": "township-annual",
        "funding": [{"key": "total", "label": "年度资金总额", "scored": True}],
        "indicators": [
            {"key": "people", "level1": "产出指标", "level2": "数量指标", "name": "服务人数",
             "target": "12000人次", "weight": 50,
             "actual": {"from": "township", "expr": "sum(activities.participants)", "unit": "人次"}},
            {"key": "q", "level1": "效益指标", "level2": "社会效益指标", "name": "效果", "target": "良好以上",
             "weight": 40},
        ],
    }


SCORING_CASES = [
    (setter("preset", "mars"), "preset", "未知的评分预设"),
    (setter("indicators.0.weight", 55), "indicators", "分值合计为 105"),
    (setter("funding.0.scored", False), "funding", "恰好有一行计分"),
    (setter("indicators.0.actual.expr", "sum(activities.visitors)"), "indicators[0].actual.expr", "activities.visitors"),
    (setter("indicators.0.actual.unit", "人"), "indicators[0].actual.unit", "不做自动换算"),
    (setter("indicators.1.type", "positive"), "indicators[1].type", "不是数值"),
    (setter("indicators.0.target", "１２٠٠人次"), "indicators[0].target", "非阿拉伯数字"),
    (setter("indicators.0.actual", {"from": "township"}), "indicators[0].actual", "必须给出 expr"),
    (setter("rules", {"grades": [{"min": 60, "grade": "及格"}, {"min": 90, "grade": "优"}]}), "rules.grades", "从高到低"),
    (setter("rules", {"qual_bands": {"achieved": 0.5, "partial": 0.6}}), "rules.qual_bands", "必须低于"),
]


@pytest.mark.parametrize("mutate, path, words", SCORING_CASES)
def test_scoring_schema_error_table(registry: Registry, mutate, path: str, words: str) -> None:
    d = copy.deepcopy(scoring_base())
    mutate(d)
    with pytest.raises(SchemaError) as err:
        s = parse_schema(d)
        registry.scoring_rules(s)  # type: ignore[arg-type]
    assert any(p == path and words in m for p, m in err.value.problems), err.value.problems


def test_scoring_base_is_valid(registry: Registry) -> None:
    s = parse_schema(scoring_base())
    assert registry.scoring_rules(s).over_rule == "cap"  # type: ignore[arg-type]
