"""Validation in worker processes: a reader that aborts or hangs costs one file, not the run.

The workers are forked, so a patch made here before the pool starts is what they run.
"""

from __future__ import annotations

import os
import sys
import time

import pytest

import kxsheets.isolate as isolate
import kxsheets.validate as validate
from kxsheets.validate import validate_paths

from .helpers import UNITS, context, submission, values_for
from .test_intake import far_cell

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="patches reach workers only when forked")


@pytest.fixture
def three(tmp_path, township):
    a = submission(tmp_path / "a.xlsx", township)
    c = submission(tmp_path / "c.xlsx", township, values={**values_for(UNITS[0]), "population": 20000})
    return a, c


def test_a_real_calamine_abort_becomes_a_finding(tmp_path, township, three, monkeypatch) -> None:
    """Without the pre-parse guard, calamine aborts the process on the far-cell file: only that
    worker dies, and the files before and after it in the same batch are still checked."""
    monkeypatch.setattr(validate, "scan_sheet", lambda sub, name: [])
    far = far_cell(tmp_path / "far.xlsx")
    a, c = three
    reports = validate_paths([a, far, c], context(township), workers=2)
    assert [r.file for r in reports] == [str(a), str(far), str(c)]
    assert [f.code for f in reports[1].findings] == ["file-reader-crashed"]
    assert not reports[1].readable and reports[1].status == "无法读取" and reports[1].sha256
    assert reports[0].status == reports[2].status == "通过"
    assert reports[2].values["population"] == 20000


def test_a_hanging_file_times_out_alone(tmp_path, township, three, monkeypatch) -> None:
    real = validate.open_submission

    def slow(path, received=None):
        if path.name == "slow.xlsx":
            time.sleep(60)
        return real(path, received)

    monkeypatch.setattr(validate, "open_submission", slow)
    monkeypatch.setattr(isolate, "SECONDS_BASE", 2)
    monkeypatch.setattr(isolate, "SECONDS_PER_FILE", 1)
    a, c = three
    hang = submission(tmp_path / "slow.xlsx", township, values={**values_for(UNITS[0]), "population": 30000})
    started = time.monotonic()
    reports = validate_paths([a, hang, c], context(township), workers=2)
    assert time.monotonic() - started < 30
    assert [f.code for f in reports[1].findings] == ["file-reader-crashed"]
    assert "超时" in reports[1].findings[0].message
    assert reports[0].status == reports[2].status == "通过"


def test_workers_have_a_memory_limit(township, three) -> None:
    """RLIMIT_AS is set in each worker, so a runaway allocation fails there, not in the parent."""
    from pebble import ProcessPool

    with ProcessPool(max_workers=1, initializer=isolate._start,
                     initargs=(context(township), isolate.MEMORY_LIMIT)) as pool:
        limit = pool.schedule(_address_limit).result()
    assert limit == isolate.MEMORY_LIMIT
    import resource

    assert resource.getrlimit(resource.RLIMIT_AS)[0] != isolate.MEMORY_LIMIT  # the parent is untouched


def _address_limit() -> int:
    import resource

    return resource.getrlimit(resource.RLIMIT_AS)[0]


def test_in_process_and_worker_reports_are_the_same(township, three) -> None:
    a, c = three
    inline = validate_paths([a, c, a], context(township), workers=0)
    pooled = validate_paths([a, c, a], context(township), workers=2)
    assert [(r.status, r.values, r.findings, r.duplicate_of) for r in inline] == \
           [(r.status, r.values, r.findings, r.duplicate_of) for r in pooled]
    assert pooled[2].duplicate_of == str(a)
    assert os.getpid()  # still the same process, alive
