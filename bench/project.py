#!/usr/bin/env python3
"""Time ``infercost check`` over a project of N copies of the example stack.

    python bench/project.py              # 20 copies, 1 warm-up + 5 timed runs
    python bench/project.py --copies 50 --runs 3

The project (``infercost.project.hcl`` listing ``stacks/s01`` ... ``stacks/sNN``, each a
copy of examples/support-assistant with its usage) is written to a temporary directory
that is a git repository, and ``python -m infercost check`` runs there in a child
process, as CI runs it. For scale it also times one stack alone, and N stacks run one
process each (what a job per stack would cost). Target: the project check in at most
2 s warm. Prints figures and ratios; always exits 0.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hostspeed

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = REPO_ROOT / "examples" / "support-assistant"
TARGET_S = 2.0


def build(root: Path, copies: int) -> list[str]:
    names = [f"s{i:02d}" for i in range(1, copies + 1)]
    for name in names:
        shutil.copytree(EXAMPLE, root / "stacks" / name)
    (root / "infercost.project.hcl").write_text(
        "".join(f'stack "{n}" {{\n  path = "stacks/{n}"\n}}\n\n' for n in names),
        encoding="utf-8",
    )
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return names


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the child, exit code). On a shared machine the CPU
    time is the steadier figure: wall time there includes waiting for a core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def series(
    argv: list[str], cwd: Path, env: dict[str, str], runs: int
) -> tuple[list[float], list[float]]:
    timed(argv, cwd, env)  # warm-up: the parser cache, the page cache
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu, code = timed(argv, cwd, env)
        if code not in (0, 2):
            print(f"  command failed ({code}): {' '.join(argv)}")
        walls.append(wall)
        cpus.append(cpu)
    return walls, cpus


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(hostspeed.line(), flush=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    python = [sys.executable, "-m", "infercost"]
    with tempfile.TemporaryDirectory(prefix="icproject") as folder:
        root = Path(folder)
        names = build(root, args.copies)
        project, project_cpu = series([*python, "check"], root, env, args.runs)
        single, single_cpu = series([*python, "check", f"stacks/{names[0]}"], root, env, args.runs)
        t0 = time.perf_counter()
        for name in names:
            timed([*python, "check", f"stacks/{name}"], root, env)
        per_process = time.perf_counter() - t0
    best, median, cpu = min(project), statistics.median(project), min(project_cpu)
    one, one_cpu = min(single), min(single_cpu)
    verdict = "OK" if best <= TARGET_S else "MISS"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"infercost check, project of {args.copies} copies of {EXAMPLE.name}")
    print(f"  cpus: {os.cpu_count()}, load average {load:.1f}, python {sys.version.split()[0]}")
    print(f"  project, one process: wall min {best:.3f} s, median {median:.3f} s; CPU {cpu:.3f} s")
    print(f"  one stack alone:      wall min {one:.3f} s; CPU {one_cpu:.3f} s")
    print(f"  one process per stack ({args.copies} runs): wall {per_process:.3f} s")
    print(f"  project wall / target {TARGET_S} s: {best / TARGET_S:.2f} -> {verdict}")
    print(f"  project CPU / target {TARGET_S} s:  {cpu / TARGET_S:.2f}")
    print(f"  per extra stack (CPU): {(cpu - one_cpu) / max(args.copies - 1, 1) * 1000:.0f} ms")
    print(f"  one process per stack / project (wall): {per_process / best:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
