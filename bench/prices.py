#!/usr/bin/env python3
"""Benchmarks of the price commands, printed against their targets.

    python bench/prices.py              # generate into a temp dir, measure, clean up
    python bench/prices.py --runs 5 --keep

- ``prices outdated`` over a stack with 500 model items (real model ids from the bundled
  genai-prices data, one sheet per provider, a third of the prices stale): ≤ 1 s.
- ``prices history`` of a repository with 1,000 commits touching the price files (one
  price changed per commit, the price file renamed half way, the stack directory moved
  at three quarters): ≤ 3 s.

Each command runs in a child process (``python -m infercost ...``), timed from spawn to
exit with ``time.perf_counter``, so start-up and imports count, as a user waits for
them; the child's own CPU time (user + system) is printed beside it, which is what the
command costs when the machine is shared. The report prints min and median of the
timed runs and median wall / target; it always exits 0.
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
from decimal import Decimal
from pathlib import Path

import hostspeed

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.dont_write_bytecode = True


def model_items(count: int) -> dict[str, list[tuple[str, Decimal, Decimal]]]:
    """``count`` (provider -> [(model, input, output)]) from the bundled data."""
    from genai_prices.data import providers
    from genai_prices.types import ModelPrice

    out: dict[str, list[tuple[str, Decimal, Decimal]]] = {}
    taken = 0
    for provider in providers:
        for model in provider.models:
            prices = model.prices if isinstance(model.prices, ModelPrice) else None
            price_in = getattr(prices, "input_mtok", None) if prices else None
            if not isinstance(price_in, Decimal) or "/" in model.id or '"' in model.id:
                continue
            price_out = getattr(prices, "output_mtok", None)
            price_out = price_out if isinstance(price_out, Decimal) else Decimal(0)
            out.setdefault(provider.id, []).append((model.id, price_in, price_out))
            taken += 1
            if taken == count:
                return out
    return out


def write_outdated_stack(root: Path, count: int) -> int:
    items = model_items(count)
    lines = []
    n = 0
    for provider, models in items.items():
        lines.append(f'price_sheet "{provider.replace(".", "_")}" {{')
        for model, price_in, price_out in models:
            stale = n % 3 == 0  # a third of the items carry an old input price
            lines += [
                f'  model "{model}" {{',
                f'    source          = "genai-prices:{provider}/{model}"',
                f"    input_per_mtok  = {price_in * 2 if stale else price_in}",
                f"    output_per_mtok = {price_out}",
                "  }",
            ]
            n += 1
        lines.append("}")
    root.mkdir(parents=True, exist_ok=True)
    (root / "prices.hcl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "main.hcl").write_text('unit "t" {}\n', encoding="utf-8")
    return n


PRICE_SHEET = """price_sheet "openai" {{
  model "gpt-4o" {{
    input_per_mtok        = {a}
    cached_input_per_mtok = 1.25
    output_per_mtok       = {b}
  }}
  model "gpt-4o-mini" {{
    input_per_mtok  = 0.15
    output_per_mtok = {c}
  }}
  model "text-embedding-3-small" {{ input_per_mtok = 0.02 }}
}}
"""


def write_history_repo(root: Path, commits: int) -> None:
    """A repository whose every commit changes one price, built with git fast-import."""
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    stream: list[bytes] = []

    def data(text: str) -> None:
        raw = text.encode()
        stream.append(b"data %d\n" % len(raw) + raw + b"\n")

    directory, name = "costs", "prices.hcl"
    for i in range(commits):
        when = 1_767_225_600 + i * 3600
        stream.append(b"commit refs/heads/main\n")
        stream.append(b"committer Bench <bench@example.com> %d +0000\n" % when)
        data(f"Price change {i}")
        if i == commits // 2:
            stream.append(f"R {directory}/{name} {directory}/openai.hcl\n".encode())
            name = "openai.hcl"
        if i == commits * 3 // 4:
            for f in (name, "main.hcl"):
                stream.append(f"R {directory}/{f} stack/{f}\n".encode())
            directory = "stack"
        if i == 0:
            stream.append(f"M 100644 inline {directory}/main.hcl\n".encode())
            data('unit "t" {}\n')
        text = PRICE_SHEET.format(
            a=Decimal("2.50") + Decimal(i % 7) / 100,
            b=Decimal("10.00") + Decimal(i % 5) / 10,
            c=Decimal("0.60") + Decimal(i % 3) / 100,
        )
        stream.append(f"M 100644 inline {directory}/{name}\n".encode())
        data(text)
        stream.append(b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=b"".join(stream), check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=root, check=True)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], cwd: Path, runs: int) -> tuple[list[float], list[float]]:
    """Wall times and CPU times (user + system, the child's own) of ``runs`` runs."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-m", "infercost", *argv]
    subprocess.run(command, cwd=cwd, env=env, capture_output=True)  # warm-up
    walls, cpus = [], []
    for _ in range(runs):
        cpu = _children_cpu()
        start = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True)
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - cpu)
        if done.returncode not in (0, 2):
            sys.stderr.write(done.stderr.decode())
            raise SystemExit(f"{' '.join(argv)} failed with exit code {done.returncode}")
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    args = parser.parse_args()
    print(hostspeed.line(), flush=True)
    work = Path(tempfile.mkdtemp(prefix="infercost-prices-bench-"))
    try:
        start = time.perf_counter()
        items = write_outdated_stack(work / "outdated", args.items)
        write_history_repo(work / "repo", args.commits)
        print(f"generated {items} model items and {args.commits} commits "
              f"in {time.perf_counter() - start:.2f} s ({work})")  # fmt: skip
        rows = [
            (
                f"prices outdated ({items} items)",
                timed(["prices", "outdated", "outdated", "-o", "json"], work, args.runs),
                1.0,
            ),
            (
                f"prices history ({args.commits} commits)",
                timed(["prices", "history", "stack", "-o", "json"], work / "repo", args.runs),
                3.0,
            ),
        ]
        print(
            f"{'measurement':<34} {'min s':>7} {'median s':>9} {'cpu s':>7} {'target s':>9} "
            f"{'ratio':>6}"
        )
        for label, (walls, cpus), target in rows:
            median = statistics.median(walls)
            ratio = median / target
            verdict = "PASS" if ratio <= 1 else "MISS"
            print(
                f"{label:<34} {min(walls):>7.3f} {median:>9.3f} {statistics.median(cpus):>7.3f} "
                f"{target:>9.1f} {ratio:>6.2f} {verdict}"
            )
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        if load is not None:
            print(
                f"load average {load:.2f} on {os.cpu_count()} CPUs: on a busy machine the "
                "wall time exceeds the CPU time (cpu s: the child's user + system time)"
            )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
