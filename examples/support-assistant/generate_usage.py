"""Write usage.csv: one month of per-customer usage for the support-assistant example.

The snapshot is synthetic but shaped like real SaaS usage: most customers are light
users, about one in ten is a heavy user whose inference costs more than the plan
price, a few paid and used nothing. The generator is seeded, so running it again
writes the same file byte for byte. Standard library only:

    python examples/support-assistant/generate_usage.py
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

SEED = 202611
PERIOD = "2026-11"
CUSTOMERS = 300
TEAM_SHARE = 0.12  # share of customers on the team plan
IDLE_SHARE = 0.02  # share of pro customers who paid and used nothing
HEAVY_SHARE = 0.10  # share of pro customers who are heavy users


def lognormal(rng: random.Random, median: float, sigma: float) -> int:
    return max(1, round(rng.lognormvariate(math.log(median), sigma)))


def customer_usage(rng: random.Random, plan: str) -> tuple[int, int]:
    """(resolved tickets, searches) of one customer for the month."""
    if plan == "team":
        return lognormal(rng, 1800, 0.6), lognormal(rng, 2500, 0.7)
    if rng.random() < IDLE_SHARE:
        return 0, 0
    if rng.random() < HEAVY_SHARE:
        return rng.randint(2500, 9000), lognormal(rng, 1500, 0.6)
    tickets = lognormal(rng, 180, 0.85)
    searches = 0 if rng.random() < 0.2 else lognormal(rng, 250, 1.0)
    return tickets, searches


def rows(rng: random.Random) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for number in range(1, CUSTOMERS + 1):
        customer = f"cus-{number:04d}"
        plan = "team" if rng.random() < TEAM_SHARE else "pro"
        tickets, searches = customer_usage(rng, plan)
        used = [("support_assistant", tickets), ("semantic_search", searches)]
        used = [(feature, units) for feature, units in used if units]
        if not used:
            # Paid for the month, used nothing: one row, empty feature, zero units.
            used = [("", 0)]
        for feature, units in used:
            out.append(
                {"customer": customer, "subscription": plan, "feature": feature, "units": units}
            )
    return out


def main() -> None:
    target = Path(__file__).with_name("usage.csv")
    fields = ["customer", "subscription", "feature", "units", "period"]
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows(random.Random(SEED)):
            writer.writerow({**row, "period": PERIOD})


if __name__ == "__main__":
    main()
