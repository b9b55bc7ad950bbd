"""Benchmark of ``calibrate`` against ``usage import`` of the same request records.

    python bench/calibrate.py                      # 10,000,000 records in a temp dir
    python bench/calibrate.py --data /tmp/recbench --keep   # reuse bench/records.py data

Generates the records of ``bench/records.py`` (the example stack's features and items,
eight records per unit), then times, in one run, ``usage import`` and ``calibrate`` of
the same file for each format, in turn (``--pairs`` pairs: import, calibrate, import,
...), and prints each pair's wall and CPU times, peak memory and ratio calibrate /
import, then the median ratio (target <= 2, on wall time; pairing keeps the ratio
meaningful when a shared machine's speed drifts, the median keeps one slow run from
moving it). It also checks that both report the same actual cost. Exits 0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostspeed
from recordbench import STACK, records_data, timed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--formats", default="parquet,csv")
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    print(hostspeed.line(), flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="infercost-out-") as scratch,
        records_data(args.data, args.records, args.keep, "infercost-calibrate-") as (
            _directory,
            files,
        ),
    ):
        for fmt in args.formats.split(","):
            path = str(files[fmt])
            out = str(Path(scratch) / f"usage-{fmt}.csv")
            common = [str(STACK), path, "--from", "records", "-o", "json"]
            walls, cpus = [], []
            for _ in range(args.pairs):
                imp = timed(["usage", "import", *common, "--out", out])
                cal = timed(["calibrate", *common])
                actual = Decimal(imp.doc["totals"]["actual_cost"])
                same = Decimal(cal.doc["costs"]["actual"]) == actual
                walls.append(cal.wall / imp.wall)
                cpus.append(cal.cpu / imp.cpu)
                print(
                    f"{fmt:8s} usage import {imp.figures()}\n"
                    f"{'':8s} calibrate    {cal.figures()}\n"
                    f"{'':8s} ratio calibrate / import: {walls[-1]:.2f} wall, "
                    f"{cpus[-1]:.2f} CPU; same actual cost: {same}",
                    flush=True,
                )
            print(
                f"{fmt:8s} median of {args.pairs} pairs, calibrate / import: "
                f"{statistics.median(walls):.2f} wall (target <= 2), "
                f"{statistics.median(cpus):.2f} CPU"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
