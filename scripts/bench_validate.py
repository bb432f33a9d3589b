"""Benchmark: validating N filled township submissions.

Usage: python scripts/bench_validate.py [N]   (default 2000)

Generates N filled submissions (stamped from one rendering, values varied per unit), then times
in the same process, each over the same files:
  * kxsheets  — validate_paths as `kxsheets validate` runs it: intake guards, calamine read,
                structure, values, rules, in isolated worker processes on every core
                (wall-clock ms per workbook, at N/4 and at N to show scaling is linear)
  * kxsheets, one process — validate_file in this process (median ms per workbook)
  * calamine  — a bare python-calamine read of every sheet, one process (median; the floor)
  * pandas    — pandas.read_excel(sheet_name=None, engine="openpyxl") (median, sample of 200)
Peak RSS of the parent and of the largest worker is printed to show memory is flat in N.
Last line: bench_validate n=N kxsheets_ms=X calamine_ms=Y pandas_openpyxl_ms=Z
"""

from __future__ import annotations

import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kxsheets.demo import clean_values
from kxsheets.roster import Unit
from kxsheets.schema import Registry
from kxsheets.template import RoundInfo, write_template
from kxsheets.isolate import default_workers
from kxsheets.validate import Context, validate_file, validate_paths


def make_files(folder: Path, n: int, schema) -> tuple[list[Path], list[Unit]]:
    units = [Unit(f"测试镇{i:05d}", f"99{i:06d}", f"联系人{i}", f"t{i}@example.org") for i in range(n)]
    info = RoundInfo("基准县", 2025)
    rng = random.Random(1)
    paths = []
    for i, u in enumerate(units):
        p = folder / f"{i:05d}.xlsx"
        if i < 50:  # a few really rendered with varied values …
            write_template(schema, u, info, p, clean_values(u, rng))
        else:  # … the rest copies of them, so generation stays quick; reading cost is the same
            p.write_bytes(paths[i % 50].read_bytes())
        paths.append(p)
    return paths, units


def ms_per_file(fn, paths: list[Path]) -> float:
    """Wall-clock ms per file of fn(paths)."""
    t = time.perf_counter()
    fn(paths)
    return (time.perf_counter() - t) * 1000 / len(paths)


def median_ms(fn, paths: list[Path]) -> float:
    """Median over files of fn([path]) in ms."""
    times = []
    for p in paths:
        t = time.perf_counter()
        fn([p])
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def calamine(paths: list[Path]) -> None:
    from python_calamine import CalamineWorkbook

    for p in paths:
        wb = CalamineWorkbook.from_path(str(p))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python(skip_empty_area=False)


def pandas_openpyxl(paths: list[Path]) -> None:
    import pandas as pd

    for p in paths:
        pd.read_excel(p, sheet_name=None, header=None, engine="openpyxl")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    schema = Registry.default().load("township-annual")
    with tempfile.TemporaryDirectory() as d:
        paths, units = make_files(Path(d), n, schema)
        ctx = Context(schema, units, 2025)
        check = lambda ps: validate_paths(ps, ctx)  # noqa: E731
        inline = lambda ps: [validate_file(p, ctx) for p in ps]  # noqa: E731
        calamine(paths[:20])  # warm the page cache and imports
        inline(paths[:20])
        quarter = ms_per_file(check, paths[: max(1, n // 4)])
        rss_quarter = rss_mb()
        kx = ms_per_file(check, paths)
        rss_full = rss_mb()
        one = median_ms(inline, paths)
        cal = median_ms(calamine, paths)
        sample = paths[: min(n, 200)]
        pandas_openpyxl(sample[:3])
        pd_ms = median_ms(pandas_openpyxl, sample)
    print(f"kxsheets validate ({default_workers()} workers): {kx:.2f} ms/wb (N/4: {quarter:.2f} ms/wb)  "
          f"peak RSS parent/worker {rss_quarter[0]:.0f}/{rss_quarter[1]:.0f} → {rss_full[0]:.0f}/{rss_full[1]:.0f} MB")
    print(f"kxsheets, one process: {one:.2f} ms/wb   (one process / calamine = {one / cal:.2f}x)")
    print(f"bare calamine:         {cal:.2f} ms/wb   kxsheets / calamine = {kx / cal:.2f}x")
    print(f"pandas+openpyxl:       {pd_ms:.2f} ms/wb   pandas / kxsheets = {pd_ms / kx:.1f}x")
    print(f"bench_validate n={n} kxsheets_ms={kx:.2f} calamine_ms={cal:.2f} pandas_openpyxl_ms={pd_ms:.2f}")


def rss_mb() -> tuple[float, float]:
    """Peak resident memory (MB) of this process and of the largest worker so far (Linux: KB)."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)

if __name__ == "__main__":
    main()
