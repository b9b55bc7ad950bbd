"""Source files -> one SQL relation of normalized, typed records with a problem code.

Nothing here loops over records: each source becomes a DuckDB relation (``read_csv``,
``read_json``, ``read_parquet``, or the OTLP flattening in ``otel.py``), the stack's
mapping becomes one SQL expression per record field, and the rules a record must obey
become SQL too. Rules on a record's own numbers are one boolean (``_bad``) folded into
the aggregation; rules on names (feature, item, step, customer) hold for a whole group,
so they are checked on the aggregated groups (:func:`grouped_problems`). Only when a
rule broke are the records grouped again by ``_problem`` (the first problem of each
record), to skip them with the mapping's permission or to read the file once more, in
order, and name the first offending record.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infercost.config.loader import display_path
from infercost.errors import InfercostError, SourceRange, did_you_mean
from infercost.files import first_bad_utf8, note_input
from infercost.model import MeterPrice, ModelPrice, RecordMapping, Stack
from infercost.numbers import counted
from infercost.usage.line_ends import mixed_line_end_error
from infercost.usage.records.fields import (
    BOOL,
    COUNT,
    DECIMAL,
    DEFAULT_FIELDS,
    FIELDS,
    FILE_FORMATS,
    MAX_TOKENS,
    SQL_TYPES,
    TEXT,
    TIME,
    TOKENS,
    SourceFile,
)
from infercost.usage.records.query import step_pairs

NUMERIC_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "DECIMAL",
)
FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")
INTEGER_TYPES = NUMERIC_TYPES[:-1]
# The CSV reader's type for count columns on the fast path (see ``tabular``): counts
# below 10^9 (nine digits before the point).
NARROW_COUNT = "DECIMAL(18, 9)"
# Times the CSV reader parses by an exact format on the fast path: whole seconds in UTC,
# with or without the "Z", with a "T" or a space (what exports and DuckDB write).
PLAIN_TIMES = (
    ("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", "%Y-%m-%d %H:%M:%S"),
    ("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}", "%Y-%m-%dT%H:%M:%S"),
    ("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}Z", "%Y-%m-%d %H:%M:%SZ"),
    ("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", "%Y-%m-%dT%H:%M:%SZ"),
)


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def open_sources(paths: Sequence[Path]) -> list[SourceFile]:
    """Check each source is a regular file: a FIFO or a device would be read forever."""
    out = []
    for path in paths:
        shown = display_path(path)
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            raise InfercostError.at("Records file not found", f"{shown} does not exist.") from None
        except OSError as exc:
            raise InfercostError.at(
                "Unreadable records file", f"{shown}: {exc.strerror or exc}."
            ) from None
        if not stat.S_ISREG(mode):
            kind = (
                "a directory"
                if stat.S_ISDIR(mode)
                else "a FIFO"
                if stat.S_ISFIFO(mode)
                else "a device or socket"
            )
            raise InfercostError.at(
                "Unreadable records file",
                f"{shown} is {kind}, not a regular file; records are read from files only.",
            )
        note_input(path)
        out.append(SourceFile(str(Path(path).resolve()), shown))
    # A zero-byte part among several (Spark writes one per empty partition) holds no
    # records; readers would take it for a file with one unnamed column.
    kept = [f for f in out if os.path.getsize(f.path) > 0]
    if not kept:
        names = ", ".join(f.shown for f in out)
        raise InfercostError.at("Empty records file", f"{names}: the file is empty.")
    return kept


def file_format(files: Sequence[SourceFile]) -> str:
    formats = set()
    for f in files:
        fmt = FILE_FORMATS.get(Path(f.path).suffix.lower())
        if fmt is None:
            raise InfercostError.at(
                "Unsupported records file",
                f"{f.shown}: the format is chosen by extension: "
                + ", ".join(sorted(FILE_FORMATS))
                + ".",
            )
        formats.add(fmt)
    if len(formats) > 1:
        raise InfercostError.at(
            "Mixed records files", "All files of one import must have the same format."
        )
    return formats.pop()


@dataclass(frozen=True)
class Raw:
    """A relation of source rows: SQL text, its columns and their DuckDB types."""

    sql: str
    columns: dict[str, str]
    # Column -> the SQL condition under which its value was there but could not be read
    # as its type (the tolerant JSON read, see ``tabular``).
    unreadable: dict[str, str] = field(default_factory=dict)
    # Column -> the SQL of each value's JSON type, for a JSON lines column whose values
    # are not all of one plain type (lists, objects, or strings beside numbers): its
    # text alone cannot tell ``["a", "b"]`` from the string "[\"a\", \"b\"]".
    json_types: dict[str, str] = field(default_factory=dict)


def file_with_column(
    con: Any, files: Sequence[SourceFile], fmt: str, column: str
) -> SourceFile | None:
    """The first of ``files`` whose own header or keys have ``column`` (None: none
    readable does). Read one file at a time, on the error path only."""
    reader = {
        "csv": "read_csv({}, header = true, all_varchar = true, " + CSV_DIALECT + ")",
        "parquet": "read_parquet({})",
    }.get(fmt, "read_json({}, format = 'newline_delimited')")
    for file in files:
        try:
            described = con.execute(
                f"DESCRIBE SELECT * FROM {reader.format(lit(file.path))}"
            ).fetchall()
        except Exception:  # duckdb's own error type: that file is not the one named
            continue
        if any(row[0] == column for row in described):
            return file
    return None


def json_lines(path: str, errors: str = "strict") -> Iterator[tuple[int, str]]:
    """The lines of a JSON lines file with their numbers (from 1), split at "\n" alone
    as the engine splits them (a lone "\r" is whitespace inside a line), without a byte
    order mark: the one way the error paths read a line back to name it."""
    with open(path, encoding="utf-8-sig", errors=errors, newline="\n") as handle:
        yield from enumerate(handle, start=1)


def first_non_object(files: Sequence[SourceFile]) -> tuple[SourceFile, int, str] | None:
    """The first line of JSON lines ``files`` that holds a value but not an object, or an
    object with an empty key, with what is wrong with it. One such line makes the reader
    read the whole file as one column named ``json``; the line is found here, on that
    path only."""
    kinds = {list: "a list", str: "a string", bool: "true or false", type(None): "null"}
    each = "each line of a JSON lines records file is one record, an object of its fields."
    for file in files:
        try:
            for number, line in json_lines(file.path, errors="replace"):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except ValueError:
                    continue  # not JSON at all: the reader names it
                if not isinstance(value, dict):
                    return (
                        file,
                        number,
                        f"holds {kinds.get(type(value), 'a number')}, not an object: {each}",
                    )
                if "" in value:
                    return (
                        file,
                        number,
                        'has a field with an empty name (""): name it, or remove it.',
                    )
        except OSError:
            continue
    return None


def tabular(
    con: Any,
    files: Sequence[SourceFile],
    fmt: str,
    ordered: bool,
    typed: dict[str, str] | None = None,
    generic: bool = True,
    tolerant: bool = False,
) -> Raw:
    """CSV, JSON lines or Parquet as a relation with ``_file`` (and ``_row`` when ordered).

    ``typed`` names CSV columns that hold a typed record field (``count``, ``decimal``,
    ``time``): DuckDB's CSV reader parses them itself, much faster than casting text in
    SQL, and a cell that does not parse is kept in a rejects table with its line, so the
    error names it.

    Without ``generic``, the reader takes two faster types: count columns as
    ``DECIMAL(18, 9)`` (:data:`NARROW_COUNT`, a 64-bit integer inside) instead of
    ``DECIMAL(38, 9)``, so the whole-number check and the sums cost several times less;
    and a time column whose first thousand values are all written one plain way (see
    :data:`PLAIN_TIMES`) as ``TIMESTAMP`` with that exact format, instead of
    ``TIMESTAMPTZ`` (a time-zone aware parse per value). A value the faster type does
    not take (a count of a billion or more, a time with an offset) is rejected by the
    reader; the caller then reads the files again with the generic types, so every
    value reads exactly as before, only slower.

    JSON numbers are read as exact decimals; one that no ``DECIMAL(38, 18)`` holds
    (``1e30``, ``NaN``, 41 digits) fails the whole read. The caller then reads the files
    again ``tolerant``: such a value reads as NULL, and the number columns are read a
    second time as text, side by side (``POSITIONAL JOIN``, on an ordered connection),
    so that :attr:`Raw.unreadable` tells a value that was there from an absent one and
    the record is named like any other bad value."""
    paths = "[" + ", ".join(lit(f.path) for f in files) + "]"
    extra = ""
    if fmt == "csv":
        reader = (
            "read_csv({}, header = true, all_varchar = true, "
            + CSV_DIALECT
            + ", filename = '_file'{})"
        )
    elif fmt == "parquet":
        reader = "read_parquet({}, filename = '_file', union_by_name = true{})"
        extra = ", file_row_number = true" if ordered else ""
    else:
        reader = (
            f"read_json({{}}, format = 'newline_delimited', sample_size = {JSON_SAMPLE}, "
            "filename = '_file'{})"
        )
    # Every file's columns, not the first file's: a column only a later file has would
    # otherwise be dropped without a word (CSV), or be missing from the sample (JSON).
    union = "" if fmt == "parquet" else ", union_by_name = true"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {reader.format(paths, union)}").fetchall()
    except Exception as exc:  # duckdb reports unreadable files in its own error type
        raise read_error(files, exc) from None
    columns = {row[0]: str(row[1]) for row in described if row[0] not in ("_file",)}
    columns.pop("file_row_number", None)
    if fmt == "jsonl":
        late = _late_keys(con, files, columns)
        lowered = {c.lower() for c in columns}
        if len({k.lower() for k in late} - lowered) < len(late):
            # A key past the sample that matches a column (or another late key) without
            # regard to case: named as written, as the reader's renamed columns are.
            from infercost.usage.records.names import refuse_twice

            refuse_twice(con, files, fmt, columns, sure=True)
            kept: dict[str, str] = {}
            for key in late:
                if key.lower() not in lowered:
                    kept.setdefault(key.lower(), key)
            late = list(kept.values())
        columns.update(dict.fromkeys(late, "JSON"))
    elif fmt == "csv" and len(files) > 1 and len(set(map(frozenset, csv_headers(con, files)))) > 1:
        # Files with different columns: matched by name, a column a file lacks empty.
        # DuckDB keeps no rejects table then, so every cell is read as text and typed
        # in SQL (slower, and only for such a set of files).
        reader = reader.replace("header = true", "header = true, union_by_name = true")
        typed = None
    json_types: dict[str, str] = {}
    if fmt == "jsonl":
        # Numbers are read as exact decimals (a JSON number is never a float here);
        # objects and arrays as their JSON text, each value's JSON type beside it.
        spec = ", ".join(f"{lit(n)}: {lit(_json_read_type(k))}" for n, k in columns.items())
        extra = f", columns = {{{spec}}}"
        json_types = {
            name: q(JSON_TYPE + name)
            for name, kind in columns.items()
            if _json_read_type(kind) == "JSON"
        }
        columns = {name: _json_type(kind) for name, kind in columns.items()}
        numbers = [name for name, kind in columns.items() if kind == JSON_NUMBER]
        if tolerant and numbers:
            texts = ", ".join(f"{lit(name)}: 'VARCHAR'" for name in numbers)
            text_reader = f"read_json({paths}, format = 'newline_delimited', columns = {{{texts}}})"
            typed_reader = reader.format(paths, extra + ", ignore_errors = true")
            shown = ", ".join(f"_texts.{q(name)} AS {q('_text_' + name)}" for name in numbers)
            if ordered:  # numbered as read (see ``_numbered``)
                typed_reader, ordinal = _with_ordinality(con, typed_reader)
            sql = (
                f"SELECT _typed.*, {shown} FROM {typed_reader} AS _typed "
                f"POSITIONAL JOIN {text_reader} AS _texts"
            )
            unreadable = {
                name: f"({q('_text_' + name)} IS NOT NULL AND {q(name)} IS NULL)"
                for name in numbers
            }
            if ordered:
                sql = _numbered(sql, ordinal)
            return Raw(_json_texts(sql, json_types), columns, unreadable, json_types)
    if fmt == "csv" and typed:
        types = {}
        for name, kind in typed.items():
            if name not in columns:
                continue
            if kind == TIME and generic:
                # Read as text: a column may mix epoch numbers and ISO 8601 text, and
                # each value is then read by its own kind (``_convert``), as in JSON.
                continue
            if kind == TIME:
                types[name], time_format = _time_type(con, reader.format(paths, ""), name, generic)
                if time_format:
                    reader = reader.replace(
                        "filename = '_file'",
                        f"filename = '_file', timestampformat = {lit(time_format)}",
                    )
            elif kind == COUNT and not generic:
                types[name] = NARROW_COUNT
            elif kind in SQL_TYPES and kind != BOOL:
                types[name] = SQL_TYPES[kind]
        if types:
            spec = ", ".join(f"{lit(k)}: {lit(v)}" for k, v in types.items())
            reader = reader.replace("all_varchar = true", f"types = {{{{{spec}}}}}")
            extra = ", store_rejects = true, rejects_table = 'rejected', rejects_scan = 'scans'"
            columns.update(types)
    sql = f"SELECT * FROM {reader.format(paths, extra)}"
    if ordered:
        if fmt == "parquet":
            sql = (
                "SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _row "
                f"FROM {reader.format(paths, extra)}"
            )
        else:
            numbered, ordinal = _with_ordinality(con, reader.format(paths, extra))
            sql = _numbered(f"SELECT * FROM {numbered}", ordinal)
    return Raw(_json_texts(sql, json_types), columns, json_types=json_types)


def _with_ordinality(con: Any, table: str) -> tuple[str, str]:
    """The reader ``table`` with each record's number as read (``WITH ORDINALITY``), and
    the name the engine gives that column (``ordinality``, or another when a file has a
    column of that name). The reader numbers records in the order of the files and of
    their lines, however many threads read them; a window's ``row_number()`` without an
    order does not (past a few tens of thousands of records, a record was named at the
    line of another)."""
    numbered = f"(SELECT * FROM {table} WITH ORDINALITY)"  # a relation to alias or join
    described = con.execute(f"DESCRIBE SELECT * FROM {numbered}").fetchall()
    return numbered, str(described[-1][0])


def _numbered(sql: str, ordinal: str) -> str:
    """``sql`` with ``_row``, each record's number within its file (from 1), from the
    reader's ``ordinal`` numbers across the files, without that column."""
    column = q(ordinal)
    return (
        f"SELECT * EXCLUDE ({column}), {column} - min({column}) OVER (PARTITION BY _file) + 1 "
        f"AS _row FROM ({sql})"
    )


# Prefix of the column that holds a JSON lines value's JSON type (``Raw.json_types``).
JSON_TYPE = "_json_type_"


def _json_texts(sql: str, json_types: dict[str, str]) -> str:
    """``sql`` with each JSON-typed column read as the text a VARCHAR read gives (a
    string unquoted, anything else its JSON text), its JSON type kept beside it."""
    if not json_types:
        return sql
    texts = ", ".join(f"json_extract_string({q(n)}, '$') AS {q(n)}" for n in json_types)
    kinds = ", ".join(f"json_type({q(n)}) AS {t}" for n, t in json_types.items())
    return f"SELECT * REPLACE ({texts}), {kinds} FROM ({sql})"


def _time_type(con: Any, relation: str, column: str, generic: bool) -> tuple[str, str | None]:
    """Epoch numbers or ISO 8601 text, and a plain format when not ``generic`` (see
    ``tabular``): decided on the first thousand values."""
    plain = ", ".join(
        f"count(*) FILTER (WHERE regexp_full_match({q(column)}, {lit(pattern)}))"
        for pattern, _ in PLAIN_TIMES
    )
    sample = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE regexp_full_match(trim({q(column)}), "
        f"'[0-9]+(\\.[0-9]*)?')), {plain} FROM (SELECT {q(column)} FROM {relation} "
        f"WHERE {q(column)} IS NOT NULL LIMIT 1000)"
    ).fetchall()[0]
    if sample[0] and sample[0] == sample[1]:
        return "DECIMAL(38, 9)", None
    if not generic and sample[0]:
        for (_, time_format), count in zip(PLAIN_TIMES, sample[2:], strict=True):
            if count == sample[0]:
                return "TIMESTAMP", time_format
    return "TIMESTAMPTZ", None


def rejected(con: Any) -> list[tuple[str, int, str, str]]:
    """Cells the CSV reader could not parse: (file, line, column, line text), in order."""
    try:
        rows = con.execute(
            "SELECT s.file_path, r.line, r.column_name, r.csv_line FROM rejected r "
            "JOIN scans s USING (scan_id, file_id) ORDER BY s.file_path, r.line"
        ).fetchall()
    except Exception:  # no typed CSV scan ran: there is no rejects table
        return []
    # A record of the wrong width is rejected with no column ("").
    return [(str(a), int(b), "" if c is None else str(c), str(d)) for a, b, c, d in rows]


# RFC 4180's quoting, as the usage reader reads CSV (the separator is still found, so a
# ";" or tab export reads): the engine's sniffer guessed the quoting from the file, and
# one unclosed quote made it read every quote as text.
CSV_DIALECT = "quote = '\"', escape = '\"', strict_mode = true"
# The type JSON numbers are read as: exact, 20 whole digits and 18 decimals.
JSON_NUMBER = "DECIMAL(38, 18)"


def csv_headers(con: Any, files: Sequence[SourceFile]) -> list[tuple[str, ...]]:
    """Each CSV file's column names, in their order."""
    headers = []
    for file in files:
        try:
            described = con.execute(
                "DESCRIBE SELECT * FROM "
                f"read_csv({lit(file.path)}, header = true, all_varchar = true, {CSV_DIALECT})"
            ).fetchall()
        except Exception as exc:  # duckdb reports unreadable files in its own error type
            raise read_error([file], exc) from None
        headers.append(tuple(str(row[0]) for row in described))
    return headers


# Records of each JSON lines file the reader infers the columns from.
JSON_SAMPLE = 20_480


def _late_keys(con: Any, files: Sequence[SourceFile], columns: dict[str, str]) -> list[str]:
    """Keys of JSON lines records that the reader's sample of each file did not see.

    DuckDB infers a JSON file's columns from its first :data:`JSON_SAMPLE` records; a
    key that first appears later (``cache_write_tokens`` from the day caching was turned
    on) would be read as no column at all, its values dropped. One pass over every
    record's keys of the longer files finds them (about a fifth of the import's time on
    such a file; none on a file the sample covers); they are read as ``JSON``, each
    value with its own type, as a column of mixed types is. A file that does not parse
    is left to the read, which names the record."""
    longer = [f for f in files if _has_more_lines(f.path, JSON_SAMPLE)]
    if not longer:
        return []
    found = json_record_keys(con, longer) or []
    return sorted({k for _, k in found if k not in columns and k not in ("_file",)})


def json_record_keys(con: Any, files: Sequence[SourceFile]) -> list[tuple[str, str]] | None:
    """(file path, key) for every key of every record of JSON lines ``files``, each
    once; None when a file does not parse (the read names the record, located)."""
    paths = "[" + ", ".join(lit(f.path) for f in files) + "]"
    try:
        found = con.execute(
            "SELECT DISTINCT filename, unnest(json_keys(json)) FROM "
            f"read_json_objects({paths}, format = 'newline_delimited', filename = true) "
            "WHERE json_type(json) = 'OBJECT'"
        ).fetchall()
    except Exception:  # duckdb's own error type
        return None
    return [(str(path), str(key)) for path, key in found]


def _has_more_lines(path: str, count: int) -> bool:
    """Whether the file has more than ``count`` line breaks: read until it is known, so a
    long file costs its first megabytes only."""
    seen = 0
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                seen += chunk.count(b"\n")
                if seen > count:
                    return True
    except OSError:  # the read names the file
        return False
    return False


def _json_read_type(kind: str) -> str:
    """The type a JSON lines column is read as: ``JSON`` when its values are lists,
    objects or of several types (DuckDB infers ``JSON`` or a nested type), so that each
    value's own type is known; else as :func:`_json_type`."""
    return "JSON" if kind == "JSON" or _is_nested(kind) else _json_type(kind)


def _json_type(kind: str) -> str:
    if _is_nested(kind):  # BIGINT[] starts like BIGINT: read as its JSON text
        return "VARCHAR"
    if kind.startswith(NUMERIC_TYPES) or kind in FLOAT_TYPES:
        return JSON_NUMBER
    if kind in ("BOOLEAN",):
        return kind
    return "VARCHAR"


def read_error(files: Sequence[SourceFile], exc: Exception) -> InfercostError:
    for f in files:
        if FILE_FORMATS.get(Path(f.path).suffix.lower()) in ("csv", "jsonl"):
            not_utf8 = _not_utf8(f)
            if not_utf8 is not None:
                return not_utf8
        if Path(f.path).suffix.lower() == ".csv":
            # A broken record first: the line-end check reads quoted values too, and a
            # bare LF inside a quoted value of a CRLF file is no mixed line end.
            broken = csv_structure_error(f)
            if broken is not None:
                return broken
            mixed = mixed_line_end_error("Unreadable records file", Path(f.path), f.shown)
            if mixed is not None:
                return mixed
    near = _engine_line(str(exc))
    for f in files:
        fmt = FILE_FORMATS.get(Path(f.path).suffix.lower())
        if fmt == "csv":
            broken = csv_structure_error(f)
        elif fmt == "jsonl":
            broken = jsonl_structure_error(f, near)
        else:
            continue
        if broken is not None:
            return broken
    if "has duplicate key" in str(exc):  # a JSON record with one key twice
        from infercost.usage.engine import connect
        from infercost.usage.records.names import refuse_key_twice_in_a_record

        con = connect()
        try:
            refuse_key_twice_in_a_record(con, files)
        finally:
            con.close()
    if "in struct auto-detected in JSON" in str(exc):  # a nested key in two spellings
        from infercost.usage.records.names import nested_twice

        found = nested_twice(files)
        if found is not None:
            return found
    names = ", ".join(f.shown for f in files)
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return InfercostError.at("Unreadable records file", f"{names}: {message}")


# The separators a records CSV file may use (the engine's sniffer tries the same).
_SEPARATORS = (",", ";", "\t", "|")


def _separator(header: str) -> str:
    """The separator that splits the header line into the most names (the first of the
    candidates on a tie): the file's own, since no column name holds it."""
    import csv

    def names(separator: str) -> int:
        try:
            return len(next(csv.reader([header], delimiter=separator), []))
        except csv.Error:
            return 0

    return max(_SEPARATORS, key=names)


def csv_structure_error(file: SourceFile) -> InfercostError | None:
    """The first record of a CSV file that RFC 4180 does not allow (a quote left open, a
    quote inside an unquoted value, more or fewer values than the header has names),
    located; None when Python's reader finds none. Read on the error path only.

    A record of the wrong width is what makes the engine's sniffer guess wrong: it then
    reads the whole header as one column name, or takes the long record for the header,
    so the error it leads to ("unknown column ...") names the wrong thing."""
    import csv

    try:
        with open(file.path, encoding="utf-8-sig", newline="") as handle:
            separator = _separator(handle.readline().rstrip("\r\n"))
            handle.seek(0)
            reader = csv.reader(handle, strict=True, delimiter=separator)
            start, width = 1, None
            try:
                for row in reader:
                    if width is None:
                        width = len(row)
                    elif row and len(row) != width:
                        return InfercostError.at(
                            "Unreadable records file",
                            f"line {start}: the record has {counted(len(row), 'value')}, but the "
                            f"header names {width} columns.",
                            SourceRange.point(file.shown, start, 1),
                        )
                    start = reader.line_num + 1
            except csv.Error as exc:
                problem = str(exc)
            else:
                return None
    except (OSError, UnicodeDecodeError):
        return None
    if "unexpected end of data" in problem or "EOF" in problem:
        detail = "a quoted value is never closed: the quote runs to the end of the file."
    else:
        detail = f"the record is not valid CSV ({problem})."
    return InfercostError.at(
        "Unreadable records file",
        f"line {start}: {detail}",
        SourceRange.point(file.shown, start, 1),
    )


_ENGINE_LINE = re.compile(r"\bin line (\d+)")


def _engine_line(message: str) -> int | None:
    found = _ENGINE_LINE.search(message)
    return int(found.group(1)) if found else None


def jsonl_structure_error(file: SourceFile, near: int | None = None) -> InfercostError | None:
    """The first line of a JSON lines file that is not one JSON object, located; None
    when every line is. The engine names the line after a broken one (it reads on into
    it), so a line it names is checked with the two before it; with none, every line
    is. Read on the error path only."""
    first = max(1, near - 2) if near is not None else 1
    try:
        for number, line in json_lines(file.path):
            text = line.rstrip("\r\n")
            if number < first or not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                # ("Unterminated string starting at" names its own place)
                at = "" if exc.msg.endswith(" at") else " at"
                detail = f"invalid JSON ({exc.msg}{at} column {exc.colno})."
            except RecursionError:
                detail = "invalid JSON (nested too deeply to read)."
            else:
                if isinstance(record, dict):
                    continue
                detail = "each record must be a JSON object."
            return InfercostError.at(
                "Unreadable records file",
                f"line {number}: {detail}",
                SourceRange.point(file.shown, number, 1),
            )
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _not_utf8(file: SourceFile) -> InfercostError | None:
    """The first byte of a text records file that is not UTF-8, with its line: the
    engine says only "CSV Error on Line: 2" or counts JSON lines its own way."""
    try:
        bad = first_bad_utf8(file.path)
    except OSError:
        return None
    if bad is None:
        return None
    return InfercostError.at(
        "Unreadable records file",
        f"{file.shown} is not UTF-8 text (byte {bad.byte}, line {bad.line}).",
        range=SourceRange.point(file.shown, bad.line),
    )


# ``_invalid`` names the field; with this suffix and the number of whole digits its type
# holds, a number out of range (``input_tokens:range29``).
RANGE = ":range"


# ``_invalid`` names the field; with this suffix, a name given as a list, an object, true
# or false (a JSON lines value), which no text field takes.
NOT_TEXT = ":not_text"


# ``_invalid`` names the field; then, between two of these, the path it is read from,
# and the key (or ``tag:``) written twice on the way.
TWICE = ":twice:"


# ``_invalid`` names the field; then this suffix and the attribute: an OTLP attribute the
# field is read from, there with no value (``{}``, or ``{"intValue": ""}``).
EMPTY = ":empty:"


def _not_text(column: str, raw: Raw) -> str | None:
    """The SQL condition under which a column's value is no name: a JSON list, object or
    boolean (its text would pass for one: ``["a", "b"]``, ``true``)."""
    if column in raw.json_types:
        return f"{raw.json_types[column]} IN ('ARRAY', 'OBJECT', 'BOOLEAN')"
    if raw.columns[column] == "BOOLEAN":
        return f"{q(column)} IS NOT NULL"
    return None


# -- mapping -----------------------------------------------------------------------------


def source_expression(
    path: str, columns: dict[str, str], source: str
) -> tuple[str, str | None, list[tuple[str, str]]] | None:
    """SQL for one source field: a column, or a dotted path into a JSON / struct column;
    the condition under which the column's text is not JSON (None for a column); and,
    for a path, a (condition, name) for each step of it where the name may be written
    twice (a key twice in one object, a tag twice in a list), which JSON leaves to each
    reader to choose between: such a value is not guessed.

    A path into a column that holds a list of ``key:value`` tags (LiteLLM's
    ``request_tags``) finds the tag's value. None when the column does not exist."""
    if path in columns:
        return q(path), None, []
    head, _, rest = path.partition(".")
    if not rest or head not in columns:
        return None
    kind = columns[head]
    text = q(head) if kind in ("VARCHAR", "JSON") else f"to_json({q(head)})::VARCHAR"
    parts = rest.split(".")
    steps = ['"' + p.replace('"', '\\"') + '"' for p in parts]
    json_path = "$." + ".".join(steps)
    value = f"json_extract_string({text}, {lit(json_path)})"
    written = kind in ("VARCHAR", "JSON")  # JSON text; a struct's fields are each once
    valid = f"json_valid({text})" if written else "true"
    twice = []
    for i, part in enumerate(parts if written else ()):
        # json_keys of the object above the step (Spark's takes no path argument).
        above = text if i == 0 else f"json_extract({text}, {lit('$.' + '.'.join(steps[:i]))})"
        keys = f"list_filter(json_keys({above}), lambda k: k = {lit(part)})"
        twice.append((f"{valid} AND array_length({keys}) > 1", part))
    if "." not in rest:
        prefix = rest + ":"
        tagged = (
            f"list_filter(CAST(json_extract_string({text}, '$[*]') AS VARCHAR[]), "
            f"lambda t: starts_with(t, {lit(prefix)}))"
        )
        tags = f"list_extract(list_transform({tagged}, lambda t: substr(t, {len(prefix) + 1})), 1)"
        value = f"CASE WHEN json_type({text}) = 'ARRAY' THEN {tags} ELSE {value} END"
        twice.append(
            (f"{valid} AND json_type({text}) = 'ARRAY' AND array_length({tagged}) > 1", prefix)
        )
    if kind not in ("VARCHAR", "JSON"):
        return value, None, twice
    # A cell that is not JSON reads as absent here and is reported by the check.
    empty = f"NULLIF({text}, '')"
    return (
        f"CASE WHEN json_valid({text}) THEN {value} END",
        f"{empty} IS NOT NULL AND NOT json_valid({text})",
        twice,
    )


@dataclass(frozen=True)
class Mapped:
    """The SQL of normalized records: typed fields, ``_problem`` and ``_bad``; ``given``
    names the fields the source or the mapping gives (the others are always NULL)."""

    sql: str
    given: frozenset[str] = frozenset()


def field_sources(mapping: RecordMapping | None, source: str) -> dict[str, tuple[str, ...]]:
    fields = dict(DEFAULT_FIELDS.get(source, {}))
    if mapping is not None:
        fields.update(mapping.fields)
    return fields


def mapped_records(
    stack: Stack,
    raw: Raw,
    source: str,
    mapping: RecordMapping | None,
    file_label: str,
    attribute_exprs: dict[str, list[tuple[str, str]]] | None = None,
    attribute_empty: dict[str, list[tuple[str, str]]] | None = None,
) -> Mapped:
    """The typed record fields and ``_problem`` over a raw relation (see module doc).

    ``attribute_empty``: per field, (condition, attribute) for an attribute that is there
    with no value; the record is then ``invalid_value``, not one without the field."""
    sources = field_sources(mapping, source)
    given: dict[str, str] = {}
    invalid: list[str] = []
    # How each given number is checked per record: "sign" when every candidate is an
    # integer column (it cannot hold a fraction), else "whole" (sign and fraction).
    # Absent fields are not checked at all: the checks run on every record.
    checks: dict[str, str] = {}
    # Count fields read from a column with more than 9 decimals: the column itself, so
    # that 5.0000000001 is not a whole number (the DECIMAL(38, 9) cast would round it).
    exact: dict[str, str] = {}
    texts: set[str] = set()  # the fields of ``exact`` that are text
    for name in FIELDS:
        if attribute_exprs is not None:
            exprs = attribute_exprs.get(name, [])
        else:
            exprs = []
            missing = []
            for path in sources.get(name, ()):
                found = source_expression(path, raw.columns, source)
                if found is None:
                    missing.append(path)
                    continue
                exprs.append((found[0], raw.columns.get(path, "VARCHAR")))
                if found[1] is not None:
                    invalid.append(f"WHEN {found[1]} THEN {lit(name)}")
                invalid.extend(
                    f"WHEN {condition} THEN {lit(f'{name}{TWICE}{path}{TWICE}{key}')}"
                    for condition, key in found[2]
                )
                if FIELDS[name] == TEXT and path in raw.columns:
                    scalar = _not_text(path, raw)
                    if scalar:
                        invalid.append(f"WHEN {scalar} THEN {lit(name + NOT_TEXT)}")
                if path in raw.unreadable:
                    bound = whole_digits(JSON_NUMBER)
                    invalid.append(
                        f"WHEN {raw.unreadable[path]} THEN {lit(f'{name}{RANGE}{bound}')}"
                    )
            if mapping is not None and name in mapping.fields and not exprs:
                raise InfercostError.at(
                    "Unknown source field",
                    f'The mapping gives {name} from "{missing[0]}", but {file_label} has no such '
                    "column." + did_you_mean(missing[0].partition(".")[0], raw.columns),
                    mapping.at("fields"),
                    context=f'records "{mapping.source}"',
                )
        for condition, attribute in (attribute_empty or {}).get(name, []):
            invalid.append(f"WHEN {condition} THEN {lit(name + EMPTY + attribute)}")
        expr, check = _typed(name, exprs, file_label) if exprs else (None, None)
        if check:
            invalid.append(f"WHEN {check} THEN {lit(name)}")
        for e, t in exprs:
            unfit = _unfit(name, e, t)
            if unfit:
                bound = whole_digits(SQL_TYPES[FIELDS[name]])
                invalid.append(f"WHEN {unfit} THEN {lit(f'{name}{RANGE}{bound}')}")
            if FIELDS[name] == COUNT and len(exprs) == 1:
                # The whole-number rule sees the value before the cast rounds it.
                if _is_text(e, t, COUNT):
                    exact[name] = f"NULLIF(TRIM(CAST({e} AS VARCHAR)), '')"
                    texts.add(name)
                elif _scale(t) > 9:
                    exact[name] = e
        default = mapping.defaults.get(name) if mapping else None
        if expr is None and default is None:
            given[name] = f"CAST(NULL AS {SQL_TYPES[FIELDS[name]]})"
            continue
        integers = default is None and all(
            not _is_text(e, t, FIELDS[name]) and t.startswith(INTEGER_TYPES) for e, t in exprs
        )
        checks[name] = "sign" if integers else "whole"
        if default is not None:
            literal = _literal(name, default)
            expr = f"COALESCE({expr}, {literal})" if expr else literal
        assert expr is not None
        given[name] = expr
    if mapping is not None and not mapping.input_includes_cache:
        given["input_tokens"] = (
            f"({given['input_tokens']} + COALESCE({given['cached_input_tokens']}, 0)"
            f" + COALESCE({given['cache_write_tokens']}, 0))"
        )
    select = ", ".join(f"{expr} AS {q('v_' + name)}" for name, expr in given.items())
    exact = {n: e for n, e in exact.items() if n in checks and checks[n] == "whole"}
    if mapping is not None and not mapping.input_includes_cache:
        exact.pop("input_tokens", None)
    select += "".join(f", {e} AS {q(EXACT + n)}" for n, e in exact.items())
    bad = f"CASE {' '.join(invalid)} END" if invalid else "CAST(NULL AS VARCHAR)"
    row = "_row, " if "_row" in raw.sql else ""
    inner = f"SELECT _file, {row}{select}, {bad} AS _invalid FROM ({raw.sql})"
    exact_kinds = {n: n in texts for n in exact}
    sql = _normalize(stack, inner, mapping, "_row" in raw.sql, checks, exact_kinds)
    return Mapped(sql, frozenset(checks))


def _literal(name: str, value: object) -> str:
    kind = FIELDS[name]
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind == TIME:
        return f"CAST({lit(str(value))} AS TIMESTAMP)"
    if kind == TEXT:
        return lit(str(value))
    return f"CAST({lit(str(value))} AS {SQL_TYPES[kind]})"


def _typed(name: str, exprs: list[tuple[str, str]], file_label: str) -> tuple[str, str | None]:
    """The field's value (the first non-empty candidate) and the SQL condition under
    which a given value is not of the field's type (text that is not a number...)."""
    kind = FIELDS[name]
    parts = []
    checks = []
    for expr, column_type in exprs:
        value = _convert(name, kind, expr, column_type, file_label)
        parts.append(value)
        if kind != TEXT and _is_text(expr, column_type, kind):
            checks.append(
                f"(NULLIF(TRIM(CAST({expr} AS VARCHAR)), '') IS NOT NULL AND {value} IS NULL)"
            )
    value = parts[0] if len(parts) == 1 else f"COALESCE({', '.join(parts)})"
    return value, " OR ".join(checks) or None


# Prefix of the column that holds a count field's value before its cast (see above).
EXACT = "_exact_"


def _scale(column_type: str) -> int:
    """The scale of a DECIMAL column type (0 for any other)."""
    if not column_type.startswith("DECIMAL("):
        return 0
    return int(column_type.partition(",")[2].rstrip(") "))


def whole_digits(column_type: str) -> int:
    """How many whole digits a numeric column type may hold (a bound, by type)."""
    if column_type.startswith("DECIMAL("):
        precision = int(column_type.partition("(")[2].partition(",")[0])
        return precision - _scale(column_type)
    if column_type.startswith(("HUGEINT", "UHUGEINT")):
        return 39
    return 20  # up to UBIGINT


def _unfit(name: str, expr: str, column_type: str) -> str | None:
    """The SQL condition under which a number column's value does not fit its field's
    type (NaN, infinity, 10^30 in a float column; 10^30 in a HUGEINT), or None when
    the column's type cannot hold such a value: the check then costs nothing."""
    kind = FIELDS[name]
    if kind not in (COUNT, DECIMAL) or _is_text(expr, column_type, kind):
        return None
    target = SQL_TYPES[kind]
    if column_type in FLOAT_TYPES:
        return f"({expr} IS NOT NULL AND TRY_CAST(CAST({expr} AS VARCHAR) AS {target}) IS NULL)"
    if column_type.startswith(NUMERIC_TYPES) and whole_digits(column_type) > whole_digits(target):
        return f"({expr} IS NOT NULL AND TRY_CAST({expr} AS {target}) IS NULL)"
    return None


def _is_text(expr: str, column_type: str, kind: str) -> bool:
    """Whether the field's value is read from the column's text. A number field read
    from a column of another type (JSON's ``"attempt": true`` in every record, a
    timestamp) is too: its first value that is not a number is then a located record
    error, not the whole column's. So is a time read from a column that holds no
    timestamps (``"time": true``, a Parquet ``TIME`` of day): no value of it is an
    instant, and each is named rather than read as no time at all."""
    if column_type in ("VARCHAR", "JSON") or expr.startswith(
        ("json_extract", "CASE WHEN json_type", "CASE WHEN json_valid")
    ):
        return True
    if kind == TIME and column_type.startswith("TIMESTAMP"):
        return False
    return (
        kind in (COUNT, DECIMAL, TIME)
        and not column_type.startswith(NUMERIC_TYPES)
        and column_type not in FLOAT_TYPES
    )


def _is_nested(column_type: str) -> bool:
    """Whether a column holds lists, structs or maps (Parquet's nested columns): such
    a value is never one field's value, and its text ("[t1, t2]") must not pass for one.
    A dotted path into a struct is read through JSON (``source_expression``)."""
    return column_type.endswith("]") or column_type.startswith(("STRUCT", "MAP", "UNION"))


def _convert(name: str, kind: str, expr: str, column_type: str, file_label: str) -> str:
    if _is_nested(column_type):
        raise InfercostError.at(
            "Wrong column type",
            f"{file_label}: the column for {name} has type {column_type}; a record field "
            "takes one value, not a list, struct or map.",
        )
    is_text = _is_text(expr, column_type, kind)
    text = f"NULLIF(TRIM(CAST({expr} AS VARCHAR)), '')"
    if kind == TEXT:
        # Names are kept exactly as written (no trimming: a copy per value, and " pro"
        # is not "pro"); an empty cell is absent.
        if column_type == "VARCHAR":
            return f"NULLIF({expr}, '')"
        if _scale(column_type) > 0:
            # A JSON number read as DECIMAL(38, 18): customer 42 is "42", not
            # "42.000000000000000000"; 4.50 is "4.5".
            text = f"CAST({expr} AS VARCHAR)"
            trimmed = f"rtrim(rtrim({text}, '0'), '.')"
            return f"CASE WHEN contains({text}, '.') THEN {trimmed} ELSE {text} END"
        return f"NULLIF(CAST({expr} AS VARCHAR), '')"
    if kind == TIME:
        if column_type in ("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"):
            # The instant in UTC from its microseconds: the same value as a cast, without
            # a time-zone conversion per record.
            return f"make_timestamp(epoch_us({expr}))"
        if column_type.startswith("TIMESTAMP"):
            return f"CAST({expr} AS TIMESTAMP)"
        if column_type.startswith(NUMERIC_TYPES):
            return _epoch(f"CAST({expr} AS DECIMAL(38, 0))")
        return (
            f"CASE WHEN regexp_matches({text}, '^[0-9]+(\\.[0-9]*)?$') "
            f"THEN {_epoch(f'CAST(TRY_CAST({text} AS DECIMAL(38, 9)) AS DECIMAL(38, 0))')} "
            f"ELSE CAST(TRY_CAST({text} AS TIMESTAMPTZ) AS TIMESTAMP) END"
        )
    if kind == BOOL:
        if column_type == "BOOLEAN":
            return expr
        return (
            f"CASE WHEN lower({text}) IN ('true', '1', 'yes', 't') THEN true "
            f"WHEN lower({text}) IN ('false', '0', 'no', 'f', 'none') THEN false END"
        )
    target = SQL_TYPES[kind]
    if is_text:
        return f"TRY_CAST({text} AS {target})"
    if kind == COUNT and column_type.replace(" ", "") == NARROW_COUNT.replace(" ", ""):
        # Kept narrow: checked and summed as 64-bit integers; sums are DECIMAL(38, 9).
        return expr
    if column_type.startswith(NUMERIC_TYPES):
        # TRY_CAST where the column may hold more than the field (``_unfit`` names it).
        cast = "TRY_CAST" if _unfit(name, expr, column_type) else "CAST"
        return f"{cast}({expr} AS {target})"
    if column_type in FLOAT_TYPES and name not in (*TOKENS, "attempt", "call_index"):
        # A float column (LiteLLM's spend): its shortest decimal text is the value meant;
        # NaN, infinity and 1e30 are named by ``_unfit``.
        return f"TRY_CAST(CAST({expr} AS VARCHAR) AS {target})"
    raise InfercostError.at(
        "Wrong column type",
        f"{file_label}: the column for {name} has type {column_type}; it must be an integer "
        "or decimal column.",
    )


def _epoch(number: str) -> str:
    """Epoch seconds, ms, µs or ns by magnitude (SPEC §12)."""
    return (
        f"(CASE WHEN {number} < 100000000000 "
        f"THEN make_timestamp(CAST({number} * 1000000 AS BIGINT)) "
        f"WHEN {number} < 100000000000000 THEN make_timestamp(CAST({number} * 1000 AS BIGINT)) "
        f"WHEN {number} < 100000000000000000 THEN make_timestamp(CAST({number} AS BIGINT)) "
        f"ELSE make_timestamp(CAST({number} // 1000 AS BIGINT)) END)"
    )


def item_lookup(stack: Stack, mapping: RecordMapping | None) -> dict[str, str]:
    """Keys a record may name an item by -> SHEET/ITEM."""
    out: dict[str, str] = {}
    labels: dict[str, list[str]] = {}
    for sheet in stack.price_sheets.values():
        for item in sheet.items.values():
            out[item.address] = item.address
            labels.setdefault(item.name, []).append(item.address)
    for label, addresses in labels.items():
        if len(addresses) == 1:
            out.setdefault(label, addresses[0])
    if mapping is not None:
        out.update(mapping.items)
    return out


def item_sql(
    stack: Stack, mapping: RecordMapping | None, item: str, provider: str, model: str
) -> str:
    """SQL for the declared ``SHEET/ITEM`` a record names, from the SQL of its given
    item, provider and model: per record in the normalized view, or once per group of
    records that give the same three (the import's compact scan, ``compact.py``).

    An item that matches no declared one keeps its name behind a "?" (declared items
    always hold a "/" after their sheet), so the scan's groups show it."""
    lookup = item_lookup(stack, mapping)
    by_pair = _case_lookup(f"{provider} || '/' || {model}", lookup)
    return (
        f"COALESCE({_case_lookup(item, lookup)}, {by_pair}, {_case_lookup(model, lookup)}, "
        f"'?' || COALESCE({item}, {model}))"
    )


def _case_lookup(expr: str, table: dict[str, str]) -> str:
    if not table:
        return "CAST(NULL AS VARCHAR)"
    whens = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in sorted(table.items()))
    return f"(CASE {expr} {whens} END)"


def _places(text: str) -> str:
    """SQL: how many decimals the number written ``text`` has, exactly (``1e-10``: 10,
    ``5.0000000001``: 10, ``1000e-3``: 0), whatever a cast to DECIMAL would round."""
    low = f"lower({text})"
    digits = f"ltrim(split_part({low}, 'e', 1), '+-')"
    power = f"coalesce(TRY_CAST(NULLIF(split_part({low}, 'e', 2), '') AS BIGINT), 0)"
    number = f"replace({digits}, '.', '')"
    zeros = f"(length({number}) - length(rtrim({number}, '0')))"
    return (
        f"(CASE WHEN rtrim({number}, '0') = '' THEN 0 "
        f"ELSE length(split_part({digits}, '.', 2)) - {power} - {zeros} END)"
    )


def _number_checks(
    checks: dict[str, str], exact: dict[str, bool] | None = None
) -> tuple[str, str, str, str]:
    """SQL for the per-record number rules, over the fields that are given: tokens and
    call index (whole, >= 0), attempt (whole, >= 1), quantity and reported cost (>= 0:
    no cost is ever negative), cached tokens (not more than the input). An integer column
    needs no fraction check (``floor`` on a 38-digit decimal is one of the dearest
    operations of the scan)."""

    def number(c: str, low: int) -> str | None:
        if c not in checks:
            return None
        rule = f"{c} < {low}"
        if c in TOKENS:
            rule += f" OR {c} > {MAX_TOKENS}"
        if checks[c] == "whole" and exact and exact.get(c):
            # Written as text: a cast rounds past its scale only for a text longer than
            # 10 characters or with a negative exponent; only those are measured.
            text = q(EXACT + c)
            rule += (
                f" OR {c} <> floor({c}) OR ((length({text}) > 10 OR strpos({text}, '-') > 0) "
                f"AND {_places(text)} > 0)"
            )
        elif checks[c] == "whole":
            whole = q(EXACT + c) if exact and c in exact else c
            rule += f" OR {whole} <> floor({whole})"
        return f"({c} IS NOT NULL AND ({rule}))"

    parts = [number(c, 0) for c in (*TOKENS, "call_index")] + [number("attempt", 1)]
    invalid_tokens = " OR ".join(p for p in parts if p) or "false"
    invalid_quantity = "quantity < 0" if "quantity" in checks else "false"
    invalid_cost = "reported_cost < 0" if "reported_cost" in checks else "false"
    if "cached_input_tokens" in checks or "cache_write_tokens" in checks:
        cached = (
            "COALESCE(cached_input_tokens, 0) + COALESCE(cache_write_tokens, 0) > "
            "COALESCE(input_tokens, 0)"
        )
    else:
        cached = "false"
    return invalid_tokens, invalid_quantity, invalid_cost, cached


def _normalize(
    stack: Stack,
    inner: str,
    mapping: RecordMapping | None,
    ordered: bool,
    checks: dict[str, str] | None = None,
    exact: dict[str, bool] | None = None,
) -> str:
    item = item_sql(stack, mapping, "v_item", "v_provider", "v_model")
    features = list(stack.features)
    feature_in = f"v_feature IN ({', '.join(lit(f) for f in features)})" if features else "false"
    meters = [
        i.address
        for s in stack.price_sheets.values()
        for i in s.items.values()
        if isinstance(i, MeterPrice)
    ]
    models = [
        i.address
        for s in stack.price_sheets.values()
        for i in s.items.values()
        if isinstance(i, ModelPrice)
    ]
    is_meter = f"item IN ({', '.join(lit(m) for m in meters)})" if meters else "false"
    is_model = f"item IN ({', '.join(lit(m) for m in models)})" if models else "false"
    steps = [
        (f.name, s.name)
        for f in stack.features.values()
        for s in (stack.workflows[f.workflow].steps if f.workflow in stack.workflows else ())
    ]
    step_known = (
        "(" + " OR ".join(f"(feature = {lit(f)} AND step = {lit(s)})" for f, s in steps) + ")"
        if steps
        else "false"
    )
    _, ambiguous = step_pairs(stack)
    is_ambiguous = (
        "(" + " OR ".join(f"(feature = {lit(f)} AND item = {lit(i)})" for f, i in ambiguous) + ")"
        if ambiguous
        else "false"
    )
    tokens_on_meter = " OR ".join(f"COALESCE({t}, 0) <> 0" for t in TOKENS)
    if checks is None:
        checks = {c: "whole" for c in (*TOKENS, "call_index", "attempt", "quantity")}
    exact = exact or {}
    invalid_tokens, invalid_quantity, invalid_cost, cached = _number_checks(checks, exact)
    row = "_row, " if ordered else ""
    typed = (
        f"SELECT _file, {row}v_time AS time, v_unit_id AS unit_id, v_feature AS feature, "
        f"v_customer AS customer, v_subscription AS subscription, v_step AS step, "
        f"{item} AS item, COALESCE(v_item, v_model) AS item_name, v_provider AS provider, "
        "v_item AS _item, v_model AS _model, "
        + ", ".join(f"v_{t} AS {t}" for t in TOKENS)
        + ", v_quantity AS quantity, v_attempt AS attempt, v_call_index AS call_index, "
        "v_cache_hit AS cache_hit, v_reported_cost AS reported_cost, "
        f"{feature_in} AS feature_known, _invalid"
        + "".join(f", {q(EXACT + n)}" for n in exact)
        + f" FROM ({inner})"
    )
    problem = (
        "CASE WHEN _invalid IS NOT NULL THEN 'invalid_value' "
        "WHEN unit_id IS NULL THEN 'missing_unit_id' "
        "WHEN feature IS NULL THEN 'missing_feature' "
        "WHEN NOT feature_known THEN 'unknown_feature' "
        "WHEN starts_with(item, '?') THEN 'unknown_item' "
        f"WHEN {invalid_tokens} THEN 'invalid_tokens' "
        f"WHEN {invalid_quantity} THEN 'invalid_quantity' "
        f"WHEN {invalid_cost} THEN 'invalid_cost' "
        f"WHEN {cached} THEN 'cached_exceeds_input' "
        f"WHEN ({is_meter}) AND ({tokens_on_meter}) THEN 'field_not_for_item' "
        f"WHEN ({is_model}) AND COALESCE(quantity, 0) <> 0 THEN 'field_not_for_item' "
        # A record with no item marks its unit and costs nothing: tokens or a quantity on
        # it would be dropped without a word.
        f"WHEN item IS NULL AND ({tokens_on_meter} OR COALESCE(quantity, 0) <> 0) "
        "THEN 'field_not_for_item' "
        f"WHEN step IS NOT NULL AND NOT {step_known} THEN 'unknown_step' "
        f"WHEN step IS NULL AND {is_ambiguous} THEN 'ambiguous_step' "
        "WHEN subscription IS NOT NULL AND customer IS NULL THEN 'subscription_without_customer' "
        "END"
    )
    rules = [c for c in (invalid_tokens, invalid_quantity, invalid_cost, cached) if c != "false"]
    bad = " OR ".join(["_invalid IS NOT NULL", *rules])
    return f"SELECT *, {problem} AS _problem, ({bad}) AS _bad FROM ({typed})"


def grouped_problems(stack: Stack) -> str:
    """One boolean over the scan's groups: does any record break a rule?

    Rules on a record's own numbers are folded into the scan (``any_bad``); rules on
    names (feature, item, step, customer) hold or fail for a whole group, so they are
    checked on the groups, not on every record. When this is true, the engine reads the
    records again with a problem code per record, to skip or to name them."""
    features = ", ".join(lit(f) for f in stack.features) or "NULL"
    meters = [
        i.address
        for s in stack.price_sheets.values()
        for i in s.items.values()
        if isinstance(i, MeterPrice)
    ]
    models = [
        i.address
        for s in stack.price_sheets.values()
        for i in s.items.values()
        if isinstance(i, ModelPrice)
    ]
    steps = [
        (f.name, s.name)
        for f in stack.features.values()
        for s in (stack.workflows[f.workflow].steps if f.workflow in stack.workflows else ())
    ]
    known_step = (
        " OR ".join(f"(feature = {lit(f)} AND resolved_step = {lit(s)})" for f, s in steps)
        or "false"
    )
    _, ambiguous = step_pairs(stack)
    is_ambiguous = (
        " OR ".join(f"(feature = {lit(f)} AND item = {lit(i)})" for f, i in ambiguous) or "false"
    )
    token_sum = " + ".join(f"abs({t})" for t in TOKENS)
    meter_check = (
        f"OR (item IN ({', '.join(lit(m) for m in meters)}) AND {token_sum} <> 0) "
        if meters
        else ""
    )
    model_check = (
        f"OR (item IN ({', '.join(lit(m) for m in models)}) AND coalesce(max_quantity, 0) <> 0) "
        if models
        else ""
    )
    return (
        "SELECT (SELECT coalesce(bool_or(unit_id IS NULL OR feature IS NULL "
        f"OR feature NOT IN ({features}) OR (subscription IS NOT NULL AND customer IS NULL)), "
        "false) FROM all_units) OR (SELECT coalesce(bool_or(coalesce(any_bad, false) "
        "OR starts_with(item, '?') "
        + meter_check
        + model_check
        + f"OR (item IS NULL AND ({token_sum} <> 0 OR coalesce(max_quantity, 0) <> 0)) "
        + f"OR (resolved_step IS NOT NULL AND NOT ({known_step})) "
        f"OR (resolved_step IS NULL AND ({is_ambiguous}))), false) FROM all_calls)"
    )
