"""The plan result: configuration changes by address and their effect on the figures.

Each side is priced on its own usage snapshot. When the snapshots differ (a change
that also refreshes usage), every COGS change is split in two with a third pricing, the
base configuration on the head's snapshot (``middle``):

- usage (volume) effect         = COGS(base config, head usage) − COGS(base config, base usage)
- configuration (rate) effect   = COGS(head config, head usage) − COGS(base config, head usage)

They add up to the whole change exactly, by construction. Cost per unit depends only on
the configuration, so for a feature this is ``(units_head − units_base) · cpu_base`` and
``units_head · (cpu_head − cpu_base)``. The ratchet judges the configuration effect (the
head against ``middle``), so a usage refresh does not block a change and a configuration
change cannot hide behind one. With one snapshot, ``middle`` is the base and the usage
effect is zero. Each feature's change is also split by step (matched by name), which
tells a reviewer which change moved the cost most.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from infercost.arithmetic import ZERO, exact
from infercost.cost.breakdown import Breakdown, FeatureResult, SubscriptionResult, Totals
from infercost.model import Stack
from infercost.plan.addresses import configuration, feature_addresses
from infercost.plan.prices import PriceEffect, step_price_effects, total_effects
from infercost.plan.shared import shared_attribution


class Action(StrEnum):
    """What a plan does to a feature, subscription or block; str-valued, so documents and
    views show the plain word."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    #: Features and subscriptions only: nothing about it changed.
    NO_OP = "no-op"


ACTIONS = tuple(Action)


@dataclass(frozen=True)
class ConfigChange:
    address: str
    action: Action  # CREATE, UPDATE or DELETE
    attribute: str | None
    before: Any
    after: Any

    @property
    def kind(self) -> str:
        return self.address.split(".", 1)[0]


@dataclass(frozen=True)
class Delta:
    cogs: Decimal | None
    cogs_pct: Decimal | None
    cost_per_unit_pct: Decimal | None
    margin_points: Decimal | None
    revenue: Decimal | None = None
    # The COGS change split in two; they add up to ``cogs`` exactly (module docstring).
    usage_effect: Decimal | None = None
    configuration_effect: Decimal | None = None


@dataclass(frozen=True)
class Attribution:
    """One step's share of a feature's COGS change, and the changes behind it."""

    step: str
    address: str
    cogs_change: Decimal
    cost_per_unit_change: Decimal
    causes: tuple[ConfigChange, ...]
    usage_effect: Decimal = ZERO
    configuration_effect: Decimal = ZERO
    # Each changed price of the step's item, with its own effect on the feature's COGS.
    price_effects: tuple[PriceEffect, ...] = ()

    @property
    def other_causes(self) -> tuple[ConfigChange, ...]:
        """The causes that are not price changes with an effect of their own."""
        priced = {(e.address, e.attribute) for e in self.price_effects}
        return tuple(c for c in self.causes if (c.address, c.attribute) not in priced)


@dataclass(frozen=True)
class FeaturePlan:
    name: str
    action: Action
    before: FeatureResult | None
    after: FeatureResult | None
    change: Delta
    changes: tuple[ConfigChange, ...]
    attribution: tuple[Attribution, ...]

    @property
    def target_margin(self) -> Decimal | None:
        result = self.after or self.before
        return result.target_margin if result else None

    @property
    def breaches_target(self) -> bool:
        return self.after is not None and self.after.below_target


@dataclass(frozen=True)
class SubscriptionPlan:
    name: str
    action: Action
    before: SubscriptionResult | None
    after: SubscriptionResult | None


@dataclass(frozen=True)
class Plan:
    currency: str
    period: str
    usage_period: str | None
    base_label: str
    features: tuple[FeaturePlan, ...]
    subscriptions: tuple[SubscriptionPlan, ...]
    totals_before: Totals
    totals_after: Totals
    change: Delta
    changes: tuple[ConfigChange, ...]
    base: Breakdown | None = field(default=None, repr=False)
    head: Breakdown | None = field(default=None, repr=False)
    # The base configuration priced on the head's snapshot; the base itself when both
    # sides share one snapshot. Guardrails compare the head with this.
    middle: Breakdown | None = field(default=None, repr=False)
    usage_changed: bool = False  # the two sides were priced on different snapshots
    base_usage_period: str | None = None
    # Every price change with its effect on total COGS (summed over features and steps).
    price_changes: tuple[PriceEffect, ...] = ()

    @property
    def has_changes(self) -> bool:
        return bool(self.changes) or any(f.action != Action.NO_OP for f in self.features)

    def count(self, action: str) -> int:
        return sum(1 for f in self.features if f.action == action)

    @property
    def guardrail_changes(self) -> tuple[ConfigChange, ...]:
        return tuple(c for c in self.changes if c.kind in ("guardrail", "waiver"))


def config_changes(base: Stack | None, head: Stack) -> list[ConfigChange]:
    before, after = configuration(base), configuration(head)
    out: list[ConfigChange] = []
    for address in sorted(before.keys() | after.keys()):
        if address not in before:
            out.append(ConfigChange(address, Action.CREATE, None, None, after[address]))
        elif address not in after:
            out.append(ConfigChange(address, Action.DELETE, None, before[address], None))
        else:
            old, new = before[address], after[address]
            for attribute in sorted(old.keys() | new.keys()):
                if not _same(old.get(attribute), new.get(attribute)):
                    out.append(
                        ConfigChange(
                            address,
                            Action.UPDATE,
                            attribute,
                            old.get(attribute),
                            new.get(attribute),
                        )
                    )
    return out


def _same(a: Any, b: Any) -> bool:
    """Equal as configuration: 2.50 and 2.5 are the same price."""
    if type(a) is not type(b):
        return False
    return bool(a == b)


def pct_change(before: Decimal | None, after: Decimal | None) -> Decimal | None:
    if before is None or after is None or before == ZERO:
        return None
    with exact():
        return (after - before) / before * 100


def delta(before: Any, after: Any, middle: Any = None, *, split: bool = False) -> Delta:
    """Changes between two results (FeatureResult or Totals); absent sides count as zero.

    With ``split``, ``middle`` is the base configuration's result on the head's usage
    (None: the base configuration has no such object); without, both sides share one
    snapshot and the usage effect is zero.
    """
    with exact():
        cogs_before = before.cogs if before else ZERO
        cogs_after = after.cogs if after else ZERO
        usage = (middle.cogs if middle else ZERO) - cogs_before if split else ZERO
        margin_points = None
        if before and after and before.margin is not None and after.margin is not None:
            margin_points = (after.margin - before.margin) * 100
        cpu_pct = None
        if before is not None and hasattr(before, "cost_per_unit") and after is not None:
            cpu_pct = pct_change(before.cost_per_unit, after.cost_per_unit)
        return Delta(
            cogs=cogs_after - cogs_before,
            # A deleted feature's COGS goes to zero (-100 %); a created one has no base.
            cogs_pct=pct_change(before.cogs if before else None, cogs_after),
            cost_per_unit_pct=cpu_pct,
            margin_points=margin_points,
            revenue=(after.revenue if after else ZERO) - (before.revenue if before else ZERO),
            usage_effect=usage,
            configuration_effect=cogs_after - cogs_before - usage,
        )


def build_plan(
    base_stack: Stack | None,
    head_stack: Stack,
    base: Breakdown | None,
    head: Breakdown,
    base_label: str,
    middle: Breakdown | None = None,
) -> Plan:
    """The plan of a change. ``middle`` (the base configuration priced on the head's
    snapshot) is given when the base was priced on a snapshot of its own."""
    changes = config_changes(base_stack, head_stack)
    split = middle is not None and base is not None
    if not split:
        middle = base
    features = []
    names = sorted(set(head.features) | set(base.features if base else ()))
    for name in names:
        before = base.features.get(name) if base else None
        after = head.features.get(name)
        mid = middle.features.get(name) if middle else None
        related = feature_addresses(base_stack, name) | feature_addresses(head_stack, name)
        own = tuple(c for c in changes if c.address in related)
        if before is None:
            action = Action.CREATE
        elif after is None:
            action = Action.DELETE
        elif own or _figures(before) != _figures(after):
            action = Action.UPDATE
        else:
            action = Action.NO_OP
        features.append(
            FeaturePlan(
                name,
                action,
                before,
                after,
                delta(before, after, mid, split=split),
                own,
                _attribution(before, after, changes, mid if split else before, head_stack)
                + shared_attribution(name, base_stack, head_stack, base, head, changes),
            )
        )
    subscriptions = []
    for name in sorted(set(head.subscriptions) | set(base.subscriptions if base else ())):
        before_s = base.subscriptions.get(name) if base else None
        after_s = head.subscriptions.get(name)
        if before_s is None:
            action = Action.CREATE
        elif after_s is None:
            action = Action.DELETE
        else:
            action = Action.NO_OP if before_s == after_s else Action.UPDATE
        subscriptions.append(SubscriptionPlan(name, action, before_s, after_s))
    totals_before = base.totals if base else Totals(ZERO, ZERO, None)
    return Plan(
        currency=head.currency,
        period=head.period,
        usage_period=head.usage_period,
        base_label=base_label,
        features=tuple(features),
        subscriptions=tuple(subscriptions),
        totals_before=totals_before,
        totals_after=head.totals,
        change=delta(totals_before, head.totals, middle.totals if middle else None, split=split),
        changes=tuple(changes),
        base=base,
        head=head,
        middle=middle,
        usage_changed=split,
        base_usage_period=base.usage_period if base else None,
        price_changes=total_effects(
            [e for f in features for a in f.attribution for e in a.price_effects]
        ),
    )


def _figures(result: FeatureResult) -> tuple[Any, ...]:
    """Everything a reader sees of a feature's figures, compared as values (2.50 == 2.5):
    a step that moves in the file, or a description, does not make the feature change."""
    steps = tuple(
        (c.step.name, c.step.address, c.step.uses, c.step.kind, c.cost_per_unit)
        for c in result.steps
    )
    return (
        result.name,
        result.unit,
        result.workflow,
        result.region,
        result.units,
        result.cost_per_unit,
        result.cogs,
        result.revenue,
        result.margin,
        result.target_margin,
        result.allocated_cogs,
        steps,
    )


def _attribution(
    before: FeatureResult | None,
    after: FeatureResult | None,
    changes: list[ConfigChange],
    middle: FeatureResult | None = None,
    head: Stack | None = None,
) -> tuple[Attribution, ...]:
    """Each step's COGS change, split into usage and configuration effects like the
    feature's (``middle``: the base configuration on the head's usage)."""
    if before is None or after is None:
        return ()
    middle = middle or before
    old = {c.step.name: c for c in before.steps}
    new = {c.step.name: c for c in after.steps}
    rows = []
    with exact():
        for name in [*new, *(n for n in old if n not in new)]:
            o, n = old.get(name), new.get(name)
            cpu_before = o.cost_per_unit if o else ZERO
            cpu_after = n.cost_per_unit if n else ZERO
            cogs_change = after.units * cpu_after - before.units * cpu_before
            # Cost per unit depends on the configuration alone: the middle's step costs
            # are the base's, on the head's units.
            usage = (middle.units - before.units) * cpu_before
            if cogs_change == ZERO and cpu_after == cpu_before:
                continue
            step = (n or o).step  # type: ignore[union-attr]
            touched = {step.address, f"workflow.{step.workflow}"}
            for side in (o, n):
                if side is None:
                    continue
                sheet, _, item = side.step.uses.partition("/")
                touched |= {
                    f"price_sheet.{sheet}",
                    f"price_sheet.{sheet}.model.{item}",
                    f"price_sheet.{sheet}.meter.{item}",
                }
                region = after.region or before.region
                if region:
                    touched.add(f"price_sheet.{sheet}.region.{region}")
            causes = tuple(
                c
                for c in changes
                if c.address in touched
                and not (c.address == f"workflow.{step.workflow}" and c.attribute == "description")
            )
            effects: tuple[PriceEffect, ...] = ()
            if head is not None and n is not None and o is not None and o.step.uses == n.step.uses:
                workflow = head.workflows.get(n.step.workflow)
                rate = workflow.cache_hit_rate if workflow else ZERO
                effects = step_price_effects(n, head, after.region, rate, after.units, causes)
            rows.append(
                Attribution(
                    name,
                    step.address,
                    cogs_change,
                    cpu_after - cpu_before,
                    causes,
                    usage,
                    cogs_change - usage,
                    effects,
                )
            )
    # What the configuration moved comes first: that is what the change under review did.
    rows.sort(key=lambda a: (-abs(a.configuration_effect), -abs(a.cogs_change), a.step))
    return tuple(rows)
