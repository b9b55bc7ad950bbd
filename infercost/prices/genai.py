"""The ``genai-prices`` package's bundled data, read as price records (no network).

genai-prices keeps, per provider and model, prices per million tokens that may change
over time (conditional prices that start on a date), long-context tiers as a cliff
(one threshold per price, crossing it reprices the whole request), and request-context
variants, of which ``processing = "batch"`` is the Batch API. A variant overrides only
the prices it names; the others keep the standard price, so a batch block written from
it names every price explicitly rather than leaning on the language's defaults (which
would default a batch cached read to the batch input price).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import tempfile
from datetime import UTC, date, datetime, time
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Any

from infercost.errors import InfercostError, did_you_mean
from infercost.prices.record import PriceRecord, Prices, Tier

SOURCE = "genai-prices"

# genai-prices price keys -> the language's attribute names.
_TOKEN_KEYS = {
    "input_mtok": "input_per_mtok",
    "cache_read_mtok": "cached_input_per_mtok",
    "cache_write_mtok": "cache_write_per_mtok",
    "output_mtok": "output_per_mtok",
}
_PER_CALL_KEY = "requests_kcount"  # price per 1,000 requests
_THOUSAND = Decimal(1000)


def data_version() -> str:
    return version("genai-prices")


def describe() -> str:
    return f"genai-prices {data_version()}"


@functools.cache
def _providers() -> dict[str, Any]:
    from genai_prices.data import providers

    return {p.id: p for p in providers}


def providers() -> list[str]:
    return sorted(_providers())


def models(provider: str) -> list[str]:
    return [m.id for m in _providers()[provider].models]


def _provider(name: str) -> Any:
    found = _providers().get(name) or _providers().get(name.lower().strip())
    if found is None:
        raise LookupError(
            f'genai-prices has no provider "{name}".' + did_you_mean(name, _providers())
        )
    return found


def _model(provider: Any, name: str) -> Any:
    for model in provider.models:
        if model.id == name:
            return model
    lowered = name.lower()
    for model in provider.models:
        if model.is_match(lowered):
            return model
    ids = [m.id for m in provider.models]
    raise LookupError(
        f'genai-prices has no model "{name}" for provider "{provider.id}".'
        + did_you_mean(name, ids)
    )


def find(provider: str, model: str, at: date | None = None) -> PriceRecord:
    """The record of PROVIDER/MODEL as of ``at`` (default today), or LookupError with a
    "did you mean"."""
    cached = _cached(at or date.today(), f"{provider}/{model}")
    if cached is not None:
        return cached
    found_provider = _provider(provider)
    info = _model(found_provider, model)
    record = to_record(found_provider.id, info, at or date.today())
    if model != info.id:
        record = dataclasses.replace(record, label=model)
    return record


# -- a lookup cache -------------------------------------------------------------------------
# Importing the bundled data costs about half a second (the package, an HTTP client it
# imports for its optional updater, and 2,000+ model objects). Every record by its data
# id, as of one date, is cached as JSON in the user's cache directory, keyed by the
# data's version and the date, so a stack of hundreds of items is compared in a few
# milliseconds once the day's index exists. A miss (a name that is not a data id, a
# missing or unreadable cache) falls back to the data itself.


def _cache_dir() -> Path | None:
    candidates = []
    if env := os.environ.get("INFERCOST_CACHE_DIR"):
        candidates.append(Path(env))
    xdg = os.environ.get("XDG_CACHE_HOME")
    candidates.append(Path(xdg) / "infercost" if xdg else Path.home() / ".cache" / "infercost")
    for directory in candidates:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(directory, os.W_OK):
            return directory
    return None


def _cached(at: date, key: str) -> PriceRecord | None:
    from infercost.prices.record import record_from_json

    found = _index(at).get(key)
    if found is None or isinstance(found, PriceRecord):
        return found
    try:
        return record_from_json(found)
    except (ValueError, KeyError, TypeError, ArithmeticError):
        return None  # a damaged entry: the data itself answers


@functools.cache
def _index(at: date) -> dict[str, Any]:
    """Data id -> record (or its JSON, turned into a record when asked for)."""
    from infercost.prices.record import record_to_json

    directory = _cache_dir()
    name = f"genai-prices-{data_version()}-{at.isoformat()}.json"
    path = directory / name if directory else None
    if path is not None and path.is_file():
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(raw, dict):
                return raw
        except (OSError, ValueError):
            pass  # rebuilt below
    records = {
        f"{provider.id}/{model.id}": to_record(provider.id, model, at)
        for provider in _providers().values()
        for model in provider.models
    }
    if path is not None:
        try:
            with tempfile.NamedTemporaryFile(
                "w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8"
            ) as handle:
                json.dump({k: record_to_json(v) for k, v in records.items()}, handle)
            os.replace(handle.name, path)
        except OSError:
            pass
    return records


def lookup(reference: str, at: date | None = None) -> PriceRecord:
    """``PROVIDER/MODEL`` as an InfercostError-raising lookup, for the command line."""
    provider, slash, model = reference.partition("/")
    if not slash or not provider or not model:
        raise InfercostError.at(
            "Invalid model reference", f'"{reference}" is not of the form PROVIDER/MODEL.'
        )
    try:
        return find(provider, model, at)
    except LookupError as exc:
        raise InfercostError.at("Unknown model", str(exc)) from None


def _active(constraint: Any, moment: datetime) -> bool:
    """Whether a price applies at ``moment`` (a start date, or a time of day)."""
    return constraint is None or bool(constraint.active(moment))


def _standard(info: Any, moment: datetime, notes: list[str]) -> Any:
    """The price in force at ``moment``: later conditional prices take precedence, as in
    genai-prices. A time-of-day price (an off-peak discount) is judged at noon UTC, and
    noted, since a stack has one price per item."""
    from genai_prices.types import ModelPrice

    if isinstance(info.prices, ModelPrice):
        return info.prices
    if any(
        c.constraint is not None and not hasattr(c.constraint, "start_date") for c in info.prices
    ):
        notes.append(
            "prices vary by time of day; the price at 12:00 UTC is imported, off-peak hours "
            "cost otherwise"
        )
    chosen = info.prices[0].prices
    for conditional in reversed(info.prices):
        if _active(conditional.constraint, moment):
            chosen = conditional.prices
            break
    return chosen


def _values(price: Any) -> dict[str, Any]:
    return {k: v for k, v in price.__dict__.items() if not k.startswith("_") and v is not None}


def _prices(values: dict[str, Any]) -> Prices:
    """genai-prices values (Decimal or TieredPrices) -> Prices with tiers merged by threshold."""
    from genai_prices.types import TieredPrices

    base: dict[str, Decimal | None] = {}
    thresholds: set[int] = set()
    for key, name in _TOKEN_KEYS.items():
        value = values.get(key)
        if isinstance(value, TieredPrices):
            base[name] = value.base
            thresholds |= {t.start for t in value.tiers}
        else:
            base[name] = value
    tiers = []
    for above in sorted(thresholds):
        tier: dict[str, Decimal | None] = {}
        for key, name in _TOKEN_KEYS.items():
            value = values.get(key)
            if isinstance(value, TieredPrices):
                applicable = value.base
                for t in value.tiers:
                    if t.start <= above:
                        applicable = t.price
                tier[name] = applicable
            else:
                tier[name] = value
        # genai-prices bills an unpriced cache read or write as input: in a tier that is
        # the tier's input price, not the enclosing block's default, so say it.
        for name in ("cached_input_per_mtok", "cache_write_per_mtok"):
            if tier[name] is None:
                tier[name] = tier["input_per_mtok"]
        tiers.append(Tier(above, **tier))
    input_price = base.pop("input_per_mtok")
    return Prices(input_per_mtok=input_price or Decimal(0), **base, tiers=tuple(tiers))


def to_record(provider: str, info: Any, at: date) -> PriceRecord:
    moment = datetime.combine(at, time(12, 0), UTC)
    notes: list[str] = []
    standard = _values(_standard(info, moment, notes))
    not_imported = [
        f"{key} = {_text(value)}"
        for key, value in standard.items()
        if key not in _TOKEN_KEYS and key != _PER_CALL_KEY
    ]
    per_call = standard.get(_PER_CALL_KEY)
    if per_call is not None and not isinstance(per_call, Decimal):
        not_imported.append(f"{_PER_CALL_KEY} = {_text(per_call)}")
        per_call = None
    batch = None
    for variant in info.price_variants or ():
        if variant.when != {"processing": "batch"}:
            continue
        if not _active(variant.constraint, moment):
            continue
        overrides = _values(variant.prices)
        # A variant overrides the prices it names; the rest keep the standard price.
        merged = {k: overrides.get(k, standard.get(k)) for k in _TOKEN_KEYS}
        batch = _prices({k: v for k, v in merged.items() if v is not None})
        not_imported += [
            f"batch {key} = {_text(value)}"
            for key, value in overrides.items()
            if key not in _TOKEN_KEYS
        ]
        break
    if "input_mtok" not in standard:
        notes.append("the data has no input price for this model; input_per_mtok is 0")
    return PriceRecord(
        provider=provider,
        model=info.id,
        source=SOURCE,
        prices=_prices(standard),
        batch=batch,
        per_call=per_call / _THOUSAND if per_call is not None else None,
        name=info.name,
        not_imported=tuple(not_imported),
        notes=tuple(dict.fromkeys(notes)),
    )


def _text(value: Any) -> str:
    from genai_prices.types import TieredPrices

    if isinstance(value, TieredPrices):
        tiers = ", ".join(f"{t.price} above {t.start}" for t in value.tiers)
        return f"{value.base} ({tiers})"
    return str(value)
