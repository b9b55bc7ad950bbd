"""Read a usage snapshot (CSV, JSON array, JSON lines; SPEC §5) on the embedded engine.

Strict by design: unknown or duplicate columns, a missing required value, a bad number
(``1_000``, another script's digits, NaN, Infinity), a customer with two subscriptions or
mixed customer/non-customer rows are errors that name the data row (counted from 1) and
the file line; every bad row is reported, up to :data:`MAX_REPORTED`. Nothing is dropped
or guessed.

The engine reads, validates and groups the file in SQL, with exact DECIMAL units; no
Python code runs per row. Validation is counted while grouping, and only when a count is
not zero does a second query number the rows and find the offending ones (the happy path
never numbers rows). What stays in the engine is one table of units per (customer,
subscription, feature) of the chosen period, which :mod:`infercost.usage.figures` prices.
"""

from __future__ import annotations

import copy
import csv
import decimal
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from infercost.config.loader import display_path
from infercost.errors import Diagnostic, InfercostError, SourceRange, did_you_mean
from infercost.files import first_bad_utf8, refuse_special
from infercost.invisible import quoted_line
from infercost.usage import engine, lines, messages
from infercost.usage.engine import decimal_type, literal, scale_of, string
from infercost.usage.line_ends import mixed_line_end_error
from infercost.usage.sources import (
    COLUMNS,
    MAX_UNIT_DECIMALS,
    NUMBER,
    Source,
    csv_source,
    json_records_sql,
)
from infercost.usage.sources import json_source as _json_source

REQUIRED = ("feature", "units")
# Exact products of a snapshot's sums and a scale factor (far beyond 38 digits).
_WIDE = decimal.Context(prec=200, traps=[decimal.Inexact, decimal.InvalidOperation])
FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
MAX_REPORTED = 20
# Units of a row at or beyond this are refused: no view shows a figure of 10^18 or more
# (cost.limits), and such a row is named where it is, not as its feature's sum.
_MAX_UNITS = "1000000000000000000"

# Units are first summed at this scale; a snapshot written with finer units (or with
# exponents) is summed again at the scale it needs, so no digit is ever rounded away.
FIRST_SCALE = 9
# A group's places in the first pass when a cell is bad or may need more than FIRST_SCALE
# (a cell of at most 10 characters without exponent has at most 9 after the point).
_RECHECK = 99

_NEGATIVE = r"(regexp_matches(units, '^\s*-') AND regexp_matches(regexp_extract(units, '^[^eE]*'), '[1-9]'))"  # noqa: E501
_BAD = (
    f"(problem IS NOT NULL OR units IS NULL OR NOT regexp_full_match(units, '{NUMBER}') "
    f"OR {_NEGATIVE})"
)
# The decimals a valid units text needs, exactly: its digits after the point, less the
# trailing zeros of its mantissa (100e-2 is 1), less its exponent; 0 in any spelling has
# none. An exponent too long for BIGINT is a huge one, never none: 1e-99999999999999999999
# has that many decimals, and is not read as 1 or 0.
_MANTISSA = r"replace(regexp_extract(units, '^\s*[+-]?([0-9.]*)', 1), '.', '')"
_EXPONENT_TEXT = "regexp_extract(units, '[eE]([+-]?[0-9]+)', 1)"
_EXPONENT = (
    f"CASE WHEN {_EXPONENT_TEXT} = '' THEN 0 ELSE coalesce(TRY_CAST({_EXPONENT_TEXT} AS "
    f"BIGINT), CASE WHEN starts_with({_EXPONENT_TEXT}, '-') THEN -1000000000000 "
    "ELSE 1000000000000 END) END"
)
_DECIMALS = (
    f"CASE WHEN ltrim({_MANTISSA}, '0') = '' THEN 0 ELSE greatest(0, "
    r"length(regexp_extract(units, '\.([0-9]*)', 1)) "
    f"- (length({_MANTISSA}) - length(rtrim({_MANTISSA}, '0'))) - ({_EXPONENT})) END"
)


class RowRef(NamedTuple):
    """Where a row is: its data row number (from 1) and its line in the file."""

    row: int
    line: int


@dataclass(frozen=True)
class Customer:
    id: str
    subscription: str
    units: dict[str, Decimal]


class Snapshot:
    """A validated snapshot: small facts in Python, the grouped units in the engine.

    ``table`` names the engine's table of ``(customer, subscription, feature, units)``
    for the chosen period, units exact at ``scale`` digits after the point.
    """

    def __init__(
        self,
        path: str,
        file: Path | None = None,
        source: Source | None = None,
        con: Any = None,
        handle: Any = None,
        *,
        units: dict[str, Decimal] | None = None,
        customers: Mapping[str, Customer] | None = None,
        has_customers: bool = False,
        period: str | None = None,
    ) -> None:
        """A snapshot read by :func:`read_snapshot`; or one given in memory, per feature
        (``units``) or per customer (``customers``), as tests and what-if tools build
        them: its customers are loaded into an engine of their own."""
        self.path = path
        self.file = file or Path(path)
        self.source = source or Source("csv", "", "")
        self.con = con
        self._handle = handle  # keeps the file (and the engine's view of it) open
        self.period = period
        self.has_customers = has_customers
        self.rows = 0
        self.scale = 0
        self.table = "usage"
        self._units = dict(units) if units is not None else None
        self.in_period = "true"
        if customers is not None:
            self._load(customers)
        self._line_of: Callable[[int], int] | None = None
        self._customer_rows: dict[str, int] | None = None
        # Customers per subscription in ``table``, when counted while reading (the table
        # they were counted in, and the counts): see :meth:`customer_counts`.
        self._customer_counts: tuple[str, dict[str, int]] | None = None

    def _load(self, customers: Mapping[str, Customer]) -> None:
        rows = [
            (c.id, c.subscription, feature, units)
            for c in customers.values()
            for feature, units in (c.units.items() or [(None, Decimal(0))])
        ]
        self.scale = max((scale_of(u) for *_, u in rows), default=0)
        self.con = engine.connect()
        self.con.execute(
            "CREATE TEMP TABLE groups (customer VARCHAR, subscription VARCHAR, "
            f"feature VARCHAR, period VARCHAR, units {decimal_type(self.scale)})"
        )
        if rows:
            self.con.executemany(
                f"INSERT INTO groups VALUES (?, ?, ?, NULL, CAST(? AS {decimal_type(self.scale)}))",
                [(c, s, f, format(u, "f")) for c, s, f, u in rows],
            )
        self.con.execute(
            f"CREATE TEMP VIEW {self.table} AS SELECT customer, subscription, feature, units "
            "FROM groups"
        )
        self.has_customers = self.has_customers or bool(customers)

    @property
    def label(self) -> str:
        """The snapshot as a view names it: its path, and its period (from the file, so
        shown on one line, escaped)."""
        return self.path + (f" ({quoted_line(self.period)})" if self.period else "")

    def renamed(self, path: str) -> Snapshot:
        """The same snapshot, shown under another name (a file read from a git ref)."""
        other = copy.copy(self)
        other.path = path
        return other

    def scaled(self, factor: Decimal) -> Snapshot:
        """Every row's units times ``factor``, exactly, in a view over the same groups."""
        other = copy.copy(self)
        places = scale_of(factor)
        if self._units is not None:
            with decimal.localcontext(_WIDE):
                other._units = {f: u * factor for f, u in self._units.items()}
        if self.con is not None:
            Snapshot._views += 1
            other.table = f"usage_scaled_{Snapshot._views}"
            try:
                self.con.execute(
                    f"CREATE TEMP VIEW {other.table} AS SELECT customer, subscription, feature, "
                    f"units * {literal(factor, places)} AS units FROM {self.table}"
                )
            except engine.engine_errors():
                raise self.too_large() from None
            other.scale = self.scale + places
            other._customer_rows = None
        return other

    _views = 0

    @property
    def units(self) -> dict[str, Decimal]:
        """Units per feature over every row of the period (computed when first asked)."""
        if self._units is None:
            if self.con is None:
                return {}
            try:
                totals = self.con.execute(
                    f"SELECT feature, CAST(sum(units) AS VARCHAR) FROM {self.table} "
                    "WHERE feature IS NOT NULL GROUP BY feature ORDER BY feature"
                ).fetchall()
            except engine.out_of_range():
                raise self.too_large() from None
            self._units = {feature: to_decimal(units) for feature, units in totals}
        return self._units

    def customer_counts(self) -> dict[str, int] | None:
        """Customers per subscription in :attr:`table`, if the read counted them (None:
        count them in the table). Each customer has one subscription in the period, so
        this is the number of distinct customers of each subscription."""
        if self._customer_counts is None or self._customer_counts[0] != self.table:
            return None
        return dict(self._customer_counts[1])

    def too_large(self) -> InfercostError:
        return InfercostError(
            Diagnostic(
                "Usage too large",
                f"the units in {self.path} add up to more than the 38 digits the engine "
                "sums exactly.",
                SourceRange.point(self.path, 1, 1),
            )
        )

    # -- locations ---------------------------------------------------------------------

    def location(self, ref: RowRef) -> SourceRange:
        return SourceRange.point(self.path, ref.line, 1)

    def lines(self, rows: Iterable[int], known: dict[int, int] | None = None) -> dict[int, int]:
        """The start line of each data row (``known`` lines, as JSON lines carry, win)."""
        wanted = sorted(set(rows))
        out = dict(known or {})
        missing = [rn for rn in wanted if rn not in out]
        if missing:
            line_of = self._line_index(max(missing))
            out.update((rn, line_of(rn)) for rn in missing)
        return out

    def _line_index(self, up_to: int) -> Callable[[int], int]:
        if self._line_of is None:
            if self.source.format == "csv":
                self._line_of = lines.csv_lines(self.file, max(up_to, self.rows))
            elif self.source.format == "json":
                text = self.file.read_text(encoding="utf-8")
                starts = [0, *lines.json_array_lines(text, max(up_to, self.rows))]
                self._line_of = lambda rn: starts[rn] if rn < len(starts) else 1
            else:
                found = dict(
                    self.con.execute(
                        f"SELECT rn, line FROM {self.source.numbered} WHERE line IS NOT NULL"
                    ).fetchall()
                )
                self._line_of = lambda rn: found.get(rn, 1)
        return self._line_of

    def customer_location(self, customer: str) -> SourceRange | None:
        """The first row that names ``customer`` (in the chosen period)."""
        if self.con is None:
            return None
        if self._customer_rows is None:
            found = self.con.execute(
                f"SELECT customer, min(rn) FROM {self.source.numbered} "
                f"WHERE customer IS NOT NULL AND {self.in_period} GROUP BY customer"
            ).fetchall()
            self._customer_rows = dict(found)
            if found and self.source.format != "jsonl":
                self._line_index(max(rn for _, rn in found))
        rn = self._customer_rows.get(customer)
        return None if rn is None else self._row_location(rn)

    def _row_location(self, rn: int) -> SourceRange:
        """Where data row ``rn`` (from 1) starts in the file."""
        line = self.lines([rn]).get(rn, 1) if self.source.format == "jsonl" else None
        if line is None:
            line = self._line_index(rn)(rn)
        return SourceRange.point(self.path, line, 1)

    def feature_location(self, feature: str) -> SourceRange | None:
        """The row with the most units of ``feature`` (in the chosen period): where a sum
        of units too large to show most likely comes from."""
        if self.con is None:
            return None
        found = self.con.execute(
            f"SELECT rn FROM {self.source.numbered} WHERE feature = ? AND {self.in_period} "
            "ORDER BY TRY_CAST(units AS DOUBLE) DESC NULLS LAST, rn LIMIT 1",
            [feature],
        ).fetchone()
        if found is None:
            return None
        return self._row_location(found[0])

    # -- small views (tests, validation summaries) ---------------------------------------

    def customer(self, customer: str) -> Customer | None:
        found = self.con.execute(
            f"SELECT subscription, feature, CAST(units AS VARCHAR) FROM {self.table} "
            "WHERE customer = ?",
            [customer],
        ).fetchall()
        if not found:
            return None
        units = {f: to_decimal(u) for _, f, u in found if f is not None}
        return Customer(customer, found[0][0], units)

    def customer_ids(self) -> list[str]:
        found = self.con.execute(
            f"SELECT DISTINCT customer FROM {self.table} WHERE customer IS NOT NULL "
            "ORDER BY customer"
        ).fetchall()
        return [c for (c,) in found]

    # -- errors ----------------------------------------------------------------------------

    def error(self, ref: RowRef | None, detail: str, summary: str) -> Diagnostic:
        where = f"row {ref.row}: " if ref and ref.row else ""
        line = ref.line if ref else 1
        return Diagnostic(summary, where + detail, SourceRange.point(self.path, line, 1))


def to_decimal(text: str) -> Decimal:
    """A DECIMAL from the engine's text, without the trailing zeros of its scale."""
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return Decimal(text)


# -- reading ------------------------------------------------------------------------------


def read_snapshot(path: Path, period: str | None = None, *, shown: str | None = None) -> Snapshot:
    """Read, validate and group one snapshot file; ``shown`` names it in messages when it
    is a copy of another file (one committed at a git ref)."""
    shown = shown or display_path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InfercostError.at(
            "Unsupported usage file",
            f"{shown}: the format is chosen by extension: .csv, .json, .jsonl or .ndjson.",
        )
    handle = _open_regular(path, shown)
    # The engine reads the descriptor already opened and checked: no second lookup of the
    # name (which could now be a FIFO), and no glob or URL reading of odd names.
    device = f"/dev/fd/{handle.fileno()}" if os.path.isdir("/dev/fd") else str(path)
    con = engine.connect()
    if fmt == "csv":
        source = csv_source(device, _csv_header(path, shown))
    else:
        _check_json_start(path, shown, fmt)
        try:
            con.execute(f"CREATE TEMP TABLE records AS {json_records_sql(device, fmt)}")
        except engine.engine_errors() as exc:
            raise _scan_failure(path, shown, fmt, exc) from None
        source = _json_source("records", fmt)
    # Later reads (lines for a message) go through the open descriptor too: the name may
    # be gone by then (a copy read from a git ref, in a temporary directory).
    snap = Snapshot(shown, Path(device), source, con, handle)
    _aggregate(snap, period)
    return snap


def _open_regular(path: Path, shown: str) -> Any:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InfercostError.at("Usage file not found", f"{shown} does not exist.") from None
    except OSError as exc:
        raise InfercostError.at(
            "Unreadable usage file", f"{shown}: {exc.strerror or exc}."
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise InfercostError.at("Unreadable usage file", f"{shown} is a directory.")
    refuse_special(path, "usage snapshot")  # one wording for every reader (files.py)
    try:
        # O_NONBLOCK: if the name was swapped for a FIFO since the check, opening it must
        # not wait for a writer; the check below then refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InfercostError.at(
            "Unreadable usage file", f"{shown}: {exc.strerror or exc}."
        ) from None
    handle = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        handle.close()
        raise InfercostError.at("Unreadable usage file", f"{shown} is not a regular file.")
    return handle


def _csv_header(path: Path, shown: str) -> list[str]:
    """The header row, checked: known, unique and required columns."""
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as text:
            header = next(csv.reader(text), None)
    except UnicodeDecodeError as exc:
        raise _not_utf8(shown, exc.reason) from None
    except csv.Error as exc:
        raise InfercostError(
            Diagnostic(
                "Invalid usage file",
                f"malformed CSV header ({exc}).",
                SourceRange.point(shown, 1, 1),
            )
        ) from None
    at_header = SourceRange.point(shown, 1, 1)
    if header is None:
        raise InfercostError(
            Diagnostic("Empty usage file", "the file is empty; it needs a header row.", at_header)
        )
    names = [h.strip() for h in header]
    for name in names:
        if name not in COLUMNS:
            raise InfercostError(
                Diagnostic(messages.UNKNOWN_COLUMN, messages.unknown_column(name), at_header)
            )
    for name in names:
        if names.count(name) > 1:
            raise InfercostError(
                Diagnostic(
                    "Duplicate usage column",
                    f'the column "{quoted_line(name)}" appears {names.count(name)} times in '
                    "the header.",
                    at_header,
                )
            )
    for name in REQUIRED:
        if name not in names:
            raise InfercostError(
                Diagnostic(
                    "Missing usage column",
                    f'the required column "{name}" is missing.',
                    at_header,
                )
            )
    return names


def _check_json_start(path: Path, shown: str, fmt: str) -> None:
    if fmt != "json":
        return
    with path.open("rb") as raw:
        head = raw.read(4096).lstrip(b" \t\r\n")
    if not head.startswith(b"["):
        raise InfercostError(
            Diagnostic(
                "Invalid usage file",
                "a .json snapshot is an array of objects.",
                SourceRange.point(shown, 1, 1),
            )
        )


def _not_utf8(shown: str, reason: str) -> InfercostError:
    return InfercostError.at("Unreadable usage file", f"{shown} is not UTF-8 text ({reason}).")


def _utf8_problem(path: Path, shown: str) -> InfercostError | None:
    bad = first_bad_utf8(path)
    return None if bad is None else _not_utf8(shown, bad.reason)


def _scan_failure(path: Path, shown: str, fmt: str, exc: BaseException) -> InfercostError:
    """The engine could not scan the file: say where, in the words of the format."""
    problem = _utf8_problem(path, shown)
    if problem is not None:
        return problem
    if fmt == "json":
        found = lines.json_array_error(path.read_text(encoding="utf-8"))
        if found is not None:
            row, line, detail = found
            where = f"row {row}: " if row else ""
            summary = "Invalid usage row" if row and "JSON" in detail else "Invalid usage file"
            return InfercostError(
                Diagnostic(summary, where + detail, SourceRange.point(shown, line, 1))
            )
    if fmt == "csv":
        mixed = mixed_line_end_error("Invalid usage file", path, shown)
        if mixed is not None:
            return mixed
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return InfercostError(
        Diagnostic("Invalid usage file", f"{shown} cannot be read ({first[:200]}).")
    )


def _csv_rejects(snap: Snapshot, exc: BaseException) -> InfercostError:
    """Structural CSV errors (ragged rows, stray quotes), every one up to the limit."""
    problem = _utf8_problem(snap.file, snap.path)
    if problem is not None:
        return problem
    scan = snap.source.rows.replace("strict_mode=true", "strict_mode=true, store_rejects=true")
    try:
        snap.con.execute(f"SELECT count(*) FROM {scan}").fetchall()
        found = snap.con.execute(
            "SELECT line, error_type, csv_line, count(*) OVER () FROM reject_errors "
            "ORDER BY line LIMIT ?",
            [MAX_REPORTED],
        ).fetchall()
    except engine.engine_errors():
        found = []
    if not found:
        return _scan_failure(snap.file, snap.path, "csv", exc)
    width = len(_csv_header(snap.file, snap.path))
    wanted = {line for line, *_ in found}
    rows = {}
    for number, start, _ in lines.csv_records(snap.file):
        if start in wanted:
            rows[start] = number
        if start >= max(wanted):
            break
    diagnostics = []
    for line, kind, text, _ in found:
        if kind in ("TOO MANY COLUMNS", "MISSING COLUMNS"):
            cells = next(csv.reader([text or ""]), [])
            detail = f"expected {width} cells, found {len(cells)}."
        else:
            detail = f"malformed CSV ({str(kind).lower()})."
        diagnostics.append(snap.error(RowRef(rows.get(line, 0), line), detail, "Invalid usage row"))
    return InfercostError(*diagnostics, *_more(found[0][3], snap.path))


def _more(total: int, shown: str) -> list[Diagnostic]:
    if total <= MAX_REPORTED:
        return []
    return [
        Diagnostic(
            "Too many bad usage rows",
            f"{total - MAX_REPORTED} more bad rows in {shown} are not shown (the first "
            f"{MAX_REPORTED} are).",
        )
    ]


def _listed(periods: list[str], most: int = 12) -> str:
    """Periods as a message lists them: each on one line, and a dozen at most (a file of
    a million periods gets a message, not a megabyte)."""
    shown = ", ".join(quoted_line(p) for p in periods[:most])
    return shown + (f" and {len(periods) - most:,} more" if len(periods) > most else "")


def _aggregate(snap: Snapshot, period: str | None) -> None:
    con, rows = snap.con, snap.source.rows

    def group(scale: int, precise: bool) -> str:
        cast = f"TRY_CAST(units AS {decimal_type(scale)})"
        if precise:  # every rule, exactly, at the scale the snapshot needs
            checks = (
                f"count_if({_BAD}) AS bad, "
                f"count_if(NOT {_BAD} AND ({_DECIMALS} > {MAX_UNIT_DECIMALS} OR {cast} IS NULL "
                f"OR {cast} >= {_MAX_UNITS})) AS unfit"
            )
        else:
            # Cheap tests for the large happy path: a cell the cast refuses (or with "_",
            # which it accepts) is bad; one that may hold more digits after the point
            # than the first scale keeps is odd. Either sends the file to the precise pass.
            bad = f"problem IS NOT NULL OR units IS NULL OR {cast} IS NULL OR {cast} < 0"
            bad += " OR contains(units, '_')"
            odd = "length(units) > 10 OR contains(units, 'e') OR contains(units, 'E')"
            places = (
                "CASE WHEN contains(units, '.') THEN "
                "length(rtrim(rtrim(split_part(units, '.', 2)), '0')) ELSE 0 END"
            )
            # One aggregate for all of it (there are about as many groups as rows): a
            # group with a bad or odd cell has _RECHECK places.
            checks = f"max(CASE WHEN {bad} OR {odd} THEN {_RECHECK} ELSE {places} END) AS places"
        return (
            "CREATE OR REPLACE TEMP TABLE groups AS SELECT feature, customer, subscription, "
            f"period, sum({cast}) AS units, count(*) AS n, {checks} "
            f"FROM {rows} GROUP BY ALL"
        )

    def summarize(precise: bool) -> tuple[Any, ...]:
        # Rows, bad, unfit, odd, places; the first pass counts its rechecks as bad.
        checks = (
            "coalesce(sum(bad), 0), coalesce(sum(unfit), 0), 0, 0, "
            if precise
            else f"count_if(places = {_RECHECK}), 0, 0, coalesce(max(places), 0), "
        )
        found: tuple[Any, ...] = con.execute(
            f"SELECT coalesce(sum(n), 0), {checks}"
            "count_if(customer IS NULL), count_if(customer IS NOT NULL), "
            "count_if(period IS NULL), count_if(period IS NOT NULL), "
            "count_if(feature IS NULL AND (customer IS NULL OR units <> 0)), "
            "count_if(customer IS NULL AND subscription IS NOT NULL), "
            "count_if(customer IS NOT NULL AND subscription IS NULL), "
            "list(DISTINCT period ORDER BY period) FILTER (WHERE period IS NOT NULL) "
            "FROM groups"
        ).fetchone()
        return found

    try:
        con.execute(group(FIRST_SCALE, precise=False))
        summary = summarize(precise=False)
        if summary[1] or summary[3]:
            # Something to look at closely: measure the scale exactly and group again.
            (exact,) = con.execute(
                f"SELECT coalesce(max({_DECIMALS}), 0) FROM {rows} WHERE NOT {_BAD}"
            ).fetchone()
            snap.scale = min(int(exact), MAX_UNIT_DECIMALS)  # finer units are refused
            con.execute(group(snap.scale, precise=True))
            summary = summarize(precise=True)
        else:
            snap.scale = int(summary[4])
    except engine.out_of_range():
        raise snap.too_large() from None
    except engine.engine_errors() as exc:
        if snap.source.format == "csv":
            raise _csv_rejects(snap, exc) from None
        raise _scan_failure(snap.file, snap.path, snap.source.format, exc) from None
    n, bad, unfit, _, _, no_cust, cust, no_period, with_period = summary[:9]
    no_feature, sub_alone, cust_alone, periods = summary[9:]
    snap.rows = int(n)
    periods = periods or []
    several = len(periods) > 1 and period is None
    if period is not None and with_period:
        snap.in_period = f"period = {string(period)}"
    if (bad or unfit or (no_cust and cust) or (no_period and with_period) or no_feature
            or sub_alone or cust_alone):  # fmt: skip
        raise _row_errors(snap, check_owners=not several)
    if several:
        raise InfercostError(
            Diagnostic(
                "Several usage periods",
                f"the snapshot spans several periods ({_listed(periods)}); choose one "
                "with --period.",
                SourceRange.point(snap.path, 1, 1),
            )
        )
    if period is not None:
        if not with_period:
            raise InfercostError(
                Diagnostic(
                    "Unknown usage period",
                    f'--period "{quoted_line(period)}" was given, but the snapshot has no '
                    "period column.",
                    SourceRange.point(snap.path, 1, 1),
                )
            )
        if period not in periods:
            raise InfercostError(
                Diagnostic(
                    "Unknown usage period",
                    f'no row has period "{quoted_line(period)}"; found: {_listed(periods)}.',
                    SourceRange.point(snap.path, 1, 1),
                )
            )
    # One grouping by customer finds those with two subscriptions and counts the
    # customers of each subscription (which pricing needs: not counted again there).
    owned = con.execute(
        "SELECT subscription, count(*), count_if(conflict) FROM (SELECT min(subscription) "
        "AS subscription, min(subscription) <> max(subscription) AS conflict FROM groups "
        f"WHERE customer IS NOT NULL AND {snap.in_period} GROUP BY customer) GROUP BY ALL"
    ).fetchall()
    if any(conflicts for *_, conflicts in owned):
        raise _row_errors(snap, check_owners=True)
    snap._customer_counts = (snap.table, {sub: int(n) for sub, n, _ in owned})
    # Groups are keyed by period too, so those of one period are already one per
    # (customer, subscription, feature). Units keep the grouping's scale; whoever
    # multiplies casts them to ``snap.scale``, the fewest digits that hold them exactly.
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {snap.table} AS SELECT customer, subscription, "
        f"feature, units FROM groups WHERE {snap.in_period}"
    )
    snap.has_customers = bool(cust)
    snap.period = period if period is not None else (periods[0] if periods else None)


def _row_errors(snap: Snapshot, check_owners: bool) -> InfercostError:
    """Number the rows and report every bad one (up to the limit), in file order."""
    cast = f"TRY_CAST(units AS {decimal_type(snap.scale)})"
    unfit = (
        f"WHEN {_DECIMALS.replace('units', 'src.units')} > {MAX_UNIT_DECIMALS} "
        "THEN 'units_places' "
        f"WHEN {cast.replace('units', 'src.units')} IS NULL "
        f"OR {cast.replace('units', 'src.units')} >= {_MAX_UNITS} THEN 'units_large'"
    )
    owner = (
        f"WHEN src.customer IS NOT NULL AND {snap.in_period.replace('period', 'src.period')} "
        "AND src.subscription <> owners.owner THEN 'subscription_conflict'"
        if check_owners
        else ""
    )
    numbered = snap.source.numbered
    query = f"""
        WITH src AS (SELECT * FROM {numbered}),
        head AS (SELECT customer IS NULL AS no_customer, period IS NULL AS no_period
                 FROM src WHERE problem IS NULL ORDER BY rn LIMIT 1),
        owners AS (SELECT customer, arg_min(subscription, rn) AS owner, min(rn) AS owner_rn
                   FROM src WHERE customer IS NOT NULL AND subscription IS NOT NULL
                   AND problem IS NULL AND {snap.in_period} GROUP BY customer),
        coded AS (
          SELECT src.*, owners.owner, owners.owner_rn, CASE
            WHEN src.problem IS NOT NULL THEN src.problem
            WHEN src.units IS NULL THEN 'units_missing'
            WHEN NOT regexp_full_match(src.units, '{NUMBER}') THEN 'units_number'
            WHEN {_NEGATIVE.replace("units", "src.units")} THEN 'units_negative'
            {unfit}
            WHEN (src.period IS NULL) <> head.no_period THEN 'period_mixed'
            WHEN (src.customer IS NULL) <> head.no_customer THEN 'customer_mixed'
            WHEN src.feature IS NULL AND (src.customer IS NULL
                 OR {cast.replace("units", "src.units")} <> 0) THEN 'feature_missing'
            WHEN src.customer IS NULL AND src.subscription IS NOT NULL
                 THEN 'subscription_without_customer'
            WHEN src.customer IS NOT NULL AND src.subscription IS NULL
                 THEN 'customer_without_subscription'
            {owner}
          END AS code
          FROM src LEFT JOIN head ON TRUE LEFT JOIN owners ON src.customer = owners.customer)
        SELECT rn, line, code, feature, units, customer, subscription, period, owner,
               owner_rn, raw, count(*) OVER () AS total
        FROM coded WHERE code IS NOT NULL ORDER BY rn LIMIT {MAX_REPORTED}
    """
    found = snap.con.execute(query).fetchall()
    if not found:  # the counts and the rows disagree: never pass silently
        return InfercostError(
            Diagnostic("Invalid usage file", f"{snap.path} has rows that cannot be read.")
        )
    names = ("rn", "line", "code", "feature", "units", "customer", "subscription", "period",
             "owner", "owner_rn", "raw", "total")  # fmt: skip
    records = [dict(zip(names, values, strict=True)) for values in found]
    at = snap.lines(
        (r["rn"] for r in records),
        {r["rn"]: r["line"] for r in records if r["line"] is not None},
    )
    diagnostics = []
    for record in records:
        summary, detail = messages.row_problem(record["code"], record)
        diagnostics.append(snap.error(RowRef(record["rn"], at[record["rn"]]), detail, summary))
    return InfercostError(*diagnostics, *_more(records[0]["total"], snap.path))


def check_names(snap: Snapshot, features: set[str], subscriptions: set[str]) -> None:
    """Every feature and subscription a row names must be declared (on some side)."""
    used = snap.con.execute(
        f"SELECT list(DISTINCT feature) FILTER (WHERE feature IS NOT NULL), "
        f"list(DISTINCT subscription) FILTER (WHERE subscription IS NOT NULL) FROM {snap.table}"
    ).fetchone()
    unknown_features = sorted(set(used[0] or []) - features)
    unknown_subscriptions = sorted(set(used[1] or []) - subscriptions)
    if not unknown_features and not unknown_subscriptions:
        return
    numbered, found = snap.source.numbered, []
    if unknown_features:
        found += snap.con.execute(
            f"SELECT min(rn), feature, NULL, NULL FROM {numbered} WHERE {snap.in_period} "
            "AND list_contains(?, feature) GROUP BY feature ORDER BY 1 LIMIT ?",
            [unknown_features, MAX_REPORTED],
        ).fetchall()
    if unknown_subscriptions:
        found += snap.con.execute(
            f"SELECT min(rn), NULL, customer, subscription FROM {numbered} "
            f"WHERE {snap.in_period} AND list_contains(?, subscription) "
            "GROUP BY customer, subscription ORDER BY 1 LIMIT ?",
            [unknown_subscriptions, MAX_REPORTED],
        ).fetchall()
    found = found[:MAX_REPORTED]
    at = snap.lines(rn for rn, *_ in found)
    diagnostics = []
    for rn, feature, customer, subscription in found:
        ref = RowRef(rn, at[rn])
        if feature is not None:
            diagnostics.append(
                snap.error(
                    ref,
                    f'unknown feature "{quoted_line(feature)}".' + did_you_mean(feature, features),
                    "Unknown feature in usage",
                )
            )
        else:
            diagnostics.append(
                snap.error(
                    ref,
                    f'customer "{quoted_line(customer)}" has unknown subscription '
                    f'"{quoted_line(subscription)}".' + did_you_mean(subscription, subscriptions),
                    "Unknown subscription in usage",
                )
            )
    raise InfercostError(*diagnostics)


def read_snapshot_bytes(data: bytes, shown: str, period: str | None = None) -> Snapshot:
    """A snapshot from bytes already read (a file as committed at a git ref), parsed
    exactly as :func:`read_snapshot` parses a file; ``shown`` names it in errors and
    picks the format by its extension (a trailing ``@REF`` is ignored).

    The bytes go to a private temporary copy read by the same engine path, so a
    committed snapshot is validated and grouped exactly as one on disk; the copy is
    unlinked at once (the reader keeps its descriptor open for later line lookups)."""
    suffix = Path(shown.rsplit("@", 1)[0]).suffix.lower()
    if suffix not in FORMATS:
        raise InfercostError.at(
            "Unsupported usage file",
            f"{shown}: the format is chosen by extension: .csv, .json, .jsonl or .ndjson.",
        )
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / f"usage{suffix}"
        copy.write_bytes(data)
        return read_snapshot(copy, period, shown=shown)
