"""The shipped schemas load, say what the seeds say, and link where meanings match."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kxsheets.layout import layout
from kxsheets.schema import Registry
from kxsheets.schema.names import names
from kxsheets.schema.scoring_checks import indicator_type, parse_target


def test_township_schema_vocabulary(township) -> None:
    assert (township.id, township.level, township.period) == ("township-annual", "township", "annual")
    sheet_names = [s.name for s in township.sheets]
    assert sheet_names[:5] == ["封面", "科普活动", "组织建设", "宣传阵地", "经费情况"]
    acts = township.sheets[1]
    assert [r.label for r in acts.rows][:6] == ["全国科普日", "科技活动周", "科普讲座", "科普大篷车进校园",
                                               "科技志愿服务", "农村实用技术培训"]
    n = names(township)
    for key in ("unit_name", "unit_code", "filler", "phone", "fill_date", "villages_total",
                "villages_with_assoc", "is_standard", "volunteers", "informants", "population",
                "info_reach", "leaflets", "boards", "banners", "screen_items", "budget", "spent",
                "activities.science_day.sessions", "activities.participants", "informant_rate"):
        assert key in n, key


def test_rates_are_ratio_of_sums(township) -> None:
    d = {x.key: x for x in township.derived}
    assert d["informant_rate"].expr == "informants / population"
    assert d["informant_rate"].aggregate == "recompute"
    assert d["standard_rate"].aggregate == "mean"


def test_fingerprint_is_stable_and_sensitive(township) -> None:
    fp = layout(township).fingerprint
    assert fp == layout(township.model_copy()).fingerprint and len(fp) == 16
    renamed = township.model_copy(update={"version": "9.9"})
    assert layout(renamed).fingerprint != fp


def test_department_schema_reproduces_seed_003(department, registry: Registry) -> None:
    rules = registry.scoring_rules(department)
    assert (rules.rate_display, rules.rate_scoring, rules.over_rule) == ("net", "gross", "symmetric")
    assert rules.funding_weight + sum(i.weight for i in department.indicators) == 100
    by_key = {i.key: i for i in department.indicators}
    assert by_key["service_people"].actual.expr == "sum(activities.participants)"
    assert by_key["activity_count"].actual.expr == "sum(activities.sessions)"
    assert [i.target for i in department.indicators if i.actual.from_ == "department"][:3] == ["300篇", "1次", "100%"]


@pytest.mark.parametrize(
    "key, kind, value, unit",
    [
        ("service_people", "positive", Decimal(12000), "人次"),
        ("activity_count", "positive", Decimal(35), "次"),
        ("volunteer_service", "positive", Decimal(10), "次"),
        ("staff_cost", "reverse", Decimal(132), "万元"),  # 成本指标: a ceiling
        ("satisfaction", "positive", Decimal("0.9"), "%"),
        ("social_benefit", "qualitative", None, None),
        ("internal_control", "qualitative", None, None),
    ],
)
def test_indicator_targets_are_read(department, key, kind, value, unit) -> None:
    ind = next(i for i in department.indicators if i.key == key)
    assert indicator_type(ind) == kind
    q = parse_target(ind)
    assert (q.value, q.unit) == (value, unit) if q else (value, unit) == (None, None)


@pytest.mark.parametrize("preset, weight, over, rounding", [
    ("national", 10, "cap", "half_up"), ("wangcheng", 10, "symmetric", "half_up"),
    ("hubei", 20, "cap", "half_up"), ("chongqing", 10, "cap", "down"),
])
def test_presets(registry: Registry, preset, weight, over, rounding) -> None:
    p = registry.presets()[preset]
    assert (p.funding_weight, p.over_rule, p.rounding) == (weight, over, rounding)
    assert [g.grade for g in p.grades] == ["优", "良", "中", "差"]


def test_hubei_qualitative_bands(registry: Registry) -> None:
    assert registry.presets()["hubei"].qual_bands.partial == Decimal("0.5")


def test_round_schemas_override_builtins(tmp_path, registry: Registry) -> None:
    src = registry.files()["township-annual"].read_text(encoding="utf-8")
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "township-annual.yaml").write_text(src.replace('version: "1.0"', 'version: "2.0"'),
                                                               encoding="utf-8")
    assert Registry.default(tmp_path).load("township-annual").version == "2.0"
