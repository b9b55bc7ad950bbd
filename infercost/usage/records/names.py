"""Column names as the files write them, where the reader's own names would mislead.

The reader matches names without regard to case and renames the second of two that
match (``input_tokens_1`` for a second ``input_tokens`` or ``INPUT_TOKENS``); it names
a header cell without a name by its place (``column8``). Either way one column would be
read as another, or an error would name a column no file has. This module reads the
names as written (a CSV header as the reader splits it, Parquet's schema, the keys of
every JSON record) on the paths where that is needed, and words the error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from infercost.errors import Diagnostic, InfercostError, SourceRange
from infercost.invisible import quoted_line
from infercost.usage.records.fields import SourceFile
from infercost.usage.records.read import (
    csv_structure_error,
    file_format,
    json_lines,
    json_record_keys,
    lit,
)


@dataclass(frozen=True)
class Twice:
    """Two names the reader cannot tell apart, as written: ``later`` in ``file``, and
    ``first`` there too, or in ``other``. For JSON records, the lines of the first
    record with each (``line``: ``later``'s in ``file``; ``first_line``: ``first``'s)."""

    file: SourceFile
    first: str
    later: str
    other: SourceFile | None = None
    line: int | None = None
    first_line: int | None = None


_RENAMED = re.compile(r"(.+)_[0-9]+")


def renamed(columns: Iterable[str]) -> bool:
    """Whether one of ``columns`` may be the reader's name for a second column of one
    name: ``x_1`` beside ``x`` (or ``X``). Only then are the names read as written, so a
    column called ``region_2`` costs nothing."""
    names = list(columns)
    lowered = {c.lower() for c in names}
    return any(
        (parts := _RENAMED.fullmatch(c)) is not None and parts.group(1).lower() in lowered
        for c in names
    )


def refuse_twice(
    con: Any, files: Sequence[SourceFile], fmt: str, columns: Iterable[str], sure: bool = False
) -> None:
    """Stop when the files hold a name twice. Asked of every source, mapped or not: a
    mapping may name the renamed column or the first of the two, and either way one of
    the file's two columns would be read as the other. ``sure``: the caller knows of two
    such names (JSON keys past the reader's sample), so the names are read whatever the
    columns look like."""
    if fmt == "jsonl":
        refuse_key_twice_in_a_record(con, files)
    if not (sure or renamed(columns)):
        return
    twice = written_twice(con, files, fmt)
    if twice is not None:
        if fmt == "csv":
            # A long last record can be what the reader's sniffer took for the header
            # (its "0" twice): the record, not the name, is the error then.
            broken = csv_structure_error(twice.file)
            if broken is not None:
                raise broken
        raise twice_error(twice)


def written_twice(con: Any, files: Sequence[SourceFile], fmt: str) -> Twice | None:
    """The first two names of ``files`` that match without regard to case, as written."""
    if fmt == "jsonl":
        return _keys_twice(con, files)
    for file in files:
        names = header_cells(con, file) if fmt == "csv" else _parquet_names(con, file)
        seen: dict[str, str] = {}  # each name without case -> as first written
        for name in names:
            if not name:
                continue  # a cell without a name: see ``unnamed_column``
            if name.lower() in seen:
                return Twice(file, seen[name.lower()], name)
            seen[name.lower()] = name
    return None


def twice_error(twice: Twice) -> InfercostError:
    first, later = quoted_line(twice.first), quoted_line(twice.later)
    both = (
        f'"{first}" twice'
        if twice.first == twice.later
        else f'"{first}" and "{later}", which the reader cannot tell apart (it matches '
        "column names without regard to case)"
    )
    if twice.line is not None and twice.first_line is not None:
        return _located_twice(twice, first, later)
    if twice.other is not None:
        return InfercostError.at(
            "Duplicate records column",
            f'{twice.file.shown}: the records have the key "{later}", and '
            f'{twice.other.shown} the key "{first}", which the reader cannot tell apart (it '
            "matches column names without regard to case). Spell them one way.",
        )
    if file_format([twice.file]) == "csv":  # the header: shown on its line
        return header_error(
            "Duplicate records column", f"the header has {both}. Keep one of them.", twice.file
        )
    kind = "key" if file_format([twice.file]) == "jsonl" else "column"
    kinds = f"the {kind} " if twice.first == twice.later else f"the {kind}s "
    return InfercostError.at(
        "Duplicate records column",
        f"{twice.file.shown}: the records have {kinds}{both}. Keep one of them.",
    )


def _located_twice(twice: Twice, first: str, later: str) -> InfercostError:
    """Two spellings of a JSON key, at the first record with the later one."""
    assert twice.line is not None
    at = SourceRange.point(twice.file.shown, twice.line, 1)
    if twice.other is None and twice.first_line == twice.line:
        return InfercostError.at(
            "Duplicate records column",
            f'the record has the keys "{first}" and "{later}", which the reader cannot tell '
            "apart (it matches names without regard to case). Keep one of them.",
            at,
        )
    where = f"line {twice.first_line}" + (f" of {twice.other.shown}" if twice.other else "")
    return InfercostError.at(
        "Duplicate records column",
        f'the record has the key "{later}", and the record on {where} the key "{first}", '
        "which the reader cannot tell apart (it matches names without regard to case). "
        "Spell them one way.",
        at,
    )


def first_key_lines(
    files: Sequence[SourceFile], keys: Iterable[str]
) -> dict[str, tuple[SourceFile, int]]:
    """The file and line of the first JSON record with each of ``keys`` at its top level
    (a key no record could be read with is left out). Read on the error paths only, one
    file after another, until every key is found."""
    wanted = set(keys)
    found: dict[str, tuple[SourceFile, int]] = {}
    for file in files:
        try:
            for number, line in json_lines(file.path, errors="replace"):
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(record, dict):
                    continue
                for key in wanted.intersection(record):
                    found.setdefault(key, (file, number))
                if len(found) == len(wanted):
                    return found
        except OSError:
            continue
    return found


def header_error(summary: str, detail: str, file: SourceFile) -> InfercostError:
    """An error in a CSV file's header, shown on its line."""
    return InfercostError(Diagnostic(summary, detail, SourceRange.point(file.shown, 1, 1)))


_UNNAMED = re.compile(r"column([0-9]+)")


def unnamed_column(
    con: Any, files: Sequence[SourceFile], column: str
) -> tuple[SourceFile, int] | None:
    """The CSV file and the place (1 for the first) of a header cell without a name,
    when ``column`` is the reader's own name for it (``column10`` for the eleventh), a
    name the file itself does not have."""
    found = _UNNAMED.fullmatch(column)
    if found is None:
        return None
    index = int(found.group(1))
    for file in files:
        if file_format([file]) != "csv":
            continue
        written = header_cells(con, file)
        if index < len(written) and not written[index] and column not in written:
            return file, index + 1
    return None


def header_cells(con: Any, file: SourceFile) -> list[str]:
    """A CSV file's header cells as the reader splits them (its own guess of the
    delimiter and quoting), each without the spaces around it, as the reader trims
    names; [] when the file cannot be read (the read names that)."""
    rows = _layout_rows(
        con, f"SELECT * FROM read_csv({lit(file.path)}, header = false, all_varchar = true) LIMIT 1"
    )
    return [(cell or "").strip() for cell in rows[0]] if rows else []


def _layout_rows(con: Any, query: str) -> list[Any]:
    """The rows of a look at a file's layout; [] when the file cannot be read (the
    read itself names that, with its own words)."""
    try:
        return list(con.execute(query).fetchall())
    except Exception:  # duckdb's own error type
        return []


def _parquet_names(con: Any, file: SourceFile) -> list[str]:
    """A Parquet file's top-level column names, as its schema writes them."""
    schema = _layout_rows(con, f"SELECT name, num_children FROM parquet_schema({lit(file.path)})")
    names: list[str] = []
    # Depth-first: the root, then each column with its children after it.
    pending = [int(schema[0][1] or 0)] if schema else []
    for name, children in schema[1:]:
        if len(pending) == 1:
            names.append(str(name))
        pending[-1] -= 1
        if children:
            pending.append(int(children))
        while len(pending) > 1 and pending[-1] == 0:
            pending.pop()
    return names


def _keys_twice(con: Any, files: Sequence[SourceFile]) -> Twice | None:
    """Two keys of the JSON records that match without regard to case, from every
    record of every file: in one file, or one spelling in each of two."""
    found = json_record_keys(con, files)
    if found is None:
        return None
    order = {f.path: i for i, f in enumerate(files)}
    where: dict[str, dict[str, list[int]]] = {}  # key without case -> spelling -> files
    for path, key in found:
        if path in order:
            spellings = where.setdefault(str(key).lower(), {})
            spellings.setdefault(str(key), []).append(order[path])
    for spellings in where.values():
        if len(spellings) < 2:
            continue
        lines = first_key_lines(files, spellings)
        if len(lines) == len(spellings):
            # In the order the records write them: the first two spellings, by file
            # and line (two on one line: one record holds both).
            (first, (in_first, line_first)), (later, (in_later, line_later)) = sorted(
                lines.items(), key=lambda kv: (order[kv[1][0].path], kv[1][1], kv[0])
            )[:2]
            other = in_first if in_first.path != in_later.path else None
            return Twice(in_later, first, later, other, line_later, line_first)
        (first, in_first_files), (later, in_later_files) = sorted(
            spellings.items(), key=lambda kv: (min(kv[1]), kv[0])
        )[:2]
        both = sorted(set(in_first_files) & set(in_later_files))
        if both:
            return Twice(files[both[0]], first, later)
        return Twice(files[min(in_later_files)], first, later, files[min(in_first_files)])
    return None


class _Twice(Exception):
    def __init__(self, first: str, later: str) -> None:
        self.first, self.later = first, later


def key_twice(text: str, fold: bool = False) -> tuple[str, str] | None:
    """The first key of a JSON text written twice in one object, at any depth, as
    (first, later) spelling; ``fold``: keys that differ only in case count as one. None
    when there is none, or the text is no JSON."""

    def once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, str] = {}
        for key, _ in pairs:
            folded = key.lower() if fold else key
            if folded in seen:
                raise _Twice(seen[folded], key)
            seen[folded] = key
        return dict(pairs)

    try:
        json.loads(text, object_pairs_hook=once)
    except _Twice as twice:
        return twice.first, twice.later
    except ValueError:
        return None
    return None


def nested_twice(files: Sequence[SourceFile]) -> InfercostError | None:
    """The first JSON record, with its line, holding an object (at any depth) with two
    keys that match without regard to case, or a nested key spelled otherwise than in
    an earlier record: the reader then fails to type the records at all ("Duplicate
    name ... in struct"), naming no line. Read on that path only."""
    # A folded path (metadata, plan) -> its first spelling, and the file and line of it.
    seen: dict[tuple[str, ...], tuple[str, tuple[str, int]]] = {}
    for file in files:
        try:
            for number, line in json_lines(file.path):
                found = key_twice(line, fold=True)
                if found is not None:
                    first, later = quoted_line(found[0]), quoted_line(found[1])
                    return InfercostError.at(
                        "Duplicate records column",
                        f'an object in the record holds the keys "{first}" and "{later}", '
                        "which the reader cannot tell apart (it matches names without regard "
                        "to case). Keep one of them.",
                        SourceRange.point(file.shown, number, 1),
                    )
                across = _spelled_anew(line, seen, (file.shown, number))
                if across is not None:
                    (earlier, (shown, line_of_earlier)), later = across
                    where = f"line {line_of_earlier}" + (
                        f" of {shown}" if shown != file.shown else ""
                    )
                    return InfercostError.at(
                        "Duplicate records column",
                        f'the record has the key "{quoted_line(later)}", and the record on '
                        f'{where} the key "{quoted_line(earlier)}", which the reader cannot '
                        "tell apart (it matches names without regard to case). Spell them one "
                        "way.",
                        SourceRange.point(file.shown, number, 1),
                    )
        except (OSError, UnicodeDecodeError):
            continue
    return None


def _spelled_anew(
    line: str, seen: dict[tuple[str, ...], tuple[str, tuple[str, int]]], at: tuple[str, int]
) -> tuple[tuple[str, tuple[str, int]], str] | None:
    """A nested key of this record (``metadata.Plan``) spelled otherwise than in an
    earlier record (``metadata.plan``): the earlier spelling with its line, and this
    one. Top-level keys are left to the column checks; ``seen`` keeps the first spelling
    of every nested path."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    stack: list[tuple[tuple[str, ...], tuple[str, ...], Any]] = [((), (), record)]
    while stack:
        folded, spelled, value = stack.pop()
        if isinstance(value, list):
            stack.extend((folded, spelled, item) for item in value)
            continue
        if not isinstance(value, dict):
            continue
        for key, inner in value.items():
            path, written = (*folded, key.lower()), (*spelled, key)
            if len(path) > 1:
                text = ".".join(written)
                first = seen.setdefault(path, (text, at))
                if first[0] != text and first[1] != at:
                    return first, text
            stack.append((path, written, inner))
    return None


def refuse_key_twice_in_a_record(con: Any, files: Sequence[SourceFile]) -> None:
    """Stop at a JSON record that has one key twice (``"model": "a", ..., "model": "b"``):
    the reader keeps the first, Python and jq the last, so a record could be billed as
    one tool reads it and reviewed as another does. The engine finds whether there is
    one; the record is found again here, on that path only, to name its line."""
    paths = "[" + ", ".join(lit(f.path) for f in files) + "]"
    try:
        found = con.execute(
            f"SELECT filename FROM read_json_objects({paths}, format = 'newline_delimited', "
            "filename = true) WHERE json_type(json) = 'OBJECT' "
            "AND len(json_keys(json)) <> len(list_distinct(json_keys(json))) LIMIT 1"
        ).fetchone()
    except Exception:  # duckdb's own error type: the read names the record
        return
    file = next((f for f in files if found is not None and f.path == found[0]), None)
    if file is None:
        return
    for number, line in json_lines(file.path, errors="replace"):
        try:
            pairs = json.loads(line, object_pairs_hook=lambda kv: kv)
        except ValueError:
            continue
        if not (isinstance(pairs, list) and all(isinstance(p, tuple) for p in pairs)):
            continue  # not an object: read as the reader reads it
        keys = [key for key, _ in pairs]
        twice = next((key for i, key in enumerate(keys) if key in keys[:i]), None)
        if twice is not None:
            raise InfercostError.at(
                "Duplicate records column",
                f'the record has the key "{quoted_line(twice)}" twice; readers differ on which '
                "of the two counts, so neither is taken.",
                SourceRange.point(file.shown, number, 1),
            )
