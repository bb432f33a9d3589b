"""Findings as data: one record type for every problem kxsheets sees in a submission.

A :class:`Finding` has a stable kebab-case ``code`` (listed in :data:`CODES` and documented in
docs/codes.md — a test fails if either list lacks one), a severity, where it is (unit, file,
sheet, A1 cell, field) and what (value seen, expected, Chinese message, hint). A
:class:`Report` holds every finding of one file, collected in one pass.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]

# code → (default severity, short Chinese title). Severity may be overridden per finding
# (e.g. a cross-field rule carries the schema's severity).
CODES: dict[str, tuple[Severity, str]] = {
    # the file as a whole
    "file-not-workbook": ("error", "不是 Excel 工作簿"),
    "file-damaged": ("error", "文件损坏或不完整"),
    "file-encrypted": ("error", "文件设有密码"),
    "file-legacy-format": ("warning", "旧版 .xls/.et 格式"),
    "file-too-large": ("error", "文件过大"),
    "file-zip-bomb": ("error", "解压后体积异常"),
    "file-dimensions-absurd": ("error", "表格范围异常"),
    "file-reader-crashed": ("error", "读取时程序异常退出"),
    "file-duplicate": ("info", "与另一份提交完全相同"),
    "formula-no-cache": ("warning", "公式没有计算结果"),
    # which template, which unit
    "template-unknown": ("error", "无法识别的模板"),
    "template-version-mismatch": ("error", "模板版本不符"),
    "identified-from-cover": ("warning", "按封面识别单位"),
    "unit-not-in-roster": ("error", "单位不在名单中"),
    "unit-mismatch": ("error", "单位与模板不一致"),
    # structure
    "sheet-missing": ("error", "缺少工作表"),
    "sheet-renamed": ("warning", "工作表被改名"),
    "row-inserted": ("warning", "插入了行"),
    "row-deleted": ("error", "删除了行"),
    "column-moved": ("warning", "列被移动"),
    "column-missing": ("error", "缺少列"),
    "label-edited": ("warning", "项目名称被修改"),
    "data-outside-template": ("warning", "模板以外的位置有数据"),
    # values
    "required-missing": ("error", "必填项为空"),
    "not-a-number": ("error", "应为数字"),
    "not-an-integer": ("error", "应为整数"),
    "not-a-date": ("error", "应为日期"),
    "not-a-choice": ("error", "不是可选值"),
    "non-ascii-digits": ("error", "含有非阿拉伯数字"),
    "value-too-long": ("error", "文字过长"),
    "pattern-mismatch": ("error", "格式不符"),
    "out-of-range": ("error", "超出取值范围"),
    "unit-in-cell": ("info", "去掉了单元格中的单位"),
    "unit-converted": ("warning", "单位已换算"),
    "wrong-unit": ("error", "单位不符"),
    "value-approximate": ("warning", "约数"),
    "approximate-not-allowed": ("error", "此项不能填约数"),
    "value-normalized": ("info", "数字写法已规范"),
    "value-scaled": ("warning", "按“万/亿”换算"),
    "dash-as-zero": ("info", "“无/—”按 0 计"),
    "dash-as-blank": ("info", "“无/—”按空白计"),
    "date-from-text": ("info", "文字日期已识别"),
    # checks
    "rule-failed": ("error", "逻辑关系不成立"),
    "total-mismatch": ("warning", "合计与明细之和不符"),
    "value-swing": ("warning", "与上年相比变化很大"),
    "rows-too-few": ("error", "行数不足"),
    "rows-too-many": ("error", "行数超出"),
    "warning-accepted": ("info", "已在上报说明中说明"),
    # scoring the 自评表 (the department's own form)
    "funding-missing": ("error", "缺少预算数或执行数"),
    "actual-missing": ("error", "缺少完成值"),
    "actual-unreadable": ("error", "完成值读不出数字"),
    "actual-negative": ("warning", "完成值为负数"),
    "actual-unit-mismatch": ("error", "完成值与目标值单位不一致"),
    "level-missing": ("error", "定性指标未选完成程度"),
    "score-out-of-band": ("error", "自评分超出区间"),
    "reason-missing": ("warning", "未填未完成原因或改进措施"),
}

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class Finding:
    code: str
    message: str
    severity: Severity = "error"
    unit: str = ""
    file: str = ""
    sheet: str = ""
    cell: str = ""
    field: str = ""
    label: str = ""
    value: str = ""
    expected: str = ""
    hint: str = ""
    rule_id: str = ""
    justification: str = ""

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"undocumented finding code {self.code!r}")

    @property
    def where(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def finding(code: str, message: str, severity: Severity | None = None, **kw: Any) -> Finding:
    """A finding with the code's default severity unless one is given."""
    return Finding(code=code, message=message, severity=severity or CODES[code][0], **kw)


Status = Literal["通过", "有提示", "需修改", "无法读取", "重复"]


@dataclass
class Report:
    """Everything known about one submitted file."""

    file: str
    sha256: str = ""
    unit_code: str = ""
    unit_name: str = ""
    template_id: str = ""
    template_version: str = ""
    received: float = 0.0  # POSIX time the file was received (ledger) or its mtime
    readable: bool = True
    duplicate_of: str = ""
    findings: list[Finding] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict, repr=False)  # dotted name → value
    cells: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)  # name → (sheet, A1) of each non-blank cell

    def add(self, f: Finding) -> None:
        f.file = f.file or self.file
        f.unit = f.unit or self.unit_name
        self.findings.append(f)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def warnings(self) -> int:
        return self.count("warning")

    @property
    def status(self) -> Status:
        if self.duplicate_of:
            return "重复"
        if not self.readable:
            return "无法读取"
        if self.errors:
            return "需修改"
        return "有提示" if self.warnings else "通过"

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.sheet, _cell_key(f.cell)))


def _cell_key(ref: str) -> tuple[int, str]:
    digits = "".join(ch for ch in ref if ch.isdigit())
    return (int(digits) if digits else 0, ref)
