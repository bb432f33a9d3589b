"""Writing files so that a crash never leaves a half-written or empty output.

Write to a temp file in the target's own folder, fsync, then ``os.replace`` — the same thing
Excel does when it saves. Temp files are named ``.~tmp-*`` so folder scans skip them, and
:func:`clean_stale` removes ones left behind by a killed run.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

TMP_PREFIX = ".~tmp-"
_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read the process umask once: mkstemp files are 0600, outputs should not be


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temp path next to ``final``; on success it replaces ``final`` atomically."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=final.suffix, dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        _replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(final: Path, data: bytes) -> None:
    with atomic_path(final) as tmp:
        tmp.write_bytes(data)


def _replace(tmp: Path, final: Path, tries: int = 5) -> None:
    # On Windows the target may be open in Excel or held by an indexer for a moment.
    for attempt in range(tries):
        try:
            os.replace(tmp, final)
            return
        except PermissionError:
            if attempt == tries - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def clean_stale(folder: Path, older_than_s: float = 3600) -> int:
    """Remove temp files a killed run left behind; returns how many."""
    n = 0
    now = time.time()
    for p in Path(folder).glob(f"{TMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            if now - p.stat().st_mtime > older_than_s:
                p.unlink()
                n += 1
    return n
