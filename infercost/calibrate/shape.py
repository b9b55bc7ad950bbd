"""Observed shape per feature and step from the calls histogram (pure, exact Decimal).

The histogram and sums rows come from :mod:`infercost.usage.records.observed`; every attribute is
in the terms of SPEC §3 so that it compares one to one with the declared one and, put
back into the formula, gives the records' own token and quantity sums (see that module).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from infercost.arithmetic import ONE, ZERO, exact, from_fraction, plain
from infercost.calibrate.tiers import add_tier_notes
from infercost.cost.unit_cost import step_cost, workflow_costs
from infercost.evaluate.values import Distribution
from infercost.model import Feature, Stack, Step, Workflow

if TYPE_CHECKING:  # the records engine (sqlglot, DuckDB) loads only where records are read
    from infercost.usage.records.result import ImportResult


@dataclass
class ObservedStep:
    """One step of one feature as the records show it."""

    feature: str
    name: str
    item: str
    kind: str  # model | meter
    declared: Step | None  # None: an undeclared step (an item the workflow does not use)
    cacheable: bool
    units: int = 0  # units that ran the step (counted for share)
    share: Decimal = ZERO
    calls: Distribution | None = None
    calls_mean: Decimal = ZERO
    calls_p50: int = 0
    calls_p95: int = 0
    input_tokens: Decimal = ZERO  # of the first call (intercept of the fitted line)
    context_growth: Decimal = ZERO
    output_tokens: Decimal = ZERO  # per call
    cached_share: Decimal = ZERO
    cache_write_share: Decimal = ZERO
    quantity: Decimal = ZERO  # per call, meter steps
    retry_rate: Decimal = ZERO
    records: int = 0
    first_attempts: int = 0
    hit_units: int = 0  # cache-hit units with records of this (cacheable) step
    hit_records: int = 0
    notes: list[str] = field(default_factory=list)
    modelled_cost_per_unit: Decimal = ZERO  # the formula with the observed attributes
    actual_cost_per_unit: Decimal = ZERO  # the records priced exactly / feature units
    actual: Decimal = ZERO  # total actual cost of the step's records
    reported: Decimal | None = None
    key: tuple[str, str | None, str] = ("", None, "")  # (feature, step, item) of its records

    def as_step(self, stack: Stack, workflow: Workflow) -> Step:
        """The step with the observed attributes, for the cost formula and the what-if."""
        base = self.declared or Step(
            range=workflow.range,
            workflow=workflow.name,
            name=self.name,
            uses=self.item,
            item=stack.price_item(self.item),
        )
        calls: Decimal | Distribution = self.calls if self.calls is not None else ZERO
        changes: dict[str, Any] = {
            "calls": calls,
            "share": self.share,
            "retry_rate": self.retry_rate,
            "cacheable": self.cacheable,
        }
        if self.kind != "meter":  # a model per token or served on GPUs
            changes |= {
                "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens,
                "cached_share": self.cached_share,
                "cache_write_share": self.cache_write_share,
                "context_growth": self.context_growth,
            }
        else:
            changes["quantity"] = self.quantity
        return dataclasses.replace(base, **changes)


@dataclass
class ObservedFeature:
    name: str
    workflow: str
    units: int  # 0: no record of the feature in the period (nothing observed)
    hit_units: int
    cache_hit_rate: Decimal | None  # None without units
    steps: list[ObservedStep]
    not_observed: list[Step]  # declared steps no record matched
    declared_cost_per_unit: Decimal
    declared_steps: dict[str, Decimal]  # declared cost per unit by step
    actual: Decimal
    reported: Decimal | None
    modelled_cost_per_unit: Decimal  # the what-if's cost per unit

    @property
    def actual_cost_per_unit(self) -> Decimal | None:
        with exact():
            return self.actual / self.units if self.units else None

    @property
    def drift_pct(self) -> Decimal | None:
        actual = self.actual_cost_per_unit
        if actual is None or not self.declared_cost_per_unit:
            return None
        with exact():
            return (actual / self.declared_cost_per_unit - ONE) * 100


def percentile(counts: list[tuple[int, int]], q: Fraction) -> int:
    """The smallest value whose cumulative share reaches ``q`` (nearest rank)."""
    total = sum(n for _, n in counts)
    running = 0
    for value, n in sorted(counts):
        running += n
        if running >= q * total:
            return value
    return sorted(counts)[-1][0] if counts else 0


def _d(value: Any) -> Decimal:
    return Decimal(value or 0)


def _ratio(num: Decimal | int, den: Decimal | int) -> Decimal:
    if not den:
        return ZERO
    return from_fraction(Fraction(Decimal(num)) / Fraction(Decimal(den)))


def _step_name(item: str, taken: set[str]) -> str:
    """A step name for an undeclared item: its name with non-identifier characters as _."""
    base = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in item.partition("/")[2])
    base = base.strip("_") or "step"
    if not (base[0].isalpha() or base[0] == "_"):
        base = "s_" + base
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def observe_features(stack: Stack, result: ImportResult) -> list[ObservedFeature]:
    """Every feature of the stack, in name order. One without records in the chosen
    period has no units and every step not observed: it stays in the report, as a step
    no record matched does, because its silence is news (records that name it otherwise,
    or a feature no longer used); dropped, it would look the same as never declared."""
    observed = result.observed or {"units": [], "histogram": [], "sums": []}
    period = result.period
    units: dict[str, dict[bool, int]] = {}
    for r in observed["units"]:
        if r["period"] == period:
            units.setdefault(r["feature"], {})[bool(r["cache_hit"])] = int(r["units"])
    groups: dict[tuple[str, str | None, str], list[dict[str, Any]]] = {}
    for r in observed["histogram"]:
        if r["period"] == period:
            groups.setdefault((r["feature"], r["step"], r["item"]), []).append(r)
    sums: dict[tuple[str, str | None, str], list[dict[str, Any]]] = {}
    for r in observed["sums"]:
        if r["period"] == period:
            sums.setdefault((r["feature"], r["step"], r["item"]), []).append(r)
    actual: dict[tuple[str, str | None, str], tuple[Decimal, Decimal | None]] = {}
    for c in result.costs:
        a, rep = actual.get((c.feature, c.step, c.item), (ZERO, None))
        if c.reported is not None:
            rep = (rep or ZERO) + c.reported
        actual[(c.feature, c.step, c.item)] = (a + c.actual, rep)
    out = []
    for name in sorted(stack.features):
        feature = stack.features[name]
        out.append(_feature(stack, feature, units.get(name, {}), groups, sums, actual))
        add_tier_notes(stack, result, out[-1].steps)
    return out


def _feature(
    stack: Stack,
    feature: Feature,
    units_by_hit: dict[bool, int],
    groups: dict[tuple[str, str | None, str], list[dict[str, Any]]],
    sums: dict[tuple[str, str | None, str], list[dict[str, Any]]],
    actual: dict[tuple[str, str | None, str], tuple[Decimal, Decimal | None]],
) -> ObservedFeature:
    workflow = stack.workflows[feature.workflow]
    total = units_by_hit.get(False, 0) + units_by_hit.get(True, 0)
    hits = units_by_hit.get(True, 0)
    h = _ratio(hits, total)
    declared = workflow_costs(stack, workflow, feature.region)
    declared_steps = {c.name: c.cost_per_unit for c in declared}
    with exact():
        declared_cpu = sum((c.cost_per_unit for c in declared), ZERO)
    steps: list[ObservedStep] = []
    not_observed: list[Step] = []
    taken = {s.name for s in workflow.steps}
    keys = sorted((k for k in groups if k[0] == feature.name), key=lambda k: (k[1] or "", k[2]))
    declared_keys: set[tuple[str, str | None, str]] = set()
    for step in workflow.steps:
        key: tuple[str, str | None, str] = (feature.name, step.name, step.uses)
        declared_keys.add(key)
        rows = groups.get(key, [])
        if not rows:
            not_observed.append(step)
            continue
        steps.append(
            _step(stack, feature, step, step.name, step.uses, rows, sums[key], total, hits)
        )
    for key in keys:
        if key not in declared_keys:
            # An item the workflow does not use (or a record naming a step with an item
            # that step does not use): an undeclared step.
            name = _step_name(key[2], taken)
            taken.add(name)
            extra = _step(stack, feature, None, name, key[2], groups[key], sums[key], total, hits)
            if key[1] is not None:
                extra.notes.append(
                    f'records name step "{key[1]}" but use {key[2]}, which that step does not.'
                )
            steps.append(extra)
    with exact():
        modelled = ZERO
        for o in steps:
            sheet = stack.price_sheets[o.item.partition("/")[0]]
            cost = step_cost(o.as_step(stack, workflow), sheet.multiplier(feature.region), h, sheet)
            o.modelled_cost_per_unit = cost.cost_per_unit
            a, rep = actual.get(o.key, (ZERO, None))
            o.actual, o.reported = a, rep
            o.actual_cost_per_unit = a / total if total else ZERO
            modelled += cost.cost_per_unit
        for s in not_observed:
            # The what-if keeps its declared values but writes the observed cache hit
            # rate, so a kept step is priced at that rate, as ``plan --what-if`` does
            # (a feature without units is not written: its declared rate stays).
            sheet = stack.price_sheets[s.uses.partition("/")[0]]
            rate = h if total else workflow.cache_hit_rate
            modelled += step_cost(s, sheet.multiplier(feature.region), rate, sheet).cost_per_unit
    total_actual = sum((a for (f, _, _), (a, _) in actual.items() if f == feature.name), ZERO)
    reported_values = [
        r for (f, _, _), (_, r) in actual.items() if f == feature.name and r is not None
    ]
    return ObservedFeature(
        name=feature.name,
        workflow=workflow.name,
        units=total,
        hit_units=hits,
        cache_hit_rate=h if total else None,
        steps=steps,
        not_observed=not_observed,
        declared_cost_per_unit=declared_cpu,
        declared_steps=declared_steps,
        actual=total_actual,
        reported=sum(reported_values, ZERO) if reported_values else None,
        modelled_cost_per_unit=modelled,
    )


def _step(
    stack: Stack,
    feature: Feature,
    step: Step | None,
    name: str,
    item: str,
    rows: list[dict[str, Any]],
    sums: list[dict[str, Any]],
    total: int,
    hits: int,
) -> ObservedStep:
    """``rows``: units by number of calls; ``sums``: the records' sums (both by cache hit)."""
    price = stack.price_item(item)
    kind = price.kind if price is not None else "model"
    in_hits = [r for r in rows if r["cache_hit"]]
    cacheable = step.cacheable if step is not None else not in_hits
    o = ObservedStep(feature.name, name, item, kind, step, cacheable)
    o.key = (feature.name, rows[0]["step"], item)
    used = [r for r in rows if not r["cache_hit"]] if cacheable else rows
    used_sums = [r for r in sums if not r["cache_hit"]] if cacheable else sums
    if cacheable and in_hits:
        o.hit_units = sum(int(r["units"]) for r in in_hits)
        o.hit_records = sum(int(r["records"]) for r in sums if r["cache_hit"])
        o.notes.append(
            f"{o.hit_units} units answered from the response cache ran this cacheable step "
            f"({o.hit_records} records): the formula assumes a cache hit skips it."
        )
    base = total - hits if cacheable else total
    counts: dict[int, int] = {}
    for r in used:
        counts[int(r["calls"])] = counts.get(int(r["calls"]), 0) + int(r["units"])
    o.units = sum(counts.values())
    o.records = sum(int(r["records"]) for r in used_sums)
    o.first_attempts = sum(int(r["first_attempts"]) for r in used_sums)
    o.share = _ratio(o.units, base)
    if o.units:
        values = sorted(counts)
        text = (
            "empirical(["
            + ", ".join(str(v) for v in values)
            + "], ["
            + ", ".join(str(counts[v]) for v in values)
            + "])"
        )
        o.calls = Distribution(
            "empirical",
            tuple(Decimal(v) for v in values),
            text,
            weights=tuple(Decimal(counts[v]) for v in values),
        )
        with exact():
            o.calls_mean = o.calls.mean
        pairs = list(counts.items())
        o.calls_p50 = percentile(pairs, Fraction(1, 2))
        o.calls_p95 = percentile(pairs, Fraction(95, 100))
    with exact():
        records = o.records
        first = o.first_attempts
        o.retry_rate = _ratio(records - first, first)
        if first == 0 and records:
            o.notes.append("no first attempt (attempt = 1) among the step's records.")
        if kind == "meter":
            o.quantity = _ratio(sum(_d(r["quantity"]) for r in used_sums), records)
        else:
            inputs = sum(_d(r["input_tokens"]) for r in used_sums)
            o.cached_share = _ratio(sum(_d(r["cached_input_tokens"]) for r in used_sums), inputs)
            o.cache_write_share = _ratio(
                sum(_d(r["cache_write_tokens"]) for r in used_sums), inputs
            )
            o.output_tokens = _ratio(sum(_d(r["output_tokens"]) for r in used_sums), records)
            _fit_growth(o, used, used_sums)
    return o


def _fit_growth(o: ObservedStep, rows: list[dict[str, Any]], sums: list[dict[str, Any]]) -> None:
    """Least squares of a first attempt's input tokens y on its index x = k − 1, from
    exact sums: n = ΣC, Σx = ΣC(C−1)/2, Σx² = Σ(C−1)C(2C−1)/6 (closed forms per unit), Σy
    and Σxy from the records. The intercept keeps Σy exactly: n·I + g·Σx = Σy."""
    n = sx = sxx = Fraction(0)
    sy = sxy = Fraction(0)
    for r in rows:
        c, units = int(r["calls"]), int(r["units"])
        n += c * units
        sx += Fraction(c * (c - 1), 2) * units
        sxx += Fraction((c - 1) * c * (2 * c - 1), 6) * units
        sxy += Fraction(_d(r["first_index_input"]))
    for r in sums:
        sy += Fraction(_d(r["first_input"]))
    if not n:
        return
    den = n * sxx - sx * sx
    g = (n * sxy - sx * sy) / den if den else Fraction(0)
    if g < 0:
        o.notes.append(
            f"input tokens fall by {plain(from_fraction(-g))} per call: context growth is "
            "written as 0 (the model's growth is >= 0)."
        )
        g = Fraction(0)
    i = (sy - g * sx) / n
    if i < 0:
        o.notes.append("the fitted first-call input is negative: written as 0.")
        i = Fraction(0)
    o.input_tokens = from_fraction(i)
    o.context_growth = from_fraction(g)
