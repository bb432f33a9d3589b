"""A reporting round: one folder holding config, roster, templates, inbox, outputs and ledger.

    <round>/
      kxsheets.toml   settings (county, year, schema ids, preset, mail without passwords)
      units.xlsx      the roster: 单位名称, 编码, 联系人, 邮箱
      schemas/        optional: the round's own schemas, found before the built-in ones
      templates/      one pre-filled template per unit (kxsheets template)
      inbox/          returned workbooks, every version, never modified
      department/     the county 科协's own filled 自评 form (kxsheets score reads the newest)
      feedback/       annotated copies and per-unit feedback workbooks
      output/         county workbooks (汇总表, 自评表)
      outbox/         e-mails written by --dry-run
      kxsheets.db     SQLite ledger
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from .config import CONFIG_FILE, RoundConfig, read_config, render_config
from .errors import KxError
from .ledger import Issued, now, record_issued
from .roster import Unit, read_roster, write_roster

ROSTER_FILE = "units.xlsx"
FOLDERS = ("schemas", "templates", "inbox", "department", "feedback", "output", "outbox")
LOCK_FILE = ".kxsheets.lock"


@dataclass(frozen=True)
class Round:
    dir: Path
    config: RoundConfig

    @classmethod
    def open(cls, round_dir: Path | str) -> Round:
        d = Path(round_dir).resolve()
        return cls(d, read_config(d))

    def path(self, name: str) -> Path:
        return self.dir / name

    @property
    def roster_path(self) -> Path:
        return self.dir / ROSTER_FILE

    def units(self) -> list[Unit]:
        if not self.roster_path.is_file():
            raise KxError("roster-not-found", f"缺少单位名单 {ROSTER_FILE}", path=str(self.dir))
        return read_roster(self.roster_path)

    @contextmanager
    def lock(self, timeout: float | None = None) -> Iterator[None]:
        """Held while a command works on the round, so two runs never interleave; another run
        still holding it after ``timeout`` seconds (default KXSHEETS_LOCK_WAIT, else 10) is a
        KxError, not a wait without end."""
        if timeout is None:
            timeout = float(os.environ.get("KXSHEETS_LOCK_WAIT", "10"))
        lock = FileLock(str(self.dir / LOCK_FILE))
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise KxError("round-locked", "另一个 kxsheets 进程正在处理这个轮次，请稍后再试", path=str(self.dir)) from None
        try:
            yield
        finally:
            lock.release()


def init_round(round_dir: Path | str, county: str, year: int, units: list[Unit] | None = None) -> Round:
    """Create a round folder (refuses to overwrite an existing one)."""
    d = Path(round_dir).resolve()
    if (d / CONFIG_FILE).exists():
        raise KxError("round-exists", "这里已经有一个填报轮次（kxsheets.toml 已存在），不会覆盖", path=str(d))
    cfg = RoundConfig(county=county, year=year)
    for sub in FOLDERS:
        (d / sub).mkdir(parents=True, exist_ok=True)
    from .atomic import write_bytes

    write_bytes(d / CONFIG_FILE, render_config(cfg).encode("utf-8"))
    write_roster(d / ROSTER_FILE, units or [])
    return Round(d, cfg)


def template_filename(unit: Unit, title: str, year: int) -> str:
    from .text import safe_filename

    return safe_filename(f"{unit.name}_{year}年{title}", ".xlsx")


def generate_templates(rnd: Round, codes: list[str] | None = None, *, lock_timeout: float | None = None) -> list[Issued]:
    """Write one pre-filled template per unit into templates/ and record them in the ledger."""
    from .layout import layout
    from .schema import Registry, TemplateSchema
    from .template import RoundInfo, TemplateBatch

    schema = Registry.default(rnd.dir).load(rnd.config.template)
    if not isinstance(schema, TemplateSchema):
        raise KxError("schema-kind", f"“{rnd.config.template}”是评分模式，不能生成填报模板")
    units = rnd.units()
    if codes:
        unknown = set(codes) - {u.code for u in units}
        if unknown:
            raise KxError("unit-unknown", f"名单中没有这些编码：{'、'.join(sorted(unknown))}")
        units = [u for u in units if u.code in codes]
    batch = TemplateBatch(schema, RoundInfo(rnd.config.county, rnd.config.year))
    fingerprint = layout(schema).fingerprint
    rows: list[Issued] = []
    seen: set[str] = set()
    with rnd.lock(lock_timeout):
        for u in units:
            name = template_filename(u, schema.title, rnd.config.year)
            if name.casefold() in seen:  # two names that sanitise alike: keep both files
                name = name.replace(".xlsx", f"_{u.code}.xlsx")
            seen.add(name.casefold())
            path = batch.write(u, rnd.dir / "templates" / name)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            rows.append(Issued(u.code, u.name, schema.id, schema.version, fingerprint,
                               str(path.relative_to(rnd.dir)), digest, now()))
        record_issued(rnd.dir, rows)
    return rows
