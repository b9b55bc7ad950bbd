"""Read a usage snapshot (CSV, JSON array, JSON lines) into per-feature and per-customer sums.

Strict by design: unknown columns, a missing required column, a bad number, a customer
with two subscriptions or mixed customer/non-customer rows are errors that name the data
row (counted from 1) and the file line. Nothing is dropped or guessed. Rows are
aggregated while reading, so a million-row file never lives in memory as rows.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import operator
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from infercost.config.loader import display_path
from infercost.errors import Diagnostic, InfercostError, SourceRange

COLUMNS = ("feature", "units", "customer", "subscription", "period")
REQUIRED = ("feature", "units")
FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
ZERO = Decimal(0)


class RowRef(NamedTuple):
    """Where a row is: its data row number (from 1) and its line in the file."""

    row: int
    line: int


@dataclass
class Customer:
    id: str
    subscription: str
    units: dict[str, Decimal] = field(default_factory=dict)
    first: RowRef = field(default_factory=lambda: RowRef(0, 0))


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
    with handle, _no_gc():
        try:
            if fmt == "csv":
                grouped = _csv_groups(handle, shown)
            else:
                reader = _json_rows if fmt == "json" else _jsonl_rows
                grouped = _groups(reader(handle, shown), shown)
            return _aggregate(grouped, shown, period)
        except UnicodeDecodeError as exc:
            raise InfercostError.at(
                "Unreadable usage file", f"{shown} is not UTF-8 text ({exc.reason})."
            ) from None
        except IsADirectoryError:
            raise InfercostError.at("Unreadable usage file", f"{shown} is a directory.") from None


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic GC: a large snapshot allocates hundreds of thousands of tuples that
    all survive, and generation-2 scans over them make reading superlinear."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _bad(
    shown: str, ref: RowRef | None, detail: str, summary: str = "Invalid usage row"
) -> InfercostError:
    where = f"row {ref.row}: " if ref and ref.row else ""
    rng = SourceRange.point(shown, ref.line, 1) if ref else SourceRange.point(shown, 1, 1)
    return InfercostError(Diagnostic(summary, where + detail, rng))


# A row as the JSON readers yield it: number, file line, then the five columns in COLUMNS
# order (feature, units, customer, subscription, period), None where absent.
Row = tuple[int, int, object, object, object, object, object]
# Rows grouped by (feature, customer, subscription, period): summed units and first row.
GROUP_COLUMNS = ("feature", "customer", "subscription", "period")
Groups = dict[tuple[Any, ...], tuple[Decimal, RowRef]]


def _check_columns(columns: Iterable[str], shown: str, ref: RowRef | None) -> None:
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        from infercost.errors import did_you_mean

        raise _bad(
            shown,
            ref,
            f'unknown column "{unknown[0]}".'
            + did_you_mean(unknown[0], COLUMNS)
            + " Columns are: "
            + ", ".join(COLUMNS)
            + ".",
            "Unknown usage column",
        )


def _csv_groups(handle: object, shown: str) -> tuple[Groups, int]:
    """Group CSV rows by their non-unit cells in one tight loop (see :func:`_groups`)."""
    reader = csv.reader(handle)  # type: ignore[arg-type]
    try:
        header = next(reader)
    except StopIteration:
        raise _bad(
            shown, None, "the file is empty; it needs a header row.", "Empty usage file"
        ) from None
    header = [h.strip() for h in header]
    _check_columns(header, shown, RowRef(0, 1))
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise _bad(
            shown,
            RowRef(0, 1),
            f'the required column "{missing[0]}" is missing.',
            "Missing usage column",
        )
    width = len(header)
    units_at = header.index("units")
    others = [i for i, c in enumerate(header) if c != "units"]
    key_of = (
        operator.itemgetter(*others) if len(others) > 1 else (lambda record: (record[others[0]],))
    )
    # key -> [units, first row, its line]: one dict lookup per row on the hot path.
    sums: dict[tuple[Any, ...], list[Any]] = {}
    number = 0
    decimal = Decimal
    zero = ZERO
    try:
        for record in reader:
            number += 1
            if len(record) != width:
                if not record:
                    number -= 1
                    continue
                raise _bad(
                    shown,
                    RowRef(number, reader.line_num),
                    f"expected {width} cells, found {len(record)}.",
                )
            key = key_of(record)
            try:
                units = decimal(record[units_at])
                if not units >= zero or not units.is_finite():
                    raise ValueError
            except (InvalidOperation, ValueError):
                _units(record[units_at] or None, shown, RowRef(number, reader.line_num))
                raise  # pragma: no cover - _units raised
            acc = sums.get(key)
            if acc is None:
                sums[key] = [units, number, reader.line_num]
            else:
                acc[0] += units
    except csv.Error as exc:
        raise _bad(shown, RowRef(number + 1, reader.line_num), f"malformed CSV ({exc}).") from None
    # Raw keys hold the cells of the present columns; reorder them into GROUP_COLUMNS,
    # empty cells as None. Each raw key maps to one group, so insertion order (the order
    # of first rows) is kept.
    names = [header[i] for i in others]
    where = [names.index(c) if c in names else None for c in GROUP_COLUMNS]
    groups: Groups = {}
    for key, (total, row, line) in sums.items():
        canonical = tuple(None if i is None else (key[i] or None) for i in where)
        groups[canonical] = (total, RowRef(row, line))
    return groups, number


def _json_rows(handle: object, shown: str) -> Iterator[Row]:
    text = handle.read()  # type: ignore[attr-defined]
    decoder = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal)
    pos = _skip(text, 0)
    if pos >= len(text) or text[pos] != "[":
        raise _bad(
            shown,
            RowRef(0, _line(text, pos)),
            "a .json snapshot is an array of objects.",
            "Invalid usage file",
        )
    pos = _skip(text, pos + 1)
    number = 0
    if pos < len(text) and text[pos] == "]":
        return
    while True:
        number += 1
        line = _line(text, pos)
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise _bad(shown, RowRef(number, exc.lineno), f"invalid JSON ({exc.msg}).") from None
        yield _object(value, shown, number, line)
        pos = _skip(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)
            continue
        if pos < len(text) and text[pos] == "]":
            return
        raise _bad(
            shown,
            RowRef(number, _line(text, pos)),
            "expected , or ] after a row.",
            "Invalid usage file",
        )


def _jsonl_rows(handle: TextIO, shown: str) -> Iterator[Row]:
    decoder = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal)
    number = 0
    for line_no, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        number += 1
        try:
            value = decoder.decode(line)
        except json.JSONDecodeError as exc:
            raise _bad(shown, RowRef(number, line_no), f"invalid JSON ({exc.msg}).") from None
        yield _object(value, shown, number, line_no)


def _object(value: object, shown: str, number: int, line: int) -> Row:
    ref = RowRef(number, line)
    if not isinstance(value, dict):
        raise _bad(shown, ref, "each row must be a JSON object.")
    _check_columns(value, shown, ref)
    cells: list[object] = []
    for column in COLUMNS:
        cell = value.get(column)
        if cell is None or cell == "":
            cells.append(None)
        elif column == "units":
            cells.append(cell)
        else:
            cells.append(_text(cell, column, shown, ref))
    return (number, line, *cells)  # type: ignore[return-value]


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


def _units(raw: object, shown: str, ref: RowRef) -> Decimal:
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
    return units


def _groups(rows: Iterable[Row], shown: str) -> tuple[Groups, int]:
    """Group rows by everything but their units, validating the units of every row.

    Only the units differ from row to row in a way that needs a per-row check; every
    other rule concerns a group, and the first row of the first offending group is the
    first offending row, so checking groups in first-row order reports the same row.
    """
    groups: Groups = {}
    count = 0
    for number, line, feature, raw, customer, subscription, row_period in rows:
        count += 1
        ref = RowRef(number, line)
        units = _units(raw, shown, ref) if raw is not None else None
        key = (feature, customer, subscription, row_period)
        if units is None:
            raise _bad(shown, ref, 'the required value "units" is missing.')
        known = groups.get(key)
        groups[key] = (units, ref) if known is None else (known[0] + units, known[1])
    return groups, count


def _aggregate(grouped: tuple[Groups, int], shown: str, period: str | None) -> Snapshot:
    groups, count = grouped
    snap = Snapshot(shown, rows=count)
    # Groups are in the order of their first rows (dicts keep insertion order), so the
    # first group that breaks a rule holds the first row that breaks it.
    ordered = list(groups.items())
    if not ordered:
        return snap
    with_customer = ordered[0][0][1] is not None
    with_period = ordered[0][0][3] is not None
    periods: dict[str, RowRef] = {}
    feature_units, feature_rows, customers = snap.units, snap.feature_rows, snap.customers
    for (feature, customer, subscription, row_period), (units, ref) in ordered:
        if (row_period is not None) != with_period:
            raise _bad(shown, ref, "every row needs a period once one row has one.")
        if (customer is not None) != with_customer:
            raise _bad(
                shown,
                ref,
                "either every row names a customer or none does; this row "
                + ("does not." if customer is None else "does."),
            )
        if feature is None and (customer is None or units != ZERO):
            raise _bad(
                shown,
                ref,
                'the required value "feature" is missing (it may be empty only on a '
                "customer row with units = 0).",
            )
        if customer is None and subscription is not None:
            raise _bad(shown, ref, "a subscription is given without a customer.")
        if customer is not None and subscription is None:
            raise _bad(shown, ref, f'customer "{customer}" has no subscription.')
        if row_period is not None:
            periods.setdefault(row_period, ref)
            if period is not None and row_period != period:
                continue
        # One period remains (or several, which is an error below), so each group is a
        # distinct (customer, subscription, feature).
        if feature is not None:
            if feature in feature_units:
                feature_units[feature] += units
            else:
                feature_units[feature] = units
                feature_rows[feature] = ref
        if customer is None:
            continue
        known = customers.get(customer)
        if known is None:
            known = customers[customer] = Customer(customer, subscription, {}, ref)
        elif known.subscription != subscription:
            raise _bad(
                shown,
                ref,
                f'customer "{customer}" has subscription "{subscription}" here but '
                f'"{known.subscription}" at row {known.first.row}; a customer has one '
                "subscription per period.",
            )
        if feature is not None:
            known.units[feature] = units
    if len(periods) > 1 and period is None:
        names = ", ".join(sorted(periods))
        raise _bad(
            shown,
            None,
            f"the snapshot spans several periods ({names}); choose one with --period.",
            "Several usage periods",
        )
    if period is not None:
        if with_period and period not in periods:
            raise _bad(
                shown,
                None,
                f'no row has period "{period}"; found: ' + ", ".join(sorted(periods)) + ".",
                "Unknown usage period",
            )
        if not with_period:
            raise _bad(
                shown,
                None,
                f'--period "{period}" was given, but the snapshot has no period column.',
                "Unknown usage period",
            )
    snap.period = period if period is not None else next(iter(periods), None)
    snap.has_customers = with_customer
    return snap


def check_names(snap: Snapshot, features: set[str], subscriptions: set[str]) -> None:
    """Every feature and subscription a row names must be declared (on some side)."""
    from infercost.errors import did_you_mean

    for feature, ref in sorted(snap.feature_rows.items(), key=lambda kv: kv[1].row):
        if feature not in features:
            raise _bad(
                snap.path,
                ref,
                f'unknown feature "{feature}".' + did_you_mean(feature, features),
                "Unknown feature in usage",
            )
    for customer in snap.customers.values():
        if customer.subscription not in subscriptions:
            raise _bad(
                snap.path,
                customer.first,
                f'customer "{customer.id}" has unknown subscription "{customer.subscription}".'
                + did_you_mean(customer.subscription, subscriptions),
                "Unknown subscription in usage",
            )


def read_snapshot_bytes(data: bytes, shown: str, period: str | None = None) -> Snapshot:
    """A snapshot from bytes already read (a file as committed at a git ref), parsed
    exactly as :func:`read_snapshot` parses a file; ``shown`` names it in errors and
    picks the format by its extension (a trailing ``@REF`` is ignored)."""
    fmt = FORMATS.get(Path(shown.rsplit("@", 1)[0]).suffix.lower())
    if fmt is None:
        raise InfercostError.at(
            "Unsupported usage file",
            f"{shown}: the format is chosen by extension: .csv, .json, .jsonl or .ndjson.",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InfercostError.at(
            "Unreadable usage file", f"{shown} is not UTF-8 text ({exc.reason})."
        ) from None
    handle = io.StringIO(text, newline="")
    if fmt == "csv":
        grouped = _csv_groups(handle, shown)
    else:
        reader = _json_rows if fmt == "json" else _jsonl_rows
        grouped = _groups(reader(handle, shown), shown)
    return _aggregate(grouped, shown, period)
