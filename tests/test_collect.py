"""Collecting returns from a mailbox export; status; the whole round in one command."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import io
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from kxsheets.cli import app
from kxsheets.collect import collect, zip_name
from kxsheets.mailer import as_bytes, build
from kxsheets.pipeline import round_status
from kxsheets.rounds import init_round
from kxsheets.template import RoundInfo, write_template

from .helpers import UNITS, values_for


def workbook(township, unit=UNITS[0], **changes) -> bytes:
    buf = io.BytesIO()
    write_template(township, unit, RoundInfo("示例县", 2025), buf, {**values_for(unit), **changes})
    return buf.getvalue()


def eml(folder: Path, name: str, sender: str, when: dt.datetime, attachments: list[tuple[str, bytes]]) -> Path:
    msg = build(sender, ["kx@county.example"], "回复：填报表", "见附件", attachments)
    msg.replace_header("Date", email.utils.format_datetime(when))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(as_bytes(msg))
    return path


def gbk_zip(members: dict[str, bytes]) -> bytes:
    """A zip as Windows' built-in compressor writes it on a Chinese system: GBK names, no UTF-8 flag."""
    buf = io.BytesIO()
    placeholders = {}
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (name, data) in enumerate(members.items()):
            raw = name.encode("gbk")
            stand_in = f"{i:0{len(raw)}d}"  # ASCII of the same length, swapped for the GBK bytes below
            placeholders[stand_in.encode()] = raw
            zf.writestr(stand_in, data)
    out = buf.getvalue()
    for stand_in, raw in placeholders.items():
        out = out.replace(stand_in, raw)
    return out


T0 = dt.datetime(2026, 1, 6, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_every_version_is_kept_and_the_newest_by_receipt_counts(tmp_path, township) -> None:
    rnd = init_round(tmp_path / "r", "示例县", 2025, UNITS)
    box = tmp_path / "box"
    first = workbook(township, population=50000)
    second = workbook(township, population=51000)
    eml(box, "b.eml", "cg@town.example", T0 + dt.timedelta(days=1), [("城关镇填报表.xlsx", second)])
    eml(box, "a.eml", "cg@town.example", T0, [("城关镇填报表.xlsx", first)])
    eml(box, "c.eml", "cg@town.example", T0 + dt.timedelta(days=2), [("城关镇填报表.xlsx", second)])  # resent
    rows = collect(rnd, box)
    stored = [r for r in rows if r.path]
    assert len(stored) == 2 and "未重复保存" in next(r.note for r in rows if r.path is None)
    assert len({p.name for p in (rnd.dir / "inbox").iterdir()}) == 2  # both versions, nothing overwritten
    assert {hashlib.sha256(r.path.read_bytes()).hexdigest() for r in stored} == \
           {hashlib.sha256(b).hexdigest() for b in (first, second)}
    from kxsheets.round_validation import validate_round

    result = validate_round(rnd, write=False)
    assert result.latest["990001"].values["population"] == 51000  # the one received later
    again = collect(rnd, box)
    assert all(r.path is None for r in again)  # a second collect stores nothing new


def test_zip_attachments_with_gbk_names(tmp_path, township) -> None:
    rnd = init_round(tmp_path / "r", "示例县", 2025, UNITS)
    data = gbk_zip({"城关镇填报表.xlsx": workbook(township), "说明.txt": b"hello"})
    eml(tmp_path / "box", "z.eml", "cg@town.example", T0, [("报表.zip", data)])
    rows = collect(rnd, tmp_path / "box")
    assert [r.name for r in rows] == ["城关镇填报表.xlsx"] and rows[0].path.name.endswith("城关镇填报表.xlsx")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.infolist()[0].filename != "城关镇填报表.xlsx"  # what zipfile alone makes of it
        assert zip_name(zf.infolist()[0]) == "城关镇填报表.xlsx"


def test_status_says_who_is_late(tmp_path, township) -> None:
    rnd = init_round(tmp_path / "r", "示例县", 2025, UNITS)
    eml(tmp_path / "box", "a.eml", "cg@town.example", T0, [("城关镇.xlsx", workbook(township))])
    collect(rnd, tmp_path / "box")
    from kxsheets.config import CONFIG_FILE, render_config
    from kxsheets.rounds import Round

    (rnd.dir / CONFIG_FILE).write_text(render_config(rnd.config.model_copy(update={"deadline": "2026-01-15"})),
                                       encoding="utf-8")
    rnd = Round.open(rnd.dir)
    before = round_status(rnd, today=dt.date(2026, 1, 10))
    after = round_status(rnd, today=dt.date(2026, 1, 16))
    assert [(s.row.status, s.late) for s in before] == [("已交", False), ("未交", False)]
    assert [(s.row.status, s.late) for s in after] == [("已交", False), ("未交", True)]
    out = CliRunner().invoke(app, ["status", str(rnd.dir)])
    assert out.exit_code == 0 and "青山镇" in out.stdout and "未交（逾期）" in out.stdout


def test_run_does_the_whole_round_and_is_safe_to_repeat(tmp_path) -> None:
    from kxsheets.demo import run_demo

    res = run_demo(tmp_path / "demo")
    outputs = sorted((res.round.dir / "output").glob("*.xlsx"))
    before = {p.name: p.read_bytes() for p in outputs}
    out = CliRunner().invoke(app, ["run", str(res.round.dir)])
    assert out.exit_code == 0, out.stdout
    assert "总分：97.95" in out.stdout and "凤凰街道" in out.stdout
    assert {p.name: p.read_bytes() for p in sorted((res.round.dir / "output").glob("*.xlsx"))} == before
    assert not list(res.round.dir.rglob(".~tmp-*"))  # no half-written file left behind
