"""Aggregated rows -> the usage snapshot and the priced summary of an import.

Engine-free and small: the rows are per period × customer × feature (units) and per
period × feature × step × item (sums), never per record. Money is computed here, by
:func:`infercost.cost.actual.price_usage`, from the exact sums.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from infercost.arithmetic import ZERO, plain
from infercost.cost.actual import UsageSums, bucket_prices, price_usage
from infercost.cost.limits import too_large, too_large_error
from infercost.errors import InfercostError, did_you_mean
from infercost.invisible import quoted_line
from infercost.model import GpuPrice, LongContext, ModelPrice, Stack, TokenPrices
from infercost.usage.records.gpu import check_gpu_sums
from infercost.usage.records.run import EngineOutput, Skipped


@dataclass(frozen=True)
class SnapshotRow:
    customer: str | None
    subscription: str | None
    feature: str
    units: int
    period: str | None


@dataclass(frozen=True)
class StepCost:
    feature: str
    step: str | None  # None: an item the feature's workflow does not use
    item: str
    records: int
    sums: UsageSums
    actual: Decimal
    reported: Decimal | None
    # Records per long-context tier key (``usage/records/tiers.py``), base tier (None)
    # first: calibrate says when records straddle a threshold.
    tiers: tuple[tuple[int | None, int], ...] = ()


@dataclass(frozen=True)
class BilledLine:
    """What a FOCUS export says a vendor billed for one service and SKU."""

    provider: str | None
    service: str | None
    sku: str | None
    billed_cost: Decimal
    effective_cost: Decimal


@dataclass
class ImportResult:
    source: str
    files: list[str]
    currency: str
    period_label: str
    period: str | None
    records: int
    units: int
    customers: int
    snapshot: list[SnapshotRow]
    costs: list[StepCost]
    skipped: dict[str, Skipped] = field(default_factory=dict)
    cache_hit_units: int = 0
    billed: list[BilledLine] = field(default_factory=list)
    observed: Any = None  # calibrate's histogram rows, when measured

    @property
    def actual(self) -> Decimal:
        return sum((c.actual for c in self.costs), ZERO)

    @property
    def reported(self) -> Decimal | None:
        values = [c.reported for c in self.costs if c.reported is not None]
        return sum(values, ZERO) if values else None


class Locator:
    """Finds the first record (in file order) that matches an SQL condition, and makes an
    error that names it. The ``aggregated`` source has no records: it names the file."""

    def find(self, condition: str) -> dict[str, Any] | None:  # pragma: no cover - interface
        return None

    def error(self, record: dict[str, Any] | None, message: str) -> InfercostError:
        return InfercostError.at("Invalid record", message)  # pragma: no cover - interface

    def __call__(self, condition: str, message: str) -> InfercostError:
        return self.error(self.find(condition), message)


def build(
    stack: Stack,
    output: EngineOutput,
    period: str | None,
    source: str,
    files: list[str],
    locate: Locator,
    snapshot_rows: bool = True,
) -> ImportResult:
    """Check what only the whole can show (subscriptions, periods), then price.

    ``snapshot_rows``: whether to keep the snapshot's rows (one per customer and
    feature, a hundred thousand for a large file); ``calibrate`` needs only their
    units, so it is spared making them.

    ``locate(condition, message)`` turns a rule broken by some record into an error
    naming the first such record (``condition`` is SQL over the record table)."""
    rows = output.rows
    if not rows and not output.records and not output.skipped:
        raise InfercostError.at(
            "No records",
            f"{', '.join(files)}: no record to import (only a header, or nothing); a snapshot "
            "of it would say no feature was used.",
        )
    periods = sorted({r["period"] for r in rows if r["period"] is not None})
    if any(not _FOUR_DIGIT_YEAR.match(p) for p in periods):
        # Year 10000 would be the period "10000-01", 44 BC "-44-03": no YYYY-MM period.
        raise locate(
            "year(time) < 1 OR year(time) > 9999",
            "the record's time is outside the years 0001 to 9999; a period is written YYYY-MM.",
        )
    has_none = any(r["period"] is None for r in rows)
    if period is None and len(periods) > 1:
        raise InfercostError.at(
            "Several usage periods",
            f"The records span several periods ({', '.join(periods)}); choose one with --period.",
        )
    if period is not None and period not in periods:
        raise InfercostError.at(
            "Unknown usage period",
            f'No record falls in period "{quoted_line(period)}"; found: '
            + (", ".join(periods) or "none (the records have no time)")
            + ".",
        )
    if periods and has_none and period is None:
        raise locate(
            "time IS NULL",
            "the record has no time, but others have one; every record needs a time once one has.",
        )
    chosen = period if period is not None else (periods[0] if periods else None)
    rows = [r for r in rows if r["period"] == chosen]
    unit_rows = [r for r in rows if r["kind"] == "units"]
    usage_rows = [r for r in rows if r["kind"] == "usage"]
    subscriptions: dict[str, str] = {}
    with_customer = {r["customer"] is not None for r in unit_rows}
    if len(with_customer) > 1:
        raise locate(
            "customer IS NULL",
            "the record names no customer, but others do; either "
            "every record names a customer or none does.",
        )
    for r in sorted(unit_rows, key=lambda r: (r["customer"] or "", r["subscription"] or "")):
        customer, sub = r["customer"], r["subscription"]
        if customer is None:
            continue
        if sub is None:
            raise locate(
                f"customer = {_lit(customer)} AND subscription IS NULL",
                f'customer "{quoted_line(customer)}" has no subscription.',
            )
        if sub not in stack.subscriptions:
            raise locate(
                f"subscription = {_lit(sub)}",
                f'unknown subscription "{quoted_line(sub)}".'
                + did_you_mean(sub, stack.subscriptions),
            )
        known = subscriptions.setdefault(customer, sub)
        if known != sub:
            first = locate.find(f"customer = {_lit(customer)}")
            first_sub = first["subscription"] if first else known
            other = locate.find(
                f"customer = {_lit(customer)} AND subscription <> {_lit(first_sub)}"
            )
            second = other["subscription"] if other else sub
            raise locate.error(
                other,
                f'customer "{quoted_line(customer)}" has subscription '
                f'"{quoted_line(second)}" here, but '
                f'"{quoted_line(first_sub)}" in '
                "an earlier record; a customer has one subscription per period.",
            )
    snapshot = (
        [
            SnapshotRow(r["customer"], r["subscription"], r["feature"], int(r["units"]), chosen)
            for r in sorted(unit_rows, key=lambda r: (r["customer"] or "", r["feature"]))
        ]
        if snapshot_rows
        else []
    )

    def order(r: dict[str, Any]) -> tuple[str, int, str]:
        """Features by name; steps in the order the workflow declares them; items the
        workflow does not use last."""
        workflow = stack.workflows.get(stack.features[r["feature"]].workflow)
        names = [s.name for s in workflow.steps] if workflow else []
        index = names.index(r["step"]) if r["step"] in names else len(names)
        return (r["feature"], index, r["item"])

    merged: dict[tuple[str, str | None, str], StepCost] = {}
    for r in sorted(usage_rows, key=order):
        item = stack.price_item(r["item"])
        feature = stack.features[r["feature"]]
        sheet = stack.price_sheets[r["item"].partition("/")[0]]
        sums = UsageSums(
            int(r["records"]),
            _int(r["input_tokens"]),
            _int(r["cached_input_tokens"]),
            _int(r["cache_write_tokens"]),
            _int(r["output_tokens"]),
            Decimal(r["quantity"] or 0),
        )
        assert item is not None
        if isinstance(item, GpuPrice):
            check_gpu_sums(item, feature.name, sums, locate)
        tier = None if r["tier"] is None else int(Decimal(r["tier"]))
        prices = None
        if isinstance(item, ModelPrice):
            prices = _bucket_prices(stack, r, item, tier, locate)
        reported = Decimal(r["reported_cost"]) if int(r["reported_records"] or 0) else None
        actual = price_usage(
            item,
            sums,
            sheet.multiplier(feature.region),
            discount=sheet.discount,
            exchange_rate=sheet.exchange_rate,
            prices=prices,
        )
        key = (r["feature"], r["step"], r["item"])
        tiers: tuple[tuple[int | None, int], ...] = ((tier, sums.records),)
        earlier = merged.get(key)
        if earlier is not None:  # another long-context tier of the same step and item
            sums = earlier.sums + sums
            actual += earlier.actual
            if earlier.reported is not None:
                reported = earlier.reported + (reported or ZERO)
            tiers = tuple(
                sorted((*earlier.tiers, *tiers), key=lambda t: -1 if t[0] is None else t[0])
            )
        merged[key] = StepCost(
            r["feature"], r["step"], r["item"], sums.records, sums, actual, reported, tiers
        )
    costs = list(merged.values())
    _check_bounds(costs, output.skipped, ", ".join(files))
    return ImportResult(
        source=source,
        files=files,
        currency=stack.currency,
        period_label=stack.settings.period,
        period=chosen,
        records=output.records,
        units=sum(int(r["units"]) for r in unit_rows),
        customers=len(subscriptions),
        snapshot=snapshot,
        costs=costs,
        skipped=output.skipped,
        cache_hit_units=sum(int(r["cache_hit_units"] or 0) for r in unit_rows),
    )


HINT = " Check the token counts, quantities and reported costs of these records, and the prices."


def _check_bounds(costs: list[StepCost], skipped: dict[str, Skipped], label: str) -> None:
    """Every amount an import shows within the engine's bound (``limits.MAX_FIGURE``):
    per feature, step and item, and in total. An amount beyond it is an error naming
    the group, never a figure that no other command could read back."""

    def refuse(what: str, value: Decimal) -> InfercostError:
        return too_large_error(label, what, value, HINT)

    for c in costs:
        group = f"feature {c.feature}, step {c.step or '(none)'}, item {c.item}"
        if too_large(c.actual):
            raise refuse(f"the actual cost of the records of {group}", c.actual)
        if c.reported is not None and too_large(c.reported):
            raise refuse(f"the reported cost of the records of {group}", c.reported)
    actual = sum((c.actual for c in costs), ZERO)
    if too_large(actual):
        raise refuse("the actual cost of all records", actual)
    reported = sum((c.reported for c in costs if c.reported is not None), ZERO)
    if too_large(reported):
        raise refuse("the reported cost of all records", reported)
    for reason, s in sorted(skipped.items()):
        if too_large(s.reported_cost):
            raise refuse(f"the reported cost of the records skipped as {reason}", s.reported_cost)


def _bucket_prices(
    stack: Stack, r: dict[str, Any], item: ModelPrice, tier: int | None, locate: Locator
) -> TokenPrices | LongContext:
    """The prices of one usage row: its step's processing, its long-context tier."""
    feature = stack.features[r["feature"]]
    workflow = stack.workflows.get(feature.workflow)
    step = next((s for s in workflow.steps if s.name == r["step"]), None) if workflow else None
    processing = step.processing if step is not None and step.uses == item.address else "standard"
    prices = bucket_prices(item, processing, tier)
    if prices is not None:
        return prices
    lowest = item.long_context[0].above_input_tokens
    assert step is not None
    condition = (
        f"_problem IS NULL AND feature = {_lit(feature.name)} AND item = {_lit(item.address)} "
        f"AND coalesce(step, {_lit(step.name)}) = {_lit(step.name)} "
        f"AND input_tokens > {math.floor(lowest)}"
    )
    raise locate(
        condition,
        f"the record has more input tokens than {plain(lowest)}, the lowest long-context "
        f'threshold of "{item.address}", but it belongs to step "{step.name}" with processing '
        '= "batch" and the batch block declares no long_context tiers; add them to the '
        "batch block.",
    )


def _int(value: Any) -> int:
    number = Decimal(value or 0)
    return int(number)


_FOUR_DIGIT_YEAR = re.compile(r"(?!0000)[0-9]{4}(?![0-9])")


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
