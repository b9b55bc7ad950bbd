"""Aligned plain-text columns (width measured as the text is shown: without colour,
with each control character as the escape the output filter writes)."""

from __future__ import annotations

from collections.abc import Sequence

from infercost.render.inert import escape_controls


def visible_len(text: str) -> int:
    return len(escape_controls(text))


# A line break or tab inside a cell (a customer id from a quoted CSV cell) would break
# the row apart or misalign every column after it: shown as its escape, on one line.
_IN_CELL = str.maketrans({"\n": "\\n", "\r": "\\r", "\t": "\\t"})


def table(
    rows: Sequence[Sequence[str]], right: Sequence[int] = (), header: bool = True
) -> list[str]:
    if not rows:
        return []
    rows = [[cell.translate(_IN_CELL) for cell in row] for row in rows]
    widths = [max(visible_len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for n, row in enumerate(rows):
        cells = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - visible_len(cell))
            cells.append(pad + cell if i in right and not (header and n == 0) else cell + pad)
        out.append("  ".join(cells).rstrip())
    return out
