"""A small HCL tokenizer that keeps everything: comments, newlines, heredocs, templates.

python-hcl2 builds a tree for evaluation and drops some comments on the way, so a
formatter cannot be built on it. This lexer only cuts text into tokens and never
interprets them; a quoted template (with its ``${ }`` interpolations) and a heredoc
are single, opaque tokens, so their text is carried through byte for byte. Whether the
text is valid HCL is still decided by :mod:`infercost.config.hcl`.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from enum import StrEnum

from infercost.errors import Diagnostic, InfercostError, SourceRange


class Kind(StrEnum):
    NEWLINE = "newline"
    COMMENT = "comment"
    IDENT = "ident"
    NUMBER = "number"
    STRING = "string"
    HEREDOC = "heredoc"
    PUNCT = "punct"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    line: int
    column: int


# One pattern, tried in this order at each position: blanks in one run, comments before
# "/", a heredoc before "<", and the longest punctuation first ("==" before "=").
_MASTER = re.compile(
    r"""
    (?P<blank>[ \t\r\f\v\ufeff]+)
    |(?P<newline>\n)
    |(?P<comment>(?:\#|//)[^\n]*)
    |(?P<block>/\*)
    |(?P<quote>")
    |(?P<heredoc><<(-?)([^\W\d][\w-]*)[ \t]*\n)
    |(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    |(?P<ident>[^\W\d][\w-]*)
    |(?P<punct>\.\.\.|=>|==|!=|<=|>=|&&|\|\||::|[{}\[\](),.?:=<>!+\-*/%])
    """,
    re.VERBOSE,
)
# A quoted string without interpolation ("$" or "%" never followed by "{").
_SIMPLE_STRING = re.compile(r'"(?:[^"\\\n$%]|\\[^\n]|[$%](?!\{))*"')
_KINDS = {
    "newline": Kind.NEWLINE,
    "comment": Kind.COMMENT,
    "number": Kind.NUMBER,
    "ident": Kind.IDENT,
    "punct": Kind.PUNCT,
}


class _Scanner:
    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.filename = filename
        self.pos = 0
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.line = 1

    def where(self, pos: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.line_starts, pos) - 1
        return index + 1, pos - self.line_starts[index] + 1

    def error(self, detail: str, pos: int | None = None) -> InfercostError:
        line, column = self.where(self.pos if pos is None else pos)
        return InfercostError(
            Diagnostic("Invalid syntax", detail, SourceRange.point(self.filename, line, column))
        )

    def token(self, kind: Kind, start: int, end: int) -> Token:
        # Tokens come in order: the line advances past each newline, no search needed.
        while self.line < len(self.line_starts) and self.line_starts[self.line] <= start:
            self.line += 1
        self.pos = end
        return Token(
            kind, self.text[start:end], self.line, start - self.line_starts[self.line - 1] + 1
        )

    def tokens(self) -> list[Token]:
        out: list[Token] = []
        text = self.text
        while self.pos < len(text):
            start = self.pos
            match = _MASTER.match(text, start)
            if match is None:
                raise self.error(f"Unexpected character {text[start]!r}.")
            group = match.lastgroup
            if group == "blank":
                self.pos = match.end()
            elif group == "block":
                end = text.find("*/", start + 2)
                if end < 0:
                    raise self.error("A /* comment is never closed.")
                out.append(self.token(Kind.COMMENT, start, end + 2))
            elif group == "quote":
                out.append(self.token(Kind.STRING, start, self.quoted(start)))
            elif group == "heredoc":
                out.append(self.token(Kind.HEREDOC, start, self.heredoc(match)))
            else:
                out.append(self.token(_KINDS[str(group)], start, match.end()))
        return out

    def quoted(self, start: int) -> int:
        """End of the quoted template opened at ``start`` (interpolations may nest)."""
        simple = _SIMPLE_STRING.match(self.text, start)
        if simple is not None:  # no interpolation: the common case, in one step
            return simple.end()
        text = self.text
        pos = start + 1
        while pos < len(text):
            char = text[pos]
            if char == "\\":
                pos += 2
            elif char == '"':
                return pos + 1
            elif char == "\n":
                break
            elif text.startswith(("$${", "%%{"), pos):
                pos += 3
            elif text.startswith(("${", "%{"), pos):
                pos = self.interpolation(pos + 2)
            else:
                pos += 1
        raise self.error("A quoted string is never closed on its line.", start)

    def interpolation(self, pos: int) -> int:
        """End of a ``${ ... }`` whose body starts at ``pos``: braces and strings nest."""
        text = self.text
        depth = 1
        opened = pos - 2
        while pos < len(text):
            char = text[pos]
            if char == '"':
                pos = self.quoted(pos)
                continue
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    return pos + 1
            pos += 1
        raise self.error("A template interpolation is never closed.", opened)

    def heredoc(self, opener: re.Match[str]) -> int:
        """End of a heredoc: just past its closing marker (the newline after it is not
        part of the token)."""
        marker = opener.group(3)
        pos = opener.end()
        text = self.text
        while pos <= len(text):
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            if text[pos:end].strip(" \t\r") == marker:
                return end - (len(text[pos:end]) - len(text[pos:end].rstrip(" \t\r")))
            if end >= len(text):
                break
            pos = end + 1
        raise self.error(f"The heredoc is never closed by a line {marker}.", opener.start())


_BARE_CR = re.compile("\r(?!\n)")


def check_line_ends(text: str, filename: str) -> None:
    """Refuse a carriage return not followed by a line feed. Editors and diffs show one
    as a line break, HCL reads none: in a file with such line ends the first comment
    would run to the end of the file, and every block after it would vanish unseen (a
    guardrails file would hold no guardrail, and look as if it did)."""
    match = _BARE_CR.search(text)
    if match is None:
        return
    pos = match.start()  # the first: every line before it ends with LF or CRLF
    line, column = text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)
    raise InfercostError(
        Diagnostic(
            "Invalid line ending",
            "A carriage return without a line feed ends this line (classic Mac line ends, "
            "or a stray one): editors show a line break, HCL reads none. Save the file "
            "with LF or CRLF line ends.",
            SourceRange.point(filename, line, column),
        )
    )


def tokenize(text: str, filename: str = "<text>") -> list[Token]:
    """Every token of ``text`` (line endings normalised to LF), comments and newlines
    included; a located error for text no HCL can hold (an unclosed string)."""
    check_line_ends(text, filename)
    return _Scanner(text.replace("\r\n", "\n"), filename).tokens()
