"""``usage import`` on an engine: files in, aggregated rows out, problems located.

The engine (DuckDB by default, Spark on request) returns the rows of the aggregation
query (``query.py``); everything after that (``result.py``) is small and engine-free:
the ``aggregated`` source reads rows that a warehouse returned and goes the same way.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from infercost.errors import Diagnostic, InfercostError, SourceRange, did_you_mean
from infercost.invisible import quoted_line
from infercost.model import MeterPrice, RecordMapping, Stack
from infercost.usage.engine import connect
from infercost.usage.records import compact, read
from infercost.usage.records.fields import (
    COUNT,
    DECIMAL,
    FIELDS,
    MAX_TOKENS,
    PROBLEMS,
    SQL_TYPES,
    TIME,
    TOKENS,
    SourceFile,
)
from infercost.usage.records.names import (
    first_key_lines,
    header_error,
    refuse_twice,
    unnamed_column,
)
from infercost.usage.records.query import (
    OUTPUT_COLUMNS,
    calls_select,
    rollup_select,
    units_select,
)


@dataclass
class Skipped:
    records: int = 0
    reported_cost: Decimal = Decimal(0)


@dataclass
class EngineOutput:
    """What an engine hands back: the aggregated rows and what it read and skipped."""

    rows: list[dict[str, Any]]
    records: int = 0
    skipped: dict[str, Skipped] = field(default_factory=dict)
    observed: Any = None  # what an ``observer`` measured on the same records (calibrate)


class Source:
    """The files of one import and how to read them into normalized records."""

    def __init__(
        self, stack: Stack, files: Sequence[SourceFile], source: str, mapping: RecordMapping | None
    ) -> None:
        self.stack = stack
        self.files = list(files)
        self.source = source
        self.mapping = mapping
        self.label = ", ".join(f.shown for f in files)
        # CSV counts and times are read with faster types (see ``read.tabular``) until a
        # value does not fit; ``fast_columns`` are the CSV columns read so.
        self.generic_types = False
        # JSON read again so that a number out of range is named (see ``read.tabular``).
        self.tolerant = False
        # CSV read again with every cell as text, typed in SQL: a record the reader
        # rejected is to be skipped (see ``_run_duckdb``).
        self.text_cells = False
        self.fast_columns: set[str] = set()
        # Fields the mapping gives (None: not known, as for OTLP spans).
        self.given: frozenset[str] | None = None
        self.format: str | None = None

    @property
    def skippable(self) -> frozenset[str]:
        """The problems whose records the mapping lets the import skip."""
        return frozenset(self.mapping.skip) if self.mapping else frozenset()

    def mapped(self, con: Any, ordered: bool) -> str:
        if self.source == "otel":
            from infercost.usage.records.otel import otel_records

            return otel_records(con, self.stack, self.files, self.mapping, ordered)
        fmt = read.file_format(self.files)
        typed: dict[str, str] = {}
        for name, paths in read.field_sources(self.mapping, self.source).items():
            for path in paths:
                kind = FIELDS[name]
                typed[path] = kind if typed.get(path, kind) == kind else "text"
        self.fast_columns = {path for path, kind in typed.items() if kind in (COUNT, TIME)}
        self.format = fmt
        raw = read.tabular(
            con,
            self.files,
            fmt,
            ordered,
            None if self.text_cells else typed,
            self.generic_types,
            self.tolerant,
        )
        if fmt == "jsonl" and [c for c in raw.columns if not c.startswith("_")] == ["json"]:
            found = read.first_non_object(self.files)
            if found is not None:  # not "unknown column json": the line that made it
                file, line, what = found
                raise InfercostError(
                    Diagnostic(
                        "Invalid record",
                        f"line {line} {what}",
                        SourceRange.point(file.shown, line, 1),
                    )
                )
        refuse_twice(con, self.files, fmt, raw.columns)
        self.check_columns(
            raw.columns,
            lambda name: read.file_with_column(con, self.files, fmt, name),
            lambda name: unnamed_column(con, self.files, name),
        )
        mapped = read.mapped_records(self.stack, raw, self.source, self.mapping, self.label)
        self.given = mapped.given
        return mapped.sql

    def check_columns(
        self,
        columns: dict[str, str],
        holder: Callable[[str], SourceFile | None] | None = None,
        unnamed: Callable[[str], tuple[SourceFile, int] | None] | None = None,
    ) -> None:
        """infercost's own format is strict: an unknown column is a typo, unless mapped.
        ``holder`` finds the file that has a column: of thirty daily files, the error
        names the one to fix. ``unnamed`` finds the header cell without a name that the
        reader named by its place (``column8``), a name no file has."""
        if self.source != "records":
            return
        allowed = set(FIELDS) | {
            p.partition(".")[0]
            for paths in (self.mapping.fields.values() if self.mapping else ())
            for p in paths
        }
        unknown = [c for c in columns if c not in allowed]
        cell = unnamed(unknown[0]) if unknown and unnamed is not None else None
        if cell is not None:
            file, place = cell
            raise header_error(
                "Unnamed records column",
                f"column {place} of the header has no name. Name it (and map it in a "
                "records block), or remove the column.",
                file,
            )
        if unknown:
            # A CSV file that is not valid CSV (a quote left open) gets a header the
            # reader split on some other separator: that, not the column, is the error.
            if read.file_format(self.files) == "csv":
                for file in self.files:
                    broken = read.csv_structure_error(file)
                    if broken is not None:
                        raise broken
            if read.file_format(self.files) == "jsonl":
                lines = first_key_lines(self.files, unknown[:1])
                if unknown[0] in lines:  # the first record with the key
                    file, line = lines[unknown[0]]
                    raise InfercostError.at(
                        "Unknown records column",
                        f'unknown key "{quoted_line(unknown[0])}".'
                        + did_you_mean(unknown[0], FIELDS)
                        + " Map it in a records block, or remove it.",
                        SourceRange.point(file.shown, line, 1),
                    )
            found = holder(unknown[0]) if holder is not None and len(self.files) > 1 else None
            raise InfercostError.at(
                "Unknown records column",
                f"{found.shown if found else self.label}: unknown column "
                f'"{quoted_line(unknown[0])}".'
                + did_you_mean(unknown[0], FIELDS)
                + " Map it in a records block, or remove it.",
            )

    # -- locating a record -----------------------------------------------------------------
    def locate(self, condition: str) -> dict[str, Any] | None:
        """The first record (in file order) where ``condition`` holds, with its file and row."""
        con = connect(ordered=True)
        try:
            mapped = self.mapped(con, ordered=True)
            order = "[" + ", ".join(read.lit(f.path) for f in self.files) + "]"
            cursor = con.execute(
                f"SELECT * FROM ({mapped}) WHERE {condition} "
                f"ORDER BY list_position({order}, _file), _row LIMIT 1"
            )
            names = [d[0] for d in cursor.description]
            found = cursor.fetchone()
        finally:
            con.close()
        return dict(zip(names, found, strict=True)) if found else None

    def where(self, record: dict[str, Any]) -> tuple[str, SourceRange | None]:
        """ "record N" and the file line of a located record; a file without lines
        (Parquet) is named in the text instead, with no line to show."""
        path = record["_file"]
        shown = next((f.shown for f in self.files if f.path == path), path)
        row = int(record["_row"])
        line = _line_of(path, row, self.source)
        if self.source == "otel":
            return f"line {row}", SourceRange.point(shown, row, 1)
        if line is None:
            return f"{shown}: record {row}", None
        return f"record {row}", SourceRange.point(shown, line, 1)


def _line_of(path: str, row: int, source: str) -> int | None:
    """The file line of data row ``row``: read only when an error is reported."""
    suffix = Path(path).suffix.lower()
    if source == "otel":
        return row
    try:
        if suffix == ".csv":
            # Lines end at "\n" alone, as the diagnostics' source lines do; the reader
            # still takes "\r\n" and a "\r" inside a quoted cell.
            with open(path, encoding="utf-8", newline="\n") as handle:
                reader = csv.reader(handle)
                next(reader, None)
                start = reader.line_num + 1
                for number, _ in enumerate(reader, start=1):
                    if number == row:
                        return start
                    start = reader.line_num + 1
            return None
        if suffix in (".jsonl", ".ndjson", ".json"):
            with open(path, encoding="utf-8", newline="\n") as handle:
                number = 0
                for line_no, line in enumerate(handle, start=1):
                    if line.strip():
                        number += 1
                        if number == row:
                            return line_no
    except (OSError, UnicodeDecodeError):
        return None
    return None


def run_duckdb(source: Source, progress: Any = None, observer: Any = None) -> EngineOutput:
    try:
        return _run_duckdb(source, progress, observer)
    except _ReadAgain:
        source.tolerant = True
        return _run_duckdb(source, progress, observer)


def _run_duckdb(source: Source, progress: Any = None, observer: Any = None) -> EngineOutput:
    """Read the files twice: group per unit, and sum per pricing bucket checking every
    rule on the way; read them again, with a problem code per record, only when a rule
    broke.

    ``observer(con, where)``, when given, measures more on the same ``records`` view
    (``where`` keeps the records the import kept) before the connection closes. An
    observer with ``unit_steps_sql`` (the observed shape) also shapes the two queries (its
    units list their calls), and, when every record was kept, makes its histogram from
    those lists without reading the records again (see ``observed.ShapeObserver``)."""
    con = connect(ordered=source.tolerant)
    try:
        mapped = source.mapped(con, ordered=False)
        con.execute(f"CREATE TEMP VIEW records AS {mapped}")
        output = EngineOutput(rows=[])
        stack = source.stack
        shaped = observer is not None and hasattr(observer, "unit_steps_sql")
        if shaped:
            from infercost.usage.records.observed import UNITS_FROM_STEPS

            given = source.given
            _scan(con, source, ("unit_spans", observer.unit_spans_sql(given)))
            con.execute(f"CREATE TEMP VIEW all_units AS {UNITS_FROM_STEPS}")
            _scan(con, source, ("written_calls", compact.scan_sql(stack, given, observed=True)))
            calls = compact.calls_sql(stack, source.mapping, given, observed=True)
            con.execute(f"CREATE TEMP TABLE all_calls AS {calls}")
            con.execute("DROP TABLE written_calls")
        else:
            # The priced sums grouped by what the records write (see ``compact.py``).
            given = source.given
            _scan(
                con,
                source,
                ("all_units", units_select(stack).sql("duckdb")),
                ("written_calls", compact.scan_sql(stack, given)),
            )
            con.execute(
                f"CREATE TEMP TABLE all_calls AS {compact.calls_sql(stack, source.mapping, given)}"
            )
            con.execute("DROP TABLE written_calls")
        cells = read.rejected(con)
        if any(not column for _, _, column, _ in cells):
            # A record with more or fewer values than the header: the file, not a value,
            # is broken (never skipped). Python's reader names the first such record.
            for file in source.files:
                broken = read.csv_structure_error(file)
                if broken is not None:
                    raise broken
        if not source.generic_types and any(c[2] in source.fast_columns for c in cells):
            # A value the faster type does not take (or not a value at all): read again
            # with the generic types, so that it is read, or reported, as it always was.
            source.generic_types = True
            con.close()
            return run_duckdb(source, progress, observer)
        if cells and not source.text_cells and "invalid_value" in source.skippable:
            # The reader parses only the columns a scan asks for, so the units scan kept
            # the records the sums scan rejected, and the rejects table has no cost.
            # Read as text and typed in SQL, such a record has its problem in every scan,
            # like any other skipped record. Only files with such a value pay for it.
            source.text_cells = True
            con.close()
            return run_duckdb(source, progress, observer)
        check_rejected(source, cells)
        where = "TRUE"
        if con.execute(read.grouped_problems(stack)).fetchall()[0][0]:
            where = "_problem IS NULL"
            con.execute(f"DROP {'VIEW' if shaped else 'TABLE'} all_units")
            for table in ("all_calls", "unit_spans"):
                con.execute(f"DROP TABLE IF EXISTS {table}")
            problem = ["_problem"]
            _scan(
                con,
                source,
                ("all_units", units_select(stack, extra_keys=problem).sql("duckdb")),
                ("all_calls", calls_select(stack, extra_keys=problem).sql("duckdb")),
            )
            for name, count, cost in con.execute(
                "SELECT _problem, SUM(records), SUM(reported_cost) FROM all_calls GROUP BY _problem"
            ).fetchall():
                output.records += int(count)
                if name is not None:
                    output.skipped[name] = Skipped(int(count), cost or Decimal(0))
            check_problems(source, output.skipped)
            for table in ("units", "calls"):
                con.execute(
                    f"CREATE TEMP VIEW {table} AS SELECT * EXCLUDE (_problem) FROM all_{table} "
                    "WHERE _problem IS NULL"
                )
        else:
            total = con.execute("SELECT SUM(records) FROM all_calls").fetchall()[0][0]
            output.records += int(total or 0)
            con.execute("CREATE TEMP VIEW units AS SELECT * FROM all_units")
            if shaped:
                from infercost.usage.records.observed import CALLS_FROM_HITS

                _unit_steps(con, source, observer)
                con.execute(f"CREATE TEMP VIEW calls AS {CALLS_FROM_HITS}")
            else:
                con.execute("CREATE TEMP VIEW calls AS SELECT * FROM all_calls")
        cursor = con.execute(rollup_select(source.stack.settings.period).sql("duckdb"))
        names = [d[0] for d in cursor.description]
        output.rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        assert tuple(names) == OUTPUT_COLUMNS
        if observer is not None:
            output.observed = observer(con, where)
        return output
    finally:
        con.close()


def _unit_steps(con: Any, source: Source, observer: Any) -> None:
    """The observed shape's histogram (``observed.ShapeObserver``), made from the units'
    call lists only where the import kept every record (otherwise the observer takes its
    exact way), after the import's own scans, which also raise any read error first."""
    con.execute(f"CREATE TEMP TABLE unit_steps AS {observer.unit_steps_sql(source.given)}")


def _scan(con: Any, source: Source, *tables: tuple[str, str]) -> None:
    """Create each (name, query) temp table; a read error names the files."""
    try:
        for name, query in tables:
            con.execute(f"CREATE TEMP TABLE {name} AS {query}")
    except InfercostError:
        raise
    except Exception as exc:
        if "Overflow" in str(exc):
            raise _overflow_error(con, source) from None
        if source.format == "jsonl" and not source.tolerant:
            raise _ReadAgain from None
        raise read.read_error(source.files, exc) from None


class _ReadAgain(Exception):
    """A JSON read failed: read it again tolerant of numbers out of range."""


# What a record field's sums may reach: the whole digits of the type they are summed in.
_SUM_BOUNDS = {
    name: Decimal(10) ** read.whole_digits(SQL_TYPES[FIELDS[name]])
    for name in (*TOKENS, "quantity", "reported_cost")
}


def _overflow_error(con: Any, source: Source) -> InfercostError:
    """A sum beyond the 38 digits DuckDB adds exactly: the first feature and item whose
    records add up past the bound of their field (measured in floating point, only
    here), or the files when no single sum is to blame (a product of sums)."""
    for name, bound in _SUM_BOUNDS.items():
        if source.given is not None and name not in source.given:
            continue
        try:
            found = con.execute(
                f"SELECT feature, item_name, sum(abs(CAST({name} AS DOUBLE))) AS total "
                f"FROM records GROUP BY ALL HAVING total >= {float(bound)!r} "
                "ORDER BY feature NULLS FIRST, item_name NULLS FIRST LIMIT 1"
            ).fetchall()
        except Exception:  # pragma: no cover - the view read once already
            found = []
        if found:
            feature, item, total = found[0]
            return InfercostError.at(
                "Figure too large",
                f"{source.label}: the {name} of the records of feature "
                f"{quoted_line(feature)}, item {quoted_line(item)} add up to about {total:.3e}, "
                f"beyond what infercost adds exactly (below 1e{bound.adjusted()}).",
            )
    return InfercostError.at(
        "Figure too large",
        f"{source.label}: the records' token counts, quantities or costs add up past the "
        "38 digits infercost adds exactly; check the largest values.",
    )


def check_rejected(source: Source, cells: list[tuple[str, int, str, str]]) -> None:
    """Cells the reader could not parse as their field's type: an error naming the first.
    (Records the mapping lets skip are read again as text, see ``_run_duckdb``.)"""
    if not cells:
        return
    path, line, column, text = cells[0]
    shown_path = next((f.shown for f in source.files if f.path == path), path)
    value = ""
    try:
        # With CRLF line ends the reader keeps a "\n" or "\r" around the line: not a cell.
        header = next(csv.reader([_header(path).rstrip("\r\n")]))
        cells_of_line = next(csv.reader([text.strip("\r\n")]))
        value = cells_of_line[header.index(column)]
    except (StopIteration, ValueError, IndexError, OSError, csv.Error):
        pass
    field_kind = next(
        (
            FIELDS[n]
            for n, ps in read.field_sources(source.mapping, source.source).items()
            if column in ps
        ),
        COUNT,
    )
    raise InfercostError(
        Diagnostic(
            "Invalid record",
            f"record {line - 1}: {value_error(column, field_kind, value)}"
            + skip_hint(source, "invalid_value"),
            SourceRange.point(shown_path, line, 1),
        )
    )


_NEEDS = {TIME: "a time (ISO 8601 or epoch)", COUNT: "a whole number", DECIMAL: "a number"}


def value_error(name: str, kind: str, text: str) -> str:
    """Why a value as written is no value of its field: not one at all, or (a number of
    the right kind, 10^30 tokens) too large for the exact type it is summed in."""
    need = _NEEDS.get(kind, "a number")
    shown = quoted_line(text)
    if kind in (COUNT, DECIMAL):
        try:
            number = Decimal(text.strip())
        except (ArithmeticError, ValueError):
            number = None
        if (
            number is not None
            and number.is_finite()
            and (kind == DECIMAL or number == number.to_integral_value())
        ):
            digits = read.whole_digits(SQL_TYPES[kind])
            return f'{name} must be {need} below 1e{digits} in size, not "{shown}".'
    return f'{name} must be {need}, not "{shown}".'


def _header(path: str) -> str:
    with open(path, encoding="utf-8", newline="\n") as handle:
        return handle.readline()


def check_problems(source: Source, found: dict[str, Skipped]) -> None:
    """Fail on the first record with a problem the mapping does not allow to skip."""
    for problem in PROBLEMS:
        if problem in found and problem not in source.skippable:
            record = source.locate(f"_problem = {read.lit(problem)}")
            raise problem_error(source, problem, record)


def problem_error(source: Source, problem: str, record: dict[str, Any] | None) -> InfercostError:
    stack = source.stack
    if record is None:  # pragma: no cover - the engine found it, the locator must too
        return InfercostError.at("Invalid record", f"{source.label}: {PROBLEMS[problem]}.")
    where, rng = source.where(record)
    detail = _detail(stack, problem, record)
    hint = skip_hint(source, problem) if problem in PROBLEMS else ""
    return InfercostError(Diagnostic("Invalid record", f"{where}: {detail}{hint}", rng))


def skip_hint(source: Source, problem: str) -> str:
    """How the mapping lets such records be skipped (appended to the record's error)."""
    return f' To skip such records, add "{problem}" to skip in the records "{source.source}" block.'


def _detail(stack: Stack, problem: str, r: dict[str, Any]) -> str:
    if problem == "unknown_feature":
        return f'unknown feature "{quoted_line(r["feature"])}".' + did_you_mean(
            r["feature"], stack.features
        )
    if problem == "unknown_item":
        items = [i.address for s in stack.price_sheets.values() for i in s.items.values()]
        name = r["item_name"]
        provider = r.get("provider")
        full = f"{provider}/{name}" if provider and "/" not in name else name
        return (
            f'"{quoted_line(full)}" is not a declared price item.'
            + did_you_mean(full, items)
            + " Name it SHEET/ITEM, or map it in the block's items."
        )
    if problem == "invalid_tokens":
        for name in (
            "input_tokens",
            "cached_input_tokens",
            "cache_write_tokens",
            "output_tokens",
            "call_index",
            "attempt",
        ):
            value = r.get(read.EXACT + name, r.get(name))
            written = None
            if isinstance(value, str):  # the text as written (a cast would round it)
                written, value = value, Decimal(value.strip())
            if value is not None and (
                value < 0 or value != int(value) or (name == "attempt" and value < 1)
            ):
                need = "a whole number >= 1" if name == "attempt" else "a whole number >= 0"
                shown = quoted_line(written) if written is not None else _num(value)
                return f"{name} must be {need}, not {shown}."
            if value is not None and name in TOKENS and value > MAX_TOKENS:
                shown = quoted_line(written) if written is not None else _num(value)
                return (
                    f"{name} must be at most 1e15 (a quadrillion, the bound of token counts "
                    f"in a stack), not {shown}."
                )
    if problem == "invalid_cost":
        return f"reported_cost must be >= 0 (no cost is negative), not {_num(r['reported_cost'])}."
    if problem == "cached_exceeds_input":
        return (
            f"cached_input_tokens ({_num(r['cached_input_tokens'] or 0)}) plus cache_write_tokens "
            f"({_num(r['cache_write_tokens'] or 0)}) exceed input_tokens "
            f"({_num(r['input_tokens'] or 0)}); input tokens include cached ones."
        )
    if problem == "unknown_step":
        feature = stack.features[r["feature"]]
        steps = [s.name for s in stack.workflows[feature.workflow].steps]
        return (
            f'workflow "{feature.workflow}" of feature "{feature.name}" has no step '
            f'"{quoted_line(r["step"])}".' + did_you_mean(r["step"], steps)
        )
    if problem == "ambiguous_step":
        return (
            f'several steps of feature "{r["feature"]}"\'s workflow use "{r["item"]}"; the record '
            "needs a step."
        )
    if problem == "field_not_for_item":
        # Said by what the item is, not guessed from the values: a model's record with
        # tokens and a quantity breaks the model's rule, not a meter's.
        if r["item"] is None:
            return (
                "a record with no item marks its unit and costs nothing: it takes no tokens "
                "and no quantity."
            )
        if isinstance(stack.price_item(r["item"]), MeterPrice):
            return f'"{r["item"]}" does not take tokens (it is a meter, priced by quantity).'
        return f'"{r["item"]}" does not take a quantity (it is a model, priced by tokens).'
    if problem == "invalid_value":
        name, twice, rest = r["_invalid"].partition(read.TWICE)
        if twice:
            path, _, key = rest.partition(read.TWICE)
            what = f'the tag "{quoted_line(key)}"' if key.endswith(":") else f'"{quoted_line(key)}"'
            return (
                f'{name} is read from "{quoted_line(path)}", where {what} is written twice; '
                "readers differ on which of the two counts, so neither is taken."
            )
        name, empty, attribute = r["_invalid"].partition(read.EMPTY)
        if empty:
            return (
                f'{name} is read from the attribute "{quoted_line(attribute)}", which is there '
                "with no value; give the number, or leave the attribute out."
            )
        name, range_error, digits = r["_invalid"].partition(read.RANGE)
        if range_error:
            return f"{name} must be a finite number below 1e{digits} in size."
        name, not_text, _ = r["_invalid"].partition(read.NOT_TEXT)
        if not_text:
            return f"{name} must be a string or a number, not a list, an object or true/false."
        kind = FIELDS.get(r["_invalid"], "")
        if kind == "text":
            return f"{r['_invalid']} is read from a path into a column that does not hold JSON."
        written = r.get(read.EXACT + name)
        if kind == COUNT and isinstance(written, str):  # the text as written: shown
            return value_error(name, kind, written)
        if kind == COUNT:
            # The text is not kept (a count read from several places, as OTLP's
            # attributes are): it is no number, or one past the exact type; say both.
            digits = read.whole_digits(SQL_TYPES[kind])
            return (
                f"{name} must be {_NEEDS[kind]} below 1e{digits} in size; the value given is "
                "not one."
            )
        need = {"time": "a time (ISO 8601 or epoch)", "bool": "true or false"}.get(kind, "a number")
        return f"{r['_invalid']} must be {need}."
    return PROBLEMS[problem] + "."


def _num(value: Any) -> str:
    from infercost.arithmetic import plain

    return plain(Decimal(value)) if isinstance(value, Decimal | int) else str(value)
