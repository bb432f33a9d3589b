"""The command line, through typer's CliRunner, plus the installed console script for real."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kxsheets.cli import app, main

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_init_template_flow(tmp_path, monkeypatch) -> None:
    r = run("init", str(tmp_path / "r"), "--county", "示例县", "--year", "2025")
    assert r.exit_code == 0 and "已创建填报轮次" in r.output
    from kxsheets.roster import Unit, write_roster

    write_roster(tmp_path / "r" / "units.xlsx", [Unit("城关镇", "990001"), Unit("青山镇", "990002")])
    r = run("template", str(tmp_path / "r"))
    assert r.exit_code == 0 and "已生成 2 个模板" in r.output
    r = run("template", str(tmp_path / "r"), "--unit", "990002")
    assert r.exit_code == 0 and "已生成 1 个模板" in r.output


def test_demo_command(tmp_path) -> None:
    r = run("demo", str(tmp_path / "demo"))
    assert r.exit_code == 0
    assert "未报送：凤凰街道" in r.output and "14 个乡镇" in r.output
    assert len(list((tmp_path / "demo" / "templates").glob("*.xlsx"))) == 14 + 1  # and the department's form


def test_schema_commands(tmp_path) -> None:
    r = run("schema", "list")
    assert r.exit_code == 0 and "township-annual" in r.output and "wangcheng" in r.output
    r = run("schema", "show", "township-annual")
    assert r.exit_code == 0 and "常住人口" in r.output
    good = Path(__file__).parents[1] / "schemas" / "township-annual.yaml"
    assert run("schema", "check", str(good)).exit_code == 0
    bad = tmp_path / "township-annual.yaml"
    bad.write_text(good.read_text(encoding="utf-8").replace("min: 0, max: 10000,", "min: 很多, max: 10000,"),
                   encoding="utf-8")
    r = run("schema", "check", str(bad))
    assert r.exit_code == 1 and "sheets[1].columns[0].min: 应为数字" in r.output


def test_refusals_are_one_line_with_code_and_exit_1(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "argv", ["kxsheets", "template", str(tmp_path)])
    with pytest.raises(SystemExit) as exit_:
        main()
    out = capsys.readouterr().out
    assert exit_.value.code == 1
    assert "[round-not-found]" in out and "kxsheets.toml" in out and "Traceback" not in out


def test_usage_error_exits_2(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "argv", ["kxsheets", "template", "--nonsense"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2


def test_console_script_really_runs(tmp_path) -> None:
    exe = Path(sys.executable).with_name("kxsheets")
    assert exe.exists(), "pip install -e . provides the kxsheets console script"
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("kxsheets ")
    out = subprocess.run([sys.executable, "-m", "kxsheets", "demo", str(tmp_path / "d")],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "d" / "kxsheets.db").is_file()


def test_help_imports_nothing_heavy() -> None:
    """--help must stay fast: pandas alone costs 0.3 s, so heavy modules load only where used."""
    code = ("import sys\nfrom kxsheets.cli import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "import json\nprint(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('pandas','openpyxl','xlsxwriter','pydantic','yaml','python_calamine','numpy'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
