"""Start-up of the small-stack commands: CPU and wall seconds, optionally A/B paired.

Most CI runs check one small stack, so what a user waits for there is interpreter
start-up, imports and set-up, not pricing. This script runs each command on the
shipped example in child processes (``.pyc`` caches written, as on a user's machine)
and prints the median CPU seconds (user + system of the child, from ``os.wait4``) and
wall seconds against the targets: check ≤ 0.35 s, validate ≤ 0.5 s, explain ≤ 0.5 s.

On a shared machine wall time is inflated by other work; CPU time is the steadier
figure. ``--vs DIR`` runs the same commands from another checkout (its ``infercost``
package first on ``PYTHONPATH``), alternating A and B run by run, and prints the
median of the per-pair CPU ratios A/B, so a change can be judged on a busy machine::

    python bench/startup.py                      # this checkout
    python bench/startup.py --vs /path/to/main   # paired against another checkout
    python bench/startup.py --runs 20 --only check

``python -X importtime -m infercost check examples/support-assistant 2> imports.txt``
shows where the import time goes; tests/cli/test_startup.py keeps the heavy
libraries out of these commands.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hostspeed

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "support-assistant"

COMMANDS = {
    "check": (["check", str(EXAMPLE)], 0.35),
    "validate": (["validate", str(EXAMPLE)], 0.5),
    "explain": (["explain", str(EXAMPLE), "support_assistant"], 0.5),
    "version": (["version"], None),
}


def run_once(tree: Path, args: list[str], cwd: str) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one ``python -m infercost ARGS`` from ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(tree), NO_COLOR="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # warm: .pyc caches exist, as installed
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "infercost", *args],
        cwd=cwd,  # not the tree: ``-m`` puts the working directory first on sys.path
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 2):
        raise SystemExit(f"{' '.join(args)} from {tree} exited {code}")
    return usage.ru_utime + usage.ru_stime, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10, help="timed runs per command (default 10)")
    ap.add_argument("--vs", type=Path, help="another checkout to compare with (B)")
    ap.add_argument("--only", help="only commands whose name contains this")
    args = ap.parse_args()
    print(hostspeed.line(), flush=True)
    trees = [REPO] + ([args.vs.resolve()] if args.vs else [])
    with tempfile.TemporaryDirectory() as cwd:
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.runs} runs")
        print(f"A = {REPO}" + (f", B = {trees[1]}" if args.vs else ""))
        print(f"{'command':<10} {'A cpu s':>8} {'A wall s':>9}", end="")
        print(f" {'B cpu s':>8} {'A/B cpu':>8}" if args.vs else "", end="")
        print(f" {'target':>7}")
        for name, (cli, target) in COMMANDS.items():
            if args.only and args.only not in name:
                continue
            for tree in trees:  # warm-up: compile .pyc, fill the OS cache
                run_once(tree, cli, cwd)
            cpu: dict[Path, list[float]] = {t: [] for t in trees}
            wall: dict[Path, list[float]] = {t: [] for t in trees}
            for _ in range(args.runs):
                for tree in trees:  # A B A B ...: pairs share the machine's load
                    c, w = run_once(tree, cli, cwd)
                    cpu[tree].append(c)
                    wall[tree].append(w)
            a = REPO
            line = f"{name:<10} {statistics.median(cpu[a]):8.3f} {statistics.median(wall[a]):9.3f}"
            if args.vs:
                b = trees[1]
                ratios = [x / y for x, y in zip(cpu[a], cpu[b], strict=True)]
                line += f" {statistics.median(cpu[b]):8.3f} {statistics.median(ratios):8.3f}"
            line += f" {'≤ ' + str(target) + ' s' if target else '':>7}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
