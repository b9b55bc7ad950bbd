"""Parsed files shared within one operation: identical texts are parsed once.

The two sides of a change hold mostly the same files under different names (``stack/``
and ``base/``, or the working tree and a git ref), and a project's stacks often share
some. Inside :func:`sharing`, :func:`infercost.config.hcl.parse_text` keeps each file it
parses, keyed by its text; the same text under another name gets a copy of the tree with
every range renamed, which costs a fraction of a parse. Only clean parses are kept: an
error is raised afresh each time, naming its own file.

The trees are let go when the outermost :func:`sharing` block ends: a command that reads
one stack keeps nothing, and the process does not carry (and at exit tear down) trees it
no longer needs. This module imports no parser, so callers can open a block cheaply.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
from collections.abc import Iterator
from typing import Any

from infercost.config import syntax as s
from infercost.errors import SourceRange

__all__ = ["keep", "lookup", "sharing"]

# About 4 MB of HCL (100,000 lines or so): far beyond a real stack's two sides.
MAX_CHARS = 4_000_000


class _ParseCache:
    """Parsed files by their text, most recently used last, up to a total text size.

    Keyed by the text alone so that the same file under another name (the base and head
    directories of a change, copies of a stack in a project) is not parsed again: the
    cached tree is copied with every range renamed (:func:`_relabel`), which costs a
    fraction of a parse. Only files that parsed cleanly are kept; an error is raised
    afresh each time, with its own file name.
    """

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.chars = 0
        self.files: dict[str, s.File] = {}

    def get(self, text: str, filename: str) -> s.File | None:
        found = self.files.pop(text, None)
        if found is None:
            return None
        self.files[text] = found  # most recently used: last
        return found if found.path == filename else _relabel(found, filename)

    def put(self, file: s.File) -> None:
        size = len(file.source)
        if size > self.max_chars:
            return
        old = self.files.pop(file.source, None)
        if old is not None:
            self.chars -= size
        while self.files and self.chars + size > self.max_chars:
            oldest = next(iter(self.files))
            del self.files[oldest]
            self.chars -= len(oldest)
        self.files[file.source] = file
        self.chars += size

    def clear(self) -> None:
        self.files.clear()
        self.chars = 0


def _relabel(file: s.File, filename: str) -> s.File:
    """A copy of a parsed file whose every range names ``filename``; nodes are rebuilt
    (all are immutable or copied), the source text and positions are shared."""
    ranges: dict[int, SourceRange] = {}

    def rng(r: SourceRange) -> SourceRange:
        new = ranges.get(id(r))
        if new is None:
            new = ranges[id(r)] = SourceRange(filename, r.start, r.end)
        return new

    def expr(e: s.Expr) -> s.Expr:
        cls = type(e)
        values: list[Any] = []
        for name in _FIELDS[cls]:
            value = getattr(e, name)
            if isinstance(value, s.Expr):
                value = expr(value)
            elif isinstance(value, SourceRange):
                value = rng(value)
            elif isinstance(value, tuple):
                value = tuple(item(v) for v in value)
            values.append(value)
        return cls(*values)

    def item(v: Any) -> Any:
        if isinstance(v, s.Expr):
            return expr(v)
        if isinstance(v, s.ObjectItem):
            return s.ObjectItem(v.key, rng(v.key_range), expr(v.value))
        return v  # a template's literal text

    def body(b: s.Body) -> s.Body:
        attributes = {
            name: s.Attribute(a.name, expr(a.expr), rng(a.range), rng(a.name_range))
            for name, a in b.attributes.items()
        }
        blocks = [
            s.Block(
                k.type,
                k.labels,
                body(k.body),
                rng(k.range),
                rng(k.type_range),
                tuple(rng(r) for r in k.label_ranges),
            )
            for k in b.blocks
        ]
        return s.Body(attributes, blocks)

    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return s.File(filename, file.source, body(file.body))
    finally:
        if gc_was_enabled:
            gc.enable()


_FIELDS: dict[type[s.Expr], tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls))
    for cls in (
        s.Number,
        s.Literal,
        s.Template,
        s.Name,
        s.GetAttr,
        s.Index,
        s.Call,
        s.Unary,
        s.Binary,
        s.Conditional,
        s.TupleExpr,
        s.ObjectExpr,
    )
}


_CACHE = _ParseCache(MAX_CHARS)
_depth = 0


@contextlib.contextmanager
def sharing() -> Iterator[None]:
    """Within this block (blocks nest), identical texts are parsed once."""
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if not _depth:
            _CACHE.clear()


def lookup(text: str, filename: str) -> s.File | None:
    """The file parsed earlier from this text, named ``filename``; None outside
    :func:`sharing` or when not parsed yet."""
    return _CACHE.get(text, filename) if _depth else None


def keep(file: s.File) -> None:
    """Remember a cleanly parsed file for the rest of the :func:`sharing` block."""
    if _depth:
        _CACHE.put(file)
