"""Benchmark: consolidating N already-validated submissions and writing the 乡镇汇总表.

Usage: python scripts/bench_consolidate.py [N] [--end-to-end]   (default N = 2000)

Reports for N units are made by validating 50 real filled workbooks and giving copies of their
reports to N units (consolidation reads only the reports). Then, in the same process:
  * kxsheets — consolidate() (Decimal totals, recomputed rates, ranks), the 乡镇汇总表 (formulas
               with cached values, charts, 报送情况, 数据来源 — or 数据来源.csv past 20,000 values)
               and the ledger history; not the per-unit 本单位情况 workbooks
  * pandas   — the same numeric values as one long DataFrame (pd.concat of per-unit frames),
               groupby-sum: the plain-pandas floor, with no rates, ranks, provenance or workbook
Peak RSS is of the whole process (the reports of N units are held in memory, as in a real run).
--end-to-end also writes N workbook files and times validate (worker processes) + consolidate +
write, the national-size round of the issue (40,000 files: target under a minute, under 1 GB).
Last line: bench_consolidate n=N kxsheets_ms=X pandas_ms=Y peak_rss_mb=Z  (ms per unit)
"""

from __future__ import annotations

import copy
import random
import resource
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_validate import make_files  # noqa: E402

from kxsheets.consolidate import consolidate  # noqa: E402
from kxsheets.ledger import record_consolidated  # noqa: E402
from kxsheets.roster import Unit  # noqa: E402
from kxsheets.round_consolidation import write_county_outputs  # noqa: E402
from kxsheets.schema import Registry  # noqa: E402
from kxsheets.validate import Context, validate_paths  # noqa: E402


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return own


def reports_for(n: int, schema, folder: Path):
    paths, units = make_files(folder, 50, schema)
    seed = validate_paths(paths, Context(schema, units, 2025), workers=0)
    units = [Unit(f"测试镇{i:05d}", f"99{i:06d}", "", "") for i in range(n)]
    reports = []
    for i, u in enumerate(units):
        rep = copy.copy(seed[i % 50])
        rep.unit_code, rep.unit_name, rep.sha256 = u.code, u.name, f"{i:064x}"
        rep.values = {k: (v + i % 7 if isinstance(v, Decimal) and k == "population" else v)
                      for k, v in seed[i % 50].values.items()}
        reports.append(rep)
    return units, reports


def kxsheets_run(schema, units, reports, out: Path) -> None:
    cons = consolidate(schema, units, reports)
    write_county_outputs(cons, out, "基准县2025年")
    record_consolidated(out, {"": cons.totals, **cons.values},
                        ((s.unit_code, s.name, s.file, s.sha256, s.sheet, s.cell, s.received) for s in cons.sources()))


def pandas_run(reports) -> None:
    import pandas as pd

    frames = [pd.DataFrame({"unit": r.unit_code, "name": list(nums), "value": list(nums.values())})
              for r in reports for nums in [{k: float(v) for k, v in r.values.items()
                                             if isinstance(v, Decimal)}]]
    pd.concat(frames, ignore_index=True).groupby("name")["value"].sum()


def end_to_end(n: int, schema, folder: Path) -> None:
    """Files on disk → validate in workers → consolidate → write: the national-size round."""
    paths, units = make_files(folder / "inbox", n, schema)
    t = time.perf_counter()
    reports = validate_paths(paths, Context(schema, units, 2025))
    t_val = time.perf_counter() - t
    # The files are copies of 50 rendered ones, so they name only 50 units: give each report its
    # own unit (as reports_for does) so consolidation really counts N units.
    for i, (rep, u) in enumerate(zip(reports, units)):
        rep.unit_code, rep.unit_name, rep.sha256, rep.duplicate_of = u.code, u.name, f"{i:064x}", ""
        rep.findings = [f for f in rep.findings if f.code != "file-duplicate"]
    kxsheets_run(schema, units, reports, folder)
    total = time.perf_counter() - t
    print(f"end to end, {n} files: validate {t_val:.1f} s + consolidate/write {total - t_val:.1f} s "
          f"= {total:.1f} s; peak RSS {peak_mb():.0f} MB (parent), "
          f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB (largest worker)")


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 2000
    schema = Registry.default().load("township-annual")
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        if "--end-to-end" in sys.argv:
            end_to_end(n, schema, folder)
            return
        units, reports = reports_for(n, schema, folder / "seed")
        random.Random(1).shuffle(reports)
        t = time.perf_counter()
        kxsheets_run(schema, units, reports, folder)
        kx = (time.perf_counter() - t) * 1000 / n
        rss = peak_mb()
        t = time.perf_counter()
        pandas_run(reports)
        pd_ms = (time.perf_counter() - t) * 1000 / n
        size = sum(f.stat().st_size for f in folder.glob("数据来源.csv")) / 1e6 + \
            (folder / "乡镇汇总表.xlsx").stat().st_size / 1e6
    print(f"kxsheets consolidate + 汇总表 + ledger: {kx:.3f} ms/unit ({kx * n / 1000:.1f} s, outputs {size:.1f} MB)")
    print(f"pandas concat + groupby-sum:          {pd_ms:.3f} ms/unit ({pd_ms * n / 1000:.1f} s)")
    print(f"bench_consolidate n={n} kxsheets_ms={kx:.3f} pandas_ms={pd_ms:.3f} peak_rss_mb={rss:.0f}")


if __name__ == "__main__":
    main()
