"""The demo county: a round with 14 fictional townships and realistic returns in inbox/.

Most returns are clean; some carry the mistakes real townships make (a unit typed into a number
cell, "1.7万", a renamed sheet, an inserted row, missing required cells, an approximate "约500");
one township never answers and one sends twice (the first version wrong, the second corrected).
Everything is seeded, so the demo is the same on every machine. E-mail addresses use the
reserved example.org domain.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import io
import random
import shutil
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import KxError
from .roster import Unit
from .rounds import Round, generate_templates, init_round

DEMO_MARK = ".kxsheets-demo"
COUNTY = "示例县"
YEAR = 2025
COUNTY_EMAIL = "kx@shili.example.org"
MAILBOX = "mailbox"  # the county's mailbox export: the townships' replies as .eml files

TOWNS = [  # 单位名称, pinyin for the mailbox, 联系人
    ("城关镇", "chengguan", "刘洋"), ("青山镇", "qingshan", "陈静"), ("白沙镇", "baisha", "王磊"),
    ("石门乡", "shimen", "李娜"), ("桃花街道", "taohua", "张伟"), ("东湖街道", "donghu", "赵敏"),
    ("长乐镇", "changle", "周杰"), ("龙泉镇", "longquan", "吴芳"), ("黄花乡", "huanghua", "郑强"),
    ("新河镇", "xinhe", "孙丽"), ("云台乡", "yuntai", "钱勇"), ("金溪镇", "jinxi", "冯霞"),
    ("南岭乡", "nanling", "何平"), ("凤凰街道", "fenghuang", "邓超"),
]
ACTIVITY_ROWS = ("science_day", "tech_week", "lectures", "caravan", "volunteer", "rural_training", "youth", "other")
HIGHLIGHT_KINDS = ("全国科普日", "科技活动周", "科普讲座", "科普大篷车进校园", "科技志愿服务")


def demo_units() -> list[Unit]:
    return [Unit(name, f"9900{i:02d}", contact, f"{py}@example.org")
            for i, (name, py, contact) in enumerate(TOWNS, start=1)]


def clean_values(unit: Unit, rng: random.Random) -> dict[str, Any]:
    """Plausible, rule-abiding figures for one township."""
    population = rng.randrange(18_000, 86_000, 10)
    villages = rng.randint(8, 26)
    budget = round(rng.uniform(6, 30), 2)
    v: dict[str, Any] = {
        "filler": unit.contact, "phone": f"139{rng.randint(10_000_000, 99_999_999)}",
        "fill_date": dt.date(YEAR + 1, 1, rng.randint(5, 14)),
        "villages_total": villages, "villages_with_assoc": rng.randint(villages - 4, villages),
        "is_standard": rng.random() < 0.85, "volunteers": rng.randint(20, 300),
        "informants": int(population * rng.uniform(0.03, 0.07)), "population": population,
        "info_reach": rng.randint(20_000, 200_000), "leaflets": rng.randint(1_000, 9_000),
        "boards": rng.randint(5, 40), "banners": rng.randint(5, 50), "screen_items": rng.randint(10, 200),
        "channel": rng.choice(["微信公众号", "村村响广播", "宣传栏"]),
        "budget": budget, "spent": round(budget * rng.uniform(0.8, 1.1), 2),
        "transfer": round(rng.uniform(0.5, 3), 2),
    }
    for key in ACTIVITY_ROWS:
        sessions = rng.randint(0, 6) if key != "science_day" else rng.randint(1, 3)
        v[f"activities.{key}.sessions"] = sessions
        v[f"activities.{key}.participants"] = sessions * rng.randint(40, 260)
    for i in range(1, rng.randint(2, 5)):
        v[f"highlights.{i}.name"] = f"{unit.name}{rng.choice(HIGHLIGHT_KINDS)}活动（第{i}场）"
        v[f"highlights.{i}.date"] = dt.date(YEAR, rng.randint(3, 11), rng.randint(1, 28))
        v[f"highlights.{i}.place"] = f"{unit.name}文化广场"
        v[f"highlights.{i}.kind"] = rng.choice(HIGHLIGHT_KINDS)
        v[f"highlights.{i}.participants"] = rng.randint(50, 400)
    return v


@dataclass
class Return:
    """One simulated e-mailed workbook."""

    unit: Unit
    filename: str
    received: dt.datetime
    story: str
    values: dict[str, Any]
    edit: Callable[[Any], None] | None = None  # an openpyxl edit a township's hand made
    path: Path | None = field(default=None)


def _rename_sheet(wb: Any) -> None:
    wb["组织建设"].title = "Sheet1"


def _insert_row(wb: Any) -> None:
    wb["科普活动"].insert_rows(6)  # Excel row 6: between 科技活动周 and 科普讲座


def plan_returns(units: list[Unit]) -> list[Return]:
    """What each township sends back (seeded); 凤凰街道 sends nothing."""
    rng = random.Random(YEAR)
    base = {u.code: clean_values(u, rng) for u in units}
    by_name = {u.name: u for u in units}
    day = dt.datetime(YEAR + 1, 1, 6, 9, 0)

    def ret(name: str, hours: int, story: str, changes: dict[str, Any] | None = None,
            edit: Callable[[Any], None] | None = None, suffix: str = "") -> Return:
        u = by_name[name]
        return Return(u, f"{u.name}{YEAR}年科协工作填报表{suffix}.xlsx", day + dt.timedelta(hours=hours),
                      story, {**base[u.code], **(changes or {})}, edit)

    return [
        ret("城关镇", 1, "按要求填写"), ret("青山镇", 3, "按要求填写"), ret("白沙镇", 5, "按要求填写"),
        ret("石门乡", 8, "数值格里写了单位和“无”",
            {"activities.lectures.participants": "1200人次", "boards": "无"}),
        ret("桃花街道", 20, "信息员注册数写成“1.7万”", {"informants": "1.7万"}),
        ret("东湖街道", 26, "把“组织建设”工作表改名为 Sheet1", edit=_rename_sheet),
        ret("长乐镇", 30, "在“科普活动”表中插入了一行", edit=_insert_row),
        ret("龙泉镇", 33, "漏填填报人和联系电话", {"filler": None, "phone": None}),
        ret("黄花乡", 48, "按要求填写"),
        ret("新河镇", 50, "第一次报送：已建村数大于村总数",
            {"villages_with_assoc": base[by_name["新河镇"].code]["villages_total"] + 3}),
        ret("新河镇", 75, "第二次报送：已改正", suffix="（修改版）"),
        ret("云台乡", 52, "志愿服务人次只写了约数“约500”", {"activities.volunteer.participants": "约500"}),
        ret("金溪镇", 55, "按要求填写"), ret("南岭乡", 60, "按要求填写"),
    ]


# What the demo county's 科协 writes in its own form (seed 003's figures: A=302, B=363.88, C=5.56).
DEPARTMENT_VALUES: dict[str, Any] = {
    "fiscal_a": 302, "fiscal_b": 363.88, "fiscal_c": 5.56, "total_a": 302, "total_b": 363.88, "total_c": 5.56,
    "indicators.media_posts.actual": "300余篇", "indicators.grassroots_training.actual": "1次",
    "indicators.funds_on_time.actual": "100%", "indicators.staff_cost.actual": "126.73万元",
    "indicators.running_cost.actual": "50万元", "indicators.earmarked.actual": "120万元",
    "indicators.social_benefit.actual": "良好以上", "indicators.social_benefit.level": "达成",
    "indicators.internal_control.actual": "持续建立健全内控制度", "indicators.internal_control.level": "达成",
    "indicators.satisfaction.actual": "90%以上",
    "goals.g1.done": "组织开展科技工作者走访慰问，加强机关党建",
    "goals.g2.done": "全年开展科普宣传活动 264 场，参与 3.8 万人次",
    "goals.g3.done": "各乡镇（街道）科协组织建设与科技志愿服务有序推进",
}


def write_department_return(rnd: Round) -> Path:
    """The county 科协's own form, filled, into department/."""
    from .department import department_template
    from .round_scoring import DEPARTMENT_DIR, department_unit, scoring_of
    from .template import RoundInfo, write_template

    form = department_template(scoring_of(rnd)[0])
    path = rnd.dir / DEPARTMENT_DIR / "部门整体自评填报（已填）.xlsx"
    return write_template(form, department_unit(rnd), RoundInfo(rnd.config.county, rnd.config.year), path,
                          DEPARTMENT_VALUES)


def write_return(rnd: Round, r: Return) -> Path:
    """The township's reply as its mail client would export it: an .eml in mailbox/, with the
    workbook its spreadsheet app saved attached."""
    from .mailer import as_bytes, build
    from .schema import Registry
    from .template import RoundInfo, write_template

    schema = Registry.default(rnd.dir).load(rnd.config.template)
    buf = io.BytesIO()
    write_template(schema, r.unit, RoundInfo(rnd.config.county, rnd.config.year), buf, r.values)  # type: ignore[arg-type]
    data = buf.getvalue()
    if r.edit is not None:
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data))
        r.edit(wb)
        out = io.BytesIO()
        wb.save(out)
        data = out.getvalue()
    msg = build(r.unit.email, [COUNTY_EMAIL], f"回复：{r.unit.name}{YEAR}年度填报表", f"{r.story}。\n{r.unit.contact}",
                [(r.filename, data)])
    msg.replace_header("Date", email.utils.format_datetime(r.received.astimezone()))
    path = rnd.dir / MAILBOX / f"{r.received:%Y%m%d-%H%M}_{r.unit.code}.eml"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(as_bytes(msg))
    return path


def prepare_dir(target: Path) -> None:
    """An empty folder for the demo; a previous demo there is replaced, anything else is kept."""
    if target.exists() and any(target.iterdir()):
        if not (target / DEMO_MARK).is_file():
            raise KxError("demo-dir-not-empty", "文件夹不是空的，也不是以前生成的演示轮次；为免覆盖，请换一个文件夹",
                          path=str(target))
        shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)
    (target / DEMO_MARK).write_text("kxsheets demo round; safe to delete\n", encoding="utf-8")


@dataclass
class DemoResult:
    round: Round
    templates: list[Any]
    returns: list[Return]
    missing: list[Unit]
    validation: Any = None  # round_validation.RoundValidation
    consolidation: Any = None  # round_consolidation.RoundConsolidation
    score: Any = None  # round_scoring.RoundScore
    mail: dict[str, Any] = field(default_factory=dict)  # kind → [mail_round.Sent]
    delivered: int = 0  # messages the local SMTP server received (send_to_local_server)


def _configured(rnd: Round) -> Round:
    """The demo's kxsheets.toml: a deadline, a sender and the results' recipients."""
    from .config import CONFIG_FILE, MailConfig, render_config

    mail = MailConfig(host="smtp.example.org", port=465, security="ssl", user=COUNTY_EMAIL, sender=COUNTY_EMAIL,
                      results_to=["leader@example.org", "jixiao@czj.example.org"])
    cfg = rnd.config.model_copy(update={"deadline": f"{YEAR + 1}-01-15", "mail": mail, "code": "990000"})
    (rnd.dir / CONFIG_FILE).write_text(render_config(cfg), encoding="utf-8")
    return Round(rnd.dir, cfg)


@contextmanager
def local_smtp_server() -> Iterator[tuple[Any, list[bytes]]]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives, for the demo."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        raise KxError("demo-needs-aiosmtpd", "演示真实发送需要 aiosmtpd：pip install aiosmtpd（或去掉 --send，只写入 outbox/）") \
            from None
    from .mailer import MailSettings

    received: list[bytes] = []

    class Keep:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope.content)
            return "250 OK"

    with socket.socket() as probe:  # a free port (aiosmtpd's start-up check cannot use port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = Controller(Keep(), hostname="127.0.0.1", port=port)
    server.start()
    try:
        yield MailSettings("127.0.0.1", server.port, "none", "", COUNTY_EMAIL, ""), received
    finally:
        server.stop()


def run_demo(target: Path | str, send_to_local_server: bool = False) -> DemoResult:
    """Create the demo round, its templates and the simulated returns, then run every stage."""
    from .collect import collect
    from .mail_round import KINDS, send
    from .round_consolidation import consolidate_round
    from .round_scoring import score_round, write_department_form
    from .round_validation import validate_round

    target = Path(target).resolve()
    prepare_dir(target)
    units = demo_units()
    rnd = _configured(init_round(target, COUNTY, YEAR, units))
    rnd.path(".gitignore").write_text("*\n", encoding="utf-8")
    issued = generate_templates(rnd)
    returns = plan_returns(units)
    for r in returns:
        write_return(rnd, r)
    collected = {(c.name, round(c.received)): c.path for c in collect(rnd, rnd.dir / MAILBOX)}
    for r in returns:
        r.path = collected[(r.filename, round(r.received.timestamp()))]
    answered = {r.unit.code for r in returns}
    validation = validate_round(rnd)
    consolidation = consolidate_round(rnd, validation)
    write_department_form(rnd)
    write_department_return(rnd)
    score = score_round(rnd)
    if send_to_local_server:
        with local_smtp_server() as (settings, received):
            mail = {kind: send(rnd, kind, settings=settings) for kind in KINDS}
            delivered = len(received)
    else:
        mail, delivered = {kind: send(rnd, kind, dry_run=True) for kind in KINDS}, 0
    return DemoResult(rnd, issued, returns, [u for u in units if u.code not in answered], validation,
                      consolidation, score, mail, delivered)
