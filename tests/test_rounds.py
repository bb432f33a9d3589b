from __future__ import annotations

import tomllib

import pytest
from filelock import FileLock

from kxsheets.config import RoundConfig, read_config, render_config
from kxsheets.errors import KxError
from kxsheets.roster import Unit
from kxsheets.rounds import Round, generate_templates, init_round

UNITS = [Unit("城关镇", "990001", "刘洋", "cg@example.org"), Unit("CON", "990002"), Unit("../../etc", "990003")]


def test_init_creates_and_refuses_to_overwrite(tmp_path) -> None:
    rnd = init_round(tmp_path / "r", "示例县", 2025)
    assert read_config(rnd.dir).county == "示例县"
    with pytest.raises(KxError) as err:
        init_round(tmp_path / "r", "别的县", 2024)
    assert err.value.code == "round-exists"
    with pytest.raises(KxError) as err:
        rnd.units()
    assert err.value.code == "roster-empty"


def test_config_renders_valid_toml_with_hostile_text() -> None:
    cfg = RoundConfig(county='示例"县\n[mail]\nhost="evil"', year=2025)
    parsed = tomllib.loads(render_config(cfg))
    assert parsed["county"] == cfg.county and parsed["mail"]["host"] == ""


def test_bad_config_names_the_key(tmp_path) -> None:
    init_round(tmp_path, "示例县", 2025)
    (tmp_path / "kxsheets.toml").write_text('county = "x"\nyear = "二〇二五"\n', encoding="utf-8")
    with pytest.raises(KxError) as err:
        Round.open(tmp_path)
    assert err.value.code == "config-invalid" and "year" in err.value.message


def test_templates_for_units_with_awkward_names(tmp_path) -> None:
    rnd = init_round(tmp_path, "示例县", 2025, UNITS)
    rows = generate_templates(rnd)
    names = sorted(p.name for p in (tmp_path / "templates").iterdir())
    assert len(rows) == 3 and len(names) == 3
    assert all(p.parent == tmp_path / "templates" for p in (tmp_path / "templates").iterdir())
    assert not any(n.startswith(".") for n in names)  # "../../etc" became a plain, visible name
    assert any(n.startswith("CON_") for n in names)
    assert generate_templates(rnd, ["990001"])[0].unit_name == "城关镇"
    with pytest.raises(KxError) as err:
        generate_templates(rnd, ["123456"])
    assert err.value.code == "unit-unknown"


def test_second_run_waits_for_the_lock(tmp_path) -> None:
    rnd = init_round(tmp_path, "示例县", 2025, UNITS[:1])
    with FileLock(str(tmp_path / ".kxsheets.lock")):
        with pytest.raises(KxError) as err:
            generate_templates(rnd, lock_timeout=0.2)
    assert err.value.code == "round-locked"
    assert generate_templates(rnd)  # and works once the other run is done


def test_every_round_command_refuses_while_another_run_holds_the_lock(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from kxsheets.cli import app

    init_round(tmp_path / "r", "示例县", 2025, UNITS)
    monkeypatch.setenv("KXSHEETS_LOCK_WAIT", "0.2")
    with FileLock(str(tmp_path / "r" / ".kxsheets.lock")):
        for cmd in (["run"], ["consolidate"], ["score"], ["mail", "templates", "--dry-run"]):
            args = [cmd[0], *(cmd[1:2]), str(tmp_path / "r"), *cmd[2:]]
            out = CliRunner().invoke(app, args)  # main() turns this KxError into one red line
            assert getattr(out.exception, "code", None) == "round-locked", (cmd, out.exception)
