"""The canonical layout of a stack file, as ``terraform fmt`` lays out HCL.

Works on tokens (:mod:`infercost.config.lexer`), never on a parse tree, so every comment
survives and nothing is ever reordered. The rules are those of HashiCorp's hclwrite:

- lines are indented two spaces per bracket level opened on earlier lines;
- tokens on a line are separated by one space, except where HCL reads tighter
  (``a.b``, ``f(x)``, ``[1, 2]``, ``-x``, ``!x``, ``list[0]``, ``x...``);
- within a run of consecutive one-line attributes, the ``=`` signs line up, and so do
  the trailing comments of a run of consecutive commented lines;
- at most one blank line in a row, none at the start or end, and a final newline.

Quoted strings (templates included) and heredocs are single tokens, copied unchanged.
The layout depends only on the tokens, so formatting formatted text changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from infercost.config.lexer import Kind, Token, tokenize

_OPENERS = {"{", "[", "("}
_CLOSERS = {"}", "]", ")"}
# Tokens after which a "-" is a subtraction (a value ends there); elsewhere it negates.
_VALUE_KINDS = {Kind.IDENT, Kind.NUMBER, Kind.STRING, Kind.HEREDOC}
_KEYWORDS = {"in", "if", "for"}


def format_text(text: str, filename: str = "<text>") -> str:
    """The canonical layout of one file's text (a located error if it cannot be cut
    into HCL tokens; whether it is valid HCL is for the parser to say)."""
    lines = _lines(tokenize(text, filename))
    _indent(lines)
    rendered = [_render(line) for line in lines]
    _align(lines, rendered)
    out: list[str] = []
    for line, cells in zip(lines, rendered, strict=True):
        if not line.tokens:
            if out and out[-1] != "":
                out.append("")
            continue
        out.append((" " * line.indent + "".join(cells)).rstrip(" "))
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n" if out else ""


@dataclass
class _Line:
    tokens: list[Token]
    indent: int = 0
    # Index of the "=" that starts the assignment cell, and of the trailing comment.
    assign: int | None = None
    comment: int | None = None
    spaces: list[int] = field(default_factory=list)


def _lines(tokens: list[Token]) -> list[_Line]:
    lines: list[_Line] = []
    current: list[Token] = []
    for token in tokens:
        if token.kind == Kind.NEWLINE:
            lines.append(_Line(current))
            current = []
        else:
            current.append(token)
    lines.append(_Line(current))
    for line in lines:
        toks = line.tokens
        end = len(toks)
        if len(toks) > 1 and toks[-1].kind == Kind.COMMENT:
            line.comment = end - 1
            end -= 1
        for i, tok in enumerate(toks[:end]):
            if i > 0 and tok.kind == Kind.PUNCT and tok.text == "=":
                # Only a whole expression is a cell: "x = {" opens a multi-line value;
                # a name after a multi-line comment has no column to align.
                if _net_brackets(toks[i:end]) == 0 and not any("\n" in t.text for t in toks[:i]):
                    line.assign = i
                break
    return lines


def _net_brackets(tokens: list[Token]) -> int:
    net = 0
    for tok in tokens:
        if tok.kind == Kind.PUNCT:
            if tok.text in _OPENERS:
                net += 1
            elif tok.text in _CLOSERS:
                net -= 1
    return net


def _indent(lines: list[_Line]) -> None:
    """hclwrite's indent stack: a line that opens brackets indents the lines after it
    by one level, however many brackets it opened; closing them returns."""
    levels: list[int] = []
    for line in lines:
        if not line.tokens:
            continue
        net = _net_brackets([t for t in line.tokens if t.kind != Kind.COMMENT])
        if net > 0:
            line.indent = 2 * len(levels)
            levels.append(net)
            continue
        closed = -net
        while closed > 0 and levels:
            if closed >= levels[-1]:
                closed -= levels.pop()
            else:
                levels[-1] -= closed
                closed = 0
        line.indent = 2 * len(levels)


def _render(line: _Line) -> list[str]:
    """The line's tokens with the single spaces between them (before alignment)."""
    toks = line.tokens
    cells: list[str] = []
    for i, tok in enumerate(toks):
        if i > 0:
            before = toks[i - 2] if i > 1 else None
            cells.append(" " if _space(before, toks[i - 1], tok) else "")
        cells.append(tok.text.rstrip(" \t") if tok.kind == Kind.COMMENT else tok.text)
    return cells


def _is_value_end(before: Token | None, tok: Token) -> bool:
    if tok.kind in _VALUE_KINDS:
        return not (
            tok.kind == Kind.IDENT
            and tok.text in _KEYWORDS
            and not (before is not None and before.text == ".")
        )
    return tok.kind == Kind.PUNCT and tok.text in _CLOSERS


def _space(before: Token | None, prev: Token, tok: Token) -> bool:
    if tok.kind == Kind.COMMENT or prev.kind == Kind.COMMENT:
        return True
    p, n = (
        prev.text if prev.kind == Kind.PUNCT else None,
        tok.text if tok.kind == Kind.PUNCT else None,
    )
    if p in ("(", "["):
        return False
    if n in (")", "]", ",", "..."):
        return False
    if p == "." or n == "." or p == "::" or n == "::":
        return False
    if p == ",":
        return True
    if n == "(" or n == "[":
        # A call or an index hugs what it applies to; "x = [", "in [" do not.
        return not _is_value_end(before, prev)
    if p == "{":
        return n != "}"
    if n == "}":
        return p != "{"
    if p == "*" and before is not None and before.text in (".", "["):
        return False  # a splat: a.*.b, a[*]
    if p == "!":
        return False
    # After "-", a space only when it subtracts (a value ends before it), not negates.
    return not (p == "-" and (before is None or not _is_value_end(None, before)))


def _align(lines: list[_Line], rendered: list[list[str]]) -> None:
    """Pad before "=" in runs of assignment lines, then before trailing comments."""

    def width(line: _Line, cells: list[str], upto: int) -> int:
        text = " " * line.indent + "".join(cells[: 2 * upto])
        return len(text) - (text.rfind("\n") + 1)

    def close(run: list[int], index_of: str) -> None:
        if not run:
            return
        widths = {}
        for n in run:
            at = getattr(lines[n], index_of)
            widths[n] = width(lines[n], rendered[n], at)
        target = max(widths.values())
        for n in run:
            at = getattr(lines[n], index_of)
            # cells alternate token, space, token, ...: the space before token k is 2k-1
            rendered[n][2 * at - 1] = " " * (target - widths[n] + 1)
        run.clear()

    for index_of in ("assign", "comment"):
        run: list[int] = []
        for n, line in enumerate(lines):
            if getattr(line, index_of) is None:
                close(run, index_of)
            else:
                run.append(n)
        close(run, index_of)
