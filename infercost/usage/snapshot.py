"""Read a usage snapshot (CSV, JSON array, JSON lines) into per-feature and per-customer sums.

Strict by design: unknown columns, a missing required column, a bad number, a customer
with two subscriptions or mixed customer/non-customer rows are errors that name the data
row (counted from 1) and the file line. Nothing is dropped or guessed. Rows are
aggregated while reading, so a million-row file never lives in memory as rows.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from infercost.config.loader import display_path
from infercost.errors import Diagnostic, InfercostError, SourceRange

COLUMNS = ("feature", "units", "customer", "subscription", "period")
REQUIRED = ("feature", "units")
FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class RowRef:
    row: int
    line: int


@dataclass
class Customer:
    id: str
    subscription: str
    units: dict[str, Decimal] = field(default_factory=dict)
    first: RowRef = RowRef(0, 0)


@dataclass
class Snapshot:
    path: str
    period: str | None = None
    has_customers: bool = False
    units: dict[str, Decimal] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    feature_rows: dict[str, RowRef] = field(default_factory=dict)
    rows: int = 0

    def location(self, ref: RowRef) -> SourceRange:
        return SourceRange.point(self.path, ref.line, 1)


def read_snapshot(path: Path, period: str | None = None) -> Snapshot:
    shown = display_path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InfercostError.at(
            "Unsupported usage file",
            f"{shown}: the format is chosen by extension: .csv, .json, .jsonl or .ndjson.",
        )
    try:
        handle = path.open("r", encoding="utf-8", newline="")
    except FileNotFoundError:
        raise InfercostError.at("Usage file not found", f"{shown} does not exist.") from None
    except OSError as exc:
        raise InfercostError.at(
            "Unreadable usage file", f"{shown}: {exc.strerror or exc}."
        ) from None
    with handle:
        try:
            rows = {"csv": _csv_rows, "json": _json_rows, "jsonl": _jsonl_rows}[fmt](handle, shown)
            return _aggregate(rows, shown, period)
        except UnicodeDecodeError as exc:
            raise InfercostError.at(
                "Unreadable usage file", f"{shown} is not UTF-8 text ({exc.reason})."
            ) from None
        except IsADirectoryError:
            raise InfercostError.at("Unreadable usage file", f"{shown} is a directory.") from None


def _bad(shown: str, ref: RowRef | None, detail: str, summary: str = "Invalid usage row") -> InfercostError:
    where = f"row {ref.row}: " if ref and ref.row else ""
    rng = SourceRange.point(shown, ref.line, 1) if ref else SourceRange.point(shown, 1, 1)
    return InfercostError(Diagnostic(summary, where + detail, rng))


Row = tuple[RowRef, dict[str, object]]


def _check_columns(columns: Iterable[str], shown: str, ref: RowRef | None) -> None:
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        from infercost.errors import did_you_mean

        raise _bad(
            shown, ref,
            f'unknown column "{unknown[0]}".' + did_you_mean(unknown[0], COLUMNS)
            + " Columns are: " + ", ".join(COLUMNS) + ".",
            "Unknown usage column",
        )


def _csv_rows(handle: object, shown: str) -> Iterator[Row]:
    reader = csv.reader(handle)  # type: ignore[arg-type]
    try:
        header = next(reader)
    except StopIteration:
        raise _bad(shown, None, "the file is empty; it needs a header row.", "Empty usage file") from None
    header = [h.strip() for h in header]
    _check_columns(header, shown, RowRef(0, 1))
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise _bad(shown, RowRef(0, 1), f'the required column "{missing[0]}" is missing.',
                   "Missing usage column")  # fmt: skip
    width = len(header)
    number = 0
    try:
        for record in reader:
            if not record:
                continue
            number += 1
            ref = RowRef(number, reader.line_num)
            if len(record) != width:
                raise _bad(shown, ref, f"expected {width} cells, found {len(record)}.")
            yield ref, {k: v for k, v in zip(header, record, strict=True) if v != ""}
    except csv.Error as exc:
        raise _bad(shown, RowRef(number + 1, reader.line_num), f"malformed CSV ({exc}).") from None


def _json_rows(handle: object, shown: str) -> Iterator[Row]:
    text = handle.read()  # type: ignore[attr-defined]
    decoder = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal)
    pos = _skip(text, 0)
    if pos >= len(text) or text[pos] != "[":
        raise _bad(shown, RowRef(0, _line(text, pos)), "a .json snapshot is an array of objects.",
                   "Invalid usage file")  # fmt: skip
    pos = _skip(text, pos + 1)
    number = 0
    if pos < len(text) and text[pos] == "]":
        return
    while True:
        number += 1
        ref = RowRef(number, _line(text, pos))
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise _bad(shown, RowRef(number, exc.lineno), f"invalid JSON ({exc.msg}).") from None
        yield ref, _object(value, shown, ref)
        pos = _skip(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)
            continue
        if pos < len(text) and text[pos] == "]":
            return
        raise _bad(shown, RowRef(number, _line(text, pos)), "expected , or ] after a row.",
                   "Invalid usage file")  # fmt: skip


def _jsonl_rows(handle: object, shown: str) -> Iterator[Row]:
    decoder = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal)
    number = 0
    for line_no, line in enumerate(handle, start=1):  # type: ignore[arg-type]
        if not line.strip():
            continue
        number += 1
        ref = RowRef(number, line_no)
        try:
            value = decoder.decode(line)
        except json.JSONDecodeError as exc:
            raise _bad(shown, ref, f"invalid JSON ({exc.msg}).") from None
        yield ref, _object(value, shown, ref)


def _object(value: object, shown: str, ref: RowRef) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _bad(shown, ref, "each row must be a JSON object.")
    _check_columns(value, shown, ref)
    return {k: v for k, v in value.items() if v is not None and v != ""}


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _text(value: object, column: str, shown: str, ref: RowRef) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal) and column in ("customer", "period"):
        return str(value)
    raise _bad(shown, ref, f'"{column}" must be a string.')


def _aggregate(rows: Iterable[Row], shown: str, period: str | None) -> Snapshot:
    snap = Snapshot(shown)
    units_by_feature = snap.units
    customers = snap.customers
    feature_rows = snap.feature_rows
    periods: dict[str, RowRef] = {}
    with_customer: bool | None = None
    with_period: bool | None = None
    for ref, row in rows:
        snap.rows += 1
        row_period = row.get("period")
        if with_period is None:
            with_period = row_period is not None
        elif with_period != (row_period is not None):
            raise _bad(shown, ref, "every row needs a period once one row has one.")
        if row_period is not None:
            row_period = _text(row_period, "period", shown, ref)
            periods.setdefault(row_period, ref)
            if period is not None and row_period != period:
                continue
        raw = row.get("units")
        if raw is None:
            raise _bad(shown, ref, 'the required value "units" is missing.')
        if isinstance(raw, Decimal):
            units = raw
        elif isinstance(raw, str):
            try:
                units = Decimal(raw.strip())
            except InvalidOperation:
                raise _bad(shown, ref, f'units must be a number, not "{raw}".') from None
            if not units.is_finite():
                raise _bad(shown, ref, f'units must be a number, not "{raw}".')
        else:
            raise _bad(shown, ref, f"units must be a number, not {json.dumps(raw)}.")
        if units < ZERO:
            raise _bad(shown, ref, f"units must be >= 0, not {raw}.")
        customer = row.get("customer")
        if with_customer is None:
            with_customer = customer is not None
        elif with_customer != (customer is not None):
            raise _bad(
                shown, ref,
                "either every row names a customer or none does; this row "
                + ("does not." if customer is None else "does."),
            )
        feature = row.get("feature")
        if feature is not None:
            feature = _text(feature, "feature", shown, ref)
            if feature not in feature_rows:
                feature_rows[feature] = ref
            units_by_feature[feature] = units_by_feature.get(feature, ZERO) + units
        elif customer is None or units != ZERO:
            raise _bad(
                shown, ref,
                'the required value "feature" is missing (it may be empty only on a '
                "customer row with units = 0).",
            )
        if customer is None:
            if "subscription" in row:
                raise _bad(shown, ref, "a subscription is given without a customer.")
            continue
        customer = _text(customer, "customer", shown, ref)
        subscription = row.get("subscription")
        if subscription is None:
            raise _bad(shown, ref, f'customer "{customer}" has no subscription.')
        subscription = _text(subscription, "subscription", shown, ref)
        known = customers.get(customer)
        if known is None:
            known = customers[customer] = Customer(customer, subscription, {}, ref)
        elif known.subscription != subscription:
            raise _bad(
                shown, ref,
                f'customer "{customer}" has subscription "{subscription}" here but '
                f'"{known.subscription}" at row {known.first.row}; a customer has one '
                "subscription per period.",
            )
        if feature is not None:
            known.units[feature] = known.units.get(feature, ZERO) + units
    if len(periods) > 1 and period is None:
        names = ", ".join(sorted(periods))
        raise _bad(
            shown, None,
            f"the snapshot spans several periods ({names}); choose one with --period.",
            "Several usage periods",
        )
    if period is not None:
        if with_period and period not in periods:
            raise _bad(shown, None, f'no row has period "{period}"; found: '
                       + ", ".join(sorted(periods)) + ".", "Unknown usage period")  # fmt: skip
        if not with_period:
            raise _bad(shown, None, f'--period "{period}" was given, but the snapshot has no '
                       "period column.", "Unknown usage period")  # fmt: skip
    snap.period = period if period is not None else next(iter(periods), None)
    snap.has_customers = bool(with_customer)
    return snap


def check_names(snap: Snapshot, features: set[str], subscriptions: set[str]) -> None:
    """Every feature and subscription a row names must be declared (on some side)."""
    from infercost.errors import did_you_mean

    for feature, ref in sorted(snap.feature_rows.items(), key=lambda kv: kv[1].row):
        if feature not in features:
            raise _bad(
                snap.path, ref,
                f'unknown feature "{feature}".' + did_you_mean(feature, features),
                "Unknown feature in usage",
            )
    for customer in snap.customers.values():
        if customer.subscription not in subscriptions:
            raise _bad(
                snap.path, customer.first,
                f'customer "{customer.id}" has unknown subscription "{customer.subscription}".'
                + did_you_mean(customer.subscription, subscriptions),
                "Unknown subscription in usage",
            )
