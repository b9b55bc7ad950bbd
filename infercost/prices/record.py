"""One price record, whatever the data source: what a vendor charges for one model.

Prices are per million tokens (``per_call`` per call), exact Decimals in the source's
currency. ``None`` means the source does not publish that price; what it then costs
follows the language's defaults (a cached read or a cache write at the input price, no
output price), and :meth:`PriceRecord.flat` spells those defaults out so that a record
and a declared model item compare attribute by attribute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def one_line(text: str) -> str:
    """Text from a price file (a field name, a model key) made inert for messages,
    comments and CI logs: one line, no control characters, no ``##[`` marker, never
    starting with ``::``."""
    flat = _CONTROL.sub(" ", text).replace("##[", "# #[").strip()
    return " " + flat if flat.startswith("::") else flat


# Attribute names of the language, in the order they are written in a model block.
PRICE_ATTRIBUTES = (
    "input_per_mtok",
    "cached_input_per_mtok",
    "cache_write_per_mtok",
    "output_per_mtok",
)


@dataclass(frozen=True)
class Tier:
    """A long-context tier: a call whose input exceeds ``above`` tokens is billed at these
    prices entirely; a price left None keeps the enclosing block's price."""

    above: int
    input_per_mtok: Decimal | None = None
    cached_input_per_mtok: Decimal | None = None
    cache_write_per_mtok: Decimal | None = None
    output_per_mtok: Decimal | None = None


@dataclass(frozen=True)
class Prices:
    """A set of token prices (standard or batch) and its long-context tiers."""

    input_per_mtok: Decimal
    cached_input_per_mtok: Decimal | None = None
    cache_write_per_mtok: Decimal | None = None
    output_per_mtok: Decimal | None = None
    tiers: tuple[Tier, ...] = ()

    def effective(self) -> dict[str, Decimal]:
        """Every price with the language's defaults filled."""
        return {
            "input_per_mtok": self.input_per_mtok,
            "cached_input_per_mtok": _first(self.cached_input_per_mtok, self.input_per_mtok),
            "cache_write_per_mtok": _first(self.cache_write_per_mtok, self.input_per_mtok),
            "output_per_mtok": _first(self.output_per_mtok, ZERO),
        }

    def stated(self, prefix: str = "") -> set[str]:
        """The dotted attributes the source states itself (the rest are defaults)."""
        out = {prefix + n for n in PRICE_ATTRIBUTES if getattr(self, n) is not None}
        for tier in self.tiers:
            out |= {
                f"{prefix}long_context[{tier.above}].{n}"
                for n in PRICE_ATTRIBUTES
                if getattr(tier, n) is not None
            }
        return out

    def flat(self, prefix: str = "") -> dict[str, Decimal]:
        base = self.effective()
        out = {prefix + k: v for k, v in base.items()}
        for tier in self.tiers:
            for name in PRICE_ATTRIBUTES:
                value = getattr(tier, name)
                out[f"{prefix}long_context[{tier.above}].{name}"] = _first(value, base[name])
        return out


@dataclass(frozen=True)
class PriceRecord:
    """What one model of one provider costs, as a data source states it."""

    provider: str
    model: str
    source: str  # "genai-prices" | "litellm"
    prices: Prices
    batch: Prices | None = None
    per_call: Decimal | None = None
    currency: str = "USD"
    name: str | None = None
    # Prices the source has and the language cannot express (audio tokens, web searches,
    # one-hour cache writes...): reported to the user, never mapped by guess.
    not_imported: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)
    # The name asked for, when the data matched it to another id (omni-moderation ->
    # moderation): the item is labelled as asked, its source names the data's id.
    label: str | None = None

    @property
    def item_label(self) -> str:
        return self.label or self.model

    @property
    def reference(self) -> str:
        return f"{self.source}:{self.provider}/{self.model}"

    def stated(self) -> set[str]:
        out = self.prices.stated()
        if self.per_call is not None:
            out.add("per_call")
        if self.batch is not None:
            out |= self.batch.stated("batch.")
        return out

    def flat(self) -> dict[str, Decimal]:
        """Dotted attribute -> effective price: the addresses plan's changes[] use."""
        out = self.prices.flat()
        if self.per_call is not None:
            out["per_call"] = self.per_call
        if self.batch is not None:
            out |= self.batch.flat("batch.")
        return out


def _first(value: Decimal | None, default: Decimal) -> Decimal:
    return default if value is None else value


def _d(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _prices_json(prices: Prices) -> dict[str, object]:
    return {
        **{name: _s(getattr(prices, name)) for name in PRICE_ATTRIBUTES},
        "tiers": [
            {"above": t.above, **{n: _s(getattr(t, n)) for n in PRICE_ATTRIBUTES}}
            for t in prices.tiers
        ],
    }


def _prices_from(data: dict) -> Prices:  # type: ignore[type-arg]
    tiers = tuple(
        Tier(int(t["above"]), **{n: _d(t[n]) for n in PRICE_ATTRIBUTES}) for t in data["tiers"]
    )
    values = {n: _d(data[n]) for n in PRICE_ATTRIBUTES}
    return Prices(
        input_per_mtok=values.pop("input_per_mtok") or ZERO,
        **values,
        tiers=tiers,
    )


def record_to_json(record: PriceRecord) -> dict[str, object]:
    """A record as JSON-safe data (prices as decimal strings), for the lookup cache."""
    return {
        "provider": record.provider,
        "model": record.model,
        "source": record.source,
        "prices": _prices_json(record.prices),
        "batch": _prices_json(record.batch) if record.batch else None,
        "per_call": _s(record.per_call),
        "currency": record.currency,
        "name": record.name,
        "not_imported": list(record.not_imported),
        "notes": list(record.notes),
    }


def record_from_json(data: dict) -> PriceRecord:  # type: ignore[type-arg]
    return PriceRecord(
        provider=data["provider"],
        model=data["model"],
        source=data["source"],
        prices=_prices_from(data["prices"]),
        batch=_prices_from(data["batch"]) if data["batch"] else None,
        per_call=_d(data["per_call"]),
        currency=data["currency"],
        name=data["name"],
        not_imported=tuple(data["not_imported"]),
        notes=tuple(data["notes"]),
    )
