"""Benchmark: generate N township templates through the real path (kxsheets template).

Usage: python scripts/bench_template.py [N]   (default 2000; target: under 20 s on 2 cores)

Baselines, run in the same process on a sample of units:
  * plain   — xlsxwriter writing the same sheets and cell texts, no formats/validations/protection
  * render  — kxsheets rendering each unit's workbook from scratch (write_template)
Last line: bench_template n=N seconds=S ms_per_template=X plain_ms=P render_ms=R ratio_vs_plain=Q
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

from kxsheets.layout import layout
from kxsheets.roster import Unit
from kxsheets.rounds import generate_templates, init_round
from kxsheets.schema import Registry
from kxsheets.template import RoundInfo, write_template


def units(n: int) -> list[Unit]:
    return [Unit(f"测试镇{i:05d}", f"99{i:06d}", f"联系人{i}", f"t{i}@example.org") for i in range(1, n + 1)]


def plain(schema, unit: Unit) -> None:
    """The same sheets and texts, with nothing that makes a template a template."""
    wb = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True})
    for sl in layout(schema).sheets:
        ws = wb.add_worksheet(sl.name)
        ws.write_string(0, 0, sl.sheet.title or sl.name)
        ws.write_string(1, 0, f"填报单位：{unit.name}")
        for r, c, text in sl.labels:
            ws.write_string(r, c, text)
        for cell in sl.cells:
            ws.write_blank(cell.row, cell.col, None)
    wb.close()


def per_unit_ms(fn, sample: list[Unit]) -> float:
    t = time.perf_counter()
    for u in sample:
        fn(u)
    return (time.perf_counter() - t) * 1000 / len(sample)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    schema = Registry.default().load("township-annual")
    info = RoundInfo("基准县", 2025)
    sample = units(min(n, 100))
    plain_ms = per_unit_ms(lambda u: plain(schema, u), sample)
    render_ms = per_unit_ms(lambda u: write_template(schema, u, info, io.BytesIO()), sample)
    with tempfile.TemporaryDirectory() as d:
        rnd = init_round(Path(d) / "round", "基准县", 2025, units(n))
        t = time.perf_counter()
        rows = generate_templates(rnd)
        seconds = time.perf_counter() - t
        assert len(rows) == n == len(list((rnd.dir / "templates").glob("*.xlsx")))
    ms = seconds * 1000 / n
    print(f"plain xlsxwriter (same sheets and texts): {plain_ms:.1f} ms/template")
    print(f"render from scratch (write_template):     {render_ms:.1f} ms/template")
    print(f"kxsheets template (stamped, + ledger):    {ms:.1f} ms/template, {seconds:.1f} s for {n}")
    print(f"bench_template n={n} seconds={seconds:.2f} ms_per_template={ms:.2f} plain_ms={plain_ms:.2f} "
          f"render_ms={render_ms:.2f} ratio_vs_plain={ms / plain_ms:.2f}")


if __name__ == "__main__":
    main()
