"""Small text helpers: CJK display width, control characters, safe Chinese file names."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WIN_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_WIN_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def display_width(text: str) -> int:
    """Columns the text takes in a spreadsheet: wide (CJK) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_width(texts: list[str], minimum: float = 8, maximum: float = 60) -> float:
    """An Excel column width that fits the widest of ``texts`` (one line each)."""
    widest = max((display_width(line) for t in texts for line in str(t).splitlines() or [""]), default=0)
    return max(minimum, min(maximum, widest + 2))


def strip_controls(text: str) -> str:
    """Drop C0 control characters except tab and newline (they corrupt xlsx XML)."""
    return _CONTROL.sub("", text)


def has_line_break(text: str) -> bool:
    return any(ch in text for ch in "\r\n\x00\u2028\u2029\x85")


def safe_filename(name: str, suffix: str = "", max_len: int = 80) -> str:
    """A file name that keeps Chinese, and is valid on Windows and POSIX.

    ``../../etc/passwd`` → ``.._.._etc_passwd``; ``CON`` → ``_CON``.
    """
    t = unicodedata.normalize("NFKC", name).strip()
    t = _WIN_FORBIDDEN.sub("_", t).rstrip(". ").lstrip(".") or "_"
    if t.split(".")[0].upper() in _WIN_RESERVED:
        t = "_" + t
    return t[:max_len] + suffix


def format_time(ts: float) -> str:
    """A POSIX time as a clerk reads it (local time); blank when unknown."""
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else ""


def plain_value(v: Any) -> Any:
    """A value for JSON: exact decimals as numbers (int when whole), dates as ISO text."""
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v
