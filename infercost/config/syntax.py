"""The neutral syntax tree every other module works with.

The HCL adapter turns python-hcl2's parse tree into these nodes so that nothing beyond
the adapter depends on the parser. Every node keeps its source range and its source
text: the text is what plan shows for a distribution and what check shows for a
condition, so it must be the user's own spelling.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from infercost.errors import SourceRange


@dataclass(frozen=True, slots=True, eq=False)
class Expr:
    """``source[start:end]`` is the node's text; the source is shared, never copied, so a
    deeply nested expression costs memory linear in its file, not quadratic."""

    range: SourceRange
    source: str = field(repr=False)
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.source[self.start : self.end]


@dataclass(frozen=True, slots=True, eq=False)
class Number(Expr):
    """A numeric literal; ``text`` is the literal as written, read later as a Decimal."""


@dataclass(frozen=True, slots=True, eq=False)
class Literal(Expr):
    """``true``, ``false`` or ``null``."""

    value: bool | None


@dataclass(frozen=True, slots=True, eq=False)
class Template(Expr):
    """A quoted string: literal pieces and ``${}`` interpolations in order."""

    parts: tuple[str | Expr, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Name(Expr):
    """A bare identifier: the root of a traversal (``var``, ``local``, ``self``, ...)."""

    name: str


@dataclass(frozen=True, slots=True, eq=False)
class GetAttr(Expr):
    target: Expr
    name: str


@dataclass(frozen=True, slots=True, eq=False)
class Index(Expr):
    target: Expr
    key: Expr


@dataclass(frozen=True, slots=True, eq=False)
class Call(Expr):
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Unary(Expr):
    op: str
    operand: Expr


@dataclass(frozen=True, slots=True, eq=False)
class Binary(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True, eq=False)
class Conditional(Expr):
    condition: Expr
    then: Expr
    otherwise: Expr


@dataclass(frozen=True, slots=True, eq=False)
class TupleExpr(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True, eq=False)
class ObjectItem:
    key: str
    key_range: SourceRange
    value: Expr


@dataclass(frozen=True, slots=True, eq=False)
class ObjectExpr(Expr):
    items: tuple[ObjectItem, ...]


@dataclass(slots=True, eq=False)
class Attribute:
    name: str
    expr: Expr
    range: SourceRange
    name_range: SourceRange


@dataclass(slots=True, eq=False)
class Body:
    """Attributes by name (unique: the adapter rejects duplicates) and blocks in order."""

    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def blocks_of(self, type_: str) -> list[Block]:
        return [b for b in self.blocks if b.type == type_]


@dataclass(slots=True, eq=False)
class Block:
    type: str
    labels: tuple[str, ...]
    body: Body
    range: SourceRange
    type_range: SourceRange
    label_ranges: tuple[SourceRange, ...] = ()

    @property
    def name(self) -> str:
        return self.labels[0] if self.labels else ""

    @property
    def header(self) -> str:
        """How Terraform names a block in "in step "draft"" context lines."""
        return " ".join([self.type, *(f'"{label}"' for label in self.labels)])


@dataclass(slots=True, eq=False)
class File:
    path: str
    source: str
    body: Body

    def line(self, number: int) -> str:
        lines = self.source.splitlines()
        return lines[number - 1] if 0 < number <= len(lines) else ""
