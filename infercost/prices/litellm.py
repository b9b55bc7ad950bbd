"""A LiteLLM ``model_prices_and_context_window.json`` file, read as price records.

LiteLLM states prices per single token (``input_cost_per_token = 2.5e-06``) and encodes
variants in field names: ``_batches`` for the Batch API, ``_above_200k_tokens`` for a
long-context tier, ``cache_read_input_token_cost`` / ``cache_creation_input_token_cost``
for prompt caching. Numbers are read as exact decimals from the JSON text and scaled to
per-million prices. A price field this reader does not know is reported by name, never
mapped by guess; a file that is not of this shape is a located error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from infercost.errors import InfercostError, SourceRange, did_you_mean
from infercost.prices.record import PriceRecord, Prices, Tier, one_line

SOURCE = "litellm"
MILLION = Decimal(1_000_000)

_BASE = {
    "input_cost_per_token": "input_per_mtok",
    "cache_read_input_token_cost": "cached_input_per_mtok",
    "cache_creation_input_token_cost": "cache_write_per_mtok",
    "output_cost_per_token": "output_per_mtok",
}
_BATCH = {
    "input_cost_per_token_batches": "input_per_mtok",
    "output_cost_per_token_batches": "output_per_mtok",
}
_TIER = re.compile(r"^(?P<field>[a-z_]+?)_above_(?P<n>\d+)(?P<k>k?)_tokens$")
_PER_CALL = "input_cost_per_request"
# Fields that describe a model rather than price it.
_METADATA = re.compile(
    r"^(litellm_provider|mode|max_tokens|max_input_tokens|max_output_tokens|source|metadata|"
    r"deprecation_date|supports_.*|supported_.*|tool_use_system_prompt_tokens|"
    r"output_vector_size|rpm|tpm|comment|notes)$"
)


@dataclass(frozen=True)
class LiteLLMFile:
    path: str
    text: str
    entries: dict[str, dict[str, Any]]

    def locate(self, key: str) -> SourceRange:
        """Where an entry's key is written (the JSON reader keeps no positions)."""
        match = re.search(re.escape(json.dumps(key)) + r"\s*:", self.text)
        if match is None:
            return SourceRange.point(self.path, 1, 1)
        return _range_at(self.path, self.text, match.start())

    def describe(self) -> str:
        return f"LiteLLM {Path(self.path).name}"


def _range_at(path: str, text: str, offset: int) -> SourceRange:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return SourceRange.point(path, line, column)


def read(path: Path, display: str | None = None) -> LiteLLMFile:
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InfercostError.at(
            "Unreadable price file", f"{name}: {getattr(exc, 'strerror', None) or exc}."
        ) from None
    return parse(text, name)


def parse(text: str, name: str) -> LiteLLMFile:
    try:
        data = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except json.JSONDecodeError as exc:
        raise InfercostError.at(
            "Invalid LiteLLM price file",
            f"{exc.msg}: this is not JSON.",
            SourceRange.point(name, exc.lineno, exc.colno),
        ) from None
    except RecursionError:  # Python's decoder recurses once per level of nesting
        raise InfercostError.at(
            "Invalid LiteLLM price file",
            "it nests arrays or objects too deeply to read (a price file is one object of "
            "flat model entries).",
            SourceRange.point(name, 1, 1),
        ) from None
    if not isinstance(data, dict):
        raise InfercostError.at(
            "Invalid LiteLLM price file",
            "A model_prices_and_context_window.json file is one JSON object with a key per "
            f"model, but this file holds a {_kind(data)}.",
            SourceRange.point(name, 1, 1),
        )
    entries: dict[str, dict[str, Any]] = {}
    result = LiteLLMFile(name, text, entries)
    for key, entry in data.items():
        if key == "sample_spec":
            continue
        if not isinstance(entry, dict):
            raise InfercostError.at(
                "Invalid LiteLLM price file",
                f'The entry "{one_line(key)}" must be an object of prices, but it is a '
                f"{_kind(entry)}.",
                result.locate(key),
            )
        entries[key] = entry
    return result


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "JSON object"
    if isinstance(value, list):
        return "JSON array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _key_for(file: LiteLLMFile, provider: str, model: str) -> str | None:
    for key in (f"{provider}/{model}", model):
        entry = file.entries.get(key)
        if entry is not None and entry.get("litellm_provider") in (provider, None):
            return key
    return None


def find(file: LiteLLMFile, provider: str, model: str) -> PriceRecord:
    key = _key_for(file, provider, model)
    if key is None:
        providers = {e.get("litellm_provider") for e in file.entries.values()}
        if provider not in providers:
            raise LookupError(
                f'{file.describe()} has no provider "{provider}".'
                + did_you_mean(provider, {one_line(p) for p in providers if isinstance(p, str)})
            )
        names = [
            k.removeprefix(f"{provider}/")
            for k, e in file.entries.items()
            if e.get("litellm_provider") == provider
        ]
        raise LookupError(
            f'{file.describe()} has no model "{model}" for provider "{provider}".'
            + did_you_mean(model, [one_line(n) for n in names])
        )
    return to_record(file, key, provider, model)


def lookup(file: LiteLLMFile, reference: str) -> PriceRecord:
    provider, slash, model = reference.partition("/")
    if not slash or not provider or not model:
        raise InfercostError.at(
            "Invalid model reference", f'"{reference}" is not of the form PROVIDER/MODEL.'
        )
    try:
        return find(file, provider, model)
    except LookupError as exc:
        raise InfercostError.at("Unknown model", str(exc)) from None


def _price(file: LiteLLMFile, key: str, field: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal) or value < 0:
        raise InfercostError.at(
            "Invalid LiteLLM price file",
            f'"{one_line(field)}" of "{one_line(key)}" must be a number >= 0, but it is '
            f"{one_line(_plain(value))}.",
            file.locate(key),
        )
    return value


def _plain(value: Any) -> str:
    """A JSON value as written in the file (numbers exact)."""
    if isinstance(value, Decimal):
        return (
            format(value.normalize(), "f")
            if value == value.to_integral_value() or abs(value.adjusted()) < 20
            else str(value)
        )
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_plain(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    return json.dumps(value)


def to_record(file: LiteLLMFile, key: str, provider: str, model: str) -> PriceRecord:
    entry = file.entries[key]
    base: dict[str, Decimal] = {}
    batch: dict[str, Decimal] = {}
    tiers: dict[int, dict[str, Decimal]] = {}
    per_call: Decimal | None = None
    not_imported: list[str] = []
    for field, value in entry.items():
        if _METADATA.match(field):
            continue
        if field in _BASE:
            base[_BASE[field]] = _price(file, key, field, value) * MILLION
        elif field in _BATCH:
            batch[_BATCH[field]] = _price(file, key, field, value) * MILLION
        elif field == _PER_CALL:
            per_call = _price(file, key, field, value)
        elif (tier := _TIER.match(field)) and tier["field"] in _BASE:
            above = int(tier["n"]) * (1000 if tier["k"] else 1)
            tiers.setdefault(above, {})[_BASE[tier["field"]]] = (
                _price(file, key, field, value) * MILLION
            )
        else:
            not_imported.append(f"{field} = {_plain(value)}")
    if "input_per_mtok" not in base:
        raise InfercostError.at(
            "Unsupported model",
            f'"{one_line(key)}" has no input_cost_per_token; it is not priced by tokens '
            f"({one_line(str(entry.get('mode', 'unknown mode')))}).",
            file.locate(key),
        )
    prices = Prices(
        input_per_mtok=base["input_per_mtok"],
        cached_input_per_mtok=base.get("cached_input_per_mtok"),
        cache_write_per_mtok=base.get("cache_write_per_mtok"),
        output_per_mtok=base.get("output_per_mtok"),
        tiers=tuple(Tier(above, **values) for above, values in sorted(tiers.items())),
    )
    batch_prices = None
    if batch:
        if "input_per_mtok" not in batch:
            not_imported += [f"{k} (batch without an input price)" for k in batch]
        else:
            # LiteLLM names no batch cache prices: cache reads and writes keep the standard
            # price, written out so the batch block does not default them to batch input.
            batch_prices = Prices(
                input_per_mtok=batch["input_per_mtok"],
                cached_input_per_mtok=prices.effective()["cached_input_per_mtok"],
                cache_write_per_mtok=prices.effective()["cache_write_per_mtok"],
                output_per_mtok=batch.get("output_per_mtok"),
            )
            if tiers:
                not_imported.append(
                    "batch long-context prices (LiteLLM does not state them; calls above "
                    "the threshold in batch are an error until they are added)"
                )
    return PriceRecord(
        provider=provider,
        model=model,
        source=SOURCE,
        prices=prices,
        batch=batch_prices,
        per_call=per_call,
        not_imported=tuple(not_imported),
    )
