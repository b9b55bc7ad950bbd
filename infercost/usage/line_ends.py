"""CSV files whose lines end in more than one way.

DuckDB's CSV reader takes the line end of a file's first line as the file's own: a file
whose later lines end otherwise (rows appended on another system, a header written by
one tool and rows by another) fails its scan with a message about the reader's state
machine. Python's csv module and spreadsheets read such files, so the user is shown
which line ends differently, only once a scan has failed (the file is read again then).
"""

from __future__ import annotations

from pathlib import Path

from infercost.errors import Diagnostic, InfercostError, SourceRange

_NAMES = {b"\r\n": 'CR LF ("\\r\\n")', b"\n": 'LF ("\\n")'}


def mixed_line_end(path: Path, chunk: int = 1 << 20) -> tuple[int, bytes, bytes] | None:
    """(line, its end, line 1's end) of the first line that ends unlike line 1, or None.

    A line ends at "\\n"; it ends in CR LF when a "\\r" comes just before. A last line
    without an end is not counted."""
    first: bytes | None = None
    line = 0
    previous = b""  # the byte before the chunk, for a "\r\n" split across two chunks
    try:
        with path.open("rb") as handle:
            while block := handle.read(chunk):
                start = 0
                while (at := block.find(b"\n", start)) >= 0:
                    line += 1
                    before = block[at - 1 : at] if at else previous
                    end = b"\r\n" if before == b"\r" else b"\n"
                    if first is None:
                        first = end
                    elif end != first:
                        return line, end, first
                    start = at + 1
                previous = block[-1:]
    except OSError:
        return None
    return None


def mixed_line_end_error(summary: str, path: Path, shown: str) -> InfercostError | None:
    """The located error for a CSV file with mixed line ends, or None."""
    found = mixed_line_end(path)
    if found is None:
        return None
    line, end, first = found
    detail = (
        f"Line {line} ends with {_NAMES[end]} but line 1 with {_NAMES[first]}: the reader "
        "needs one kind of line end throughout a CSV file. Convert the file to one (for "
        "example with dos2unix or unix2dos) and run again."
    )
    return InfercostError(Diagnostic(summary, detail, SourceRange.point(shown, line, 1)))
