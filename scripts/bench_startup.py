"""Benchmark: how fast `kxsheets --help` answers (target: well under 0.3 s).

Baseline in the same run: a bare `python -c pass`, and `python -c "import pandas"` for scale.
Each command runs R times (default 7) in fresh subprocesses; medians are printed.
Last line: bench_startup help_s=X python_s=Y pandas_s=Z ratio_vs_python=Q
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path


def median_s(cmd: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    exe = Path(sys.executable).with_name("kxsheets")
    python = median_s([sys.executable, "-c", "pass"], repeats)
    pandas = median_s([sys.executable, "-c", "import pandas"], repeats)
    help_ = median_s([str(exe), "--help"], repeats)
    print(f"python -c pass: {python:.3f} s;  import pandas: {pandas:.3f} s;  kxsheets --help: {help_:.3f} s")
    print(f"bench_startup help_s={help_:.3f} python_s={python:.3f} pandas_s={pandas:.3f} "
          f"ratio_vs_python={help_ / python:.2f}")


if __name__ == "__main__":
    main()
