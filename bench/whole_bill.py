#!/usr/bin/env python3
"""Benchmark of shared-cost allocation: what ten shared costs add to a breakdown.

    python bench/whole_bill.py                      # generate the large stack in a temp dir
    python bench/whole_bill.py --data /tmp/icbench  # reuse data from bench/generate.py
    python bench/whole_bill.py --customers 250000 --runs 15

The large stack (200 features, 1,000 steps, 1,000,000 usage rows) is priced as it is
(A) and with ten shared costs added (B): four over every feature (by units, variable
COGS, revenue), four over 50 features each, two by explicit weights over 20 features.
A and B run in turn in one process, each first every other pair; the verdict is on the
median of the pairs' ratios of CPU time (time.process_time, every thread), which holds
when the machine's speed drifts; the best of each and wall time are printed beside it.
Measured:

- pricing: ``compute`` of a loaded stack and snapshot (the figures, allocation included).
- breakdown: the in-process ``breakdown`` command path (load the stack, read the usage,
  price, attach drivers), as ``infercost breakdown`` runs it minus printing.

Target: breakdown with the ten shared costs at most 5 % slower. The report exits 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import hostspeed

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TARGET_PCT = 5.0


def shared_costs(features: list[str]) -> str:
    """Ten shared_cost blocks over the stack's features (in name order)."""
    blocks = []
    for i, rule in enumerate(("units", "variable_cogs", "revenue", "units")):
        blocks.append(f'shared_cost "all_{i}" {{\n  amount   = {1000 + 137 * i}.25\n'
                      f'  allocate = "{rule}"\n}}\n')  # fmt: skip
    for i in range(4):
        members = features[i * 50 : (i + 1) * 50]
        refs = ", ".join(f"feature.{f}" for f in members)
        rule = ("units", "variable_cogs", "revenue", "units")[i]
        blocks.append(f'shared_cost "part_{i}" {{\n  amount   = {333 + i}.3\n'
                      f'  features = [{refs}]\n  allocate = "{rule}"\n}}\n')  # fmt: skip
    for i in range(2):
        members = features[100 + i * 20 : 120 + i * 20]
        weights = ", ".join(f"{f} = 0.05" for f in members)
        blocks.append(f'shared_cost "weighted_{i}" {{\n  amount   = 2500\n'
                      f"  allocate = {{ {weights} }}\n}}\n")  # fmt: skip
    return "\n".join(blocks)


def cost_of(work: Callable[[], object]) -> tuple[float, float]:
    """CPU seconds (every thread of the process) and wall seconds of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, help="output of bench/generate.py (else generated)")
    parser.add_argument("--customers", type=int, default=250_000)
    parser.add_argument("--runs", type=int, default=9, help="interleaved A/B pairs")
    args = parser.parse_args()
    print(hostspeed.line(), flush=True)

    from infercost.app.arguments import BreakdownArgs
    from infercost.app.breakdown import breakdown
    from infercost.cost.breakdown import compute
    from infercost.workspace import Options, load_stack, load_usage

    tmp = Path(tempfile.mkdtemp(prefix="icbill-"))
    try:
        data = args.data
        if data is None:
            data = tmp / "data"
            subprocess.run(
                [sys.executable, str(REPO / "bench" / "generate.py"), str(data),
                 "--customers", str(args.customers), "--no-git"],
                check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
        plain = data / "stack"
        shared = tmp / "shared"
        shared.mkdir()
        for path in plain.iterdir():  # hard links: the usage file stays inside the stack
            os.link(path, shared / path.name)
        stack_a = load_stack(Options(stack=plain))
        (shared / "shared.hcl").write_text(shared_costs(sorted(stack_a.features)), "utf-8")
        stack_b = load_stack(Options(stack=shared))
        snapshot = load_usage([stack_a], Options(stack=plain))
        assert snapshot is not None
        print(f"large stack: {len(stack_a.features)} features, {len(snapshot.customer_ids()):,} "
              f"customers; B adds {len(stack_b.shared_costs)} shared costs")  # fmt: skip

        def full(stack_dir: Path) -> Callable[[], object]:
            return lambda: breakdown(BreakdownArgs(options=Options(stack=stack_dir)))

        cases = {
            "pricing": (lambda: compute(stack_a, snapshot), lambda: compute(stack_b, snapshot)),
            "breakdown": (full(plain), full(shared)),
        }
        for name, (a, b) in cases.items():
            a(), b()  # warm-up
            times_a, times_b = [], []
            for run in range(args.runs):  # in turn, each first every other run
                if run % 2:
                    times_b.append(cost_of(b))
                    times_a.append(cost_of(a))
                else:
                    times_a.append(cost_of(a))
                    times_b.append(cost_of(b))
            for i, kind in enumerate(("CPU", "wall")):
                best_a = min(t[i] for t in times_a)
                best_b = min(t[i] for t in times_b)
                # The median of the pairs' ratios: a pair shares the machine's state of
                # the moment, so the ratio holds when its speed drifts between pairs.
                pairs = zip(times_a, times_b, strict=True)
                paired = statistics.median(y[i] / x[i] for x, y in pairs)
                pct = (paired - 1) * 100
                verdict = ""
                if name == "breakdown" and kind == "CPU":
                    verdict = "  meets target" if pct <= TARGET_PCT else "  MISSES target"
                    verdict += f" (<= {TARGET_PCT:.0f} %)"
                print(f"{name:10} {kind:4} best A {best_a:6.3f} s  B {best_b:6.3f} s "
                      f"({best_b / best_a:5.3f})   paired B/A median {paired:5.3f} "
                      f"({pct:+.1f} %){verdict}")  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
