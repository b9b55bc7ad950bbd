"""Benchmark of ``calibrate`` against ``usage import`` of the same request records.

    python bench/calibrate.py                      # 10,000,000 records in a temp dir
    python bench/calibrate.py --data /tmp/recbench --keep   # reuse bench/records.py data

Generates the records of ``bench/records.py`` (the example stack's features and items,
eight records per unit), then times, in one run, ``usage import`` and ``calibrate`` of
the same file for each format, and prints both wall times, peak memory and the ratio
calibrate / import (target <= 2). It also checks that both report the same actual cost.
Exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from records import REPO, STACK, generate


def timed(args: list[str]) -> tuple[float, int | None, dict]:
    cmd = [sys.executable, "-m", "infercost", *args]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    started = time.perf_counter()
    done = subprocess.run(timer + cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{done.stderr[-2000:]}")
    peak = None
    for line in done.stderr.splitlines():
        if "Maximum resident set size" in line:
            peak = int(line.rsplit(":", 1)[1]) * 1024
    if peak is None:
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return wall, peak, json.loads(done.stdout, parse_float=Decimal)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--formats", default="parquet,csv")
    args = parser.parse_args()
    directory = args.data or Path(tempfile.mkdtemp(prefix="infercost-calibrate-"))
    try:
        started = time.perf_counter()
        files = {"csv": directory / "records.csv", "parquet": directory / "records.parquet"}
        if not all(p.exists() for p in files.values()):
            files = generate(directory, args.records)
        print(
            f"data: {args.records:,} records in {directory} "
            f"({time.perf_counter() - started:.1f} s to generate or find)"
        )
        for fmt in args.formats.split(","):
            path = str(files[fmt])
            out = str(directory / f"usage-{fmt}.csv")
            common = [str(STACK), path, "--from", "records", "-o", "json"]
            imp, imp_peak, imp_doc = timed(["usage", "import", *common, "--out", out])
            cal, cal_peak, cal_doc = timed(["calibrate", *common])
            same = Decimal(cal_doc["costs"]["actual"]) == Decimal(imp_doc["totals"]["actual_cost"])
            print(
                f"{fmt:8s} usage import {imp:6.2f} s (peak {(imp_peak or 0) / 2**30:.2f} GiB); "
                f"calibrate {cal:6.2f} s (peak {(cal_peak or 0) / 2**30:.2f} GiB); "
                f"ratio {cal / imp:.2f} (target <= 2); same actual cost: {same}"
            )
    finally:
        if not args.keep and args.data is None:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
