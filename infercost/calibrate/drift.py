"""Drift: the observed attributes ``check --records`` gives feature and step ``self``.

Pure: it turns the observed features of one side (its own stack priced against the same
records as the other side) into the attributes guardrails read. Every key is present on
every feature and step, null when not observed, so a condition on them is skipped, and
says why: no records given, or none of the feature or step in the records' period, or a
workflow several observed features run (whose steps have no single observed shape).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from infercost.arithmetic import ONE, ZERO, exact

if TYPE_CHECKING:  # check reads the keys below on every run; the shapes only with --records
    from infercost.calibrate.shape import ObservedFeature, ObservedStep
    from infercost.model import Stack

FEATURE_KEYS = (
    "observed_units",
    "observed_cost_per_unit",
    "drift_pct",
    "observed_cache_hit_rate",
    "observed_calls_mean",
    "observed_retry_rate",
)
STEP_KEYS = (
    "observed_cost_per_unit",
    "drift_pct",
    "observed_share",
    "observed_calls_mean",
    "observed_calls_p50",
    "observed_calls_p95",
    "observed_input_tokens",
    "observed_context_growth",
    "observed_cached_share",
    "observed_cache_write_share",
    "observed_output_tokens",
    "observed_quantity",
    "observed_retry_rate",
)


NO_RECORDS = (
    "give request records with --records FILES --from FORMAT, or a records setting in the "
    "infercost block"
)


@dataclass(frozen=True)
class Observed:
    """Observed attributes by feature name and by step address; ``why`` says, by target
    address (``feature.NAME`` or the step's), why a target has none (a skipped guardrail
    repeats it)."""

    features: dict[str, dict[str, Any]] = field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    why: dict[str, str] = field(default_factory=dict)
    given: bool = False  # records were read (without them, nothing is observed)
    period: str | None = None  # the records' period the attributes come from

    def feature(self, name: str) -> dict[str, Any]:
        return self.features.get(name, dict.fromkeys(FEATURE_KEYS))

    def step(self, address: str) -> dict[str, Any]:
        return self.steps.get(address, dict.fromkeys(STEP_KEYS))

    def feature_reason(self, name: str) -> str | None:
        """Why feature ``name`` is not observed (None: it is)."""
        if not self.given:
            return NO_RECORDS
        return None if name in self.features else self.why.get(f"feature.{name}")

    def step_reason(self, address: str) -> str | None:
        """Why the step at ``address`` is not observed (None: it is)."""
        if not self.given:
            return NO_RECORDS
        return None if address in self.steps else self.why.get(address)


def _pct(observed: Decimal | None, declared: Decimal | None) -> Decimal | None:
    if observed is None or not declared:
        return None
    return (observed / declared - ONE) * 100


def _step(o: ObservedStep, declared: Decimal | None) -> dict[str, Any]:
    model = o.kind != "meter"
    return {
        "observed_cost_per_unit": o.actual_cost_per_unit,
        "drift_pct": _pct(o.actual_cost_per_unit, declared),
        "observed_share": o.share,
        "observed_calls_mean": o.calls_mean,
        "observed_calls_p50": Decimal(o.calls_p50),
        "observed_calls_p95": Decimal(o.calls_p95),
        "observed_input_tokens": o.input_tokens if model else None,
        "observed_context_growth": o.context_growth if model else None,
        "observed_cached_share": o.cached_share if model else None,
        "observed_cache_write_share": o.cache_write_share if model else None,
        "observed_output_tokens": o.output_tokens if model else None,
        "observed_quantity": None if model else o.quantity,
        "observed_retry_rate": o.retry_rate if o.first_attempts else None,
    }


def drift_attributes(features: list[ObservedFeature], stack: Stack, period: str | None) -> Observed:
    """A step's attributes come from the one feature that runs its workflow; a workflow
    shared by several observed features has no single observed step (read the feature).
    A feature without records in ``period`` has none: null, with the reason."""
    out = Observed(given=True, period=period)
    where = f"in period {period}" if period is not None else "among the records"
    for f in features:
        if not f.units:
            out.why[f"feature.{f.name}"] = f"no record of this feature {where}"
    features = [f for f in features if f.units]
    users: dict[str, int] = {}
    for f in features:
        users[f.workflow] = users.get(f.workflow, 0) + 1
    for name, workflow in stack.workflows.items():
        if users.get(name, 0) > 1:
            reason = (
                f"workflow {name} is run by {users[name]} observed features, so its steps "
                "have no single observed shape: read the features' attributes"
            )
        elif name in users:
            reason = f"no record of this step {where}"
        else:
            reason = f"no record of a feature running workflow {name} {where}"
        for step in workflow.steps:
            out.why[step.address] = reason
    with exact():
        for f in features:
            first = sum(o.first_attempts for o in f.steps)
            records = sum(o.records for o in f.steps)
            running = f.units - f.hit_units
            out.features[f.name] = {
                "observed_units": Decimal(f.units),
                "observed_cost_per_unit": f.actual_cost_per_unit,
                "drift_pct": f.drift_pct,
                "observed_cache_hit_rate": f.cache_hit_rate,
                "observed_calls_mean": Decimal(first) / running if running else None,
                "observed_retry_rate": Decimal(records - first) / first if first else ZERO,
            }
            if users[f.workflow] != 1:
                continue
            for o in f.steps:
                if o.declared is not None:
                    out.steps[o.declared.address] = _step(o, f.declared_steps.get(o.name))
    return out
