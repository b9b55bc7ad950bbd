"""``prices update``: rewrite the differing prices in place, touching nothing else.

The parser keeps the file, line and column of every literal, so a price is replaced at
its exact span: comments, order and layout stay as they are, and a pull request shows
only the numbers that changed. A literal keeps its decimal places when the new value
allows (2.50 → 2.00, not 2), and a trailing comment keeps its column. A price written as
an expression (``local.base * 2``) is left alone with a warning: rewriting it would
throw away the author's reasoning. A price the data has and the item lacks is inserted
as a new line aligned with its neighbours (a missing batch block or tier as a block).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from infercost.config import syntax as s
from infercost.errors import Diagnostic, Severity, SourceRange
from infercost.prices.compare import Difference
from infercost.prices.record import PRICE_ATTRIBUTES, Prices, Tier
from infercost.prices.sheets import price_text

_SEGMENT = re.compile(r"^long_context\[(?P<n>[^\]]+)\]$")


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str
    # At one position a new attribute goes before a new nested block.
    block: bool = False


@dataclass(frozen=True)
class Applied:
    difference: Difference
    path: str
    line: int


@dataclass
class FileUpdate:
    path: str
    before: str
    after: str
    applied: list[Applied] = field(default_factory=list)


@dataclass
class UpdateResult:
    files: list[FileUpdate]
    warnings: list[Diagnostic]

    @property
    def applied(self) -> list[Applied]:
        return [a for f in self.files for a in f.applied]


def literal(old: str, value: Decimal) -> str:
    """``value`` written like ``old``: same decimal places when they hold it exactly."""
    places = 0
    if "." in old and not re.search(r"[eE]", old):
        places = len(old.split(".", 1)[1])
    normal = value.normalize()
    needed = max(0, -normal.as_tuple().exponent)  # type: ignore[operator]
    if needed <= places:
        return f"{value:.{places}f}"
    return format(normal, "f")


class _Text:
    """Offsets of line/column positions in one file's text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self.starts.append(i + 1)

    def offset(self, line: int, column: int) -> int:
        return self.starts[line - 1] + column - 1

    def line(self, number: int) -> str:
        start = self.starts[number - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)]


def _find_block(body: s.Body, kind: str, label: str) -> s.Block | None:
    return next((b for b in body.blocks_of(kind) if b.labels == (label,)), None)


def _tier_block(body: s.Body, threshold: str) -> s.Block | None:
    for block in body.blocks_of("long_context"):
        attr = block.body.attributes.get("above_input_tokens")
        if attr is not None and isinstance(attr.expr, s.Number):
            try:
                if Decimal(attr.expr.text) == Decimal(threshold):
                    return block
            except ArithmeticError:
                continue
    return None


def update_files(
    files: Iterable[s.File], differences: Iterable[Difference], records: Mapping[str, object]
) -> UpdateResult:
    """Edits for every difference, applied to the files that hold the items."""
    parsed = list(files)
    result = UpdateResult([], [])
    for f in parsed:
        text = _Text(f.source)
        edits: list[Edit] = []
        applied: list[Applied] = []
        blocks_added: set[tuple[int, str]] = set()
        for diff in differences:
            sheet = _find_block(f.body, "price_sheet", diff.sheet)
            model = _find_block(sheet.body, "model", diff.item) if sheet else None
            if model is None:
                continue
            edit = _edit_for(f, text, model, diff, records, result.warnings, blocks_added)
            if edit is not None:
                edits.append(edit)
                line = text.text.count("\n", 0, edit.start) + 1
                applied.append(Applied(diff, f.path, line))
        if not edits:
            continue
        after = f.source
        for edit in sorted(edits, key=lambda e: (e.start, e.end, e.block), reverse=True):
            after = after[: edit.start] + edit.text + after[edit.end :]
        result.files.append(FileUpdate(f.path, f.source, after, applied))
    return result


def _edit_for(
    f: s.File,
    text: _Text,
    model: s.Block,
    diff: Difference,
    records: Mapping[str, object],
    warnings: list[Diagnostic],
    blocks_added: set[tuple[int, str]],
) -> Edit | None:
    *path, name = diff.attribute.split(".")
    block = model
    for depth, segment in enumerate(path):
        tier = _SEGMENT.match(segment)
        found = (
            _tier_block(block.body, tier["n"])
            if tier
            else next(iter(block.body.blocks_of(segment)), None)
        )
        if found is None:
            # The whole nested block is missing: insert it once, with every price it has.
            key = (id(block), ".".join(path[: depth + 1]))
            if key in blocks_added:
                return None
            blocks_added.add(key)
            record = records[f"{diff.sheet}/{diff.item}"]
            lines = _block_lines(record, path[: depth + 1])
            return _insert_block(text, block, lines)
        block = found
    attr = block.body.attributes.get(name)
    if attr is None:
        edit = _insert_attribute(text, block, name, diff.current)
        if edit is None:
            warnings.append(
                Diagnostic(
                    "Price not inserted",
                    f"{diff.address} lacks {diff.attribute} (the data says "
                    f"{price_text(diff.current)}), but its block is written on one line; "
                    "add it by hand.",
                    block.range,
                    Severity.WARNING,
                )
            )
        return edit
    if not isinstance(attr.expr, s.Number):
        warnings.append(
            Diagnostic(
                "Price left alone",
                f"{diff.address} {diff.attribute} is written as an expression "
                f"({attr.expr.text}); the data says {price_text(diff.current)}. Update it by "
                "hand if the expression should follow.",
                attr.expr.range,
                Severity.WARNING,
            )
        )
        return None
    return _replace(text, attr.expr.range, diff.current)


def _replace(text: _Text, rng: SourceRange, value: Decimal) -> Edit:
    start = text.offset(rng.start.line, rng.start.column)
    end = text.offset(rng.end.line, rng.end.column)
    old = text.text[start:end]
    new = literal(old, value)
    # Keep a trailing comment in its column: take (or give) the spaces before it.
    rest_end = text.text.find("\n", end)
    rest = text.text[end : rest_end if rest_end >= 0 else len(text.text)]
    comment = re.match(r"^( +)(#|//|/\*)", rest)
    if comment is None or len(new) == len(old):
        return Edit(start, end, new)
    spaces = max(1, len(comment.group(1)) - (len(new) - len(old)))
    return Edit(start, end + len(comment.group(1)), new + " " * spaces)


def _insert_attribute(text: _Text, block: s.Block, name: str, value: Decimal) -> Edit | None:
    if block.range.start.line == block.range.end.line:
        return None
    attributes = sorted(block.body.attributes.values(), key=lambda a: a.range.start)
    # Align with the last run of attributes: the column of its "=".
    if attributes:
        last = attributes[-1]
        line = text.line(last.range.start.line)
        indent = line[: len(line) - len(line.lstrip())]
        eq = line.index("=", last.name_range.end.column - 1)
        width = max(eq - len(indent) - 1, len(name))
        rendered = f"{indent}{name.ljust(width)} = {price_text(value)}\n"
        at = text.starts[last.range.end.line] if last.range.end.line < len(text.starts) else None
        position = at if at is not None else len(text.text)
        return Edit(position, position, rendered)
    header_line = block.range.start.line
    indent = _indent_of(text.line(header_line)) + "  "
    position = text.starts[header_line]
    return Edit(position, position, f"{indent}{name} = {price_text(value)}\n")


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _insert_block(text: _Text, parent: s.Block, lines: list[str]) -> Edit:
    """A nested block, before the parent's closing brace, indented one level deeper."""
    close_line = parent.range.end.line
    indent = _indent_of(text.line(parent.range.start.line)) + "  "
    body = "".join(f"{indent}{line}\n" if line else "\n" for line in ["", *lines])
    position = text.starts[close_line - 1]
    if text.line(close_line).strip() != "}":  # a one-line block: leave it to the user
        return Edit(position, position, "")
    return Edit(position, position, body, block=True)


def _block_lines(record: object, path: list[str]) -> list[str]:
    """The HCL lines of a nested block (``batch`` or ``long_context[N]``) from a record."""
    prices: Prices = record.prices  # type: ignore[attr-defined]
    for segment in path:
        tier = _SEGMENT.match(segment)
        if tier is None:
            prices = record.batch  # type: ignore[attr-defined]
            continue
        threshold = tier["n"]
        return _tier_lines(next(t for t in prices.tiers if str(t.above) == threshold))
    lines = ["batch {"]
    pairs = [(n, getattr(prices, n)) for n in PRICE_ATTRIBUTES if getattr(prices, n) is not None]
    width = max(len(n) for n, _ in pairs)
    lines += [f"  {n.ljust(width)} = {price_text(v)}" for n, v in pairs]
    for each in prices.tiers:
        lines += ["", *("  " + line for line in _tier_lines(each))]
    lines.append("}")
    return lines


def _tier_lines(tier: Tier) -> list[str]:
    pairs = [("above_input_tokens", str(tier.above))]
    pairs += [
        (n, price_text(getattr(tier, n))) for n in PRICE_ATTRIBUTES if getattr(tier, n) is not None
    ]
    width = max(len(n) for n, _ in pairs)
    return ["long_context {", *(f"  {n.ljust(width)} = {v}" for n, v in pairs), "}"]
