"""How fast this host runs plain Python right now, printed beside absolute figures.

Shared and virtual machines change speed by half or more within minutes. A fixed loop,
timed just before a bench, tells a reader whether an absolute figure (seconds, records
per second) was measured on a fast or a slow moment; ratios measured A against B in one
run do not need it.
"""

from __future__ import annotations

import statistics
import time

ADDITIONS = 3_000_000
# The loop's median on the machine the absolute targets were set on (2 cores, idle).
SET_ON = 0.10


def _loop() -> int:
    total = 0
    for i in range(ADDITIONS):  # inside a function: local variables, as hot code runs
        total += i
    return total


def reference(runs: int = 5) -> float:
    """Median seconds of the loop over ``runs`` runs."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        _loop()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def line() -> str:
    seconds = reference()
    return (
        f"host reference: {seconds:.3f} s for a {ADDITIONS:,}-addition Python loop "
        f"(median of 5; {SET_ON:.2f} s where the targets were set: absolute figures here "
        f"scale by about {seconds / SET_ON:.2f})"
    )


if __name__ == "__main__":
    print(line())
