"""The department's own input form for the 自评表, generated from the scoring schema.

The county 科协 fills A/B/C of each funding row, the 完成值 of indicators not taken from the
townships, 完成程度 (and optionally a score) of 定性 indicators, 未完成原因 and 改进措施, and what
became of each 年度总体目标. The form is an ordinary template schema, so it is written, read and
checked by the same code as the townships' forms (template.py, validate.py).
"""

from __future__ import annotations

from typing import Any

from .schema.models import TemplateSchema
from .schema.scoring import ScoringSchema
from .score import LEVELS

FUNDING_SHEET, INDICATOR_SHEET, GOAL_SHEET = "资金情况", "绩效指标", "年度总体目标"


def department_template(scoring: ScoringSchema) -> TemplateSchema:
    """``<scoring id>-input``: one form the department fills for the 自评表."""
    money = {"type": "money", "unit": "万元", "min": 0, "max": 100_000_000}
    funding: list[dict[str, Any]] = [
        {"key": "unit_name", "label": "部门（单位）名称", "type": "text", "required": True, "prefill": "unit.name",
         "max_length": 40},
        {"key": "year", "label": "年度", "type": "integer", "required": True, "prefill": "round.year", "format": "0"},
    ]
    for row in scoring.funding:
        funding += [
            {"key": f"{row.key}_a", "label": f"{row.label}·全年预算数（A）", **money, "required": row.scored},
            {"key": f"{row.key}_b", "label": f"{row.label}·全年执行数（B）", **money, "required": row.scored},
            {"key": f"{row.key}_c", "label": f"{row.label}·上级财政转移支付（C）", **money, "dash_means": "zero",
             "help": "没有则填 0 或留空"},
        ]
    sheets: list[dict[str, Any]] = [
        {"kind": "form", "key": "funding", "name": FUNDING_SHEET, "title": f"{scoring.title}·资金情况（万元）",
         "fields": funding},
        {"kind": "table", "key": "indicators", "name": INDICATOR_SHEET, "title": "绩效指标完成情况",
         "row_header": "指标", "rows": [{"key": i.key, "label": i.name[:60],
                                        "help": f"目标值 {i.target}，分值 {i.weight}"} for i in scoring.indicators],
         "columns": [
             {"key": "actual", "label": "完成值", "type": "text", "max_length": 200, "width": 16,
              "help": "如“300余篇”“126.73万元”；取自乡镇汇总的指标不必填写"},
             {"key": "level", "label": "完成程度", "type": "choice", "choices": list(LEVELS),
              "help": "定性指标必选：达成 / 部分达成 / 未达成"},
             {"key": "score", "label": "自评得分", "type": "decimal", "min": 0, "max": 100,
              "help": "仅定性指标可填，须在完成程度对应的分值区间内；不填则按默认分"},
             {"key": "reason", "label": "未完成原因", "type": "text", "max_length": 500, "width": 24},
             {"key": "measure", "label": "改进措施", "type": "text", "max_length": 500, "width": 24},
         ]},
    ]
    if scoring.goals:
        sheets.append({"kind": "table", "key": "goals", "name": GOAL_SHEET, "title": "年度总体目标完成情况",
                       "row_header": "年初设定目标",
                       "rows": [{"key": f"g{n}", "label": g[:60]} for n, g in enumerate(scoring.goals, start=1)],
                       "columns": [{"key": "done", "label": "目标完成情况", "type": "text", "max_length": 2000,
                                    "width": 60}]})
    return TemplateSchema.model_validate({
        "id": f"{scoring.id}-input", "version": scoring.version, "title": f"{scoring.title}填报表",
        "level": scoring.level, "period": scoring.period, "sheets": sheets,
        "description": "县（区）科协填写资金情况、部门自填的完成值、定性指标完成程度及未完成原因，kxsheets 据此计分。",
    })
