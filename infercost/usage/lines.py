"""Where a data row is in its file: only computed when a diagnostic needs a line.

The engine counts rows; the line a row starts on differs from ``row + 1`` only when a
CSV has blank lines or quoted line breaks, or a JSON array spreads objects over lines.
Each locator here is linear in the file and runs only for a located message.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path


def csv_lines(path: Path, rows: int) -> Callable[[int], int]:
    """The start line of data row ``rn`` (from 1), for rows up to ``rows``."""
    data = path.read_bytes()
    plain = (
        b'"' not in data
        and b"\n\n" not in data
        and b"\n\r\n" not in data
        and not data.startswith((b"\n", b"\r"))
        and b"\r" not in data.replace(b"\r\n", b"")
    )
    del data
    if plain:  # one line per record: the header, then the rows
        return lambda rn: rn + 1
    starts = [0]
    for number, start, _ in csv_records(path):
        starts.append(start)
        if number >= rows:
            break
    return lambda rn: starts[rn] if rn < len(starts) else 1


def csv_records(path: Path) -> Iterator[tuple[int, int, list[str]]]:
    """``(row, start line, cells)`` of each data row, for messages about one row's cells."""
    with path.open("r", encoding="utf-8", newline="\n") as handle:
        reader = csv.reader(handle)
        previous = 0
        number = 0
        first = True
        for record in reader:
            start, previous = previous + 1, reader.line_num
            if first:
                first = False
                continue
            if not record:
                continue
            number += 1
            yield number, start, record


# Python's decoder recurses once per level of nesting: a row of 100,000 nested arrays
# (hostile, or a broken export) exceeds its reach, and is named as too deep.
NESTED_ROW = "the row nests arrays or objects too deeply to read (a row is one flat object)."


def json_array_lines(text: str, rows: int) -> list[int]:
    """Start lines of the first ``rows`` elements of a JSON array (valid JSON)."""
    decoder = json.JSONDecoder()
    starts: list[int] = []
    pos = _skip(text, 0)
    if pos >= len(text) or text[pos] != "[":
        return starts
    line, counted = 1, 0
    pos = _skip(text, pos + 1)
    while pos < len(text) and text[pos] != "]" and len(starts) < rows:
        line += text.count("\n", counted, pos)
        counted = pos
        starts.append(line)
        try:
            _, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            break
        except RecursionError:  # a row nested beyond the decoder's reach: step over it
            pos = _end_of_value(text, pos)
        pos = _skip(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)
    return starts


def json_array_error(text: str) -> tuple[int, int, str] | None:
    """The first syntax problem of a JSON array: ``(row or 0, line, message)``."""
    decoder = json.JSONDecoder()
    pos = _skip(text, 0)
    if pos >= len(text) or text[pos] != "[":
        return 0, _line_at(text, pos), "a .json snapshot is an array of objects."
    pos = _skip(text, pos + 1)
    if pos < len(text) and text[pos] == "]":
        return _after(text, pos + 1, 0)
    number, line, counted = 0, 1, 0
    while True:
        number += 1
        try:
            _, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            return number, exc.lineno, f"invalid JSON ({exc.msg})."
        except RecursionError:
            return number, _line_at(text, pos), NESTED_ROW
        pos = _skip(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)
            continue
        if pos < len(text) and text[pos] == "]":
            return _after(text, pos + 1, number)
        line += text.count("\n", counted, pos)
        counted = pos
        return number, line, "expected , or ] after a row."


def _after(text: str, pos: int, _number: int) -> tuple[int, int, str] | None:
    rest = _skip(text, pos)
    if rest < len(text):
        return 0, _line_at(text, rest), "content after the array (a snapshot is one array)."
    return None


def _end_of_value(text: str, pos: int) -> int:
    """Where the JSON value at ``pos`` ends, by counting brackets outside strings: no
    recursion, so any depth (valid JSON assumed: the engine has read the file)."""
    depth = 0
    end = len(text)
    while pos < end:
        ch = text[pos]
        if ch == '"':
            pos = _end_of_string(text, pos)
            if depth == 0:
                return pos
            continue
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            if depth == 0:
                return pos  # the end of the enclosing array, after a scalar
            depth -= 1
            if depth == 0:
                return pos + 1
        elif depth == 0 and ch in ", \t\r\n":
            return pos  # the end of a scalar
        pos += 1
    return pos


def _end_of_string(text: str, pos: int) -> int:
    """Just past the closing quote of the string opening at ``pos``."""
    i = pos + 1
    while True:
        j = text.find('"', i)
        if j < 0:
            return len(text)
        k = j - 1
        while text[k] == "\\":
            k -= 1
        if (j - 1 - k) % 2 == 0:  # an even run of backslashes: the quote is not escaped
            return j + 1
        i = j + 1


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1
