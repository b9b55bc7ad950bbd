"""The evaluated stack: plain frozen values, every number a Decimal, every object located.

This is what the cost engine, the planner and the guardrails read. Each object also
knows its effective configuration (``config()``: every attribute with defaults filled,
distributions as their source text) because that is what ``plan`` diffs by address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from infercost.arithmetic import plain as plain_number
from infercost.config import syntax as s
from infercost.errors import SourceRange
from infercost.evaluate.values import Distribution

Count = Decimal | Distribution


class SourceText(str):
    """Expression text in a configuration (a distribution, a guardrail condition): a string
    in JSON, shown as written (unquoted) in plan views.

    Two texts are equal when their tokens are: ``between(2,5)`` is ``between(2, 5)``,
    so laying a stack out again (``infercost fmt``) never shows up as a change.
    """

    __slots__ = ()

    def tokens(self) -> tuple[str, ...]:
        from infercost.config.lexer import Kind, tokenize
        from infercost.errors import InfercostError

        try:
            found = tokenize(self)
        except InfercostError:
            return (str(self),)
        return tuple(t.text for t in found if t.kind not in (Kind.NEWLINE, Kind.COMMENT))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SourceText):
            return self.tokens() == other.tokens()
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self.tokens())


def _config_value(value: Any) -> Any:
    if isinstance(value, Distribution):
        return SourceText(value.text)
    if isinstance(value, tuple):
        return [_config_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _config_value(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Located:
    range: SourceRange
    # Where each attribute was set; attributes left at their default are absent.
    ranges: dict[str, SourceRange] = field(default_factory=dict, compare=False, repr=False)

    def at(self, attribute: str) -> SourceRange:
        return self.ranges.get(attribute, self.range)


@dataclass(frozen=True)
class RecordsSetting(Located):
    """``records = { from = ..., files = [...] }``: the request records a stack reads for
    drift when the command line names none; paths relative to the stack directory."""

    source: str = "records"
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings(Located):
    currency: str = "USD"
    period: str = "month"
    usage: str | None = None
    policies: tuple[str, ...] = ()
    # Units of the stack's currency per one unit of another currency (SPEC §13).
    exchange_rates: dict[str, Decimal] = field(default_factory=dict)
    records: RecordsSetting | None = None

    def config(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "period": self.period,
            "usage": self.usage,
            "policies": list(self.policies),
            "exchange_rates": dict(sorted(self.exchange_rates.items())),
        }


@dataclass(frozen=True)
class Variable(Located):
    name: str = ""
    type: str | None = None
    value: Any = None
    description: str | None = None

    def config(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "value": _config_value(self.value),
            "description": self.description,
        }


@dataclass(frozen=True)
class Region(Located):
    name: str = ""
    multiplier: Decimal = Decimal(1)


TOKEN_PRICES = (
    "input_per_mtok",
    "cached_input_per_mtok",
    "cache_write_per_mtok",
    "output_per_mtok",
)


@dataclass(frozen=True)
class LongContext(Located):
    """A long-context tier: a call whose input exceeds ``above_input_tokens`` is billed
    entirely at these prices (defaults filled from the enclosing block)."""

    above_input_tokens: Decimal = Decimal(0)
    input_per_mtok: Decimal = Decimal(0)
    cached_input_per_mtok: Decimal = Decimal(0)
    cache_write_per_mtok: Decimal = Decimal(0)
    output_per_mtok: Decimal = Decimal(0)


@dataclass(frozen=True)
class TokenPrices(Located):
    """Token prices with their long-context tiers: a model's standard or batch prices."""

    input_per_mtok: Decimal = Decimal(0)
    cached_input_per_mtok: Decimal = Decimal(0)
    cache_write_per_mtok: Decimal = Decimal(0)
    output_per_mtok: Decimal = Decimal(0)
    long_context: tuple[LongContext, ...] = ()  # ascending thresholds

    def flat(self, prefix: str = "") -> dict[str, Decimal]:
        """Dotted attribute -> price, as plan's changes[] and ``prices outdated`` name them."""
        out = {prefix + name: getattr(self, name) for name in TOKEN_PRICES}
        for tier in self.long_context:
            key = f"{prefix}long_context[{plain_number(tier.above_input_tokens)}]."
            out |= {key + name: getattr(tier, name) for name in TOKEN_PRICES}
        return out


@dataclass(frozen=True)
class ModelPrice(TokenPrices):
    sheet: str = ""
    name: str = ""
    per_call: Decimal = Decimal(0)
    batch: TokenPrices | None = None
    source: str | None = None
    description: str | None = None
    kind = "model"

    @property
    def address(self) -> str:
        return f"{self.sheet}/{self.name}"

    def prices(self, processing: str = "standard") -> TokenPrices | None:
        """The prices a step with this ``processing`` pays (None: no batch prices)."""
        return self.batch if processing == "batch" else self

    def config(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.flat())
        out["per_call"] = self.per_call
        if self.batch is not None:
            out |= self.batch.flat("batch.")
        out["source"] = self.source
        out["description"] = self.description
        return out


@dataclass(frozen=True)
class MeterPrice(Located):
    sheet: str = ""
    name: str = ""
    price: Decimal = Decimal(0)
    per: Decimal = Decimal(1)
    unit: str | None = None
    description: str | None = None
    kind = "meter"

    @property
    def address(self) -> str:
        return f"{self.sheet}/{self.name}"

    def config(self) -> dict[str, Any]:
        return {
            "price": self.price,
            "per": self.per,
            "unit": self.unit,
            "description": self.description,
        }


@dataclass(frozen=True)
class GpuPrice(Located):
    """A self-hosted model billed by GPU time (SPEC §18): hourly price, prefill and decode
    throughput of one GPU, and the share of paid time doing useful work."""

    sheet: str = ""
    name: str = ""
    hourly: Decimal = Decimal(0)
    input_tokens_per_second: Decimal = Decimal(1)
    # None: the item serves no output tokens (embeddings); output tokens on it are an error.
    output_tokens_per_second: Decimal | None = None
    utilization: Decimal = Decimal(1)
    description: str | None = None
    kind = "gpu"

    @property
    def address(self) -> str:
        return f"{self.sheet}/{self.name}"

    def config(self) -> dict[str, Any]:
        return {
            "hourly": self.hourly,
            "input_tokens_per_second": self.input_tokens_per_second,
            "output_tokens_per_second": self.output_tokens_per_second,
            "utilization": self.utilization,
            "description": self.description,
        }


PriceItem = ModelPrice | MeterPrice | GpuPrice


@dataclass(frozen=True)
class PriceSheet(Located):
    name: str = ""
    currency: str = "USD"
    effective: str | None = None
    description: str | None = None
    regions: dict[str, Region] = field(default_factory=dict)
    items: dict[str, PriceItem] = field(default_factory=dict)
    discount: Decimal = Decimal(0)
    # Units of the stack's currency per one unit of this sheet's (1 when they are equal).
    exchange_rate: Decimal = Decimal(1)

    def multiplier(self, region: str | None) -> Decimal:
        if region is None or region not in self.regions:
            return Decimal(1)
        return self.regions[region].multiplier

    def config(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "effective": self.effective,
            "discount": self.discount,
            "description": self.description,
        }


@dataclass(frozen=True)
class Unit(Located):
    name: str = ""
    description: str | None = None

    def config(self) -> dict[str, Any]:
        return {"description": self.description}


@dataclass(frozen=True)
class Step(Located):
    workflow: str = ""
    name: str = ""
    uses: str = ""
    item: PriceItem | None = None
    calls: Count = Decimal(1)
    share: Decimal = Decimal(1)
    retry_rate: Decimal = Decimal(0)
    cacheable: bool = True
    input_tokens: Count = Decimal(0)
    output_tokens: Count = Decimal(0)
    cached_share: Decimal = Decimal(0)
    context_growth: Count = Decimal(0)
    quantity: Count = Decimal(1)
    description: str | None = None
    cache_write_share: Decimal = Decimal(0)
    processing: str = "standard"  # "standard" | "batch"

    @property
    def address(self) -> str:
        return f"workflow.{self.workflow}.step.{self.name}"

    @property
    def kind(self) -> str:
        return self.item.kind if self.item else "model"

    def config(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "uses": self.uses,
            "calls": self.calls,
            "share": self.share,
            "retry_rate": self.retry_rate,
            "cacheable": self.cacheable,
        }
        if self.kind in ("model", "gpu"):
            out |= {
                "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens,
                "cached_share": self.cached_share,
                "cache_write_share": self.cache_write_share,
                "context_growth": self.context_growth,
                "processing": self.processing,
            }
        else:
            out["quantity"] = self.quantity
        out["description"] = self.description
        return {k: _config_value(v) for k, v in out.items()}


@dataclass(frozen=True)
class Workflow(Located):
    name: str = ""
    cache_hit_rate: Decimal = Decimal(0)
    steps: tuple[Step, ...] = ()
    description: str | None = None

    def config(self) -> dict[str, Any]:
        return {"cache_hit_rate": self.cache_hit_rate, "description": self.description}


@dataclass(frozen=True)
class Feature(Located):
    name: str = ""
    unit: str = ""
    workflow: str = ""
    region: str | None = None
    revenue_per_unit: Decimal = Decimal(0)
    target_margin: Decimal | None = None
    description: str | None = None

    def config(self) -> dict[str, Any]:
        return {
            "unit": f"unit.{self.unit}",
            "workflow": f"workflow.{self.workflow}",
            "region": self.region,
            "revenue_per_unit": self.revenue_per_unit,
            "target_margin": self.target_margin,
            "description": self.description,
        }


@dataclass(frozen=True)
class Subscription(Located):
    name: str = ""
    price: Decimal = Decimal(0)
    features: tuple[str, ...] = ()
    revenue_share: dict[str, Decimal] = field(default_factory=dict)
    customers: Decimal | None = None
    description: str | None = None

    def config(self) -> dict[str, Any]:
        return {
            "price": self.price,
            "features": [f"feature.{f}" for f in self.features],
            "revenue_share": dict(sorted(self.revenue_share.items())),
            "customers": self.customers,
            "description": self.description,
        }


@dataclass(frozen=True)
class SharedCost(Located):
    """A fixed cost per period allocated to features, then to their customers (SPEC §18).

    ``allocate`` is "units", "variable_cogs", "revenue" or "weights" (then ``weights``
    holds one exact weight per member feature, adding up to 1)."""

    name: str = ""
    amount: Decimal = Decimal(0)
    features: tuple[str, ...] = ()  # the members, in name order
    allocate: str = "units"
    weights: dict[str, Decimal] = field(default_factory=dict)
    description: str | None = None

    def config(self) -> dict[str, Any]:
        return {
            "amount": self.amount,
            "features": [f"feature.{f}" for f in self.features],
            "allocate": dict(sorted(self.weights.items()))
            if self.allocate == "weights"
            else self.allocate,
            "description": self.description,
        }


@dataclass(frozen=True)
class RecordMapping(Located):
    """How one source's fields become request record fields (a ``records`` block)."""

    source: str = ""
    # record field -> source fields tried in order (the first non-empty value wins)
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # record field -> value used when the source leaves the field empty
    defaults: dict[str, Any] = field(default_factory=dict)
    # a source's model name (or PROVIDER/MODEL) -> declared price item SHEET/ITEM
    items: dict[str, str] = field(default_factory=dict)
    # problems whose records are skipped (counted and reported) instead of failing
    skip: tuple[str, ...] = ()
    # False for a source that reports cached and cache-write tokens apart from input
    input_includes_cache: bool = True
    description: str | None = None

    def config(self) -> dict[str, Any]:
        return {
            "fields": {k: list(v) for k, v in sorted(self.fields.items())},
            "defaults": dict(sorted(self.defaults.items())),
            "items": dict(sorted(self.items.items())),
            "skip": list(self.skip),
            "input_includes_cache": self.input_includes_cache,
            "description": self.description,
        }


SCOPES = ("feature", "subscription", "customer", "workflow", "step", "stack")
SEVERITIES = ("error", "warning")


@dataclass(frozen=True)
class Guardrail(Located):
    name: str = ""
    scope: str = "feature"
    severity: str = "error"
    description: str | None = None
    condition: s.Expr | None = None
    message: s.Expr | None = None
    source: str = "stack"  # "stack", a policy file path, or builtin:NAME

    def config(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "severity": self.severity,
            "description": self.description,
            "condition": SourceText(self.condition.text) if self.condition else None,
            "message": SourceText(self.message.text) if self.message else None,
        }


@dataclass(frozen=True)
class Waiver(Located):
    name: str = ""
    guardrail: str = ""
    target: str = ""
    reason: str = ""
    until: date = date.max
    description: str | None = None
    # How far the target may be missed (a ratio for a margin: 0.05 is 5 points); a
    # violation that grows past it is no longer excused. None: no line is held.
    max_shortfall: Decimal | None = None

    def config(self) -> dict[str, Any]:
        return {
            "guardrail": self.guardrail,
            "target": self.target,
            "reason": self.reason,
            "until": self.until.isoformat(),
            "max_shortfall": self.max_shortfall,
            "description": self.description,
        }


@dataclass(frozen=True)
class Stack:
    """One evaluated configuration: the head of a change, or its base."""

    settings: Settings
    variables: dict[str, Variable] = field(default_factory=dict)
    price_sheets: dict[str, PriceSheet] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    workflows: dict[str, Workflow] = field(default_factory=dict)
    features: dict[str, Feature] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    shared_costs: dict[str, SharedCost] = field(default_factory=dict)
    guardrails: dict[str, Guardrail] = field(default_factory=dict)
    waivers: dict[str, Waiver] = field(default_factory=dict)
    records: dict[str, RecordMapping] = field(default_factory=dict)
    directory: str = "."
    # Evaluated variables and locals, for guardrail conditions that use them.
    locals: dict[str, Any] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        return self.settings.currency

    def price_item(self, uses: str) -> PriceItem | None:
        sheet, _, item = uses.partition("/")
        found = self.price_sheets.get(sheet)
        return found.items.get(item) if found else None
