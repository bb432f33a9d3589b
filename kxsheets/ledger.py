"""The round's SQLite ledger (kxsheets.db): what was issued, received, consolidated, sent.

The working folder is the database: no server. Schema changes are numbered migrations, applied
in order on open, so a round folder from an older kxsheets keeps working.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

DB_FILE = "kxsheets.db"

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE issued (
        unit_code TEXT NOT NULL, unit_name TEXT NOT NULL, template_id TEXT NOT NULL,
        template_version TEXT NOT NULL, fingerprint TEXT NOT NULL, path TEXT NOT NULL,
        sha256 TEXT NOT NULL, issued_at TEXT NOT NULL,
        PRIMARY KEY (unit_code, template_id, template_version)
    );
    """,
    # v2: consolidated values (unit_code '' is the round's total) and where each came from
    """
    CREATE TABLE consolidated (
        unit_code TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (unit_code, name)
    );
    CREATE TABLE sources (
        unit_code TEXT NOT NULL, name TEXT NOT NULL, file TEXT NOT NULL, sha256 TEXT NOT NULL,
        sheet TEXT NOT NULL, cell TEXT NOT NULL, received REAL NOT NULL,
        PRIMARY KEY (unit_code, name)
    );
    """,
    # v3: mail sent (one row per unit, kind and attachment set) and files received by mail
    """
    CREATE TABLE sent (
        unit_code TEXT NOT NULL, kind TEXT NOT NULL, sha256 TEXT NOT NULL, recipients TEXT NOT NULL,
        status TEXT NOT NULL, message_id TEXT NOT NULL, at TEXT NOT NULL, error TEXT NOT NULL,
        PRIMARY KEY (unit_code, kind, sha256)
    );
    CREATE TABLE received (
        sha256 TEXT PRIMARY KEY, path TEXT NOT NULL, original_name TEXT NOT NULL, sender TEXT NOT NULL,
        received_at REAL NOT NULL, message_id TEXT NOT NULL
    );
    """,
)


@dataclass(frozen=True)
class Issued:
    unit_code: str
    unit_name: str
    template_id: str
    template_version: str
    fingerprint: str
    path: str
    sha256: str
    issued_at: str


def now() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def connect(round_dir: Path) -> sqlite3.Connection:
    """Open (and migrate) the ledger of a round."""
    conn = sqlite3.connect(Path(round_dir) / DB_FILE, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    for i, sql in enumerate(MIGRATIONS[version:], start=version + 1):
        with conn:
            conn.executescript(f"BEGIN; {sql}; PRAGMA user_version = {i}; COMMIT;")
    return conn


def record_issued(round_dir: Path, rows: list[Issued]) -> None:
    with closing(connect(round_dir)) as conn, conn:
        conn.executemany(
            "INSERT OR REPLACE INTO issued VALUES (?,?,?,?,?,?,?,?)",
            [(r.unit_code, r.unit_name, r.template_id, r.template_version, r.fingerprint, r.path,
              r.sha256, r.issued_at) for r in rows],
        )


def record_consolidated(round_dir: Path, values: dict[str, dict[str, Any]],
                        sources: Iterable[tuple[str, str, str, str, str, str, float]]) -> None:
    """Replace the round's consolidated values (numbers and 是/否 only) and their sources."""
    rows = ((code, name, text) for code, vals in values.items() for name, v in vals.items()
            if (text := _store(v)) is not None)  # generators: 40,000 units make millions of rows
    with closing(connect(round_dir)) as conn, conn:
        conn.execute("DELETE FROM consolidated")
        conn.execute("DELETE FROM sources")
        conn.executemany("INSERT INTO consolidated VALUES (?,?,?)", rows)
        conn.executemany("INSERT INTO sources VALUES (?,?,?,?,?,?,?)", sources)


def consolidated(round_dir: Path, read_only: bool = False) -> dict[str, dict[str, Any]]:
    """unit code ('' = the total) → name → Decimal (是/否 as True/False); {} before any consolidation.

    ``read_only`` opens another round's ledger (last year's) without migrating or writing it.
    """
    out: dict[str, dict[str, Any]] = {}
    path = Path(round_dir) / DB_FILE
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) if read_only else connect(round_dir)
        with closing(conn):
            rows = conn.execute("SELECT unit_code, name, value FROM consolidated").fetchall()
    except sqlite3.OperationalError:  # no such file or table: that round was never consolidated
        return out
    for code, name, value in rows:
        out.setdefault(code, {})[name] = {"是": True, "否": False}.get(value) if value in ("是", "否") \
            else Decimal(value)
    return out


def _store(v: Any) -> str | None:
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, (int, float)):
        return str(Decimal(repr(v)))
    return None  # text and dates are not history


def sent_status(round_dir: Path, unit_code: str, kind: str, sha256: str) -> str | None:
    with closing(connect(round_dir)) as conn:
        row = conn.execute("SELECT status FROM sent WHERE unit_code=? AND kind=? AND sha256=?",
                           (unit_code, kind, sha256)).fetchone()
    return row[0] if row else None


def record_sent(round_dir: Path, unit_code: str, kind: str, sha256: str, recipients: list[str], status: str,
                message_id: str, error: str = "") -> None:
    """One committed row per message, written right after the server's answer."""
    with closing(connect(round_dir)) as conn, conn:
        conn.execute("INSERT OR REPLACE INTO sent VALUES (?,?,?,?,?,?,?,?)",
                     (unit_code, kind, sha256, ",".join(recipients), status, message_id, now(), error))


def record_received(round_dir: Path, sha256: str, path: str, original_name: str, sender: str,
                    received_at: float, message_id: str) -> bool:
    """False when the same file (by content) was received before."""
    with closing(connect(round_dir)) as conn, conn:
        cur = conn.execute("INSERT OR IGNORE INTO received VALUES (?,?,?,?,?,?)",
                           (sha256, path, original_name, sender, received_at, message_id))
        return cur.rowcount == 1


def was_received(round_dir: Path, sha256: str) -> bool:
    with closing(connect(round_dir)) as conn:
        return conn.execute("SELECT 1 FROM received WHERE sha256=?", (sha256,)).fetchone() is not None


def received_times(round_dir: Path) -> dict[str, float]:
    """inbox-relative path → time received by mail (what decides which version is newest)."""
    with closing(connect(round_dir)) as conn:
        return {p: t for p, t in conn.execute("SELECT path, received_at FROM received")}


def issued(round_dir: Path) -> list[Issued]:
    with closing(connect(round_dir)) as conn:
        return [Issued(*row) for row in conn.execute("SELECT * FROM issued ORDER BY unit_code")]
