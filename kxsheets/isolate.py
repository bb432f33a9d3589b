"""Validation in child processes: a reader that crashes or runs away costs one file, not the run.

Workers start with an address-space limit (RLIMIT_AS, where the OS has one) and every batch of
files has a time limit. When a worker dies (a Rust abort inside calamine, the OOM killer) or a
batch runs out of time, that batch's files are checked again one by one in fresh workers, so the
file that caused it gets a ``file-reader-crashed`` finding and the others their normal reports.
The pool also uses every core, which is what lets a national-size round fit in a minute.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from .findings import Report, finding

MEMORY_LIMIT = 2 * 1024**3  # bytes of address space per worker; a township form needs ~100 MB
BATCH = 16  # files per task: large enough to amortise the hand-off, small enough to retry
SECONDS_BASE, SECONDS_PER_FILE = 30, 5  # a healthy file takes milliseconds

_ctx = None  # the worker's Context, set once by _start


def _start(ctx, memory_limit: int | None) -> None:
    global _ctx
    _ctx = ctx
    if memory_limit:
        try:
            import resource
        except ImportError:  # Windows: no rlimits; the time limit and crash recovery still hold
            return
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))


def _check(batch: list[tuple[Path, float | None]]) -> list[Report]:
    from .validate import validate_file

    return [validate_file(path, _ctx, received) for path, received in batch]


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def validate_isolated(paths: Sequence[Path], ctx, received: dict[Path, float] | None = None,
                      workers: int | None = None,
                      progress: Callable[[Path], None] | None = None) -> list[Report]:
    """validate_file for each path in worker processes; reports in the order of ``paths``."""
    from pebble import ProcessPool

    items = [(Path(p), (received or {}).get(p)) for p in paths]
    batches = [items[i:i + BATCH] for i in range(0, len(items), BATCH)]
    reports: list[Report] = []
    with ProcessPool(max_workers=min(workers or default_workers(), len(batches) or 1),
                     initializer=_start, initargs=(ctx, MEMORY_LIMIT)) as pool:
        futures = [pool.schedule(_check, args=(b,), timeout=SECONDS_BASE + SECONDS_PER_FILE * len(b))
                   for b in batches]
        for batch, fut in zip(batches, futures):
            try:
                done = fut.result()
            except Exception:  # ProcessExpired, TimeoutError …: find the file that did it
                done = [_alone(pool, item) for item in batch]
            for (path, _), rep in zip(batch, done):
                reports.append(rep)
                if progress:
                    progress(path)
    return reports


def _alone(pool, item: tuple[Path, float | None]) -> Report:
    try:
        return pool.schedule(_check, args=([item],), timeout=SECONDS_BASE).result()[0]
    except FutureTimeout:
        return _crashed(item[0], "读取该文件超时")
    except Exception:
        return _crashed(item[0], "读取该文件时读取程序异常退出（内存超限或文件结构异常）")


def _crashed(path: Path, what: str) -> Report:
    rep = Report(file=str(path), readable=False)
    try:
        rep.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        pass
    rep.add(finding("file-reader-crashed", f"{what}，已拒绝读取，其他文件不受影响",
                    hint="请用 Excel/WPS 打开后另存为新的 .xlsx 文件再发送"))
    return rep
