"""output/部门整体支出绩效自评表.xlsx in the official layout (seed 003, 望城), or the national
项目支出绩效自评表 shape (scoring-rules.md §4.1) when the preset's ``layout`` is ``project``.

执行率, every computed 得分, 总分 and 等级 are live formulas carrying the values kxsheets computed —
the rule written in Excel terms (=IF(C5=0,"",MIN(F5,ROUND(F5*MAX(0,1-ABS(D5/C5-1)),2)))) so an
auditor can read it. Quantitative indicator scores work on the numeric target and actual kept
in columns M:O beside the printed form (计分依据, not printed); 定性 scores are judgments and are
written as values. Same inputs, same cell contents.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell as cell

from .atomic import atomic_path
from .schema.scoring import RuleSet
from .scorecard import TYPE_NAMES, IndicatorLine, Scorecard
from .styles import WORKBOOK_OPTIONS, Styles, print_setup
from .text import display_width

LAST = 10  # column K: the printed form is A:K
WIDTHS = (6, 12, 11, 11, 26, 11, 13, 7, 7, 14, 14)
AUX = 12  # columns M:O: 目标数值, 完成数值, 计分规则 (beside the print area)


def write_self_evaluation(card: Scorecard, path: Path) -> Path:
    import xlsxwriter

    with atomic_path(Path(path)) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        wb.set_properties({"title": _title(card), "author": "kxsheets",
                           "created": dt.datetime(card.year or 2000, 12, 31)})
        _Form(wb, card).write()
        wb.close()
    return Path(path)


def _title(card: Scorecard) -> str:
    return "项目支出绩效自评表" if card.rules.layout == "project" else card.scoring.title


def _num(v: Decimal | None) -> float | int | str:
    if v is None:
        return ""
    return int(v) if v == v.to_integral_value() else float(v)


def _round(expr: str, rules: RuleSet) -> str:
    return f"{'ROUNDDOWN' if rules.rounding == 'down' else 'ROUND'}({expr},2)"


class _Form:
    def __init__(self, wb: Any, card: Scorecard) -> None:
        self.wb, self.card, self.st = wb, card, Styles(wb)
        self.ws = wb.add_worksheet("自评表")
        self.project = card.rules.layout == "project"
        self.row = 0

    def write(self) -> None:
        ws, st, card = self.ws, self.st, self.card
        ws.merge_range(0, 0, 0, LAST, _title(card), st.get("title", font_size=18))
        ws.merge_range(1, 0, 1, LAST, f"（{card.year} 年度）", st.get("note", align="center", italic=False, font_size=11))
        ws.merge_range(2, 0, 2, 1, "部门（单位）名称", st.get("head"))
        ws.merge_range(2, 2, 2, LAST, card.unit_name, st.get("text"))
        self.row = 3
        funding_score = self._funding()
        self._goals()
        first, last = self._indicators()
        self._total(funding_score, first, last)
        self._layout()

    # -- 资金情况 -------------------------------------------------------------------------------------
    def _funding(self) -> str | None:
        ws, st, card, top = self.ws, self.st, self.card, self.row
        rate_head = {"net": "执行率\n((B-C)/A)", "gross": "执行率\n(B/A)"}[card.rules.rate_display]
        heads = ["资金来源", "全年预算数\n(A)", "全年执行数\n(B)", "上级财政转移\n支付(C)", "分值", rate_head, "得分"]
        if self.project:
            heads[0], heads[3] = "项目资金", "其他资金(C)"
        for j, h in enumerate(heads, start=1):
            ws.write_string(top, j, h, st.get("head"))
        ws.merge_range(top, 8, top, LAST, "", st.get("head"))
        score_ref = None
        for i, line in enumerate(card.funding, start=1):
            r = top + i
            ws.write_string(r, 1, line.label, st.get("body"))
            for j, v in ((2, line.a), (3, line.b), (4, line.c)):
                ws.write(r, j, _num(v) if isinstance(v, Decimal) else "", st.get("body", "#,##0.00"))
            a, b, c = cell(r, 2), cell(r, 3), cell(r, 4)
            shown = f"({b}-{c})/{a}" if card.rules.rate_display == "net" else f"{b}/{a}"
            res = line.result
            ws.write_formula(r, 6, f'=IF(N({a})=0,"",{shown})', st.get("body", "0.00%"),
                             _num(_exact(line, card.rules.rate_display)) if res else "")
            if line.weight is None:
                ws.write_string(r, 5, "--", st.get("body", align="center"))
                ws.write_string(r, 7, "--", st.get("body", align="center"))
            else:
                ws.write_number(r, 5, _num(line.weight), st.get("body", "0.00"))
                ws.write_formula(r, 7, self._funding_formula(r), st.get("body", "0.00"),
                                 _num(res.score) if res else "")
                score_ref = cell(r, 7)
            ws.merge_range(r, 8, r, LAST, "", st.get("body"))
        ws.merge_range(top, 0, top + len(card.funding), 0, "资金情况\n（万元）", st.get("head"))
        self.row = top + len(card.funding) + 1
        return score_ref

    def _funding_formula(self, r: int) -> str:
        rules = self.card.rules
        a, b, c, w = cell(r, 2), cell(r, 3), cell(r, 4), cell(r, 5)
        rate = f"({b}-{c})/{a}" if rules.rate_scoring == "net" else f"{b}/{a}"
        expr = {"cap": f"{w}*MIN({rate},1)", "symmetric": f"{w}*MAX(0,1-ABS({rate}-1))",
                "uncapped": f"{w}*{rate}"}[rules.over_rule]
        return f'=IF(N({a})=0,"",MIN({w},{_round(expr, rules)}))'

    # -- 年度总体目标 ---------------------------------------------------------------------------------
    def _goals(self) -> None:
        ws, st, r = self.ws, self.st, self.row
        goals = self.card.goals
        ws.merge_range(r, 0, r + 1, 0, "年度总体目标", st.get("head"))
        ws.merge_range(r, 1, r, 5, "年初设定目标", st.get("head"))
        ws.merge_range(r, 6, r, LAST, "目标完成情况", st.get("head"))
        planned = "\n".join(f"{n}. {g}" for n, (g, _) in enumerate(goals, start=1))
        done = "\n".join(f"{n}. {d}" for n, (_, d) in enumerate(goals, start=1) if d)
        ws.merge_range(r + 1, 1, r + 1, 5, planned, st.get("text", valign="top"))
        ws.merge_range(r + 1, 6, r + 1, LAST, done, st.get("text", valign="top"))
        lines = max(planned.count("\n"), done.count("\n")) + 1
        ws.set_row(r + 1, max(30, 16 * lines + sum(len(g) for g, _ in goals) // 40 * 14))
        self.row = r + 2

    # -- 绩效指标 ------------------------------------------------------------------------------------
    def _indicators(self) -> tuple[int, int]:
        ws, st, card, top = self.ws, self.st, self.card, self.row
        if self.project:
            heads = ["一级指标", "二级指标", "三级指标", "目标内容", "年度指标值", "实际完成值", "分值", "得分",
                     "偏差原因分析及改进措施"]
        else:
            heads = ["一级指标", "二级指标", "三级指标", "目标内容", "目标值", "完成值", "分值", "得分", "未完成原因",
                     "改进措施"]
        for j, h in enumerate(heads, start=1):
            ws.write_string(top, j, h, st.get("head"))
        if self.project:
            ws.merge_range(top, 9, top, LAST, heads[-1], st.get("head"))
        for j, h in enumerate(("目标数值", "完成数值", "计分规则（计分依据，不打印）")):
            ws.write_string(top, AUX + j, h, st.get("head", bg_color="#EDEDED"))
        first = top + 1
        for i, line in enumerate(card.indicators):
            self._indicator(first + i, line)
        last = first + len(card.indicators) - 1
        ws.merge_range(top, 0, last, 0, "年度绩效指标", st.get("head"))
        self._merge_same(first, 1, [line.indicator.level1 for line in card.indicators])
        self._merge_same(first, 2, [line.indicator.level2 for line in card.indicators])
        self.row = last + 1
        return first, last

    def _merge_same(self, first: int, col: int, values: list[str]) -> None:
        """Runs of the same 一级/二级 name merged, as the official form prints them."""
        start = 0
        for k in range(1, len(values) + 1):
            if k == len(values) or values[k] != values[start]:
                if k - start > 1:
                    self.ws.merge_range(first + start, col, first + k - 1, col, values[start],
                                        self.st.get("body", align="center", text_wrap=True))
                start = k

    def _indicator(self, r: int, line: IndicatorLine) -> None:
        ws, st = self.ws, self.st
        ind = line.indicator
        text = st.get("text")
        for j, v in ((1, ind.level1), (2, ind.level2), (3, ind.level3), (4, ind.name), (5, ind.target),
                     (6, line.actual_text)):
            ws.write_string(r, j, v, text)
        ws.write_number(r, 7, _num(ind.weight), st.get("body", "0.00"))
        if self.project:
            ws.merge_range(r, 9, r, LAST, "；".join(x for x in (line.reason, line.measure) if x), text)
        else:
            ws.write_string(r, 9, line.reason, text)
            ws.write_string(r, 10, line.measure, text)
        texts = {1: ind.level1, 2: ind.level2, 3: ind.level3, 4: ind.name, 5: ind.target, 6: line.actual_text,
                 9: line.reason, 10: line.measure}
        lines = max(-(-display_width(t) // int(WIDTHS[c] * 1.15)) for c, t in texts.items())  # 10-pt text
        ws.set_row(r, max(15, 14 * lines))  # wrapped text needs the height: not every app grows rows itself
        score_fmt = st.get("body", "0.00")
        if line.kind == "qualitative" or line.target is None or line.actual is None:
            ws.write(r, 8, _num(line.score), score_fmt)  # a judgment (or missing): a value, not a formula
        else:
            ws.write_number(r, AUX, float(line.target.value), st.get("body", "General"))
            ws.write_number(r, AUX + 1, float(line.actual.value), st.get("body", "General"))
            ws.write_formula(r, 8, self._indicator_formula(r, line), score_fmt, _num(line.score))
        ws.write_string(r, AUX + 2, f"{TYPE_NAMES[line.kind]}：{line.outcome.rule}", st.get("text"))

    def _indicator_formula(self, r: int, line: IndicatorLine) -> str:
        w, t, x = cell(r, 7), cell(r, AUX), f"MAX({cell(r, AUX + 1)},0)"
        if line.kind == "reverse":
            raw = f"IF({x}<={t},{w},IF({x}>=2*{t},0,{w}*(1-({x}-{t})/{t})))"
        elif line.kind == "equal" and line.target is not None and line.target.value == 0:
            raw = f"IF({x}<=0,{w},0)"
        else:
            raw = f"IF(OR({t}<=0,{x}>={t}),{w},{w}*{x}/{t})"
        return f"=MIN({w},{_round(raw, self.card.rules)})"

    # -- 总分, 等级 -------------------------------------------------------------------------------------
    def _total(self, funding_score: str | None, first: int, last: int) -> None:
        ws, st, card, r = self.ws, self.st, self.card, self.row
        weight_cell = next((cell(3 + i, 5) for i, f in enumerate(card.funding, start=1) if f.weight is not None), "0")
        ws.merge_range(r, 0, r, 6, "总分", st.get("total", align="center"))
        ws.write_formula(r, 7, f"={weight_cell}+SUM({cell(first, 7)}:{cell(last, 7)})", st.get("total", "0.00"),
                         _num(card.rules.funding_weight + sum(i.indicator.weight for i in card.indicators)))
        total = f"ROUND(N({funding_score or 0})+SUM({cell(first, 8)}:{cell(last, 8)}),2)"
        ws.write_formula(r, 8, f"={total}", st.get("total", "0.00"), _num(card.total))
        ws.merge_range(r, 9, r, LAST, "", st.get("total"))
        ws.merge_range(r + 1, 0, r + 1, 6, "等级", st.get("total", align="center"))
        grade = '""'
        for band in reversed(card.rules.grades):
            grade = f'IF({cell(r, 8)}>={_num(band.min)},"{band.grade}",{grade})'
        ws.merge_range(r + 1, 7, r + 1, LAST, "", st.get("total", align="center"))
        ws.write_formula(r + 1, 7, f"={grade}", st.get("total", align="center"), card.grade)
        if not card.complete:
            ws.merge_range(r + 2, 0, r + 2, LAST, "注：有指标缺少完成值或得分，总分为暂计数，见 kxsheets score 的问题清单",
                           st.get("note"))
        self.row = r + 2

    def _layout(self) -> None:
        ws = self.ws
        for col, width in enumerate(WIDTHS):
            ws.set_column(col, col, width)
        ws.set_column(AUX, AUX + 1, 10)
        ws.set_column(AUX + 2, AUX + 2, 40)
        ws.set_row(3, 32)
        print_setup(ws, (0, 0), landscape=False)
        ws.print_area(0, 0, self.row, LAST)


def _exact(line: Any, basis: str) -> Decimal | None:
    """The unrounded display rate (what the formula computes), for the cached value."""
    if not line.a:
        return None
    return (line.b - line.c) / line.a if basis == "net" else line.b / line.a
