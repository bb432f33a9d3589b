"""Every code the code base raises is documented in docs/codes.md."""

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
USE = re.compile(r'(?:KxError|__init__)\(\s*"([a-z][a-z0-9-]+)"')


def test_every_code_is_documented() -> None:
    used = {m for p in (ROOT / "kxsheets").rglob("*.py") for m in USE.findall(p.read_text(encoding="utf-8"))}
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", (ROOT / "docs" / "codes.md").read_text(encoding="utf-8"),
                                re.M))
    assert len(used) >= 10
    assert used - documented == set()


def test_every_finding_code_is_documented() -> None:
    from kxsheets.findings import CODES

    doc = (ROOT / "docs" / "codes.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", doc, re.M))
    assert set(CODES) - documented == set()
    used = {m for p in (ROOT / "kxsheets").rglob("*.py")
            for m in re.findall(r'(?:finding\(|\.note\()\s*"([a-z][a-z0-9-]+)"', p.read_text(encoding="utf-8"))}
    assert used - set(CODES) == set()
