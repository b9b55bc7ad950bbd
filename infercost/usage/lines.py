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
    with path.open("r", encoding="utf-8", newline="") as handle:
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


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1
