"""Shared fixtures: the shipped schemas, a unit, and a real LibreOffice for round trips."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kxsheets.roster import Unit
from kxsheets.schema import Registry, ScoringSchema, TemplateSchema
from kxsheets.template import RoundInfo

RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.default()


@pytest.fixture(scope="session")
def township(registry: Registry) -> TemplateSchema:
    s = registry.load("township-annual")
    assert isinstance(s, TemplateSchema)
    return s


@pytest.fixture(scope="session")
def department(registry: Registry) -> ScoringSchema:
    s = registry.load("department-self-evaluation")
    assert isinstance(s, ScoringSchema)
    return s


@pytest.fixture
def unit() -> Unit:
    return Unit("城关镇", "990001", "刘洋", "chengguan@example.org")


@pytest.fixture
def info() -> RoundInfo:
    return RoundInfo("示例县", 2025)


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="session")
def libreoffice(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path, str, Path], Path]:
    """Convert a file with a real LibreOffice (headless, private profile that recalculates on load).

    Skipped where LibreOffice is missing, except on CI, where its absence is a failure.
    """
    exe = _soffice()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is not installed; .ci/run should install it")
        pytest.skip("LibreOffice not installed")
    profile = tmp_path_factory.mktemp("lo-profile")
    (profile / "user").mkdir()
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_XCU, encoding="utf-8")

    def convert(src: Path | list[Path], to: str, outdir: Path) -> Any:
        """One file → its converted path; a list → the converted paths (one LibreOffice start)."""
        srcs = src if isinstance(src, list) else [src]
        outdir.mkdir(parents=True, exist_ok=True)
        cmd = [exe, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
               "--convert-to", to, "--outdir", str(outdir), *map(str, srcs)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        outs = [outdir / (s.stem + "." + to.split(":")[0]) for s in srcs]
        assert proc.returncode == 0 and all(o.is_file() for o in outs), f"LibreOffice failed: {proc.stdout}{proc.stderr}"
        return outs if isinstance(src, list) else outs[0]

    return convert
