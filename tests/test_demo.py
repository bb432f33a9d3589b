"""The demo round: 14 townships, templates, realistic returns, one missing, one sent twice."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from kxsheets.demo import DEMO_MARK, run_demo
from kxsheets.errors import KxError
from kxsheets.layout import META_SHEET
from kxsheets.ledger import issued


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return run_demo(tmp_path_factory.mktemp("demo") / "county")


def test_round_folder(demo) -> None:
    d = demo.round.dir
    for name in ("kxsheets.toml", "units.xlsx", "kxsheets.db", "templates", "inbox", "feedback", "output",
                 "outbox", "schemas"):
        assert (d / name).exists(), name
    assert len(demo.round.units()) == 14
    assert all(u.email.endswith("@example.org") for u in demo.round.units())


def test_fourteen_templates_recorded_in_the_ledger(demo) -> None:
    files = sorted((demo.round.dir / "templates").glob("*.xlsx"))
    department = [f for f in files if f.name.startswith("示例县科学技术协会_")]  # the county 科协's own form
    assert len(files) == 14 + 1 and len(department) == 1
    rows = issued(demo.round.dir)
    assert {r.unit_name for r in rows} == {u.name for u in demo.round.units()}
    for r in rows:
        meta = openpyxl.load_workbook(demo.round.dir / r.path)[META_SHEET]
        values = {row[0].value: row[1].value for row in meta.iter_rows()}
        assert (values["unit_code"], values["unit_name"], values["fingerprint"]) == \
               (r.unit_code, r.unit_name, r.fingerprint)


def test_returns_tell_the_stories(demo) -> None:
    inbox = demo.round.dir / "inbox"
    files = {p.name: p for p in inbox.glob("*.xlsx")}
    assert len(files) == 14  # 12 townships once, 新河镇 twice, 凤凰街道 never
    assert [u.name for u in demo.missing] == ["凤凰街道"]
    by_story = {r.story: r for r in demo.returns}

    def book(story: str):
        return openpyxl.load_workbook(by_story[story].path)

    assert book("信息员注册数写成“1.7万”")["组织建设"]["B8"].value == "1.7万"
    assert "Sheet1" in book("把“组织建设”工作表改名为 Sheet1").sheetnames
    acts = book("在“科普活动”表中插入了一行")["科普活动"]
    assert acts["A5"].value == "科技活动周" and acts["A6"].value is None and acts["A7"].value == "科普讲座"
    assert book("漏填填报人和联系电话")["封面"]["B7"].value is None
    shimen = book("数值格里写了单位和“无”")
    assert shimen["科普活动"]["C6"].value == "1200人次" and shimen["宣传阵地"]["B5"].value == "无"
    first, second = (by_story[s] for s in ("第一次报送：已建村数大于村总数", "第二次报送：已改正"))
    assert first.unit == second.unit and first.received < second.received
    assert first.path.stat().st_mtime < second.path.stat().st_mtime


def test_clean_returns_keep_the_rules(demo) -> None:
    for r in demo.returns:
        if r.story != "按要求填写":
            continue
        v = r.values
        assert v["villages_with_assoc"] <= v["villages_total"]
        assert v["informants"] <= v["population"] and v["spent"] >= v["transfer"]


def test_rerun_replaces_a_demo_but_never_other_folders(tmp_path) -> None:
    target = tmp_path / "d"
    run_demo(target)
    (target / "inbox" / "extra.txt").write_text("x")
    run_demo(target)
    assert not (target / "inbox" / "extra.txt").exists() and (target / DEMO_MARK).is_file()
    other = tmp_path / "mine"
    other.mkdir()
    (other / "重要.xlsx").write_bytes(b"keep me")
    with pytest.raises(KxError) as err:
        run_demo(other)
    assert err.value.code == "demo-dir-not-empty"
    assert (other / "重要.xlsx").read_bytes() == b"keep me"


def test_demo_is_deterministic(tmp_path) -> None:
    a, b = run_demo(tmp_path / "a"), run_demo(tmp_path / "b")
    assert [r.values for r in a.returns] == [r.values for r in b.returns]
    assert [Path(x.path).name for x in a.templates] == [Path(x.path).name for x in b.templates]


def test_the_demo_ends_with_every_kind_of_mail_in_outbox(demo) -> None:
    who = {kind: sorted(r.out.unit_name for r in rows) for kind, rows in demo.mail.items()}
    assert who["reminders"] == ["凤凰街道", "龙泉镇"]  # not submitted; newest still has errors
    assert len(who["templates"]) == 14 and len(who["township-results"]) == 12
    assert demo.mail["results"][0].out.to == ["leader@example.org", "jixiao@czj.example.org"]
    assert all(r.status == "已写入 outbox" for rows in demo.mail.values() for r in rows)
    assert len(list((demo.round.dir / "outbox").glob("*.eml"))) == sum(len(rows) for rows in demo.mail.values())


def test_the_demo_can_really_send_through_a_local_smtp_server(tmp_path) -> None:
    res = run_demo(tmp_path / "sent", send_to_local_server=True)
    statuses = {r.status for rows in res.mail.values() for r in rows}
    assert statuses == {"已发送"} and res.delivered == sum(len(rows) for rows in res.mail.values()) == 34
    assert not list((res.round.dir / "outbox").glob("*.eml"))
