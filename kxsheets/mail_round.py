"""A round's mail: who gets what, from editable Chinese templates, sent once.

    plan(rnd, kind) -> [Outgoing]          what would be sent to whom
    send(rnd, kind, dry_run=False) -> [Sent]

Kinds: ``templates`` (each unit its blank template), ``feedback`` (each unit with findings: its
marked copy and a short summary), ``reminders`` (units not yet submitted or still 待修改),
``results`` (the county outputs to ``results_to``), ``township-results`` (each unit its 本单位情况).
Subjects and bodies come from ``mail/<kind>.txt`` in the round folder (written with defaults on
first use, then the clerk's to edit). The ledger's sent-log, keyed by (unit, kind, attachments'
sha256), means a rerun never sends the same thing twice and retries what failed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import KxError
from .ledger import issued, record_sent, sent_status
from .rounds import Round
from .text import safe_filename

KINDS = ("templates", "feedback", "reminders", "results", "township-results")
MAIL_DIR = "mail"

DEFAULTS = {
    "templates": ("{县}{年度}年度科协工作情况填报表（{单位}）",
                  "{单位}：\n\n附件是贵单位的《{表名}》，请在 Excel 或 WPS 中填写黄色单元格，{截止}前回复本邮件发回。"
                  "请不要改动表格结构或工作表名称。\n\n{县}科协"),
    "feedback": ("{单位}填报表需修改之处（{县}{年度}年度）",
                 "{单位}：\n\n贵单位报来的填报表经检查有以下问题：\n{问题}\n\n附件是标注了问题的表格（红色须修改，黄色请核实），"
                 "修改后请回复本邮件发回。\n\n{县}科协"),
    "reminders": ("提醒：请报送{年度}年度科协工作情况填报表（{单位}）",
                  "{单位}：\n\n{原因}请于{截止}前报送。如已发送，请忽略本邮件。\n\n{县}科协"),
    "results": ("{县}{年度}年度科协工作情况汇总及部门整体支出绩效自评表",
                "您好：\n\n附件是{县}{年度}年度乡镇（街道）科协工作情况汇总表和部门整体支出绩效自评表，请审阅。\n\n{县}科协"),
    "township-results": ("{单位}{年度}年度科协工作情况（与全县对比）",
                         "{单位}：\n\n附件是贵单位{年度}年度各项数据与全县合计、平均和排名的对比，供参考。\n\n{县}科协"),
}


@dataclass
class Outgoing:
    unit_code: str  # "" for the county's results
    unit_name: str
    kind: str
    to: list[str]
    subject: str
    body: str
    attachments: list[tuple[str, bytes]] = field(default_factory=list)

    @property
    def key(self) -> str:
        """What makes two sends the same: the attachments' bytes, else the text (one reminder a day)."""
        h = hashlib.sha256()
        for name, data in sorted(self.attachments):
            h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        if not self.attachments:
            h.update(self.body.encode() + dt.date.today().isoformat().encode())
        return h.hexdigest()


@dataclass
class Sent:
    out: Outgoing
    status: str  # 已发送 / 已发过 / 失败 / 无邮箱 / 已写入 outbox
    detail: str = ""


def texts(rnd: Round, kind: str) -> tuple[str, str]:
    """(subject, body) templates from mail/<kind>.txt: first line 主题：…, then the body."""
    path = rnd.dir / MAIL_DIR / f"{kind}.txt"
    if not path.is_file():
        from .atomic import write_bytes

        subject, body = DEFAULTS[kind]
        write_bytes(path, f"主题：{subject}\n\n{body}\n".encode("utf-8"))
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    if not lines or not lines[0].startswith(("主题：", "主题:")):
        raise KxError("mail-template-invalid", "邮件模板第一行应为“主题：……”", path=str(path))
    return lines[0].split("：" if "：" in lines[0] else ":", 1)[1].strip(), "\n".join(lines[1:]).strip() + "\n"


def _fill(template: str, values: dict[str, str]) -> str:
    class Keep(dict):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    return template.format_map(Keep(values))


def plan(rnd: Round, kind: str) -> list[Outgoing]:
    if kind not in KINDS:
        raise KxError("mail-kind-unknown", f"邮件类别只能是：{'、'.join(KINDS)}")
    subject, body = texts(rnd, kind)
    cfg = rnd.config
    base = {"县": cfg.county, "年度": str(cfg.year), "截止": cfg.deadline or "规定时间", "表名": "科协工作情况填报表"}
    items = _PLANNERS[kind](rnd)
    out = []
    for unit_code, unit_name, to, attachments, extra in items:
        values = {**base, "单位": unit_name, **extra}
        out.append(Outgoing(unit_code, unit_name, kind, to, _fill(subject, values), _fill(body, values), attachments))
    return out


Item = tuple[str, str, list[str], list[tuple[str, bytes]], dict[str, str]]


def _templates(rnd: Round) -> list[Item]:
    by_code = {i.unit_code: i for i in issued(rnd.dir)}
    out = []
    for u in rnd.units():
        row = by_code.get(u.code)
        if row is not None:
            path = rnd.dir / row.path
            out.append((u.code, u.name, [u.email] if u.email else [], [(path.name, path.read_bytes())], {}))
    return out


def _feedback(rnd: Round) -> list[Item]:
    from .round_validation import validate_round

    result = validate_round(rnd)
    units = {u.code: u for u in rnd.units()}
    out = []
    for code, path in result.feedback.items():
        rep, u = result.latest[code], units.get(code)
        if u is None:
            continue
        lines = [f"{i}. {f.where} {f.message}" for i, f in enumerate(
            (f for f in rep.findings if f.severity in ("error", "warning")), start=1)]
        summary = "\n".join(lines[:15]) + (f"\n……共 {len(lines)} 条，详见附件第一页“错误清单”" if len(lines) > 15 else "")
        out.append((code, u.name, [u.email] if u.email else [], [(path.name, path.read_bytes())], {"问题": summary}))
    return out


def _reminders(rnd: Round) -> list[Item]:
    from .pipeline import round_status

    out = []
    for state in round_status(rnd):
        row = state.row
        if row.status == "已交":
            continue
        why = "贵单位尚未报送填报表，" if row.status == "未交" else "贵单位最新报送的填报表仍有错误未改正，"
        out.append((row.unit.code, row.unit.name, [row.unit.email] if row.unit.email else [], [], {"原因": why}))
    return out


def _results(rnd: Round) -> list[Item]:
    from .round_consolidation import SUMMARY_FILE
    from .round_scoring import SELF_EVAL_FILE

    files = [rnd.dir / "output" / n for n in (SUMMARY_FILE, SELF_EVAL_FILE) if (rnd.dir / "output" / n).is_file()]
    if not files:
        raise KxError("results-not-found", "output/ 中还没有汇总表或自评表：请先运行 kxsheets consolidate 和 kxsheets score")
    prefix = f"{rnd.config.county}{rnd.config.year}年"
    attachments = [(f.name if f.name.startswith(prefix) else prefix + f.name, f.read_bytes()) for f in files]
    return [("", f"{rnd.config.county}科协", list(rnd.config.mail.results_to), attachments, {})]


def _township_results(rnd: Round) -> list[Item]:
    out = []
    for u in rnd.units():
        path = rnd.dir / "feedback" / safe_filename(f"{u.name}_本单位情况", ".xlsx")
        if path.is_file():
            out.append((u.code, u.name, [u.email] if u.email else [], [(path.name, path.read_bytes())], {}))
    return out


_PLANNERS: dict[str, Callable[[Round], list[Item]]] = {
    "templates": _templates, "feedback": _feedback, "reminders": _reminders, "results": _results,
    "township-results": _township_results,
}


def send(rnd: Round, kind: str, dry_run: bool = False, settings=None) -> list[Sent]:
    """Send (or, dry run, write to outbox/) every planned message not sent before; ``settings``
    (a mailer.MailSettings) replaces kxsheets.toml's [mail], e.g. for the demo's local server."""
    from . import mailer

    outgoing = plan(rnd, kind)
    done: list[Sent] = []
    todo: list[Outgoing] = []
    for o in outgoing:
        if not o.to:
            done.append(Sent(o, "无邮箱", "名单中没有邮箱" if o.unit_code else "kxsheets.toml 中 results_to 为空"))
        elif not dry_run and sent_status(rnd.dir, o.unit_code, kind, o.key) == "sent":
            done.append(Sent(o, "已发过", "同样的内容已发送，不重复发送"))
        else:
            todo.append(o)
    if not todo:
        return done
    if not dry_run and settings is None:
        settings = mailer.settings(rnd.config.mail)
    sender = (rnd.config.mail.sender or "kxsheets@localhost") if dry_run else settings.sender
    messages = [(o, mailer.build(sender, o.to, o.subject, o.body, o.attachments, o.unit_name)) for o in todo]
    if dry_run:
        for o, msg in messages:
            path = mailer.write_eml(msg, rnd.dir / "outbox", f"{kind}_{o.unit_name}")
            done.append(Sent(o, "已写入 outbox", path.name))
        return done
    with mailer.Connection(settings) as smtp:
        for o, msg in messages:
            done.append(_send_one(rnd, smtp, o, msg))
    return done


def _send_one(rnd: Round, smtp, o: Outgoing, msg) -> Sent:
    import smtplib

    try:
        refused = smtp.send(msg, o.to)
    except (OSError, smtplib.SMTPException) as exc:
        record_sent(rnd.dir, o.unit_code, o.kind, o.key, o.to, "failed", msg["Message-ID"], str(exc))
        return Sent(o, "失败", f"{type(exc).__name__}: {exc}（下次运行会重试）")
    if refused and set(refused) >= set(o.to):
        detail = "；".join(f"{a} {code} {text.decode(errors='replace')}" for a, (code, text) in refused.items())
        record_sent(rnd.dir, o.unit_code, o.kind, o.key, o.to, "failed", msg["Message-ID"], detail)
        return Sent(o, "失败", f"收件人被拒绝：{detail}（下次运行会重试）")
    record_sent(rnd.dir, o.unit_code, o.kind, o.key, o.to, "sent", msg["Message-ID"])
    return Sent(o, "已发送", "、".join(o.to))


def send_path(path: Path, kind: str, dry_run: bool = False) -> list[Sent]:
    from .round_validation import open_round

    if kind not in KINDS:
        raise KxError("mail-kind-unknown", f"邮件类别只能是：{'、'.join(KINDS)}")
    rnd = open_round(path, "发邮件")
    with rnd.lock():
        return send(rnd, kind, dry_run=dry_run)
