#!/usr/bin/env python3
"""Benchmarks of percentiles, drivers and explain, printed against their targets.

    python bench/insight.py                       # generate the large stack in a temp dir
    python bench/insight.py --data /tmp/icbench   # reuse data from bench/generate.py
    python bench/insight.py --samples 20000 --runs 3

Measured:

- percentiles (in process): the time percentiles add to a breakdown of the large stack
  (200 features, 1,000 steps) at --samples units per feature; the stack and usage are
  loaded and priced once, untimed; then ``attach`` with and without sampling is timed.
  Target: 2 s at 100,000 samples.
- drivers (in process): the top drivers of every feature, which every breakdown adds.
- breakdown CLI: ``infercost breakdown STACK -o json`` with --samples N and with
  --samples 1, each a child process; the difference is what percentiles add end to end.
- explain warm: ``infercost explain examples/support-assistant support_assistant`` as a
  child process after a warm-up run. Target: 0.5 s.

Timers are Python's (time.perf_counter, time.process_time); the report always exits 0.
"""

from __future__ import annotations

import argparse
import resource
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


def best_of(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    """(min wall, min CPU) seconds over ``runs`` calls."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


CPU: dict[str, list[float]] = {}


def child(argv: list[str]) -> float:
    """Wall seconds of one run as a child process; its CPU seconds go to ``CPU``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "infercost", *argv], cwd=REPO, capture_output=True, check=False
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    CPU.setdefault(" ".join(argv), []).append(cpu)
    if done.returncode not in (0, 2):
        sys.stderr.write(done.stderr.decode(errors="replace")[-2000:])
        raise SystemExit(f"infercost {' '.join(argv)} failed ({done.returncode})")
    return elapsed


def cpu_of(argv: list[str]) -> float:
    return statistics.median(CPU[" ".join(argv)])


def row(name: str, value: float, target: float | None, note: str = "") -> str:
    ratio = f"{value / target:5.2f}" if target else "    -"
    verdict = ("PASS" if value <= target else "FAIL") if target else ""
    shown = f"{target:.2f} s" if target else "-"
    return f"{name:<44} {value:8.3f} s  target {shown:>7}  ratio {ratio}  {verdict}  {note}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="output directory of bench/generate.py")
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--no-cli", action="store_true", help="skip the child-process runs")
    args = parser.parse_args()
    print(hostspeed.line(), flush=True)

    from infercost.cost.breakdown import compute
    from infercost.insight.report import attach
    from infercost.insight.sampling import Settings
    from infercost.workspace import Options, load_stack, load_usage

    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp) / "data"
        if not (data / "stack").is_dir():
            subprocess.run(
                [sys.executable, str(REPO / "bench" / "generate.py"), str(data), "--no-git"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        stack_dir = data / "stack"
        options = Options(stack=stack_dir)
        stack = load_stack(options)
        snapshot = load_usage([stack], options)
        assert snapshot is not None
        priced = compute(stack, snapshot)
        sampling = Settings(samples=args.samples)

        lines = [
            f"large stack: {len(stack.features)} features, "
            f"{sum(len(w.steps) for w in stack.workflows.values())} steps; "
            f"{args.samples:,} samples per feature; best of {args.runs}",
            "",
        ]
        drivers_wall, drivers_cpu = best_of(args.runs, lambda: attach(stack, priced, None))
        full_wall, full_cpu = best_of(args.runs, lambda: attach(stack, priced, sampling))
        added = full_wall - drivers_wall
        target = 2.0 if args.samples == 100_000 else None  # the target is set at 100,000
        lines.append(
            row(
                "drivers of every feature (in process)",
                drivers_wall,
                None,
                f"cpu {drivers_cpu:.3f} s",
            )
        )
        lines.append(
            row(
                "percentiles added (in process)",
                added,
                target,
                f"cpu {full_cpu - drivers_cpu:.3f} s",
            )
        )
        if not args.no_cli:
            base = ["breakdown", str(stack_dir), "-o", "json"]
            many, one = [*base, "--samples", str(args.samples)], [*base, "--samples", "1"]
            with_p = statistics.median(child(many) for _ in range(args.runs))
            without = statistics.median(child(one) for _ in range(args.runs))
            lines.append(
                row("breakdown CLI, --samples 1", without, None, f"cpu {cpu_of(one):.2f} s")
            )
            lines.append(
                row(
                    f"breakdown CLI, --samples {args.samples}",
                    with_p,
                    None,
                    f"cpu {cpu_of(many):.2f} s",
                )
            )
            lines.append(
                row("percentiles added (CLI, CPU difference)", cpu_of(many) - cpu_of(one), target)
            )
            explain = ["explain", "examples/support-assistant", "support_assistant"]
            child(explain)  # warm-up
            warm = statistics.median(child(explain) for _ in range(max(args.runs, 3)))
            lines.append(
                row(
                    "explain example feature (CLI, warm)", warm, 0.5, f"cpu {cpu_of(explain):.2f} s"
                )
            )
            feature = sorted(stack.features)[0]
            big = ["explain", str(stack_dir), feature]
            child(big)
            lines.append(
                row(
                    f"explain {feature} of the large stack (CLI)",
                    statistics.median(child(big) for _ in range(args.runs)),
                    None,
                    f"cpu {cpu_of(big):.2f} s; reads the 1,000,000-row usage file",
                )
            )
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
