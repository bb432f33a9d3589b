"""The round's SQLite ledger (kxsheets.db): what was issued, received, sent.

The working folder is the database: no server. Schema changes are numbered migrations, applied
in order on open, so a round folder from an older kxsheets keeps working.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

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


def issued(round_dir: Path) -> list[Issued]:
    with closing(connect(round_dir)) as conn:
        return [Issued(*row) for row in conn.execute("SELECT * FROM issued ORDER BY unit_code")]
