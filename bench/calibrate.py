"""Benchmark of ``calibrate`` against ``usage import`` of the same request records.

    python bench/calibrate.py                      # 10,000,000 records in a temp dir
    python bench/calibrate.py --data /tmp/recbench --keep   # reuse bench/records.py data

Generates the records of ``bench/records.py`` (the example stack's features and items,
eight records per unit), then times, in one run, ``usage import`` and ``calibrate`` of
the same file for each format, and prints wall and CPU times, peak memory and the
ratio calibrate / import (target <= 2, on wall time; the CPU ratio is the steadier one
on a shared machine). It also checks that both report the same actual cost.
Exits 0.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from recordbench import STACK, data_files, timed


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
        files = data_files(directory, args.records)
        print(
            f"data: {args.records:,} records in {directory} "
            f"({time.perf_counter() - started:.1f} s to generate or find)"
        )
        for fmt in args.formats.split(","):
            path = str(files[fmt])
            out = str(directory / f"usage-{fmt}.csv")
            common = [str(STACK), path, "--from", "records", "-o", "json"]
            imp = timed(["usage", "import", *common, "--out", out])
            cal = timed(["calibrate", *common])
            same = Decimal(cal.doc["costs"]["actual"]) == Decimal(imp.doc["totals"]["actual_cost"])
            print(
                f"{fmt:8s} usage import {imp.figures()}\n"
                f"{'':8s} calibrate    {cal.figures()}\n"
                f"{'':8s} ratio calibrate / import: {cal.wall / imp.wall:.2f} wall "
                f"(target <= 2), {cal.cpu / imp.cpu:.2f} CPU; same actual cost: {same}"
            )
    finally:
        if not args.keep and args.data is None:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
