"""Wording of every bad-row message, from the codes the validation queries produce.

The engine finds which rows are bad and why (a short code); this module says it the way
a person fixing the file needs it: the data row (from 1), the column, the value.
"""

from __future__ import annotations

import json
from typing import Any

from infercost.errors import did_you_mean
from infercost.invisible import quoted_line
from infercost.usage.sources import COLUMNS, MAX_UNIT_DECIMALS

INVALID_ROW = "Invalid usage row"
UNKNOWN_COLUMN = "Unknown usage column"


def row_problem(code: str, row: dict[str, Any]) -> tuple[str, str]:
    """``(summary, detail)`` for one bad row; ``row`` holds the row's cells by column."""
    row = {k: quoted_line(v) if isinstance(v, str) and k != "raw" else v for k, v in row.items()}
    units = row.get("units")
    customer = row.get("customer")
    if code == "json":
        return INVALID_ROW, f"invalid JSON ({_json_error(row.get('raw') or '')})."
    if code == "json_comma":
        return INVALID_ROW, "invalid JSON (a trailing comma)."
    if code == "not_object":
        return INVALID_ROW, "each row must be a JSON object."
    if code == "duplicate_key":
        return (
            INVALID_ROW,
            f'the key "{quoted_line(_duplicate(row.get("raw") or ""))}" appears twice.',
        )
    if code == "unknown_key":
        return UNKNOWN_COLUMN, unknown_column(_unknown(row.get("raw") or ""))
    if code.startswith("text_type:"):
        return INVALID_ROW, f'"{code.partition(":")[2]}" must be a string.'
    if code == "units_type":
        value = quoted_line(_json_value(row.get("raw"), "units"))
        return INVALID_ROW, f"units must be a number, not {value}."
    if code == "units_missing":
        return INVALID_ROW, 'the required value "units" is missing.'
    if code == "units_number":
        return INVALID_ROW, f'units must be a number, not "{units}".'
    if code == "units_negative":
        return INVALID_ROW, f"units must be >= 0, not {units}."
    if code == "units_large":
        return INVALID_ROW, (
            f"units {str(units).strip()} is beyond what infercost shows: units must stay "
            "below 1e18."
        )
    if code == "units_places":
        return INVALID_ROW, (
            f"units {str(units).strip()} has more than {MAX_UNIT_DECIMALS} decimals: units "
            f"may be fractional, to at most {MAX_UNIT_DECIMALS} digits after the point."
        )
    if code == "period_mixed":
        return INVALID_ROW, "every row needs a period once one row has one."
    if code == "customer_mixed":
        return INVALID_ROW, (
            "either every row names a customer or none does; this row "
            + ("does not." if customer is None else "does.")
        )
    if code == "feature_missing":
        return INVALID_ROW, (
            'the required value "feature" is missing (it may be empty only on a customer '
            "row with units = 0)."
        )
    if code == "subscription_without_customer":
        return INVALID_ROW, "a subscription is given without a customer."
    if code == "customer_without_subscription":
        return INVALID_ROW, f'customer "{customer}" has no subscription.'
    if code == "subscription_conflict":
        return INVALID_ROW, (
            f'customer "{customer}" has subscription "{row.get("subscription")}" here but '
            f'"{row.get("owner")}" at row {row.get("owner_rn")}; a customer has one '
            "subscription per period."
        )
    return INVALID_ROW, "the row cannot be read."


def unknown_column(name: str) -> str:
    return (
        f'unknown column "{quoted_line(name)}".'
        + did_you_mean(name, COLUMNS)
        + " Columns are: "
        + ", ".join(COLUMNS)
        + "."
    )


def _json_error(text: str) -> str:
    try:
        json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return exc.msg
    except ValueError as exc:
        return str(exc)
    except RecursionError:
        return "nested too deeply to read"
    return "not valid JSON"


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _pairs(text: str) -> list[tuple[str, Any]]:
    try:
        pairs = json.loads(text, object_pairs_hook=lambda p: p)
    except (ValueError, RecursionError):
        return []
    return pairs if isinstance(pairs, list) else []


def _duplicate(text: str) -> str:
    seen: set[str] = set()
    for key, _ in _pairs(text):
        if key in seen:
            return key
        seen.add(key)
    return "?"


def _unknown(text: str) -> str:
    for key, _ in _pairs(text):
        if key not in COLUMNS:
            return key
    return "?"


def _json_value(text: object, key: str) -> str:
    for name, value in _pairs(str(text or "")):
        if name == key:
            return json.dumps(value)
    return "?"
