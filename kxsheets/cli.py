"""The kxsheets command line: parse, call one library function, render, exit.

Exit codes: 0 done, 1 refused or findings, 2 usage. Heavy imports happen inside the commands
so that ``kxsheets --help`` starts fast.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from .errors import KxError

class Format(str, Enum):
    """What a command prints: a table for people, JSON for scripts."""

    table = "table"
    json = "json"


app = typer.Typer(
    name="kxsheets",
    help="科协年度填报与部门整体支出绩效自评：生成模板、校验回收的工作簿、汇总、评分、发邮件。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
schema_app = typer.Typer(help="查看与检查模式（schemas/*.yaml）。", no_args_is_help=True)
app.add_typer(schema_app, name="schema")

RoundArg = Annotated[Path, typer.Argument(help="填报轮次文件夹（含 kxsheets.toml）")]


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False, markup=False)


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"kxsheets {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="显示版本号")] = False,
) -> None:
    """科协年度填报与绩效自评工具。"""


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="新建的轮次文件夹")],
    county: Annotated[str, typer.Option(help="县（区）名称")] = "某某县",
    year: Annotated[int, typer.Option(help="填报年度")] = 2025,
) -> None:
    """新建一个空的填报轮次文件夹（配置、单位名单、子文件夹与台账）。"""
    from .rounds import init_round

    rnd = init_round(folder, county, year)
    c = _console()
    c.print(f"已创建填报轮次：{rnd.dir}")
    c.print("下一步：在 units.xlsx 中填写单位名单，然后运行 kxsheets template " + str(folder))


@app.command()
def template(
    folder: RoundArg = Path("."),
    unit: Annotated[list[str] | None, typer.Option("--unit", help="只为这些编码的单位生成（可重复）")] = None,
) -> None:
    """为名单中的每个单位生成预填好的填报模板（templates/），以及本科协自己的自评填报表。"""
    from .round_scoring import write_department_form
    from .rounds import Round, generate_templates

    rnd = Round.open(folder)
    rows = generate_templates(rnd, unit)
    c = _console()
    _issued_table(c, rows)
    c.print(f"已生成 {len(rows)} 个模板，位于 {rnd.dir / 'templates'}")
    if not unit:
        c.print(f"本科协的自评填报表：{write_department_form(rnd).name}（填好后放入 department/）")


def _issued_table(c: Any, rows: list[Any]) -> None:
    from rich.table import Table

    t = Table(title="已生成的填报模板")
    for col in ("编码", "单位", "模板", "版本", "文件"):
        t.add_column(col)
    for r in rows:
        t.add_row(r.unit_code, r.unit_name, r.template_id, r.template_version, Path(r.path).name)
    c.print(t)


@app.command()
def demo(
    folder: Annotated[Path, typer.Argument(help="演示轮次文件夹")] = Path("kxsheets-demo"),
    send_mail: Annotated[bool, typer.Option("--send", help="真的发送到本机启动的 SMTP 服务器（需要 aiosmtpd）")] = False,
) -> None:
    """演示一整轮：虚构县 14 个乡镇的名单、模板、回复邮件，收取、校验、汇总、计分，邮件写入 outbox/。"""
    from rich.table import Table

    from .demo import run_demo

    c = _console()
    res = run_demo(folder, send_to_local_server=send_mail)
    rnd = res.round
    c.print(f"演示轮次：{rnd.config.county} {rnd.config.year} 年度  （{rnd.dir}）", style="bold")
    c.print(f"1. 单位名单：{len(res.templates)} 个乡镇（街道） → {rnd.roster_path.name}")
    c.print(f"2. 填报模板：{len(res.templates)} 个 → templates/")
    t = Table(title="3. 乡镇回复的邮件（mailbox/），kxsheets collect 收进 inbox/")
    for col in ("收到时间", "单位", "文件", "情况"):
        t.add_column(col)
    for r in sorted(res.returns, key=lambda r: r.received):
        t.add_row(r.received.strftime("%m-%d %H:%M"), r.unit.name, r.filename, r.story)
    c.print(t)
    missing = "、".join(u.name for u in res.missing) or "无"
    c.print(f"未报送：{missing}")
    c.print("4. 校验（kxsheets validate）：")
    _render_validation(res.validation)
    c.print("5. 汇总（kxsheets consolidate）：")
    _render_consolidation(res.consolidation)
    c.print("6. 计分（kxsheets score）：")
    _render_score(res.score)
    how = f"发送到本机 SMTP 服务器，收到 {res.delivered} 封" if send_mail else "只写入 outbox/，不发送；--send 则真的发送到本机服务器"
    t = Table(title=f"7. 邮件（kxsheets mail …，{how}）")
    for col in ("类别", "单位", "收件人", "附件", "结果"):
        t.add_column(col)
    for kind, rows in res.mail.items():
        for r in rows:
            t.add_row(kind, r.out.unit_name, "、".join(r.out.to), "、".join(n for n, _ in r.out.attachments), r.status)
    c.print(t)
    c.print("文件位置：")
    for sub in ("units.xlsx", "templates", "mailbox", "inbox", "department", "output", "feedback", "outbox",
                "kxsheets.db"):
        c.print(f"  {rnd.dir / sub}")


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="填报轮次文件夹、任一文件夹或单个工作簿")] = Path("."),
    fmt: Annotated[Format, typer.Option("--format", help="输出格式")] = Format.table,
    schema_id: Annotated[str, typer.Option("--schema", help="不在轮次中时使用的填报模式")] = "township-annual",
) -> None:
    """校验回收的工作簿：逐个文件列出问题（工作表!单元格），轮次中另写校验报告与标注副本。"""
    result = _run_validation(path, schema_id, fmt is Format.table)
    if fmt is Format.json:
        from .report import to_json

        typer.echo(to_json(result.reports))
    else:
        _render_validation(result)
    raise typer.Exit(1 if result.errors else 0)


@app.command()
def consolidate(
    path: Annotated[Path, typer.Argument(help="填报轮次文件夹（或其 inbox）")] = Path("."),
    fmt: Annotated[Format, typer.Option("--format", help="输出格式")] = Format.table,
) -> None:
    """汇总：各乡镇最新的无错误报表 → 全县合计、比率、排名、报送情况、数据来源，写乡镇汇总表与本单位情况。"""
    from .round_consolidation import consolidate_path

    with _progress(0, False) as tick:
        result = consolidate_path(path, progress=tick)
    if fmt is Format.json:
        import json

        from .consolidate import to_dict

        typer.echo(json.dumps(to_dict(result.consolidation), ensure_ascii=False, indent=1))
    else:
        _render_consolidation(result)


def _render_consolidation(result: Any) -> None:
    from rich.table import Table

    from .consolidate import to_dict

    c = _console()
    data = to_dict(result.consolidation)
    has_prev = any(r["previous"] is not None for r in data["totals"])
    t = Table(title=f"全县合计（计入 {data['units_counted']} 个单位；比率为合计数之比）")
    for col in ("指标", "全县", *(("上年", "增减", "增减率") if has_prev else ())):
        t.add_column(col, justify="left" if col == "指标" else "right")
    for r in data["totals"]:
        pct = r["type"] == "percent"
        cells = [_shown(r["value"], pct), *((_shown(r["previous"], pct), _shown(r["change"], pct),
                                             _shown(r["change_rate"], True)) if has_prev else ())]
        t.add_row(r["label"], *cells)
    c.print(t)
    for status in ("未交", "待修改"):
        units = [u for u in data["units"] if u["status"] == status]
        c.print(f"{status}：" + ("、".join(u["name"] for u in units) or "无"))
        for u in units:
            if u["note"]:
                c.print(f"  {u['name']}：{u['note']}")
    for note in result.notes:
        c.print(f"注意：{note}", style="yellow")
    c.print(f"乡镇汇总表：{result.summary_path}")
    c.print(f"本单位情况：{len(result.feedback)} 份 → feedback/")
    if result.report_path:
        c.print(f"向上级报送：{result.report_path}")


def _shown(v: Any, percent: bool) -> str:
    if v is None:
        return ""
    if percent:
        return f"{v * 100:.2f}%"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return f"{v:,}"


@app.command()
def score(
    path: Annotated[Path, typer.Argument(help="填报轮次文件夹")] = Path("."),
    fmt: Annotated[Format, typer.Option("--format", help="输出格式")] = Format.table,
) -> None:
    """计分：执行率与得分、各指标得分、总分与等级，写部门整体支出绩效自评表。"""
    from .round_scoring import score_path

    result = score_path(path)
    if fmt is Format.json:
        import json

        from .scorecard import to_dict

        typer.echo(json.dumps(to_dict(result.card), ensure_ascii=False, indent=1))
    else:
        _render_score(result)
    raise typer.Exit(1 if any(f.severity == "error" for f in result.findings) else 0)


def _render_score(result: Any) -> None:
    from rich.table import Table

    from .scorecard import to_dict

    c = _console()
    data = to_dict(result.card)
    c.print(f"评分预设：{data['preset']}（{data['layout']}）", style="bold")
    t = Table(title="资金情况（万元）")
    for col in ("资金来源", "A", "B", "C", "分值", "执行率", "得分", "规则"):
        t.add_column(col)
    for f in data["funding"]:
        t.add_row(f["label"], *(_text(f[k]) for k in ("a", "b", "c", "weight")),
                  _shown(f["display_rate"], True) if f["display_rate"] is not None else "", _text(f["score"]), f["rule"])
    c.print(t)
    t = Table(title="绩效指标")
    for col in ("三级指标 / 目标内容", "类型", "目标值", "完成值", "来源", "分值", "得分", "计分规则"):
        t.add_column(col)
    for i in data["indicators"]:
        t.add_row(f"{i['level3']}·{i['name'][:24]}", i["type_name"], i["target"], i["actual"], i["source"],
                  _text(i["weight"]), _text(i["score"]), i["rule"])
    c.print(t)
    c.print(f"总分：{data['total']}　等级：{data['grade']}" + ("" if data["complete"] else "（有缺项，暂计）"),
            style="bold")
    for f in result.findings:
        c.print(f"[{f.code}] {f.message}", style="red" if f.severity == "error" else "yellow")
    for note in result.notes:
        c.print(f"注意：{note}", style="yellow")
    c.print(f"自评表：{result.path}")


def _text(v: Any) -> str:
    return "" if v is None else f"{v:,}" if isinstance(v, (int, float)) else str(v)


@app.command()
def mail(
    kind: Annotated[str, typer.Argument(help="templates / feedback / reminders / results / township-results")],
    path: Annotated[Path, typer.Argument(help="填报轮次文件夹")] = Path("."),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="不发送，只把邮件写入 outbox/")] = False,
) -> None:
    """发邮件：模板、问题反馈、催报、汇总结果、各单位情况；同样的内容不会重复发送。"""
    from rich.table import Table

    from .mail_round import send_path

    rows = send_path(path, kind, dry_run=dry_run)
    t = Table(title=f"邮件（{kind}）" + ("：试运行，未发送" if dry_run else ""))
    for col in ("单位", "收件人", "主题", "附件", "结果"):
        t.add_column(col)
    for r in rows:
        t.add_row(r.out.unit_name, "、".join(r.out.to), r.out.subject, "、".join(n for n, _ in r.out.attachments),
                  f"{r.status} {r.detail}".strip())
    _console().print(t)
    raise typer.Exit(1 if any(r.status == "失败" for r in rows) else 0)


@app.command()
def collect(
    path: Annotated[Path, typer.Argument(help="填报轮次文件夹")],
    source: Annotated[Path, typer.Option("--from", help="邮件导出文件夹（.eml 文件）")],
) -> None:
    """收取回复邮件中的工作簿（含 zip 压缩包）到 inbox/：每个版本都保留，内容相同的只存一份。"""
    from rich.table import Table

    from .collect import collect as collect_mail
    from .round_validation import open_round

    rnd = open_round(path, "收取邮件")
    with rnd.lock():
        rows = collect_mail(rnd, source)
    t = Table(title=f"从 {source} 收取的工作簿")
    for col in ("收到时间", "发件人", "附件", "保存为"):
        t.add_column(col)
    for r in sorted(rows, key=lambda r: r.received):
        t.add_row(_when(r.received), r.sender, r.name, r.path.name if r.path else r.note)
    _console().print(t)


@app.command()
def status(path: Annotated[Path, typer.Argument(help="填报轮次文件夹")] = Path(".")) -> None:
    """报送情况：谁已交、谁已通过、谁待修改、谁未交、谁逾期。"""
    from rich.table import Table

    from .pipeline import round_status
    from .round_validation import open_round

    rnd = open_round(path, "查看报送情况")
    rows = round_status(rnd)
    t = Table(title=f"{rnd.config.county} {rnd.config.year} 年度报送情况（截止 {rnd.config.deadline or '未设'}）")
    for col in ("单位", "状态", "收到时间", "份数", "错误", "提示", "说明"):
        t.add_column(col)
    for s in rows:
        rep = s.row.report
        t.add_row(s.row.unit.name, s.row.status + ("（逾期）" if s.late else ""), _when(rep.received) if rep else "",
                  str(s.row.versions or ""), str(rep.errors) if rep else "", str(rep.warnings) if rep else "",
                  s.row.note)
    _console().print(t)
    counts = {k: sum(1 for s in rows if s.row.status == k) for k in ("已交", "待修改", "未交")}
    _console().print("，".join(f"{k} {v}" for k, v in counts.items()) + f"，逾期 {sum(s.late for s in rows)}")


@app.command()
def run(path: Annotated[Path, typer.Argument(help="填报轮次文件夹")] = Path(".")) -> None:
    """一条命令跑完一轮：校验 → 问题标注 → 汇总 → 计分 → 写出；可以反复运行。"""
    from .pipeline import run_round
    from .round_validation import files_to_check, open_round

    rnd = open_round(path, "运行")
    with rnd.lock(), _progress(len(files_to_check(rnd.dir)), True) as tick:
        result = run_round(rnd, progress=tick)
    c = _console()
    c.print("1. 校验：", style="bold")
    _render_validation(result.validation)
    c.print("2. 汇总：", style="bold")
    _render_consolidation(result.consolidation)
    c.print("3. 计分：", style="bold")
    _render_score(result.score)


def _when(ts: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ts).strftime("%m-%d %H:%M") if ts else ""


def _run_validation(path: Path, schema_id: str, show_progress: bool) -> Any:
    from .round_validation import files_to_check, validate_path

    total = len(files_to_check(path)) if path.exists() else 0
    with _progress(total, show_progress) as tick:
        return validate_path(path, schema_id, progress=tick)


class _progress:
    """A rich progress bar when there are many files; a no-op otherwise."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled = total, enabled and total > 20
        self.bar: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return None
        from rich.progress import Progress

        self.bar = Progress(console=_console(), transient=True)
        self.bar.start()
        task = self.bar.add_task("校验中", total=self.total)
        return lambda _path: self.bar.advance(task)

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()


def _render_validation(result: Any) -> None:
    from rich.table import Table

    from .report import SEVERITY_ZH

    c = _console()
    counted = {id(r) for r in result.latest.values()}
    t = Table(title="各单位校验结果（每个单位以最新一份为准）")
    for col in ("单位", "编码", "状态", "错误", "提示", "文件"):
        t.add_column(col)
    for r in sorted(result.reports, key=lambda r: (r.unit_code or "~", r.received)):
        status = r.status if id(r) in counted or not r.unit_code else f"{r.status}（旧版本）"
        t.add_row(r.unit_name or "（未识别）", r.unit_code, status, str(r.errors), str(r.warnings), Path(r.file).name)
    for u in result.missing:
        t.add_row(u.name, u.code, "未报送", "", "", "")
    c.print(t)
    rows = [(r, f) for r in result.reports if id(r) in counted or not r.unit_code
            for f in r.sorted_findings() if f.severity != "info"]
    if rows:
        ft = Table(title="问题清单（错误与提示；说明类见校验报告）")
        for col in ("单位", "位置", "级别", "代码", "问题"):
            ft.add_column(col)
        for r, f in rows:
            ft.add_row(r.unit_name or Path(r.file).name, f.where, SEVERITY_ZH[f.severity], f.code, f.message)
        c.print(ft)
    if getattr(result, "report_path", None):
        c.print(f"校验报告：{result.report_path}")
    for path in getattr(result, "feedback", {}).values():
        c.print(f"标注副本：{path}")


@schema_app.command("list")
def schema_list(
    folder: Annotated[Path | None, typer.Option("--round", help="同时查找该轮次的 schemas/")] = None,
) -> None:
    """列出可用的模式与评分预设。"""
    from rich.table import Table

    from .schema import Registry

    reg = Registry.default(folder)
    t = Table(title="模式")
    for col in ("id", "版本", "类型", "名称", "文件"):
        t.add_column(col)
    for sid, path in reg.files().items():
        s = reg.load_path(path)
        t.add_row(sid, s.version, "评分" if s.kind == "scoring" else "填报", s.title, str(path))
    c = _console()
    c.print(t)
    p = Table(title="评分预设")
    for col in ("id", "名称", "执行率分值", "显示/计分口径", "超 100%", "舍入"):
        p.add_column(col)
    for pid, pr in reg.presets().items():
        p.add_row(pid, pr.title, str(pr.funding_weight), f"{pr.rate_display}/{pr.rate_scoring}",
                  pr.over_rule, pr.rounding)
    c.print(p)


@schema_app.command("check")
def schema_check(files: Annotated[list[Path], typer.Argument(help="要检查的 YAML 文件")]) -> None:
    """检查模式文件；有错时逐条指出 YAML 路径与原因。"""
    from rich.markup import escape

    from .schema import Registry

    c = _console()
    failed = 0
    for f in files:
        reg = Registry((f.resolve().parent, *Registry.default().dirs))
        try:
            s = reg.load_path(f)
        except KxError as exc:
            failed += 1
            c.print(f"[red]×[/red] {escape(str(f))}\n{escape(exc.message)}", markup=True)
            continue
        c.print(f"√ {f}：{s.title}（{s.id} v{s.version}）")
    raise typer.Exit(1 if failed else 0)


@schema_app.command("show")
def schema_show(
    schema_id: Annotated[str, typer.Argument(help="模式 id，如 township-annual")],
    folder: Annotated[Path | None, typer.Option("--round", help="同时查找该轮次的 schemas/")] = None,
) -> None:
    """列出一个填报模式的全部填报项（与模板中的“填表说明”相同）。"""
    from rich.table import Table

    from .layout import layout
    from .schema import Registry, TemplateSchema
    from .template import guide_rows

    s = Registry.default(folder).load(schema_id)
    if not isinstance(s, TemplateSchema):
        raise KxError("schema-kind", f"“{schema_id}”是评分模式，没有填报项")
    t = Table(title=f"{s.title}（{s.id} v{s.version}，结构指纹 {layout(s).fingerprint}）")
    for col in ("工作表", "填报项目", "类型", "单位", "必填", "取值要求"):
        t.add_column(col)
    for row in guide_rows(layout(s)):
        t.add_row(*row[:6])
    _console().print(t)


def main() -> None:
    """Console entry point: a KxError becomes one red line and exit code 1, never a traceback.

    Click (inside typer) handles --help and usage errors itself (exit 2) in standalone mode;
    everything else propagates to here.
    """

    try:
        app()
    except KxError as exc:
        from rich.markup import escape

        _console().print(f"[red]错误[/red] {escape(str(exc))}", markup=True, highlight=False)
        sys.exit(1)
    except Exception as exc:  # a bug of ours: say so briefly, details on request
        if os.environ.get("KXSHEETS_DEBUG"):
            raise
        _console().print(f"内部错误 {type(exc).__name__}: {exc}（设置 KXSHEETS_DEBUG=1 可查看详情）")
        sys.exit(1)
