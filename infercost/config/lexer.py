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


# Longest first, so "==" wins over "=" and "..." over ".".
_PUNCTUATION = (
    "...",
    "=>",
    "==",
    "!=",
    "<=",
    ">=",
    "&&",
    "||",
    "::",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ",",
    ".",
    "?",
    ":",
    "=",
    "<",
    ">",
    "!",
    "+",
    "-",
    "*",
    "/",
    "%",
)
_IDENT = re.compile(r"[^\W\d][\w-]*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_HEREDOC = re.compile(r"<<(-?)([^\W\d][\w-]*)[ \t]*\n")
_BLANK = " \t\r\f\v\ufeff"


class _Scanner:
    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.filename = filename
        self.pos = 0
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def where(self, pos: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.line_starts, pos) - 1
        return index + 1, pos - self.line_starts[index] + 1

    def error(self, detail: str, pos: int | None = None) -> InfercostError:
        line, column = self.where(self.pos if pos is None else pos)
        return InfercostError(
            Diagnostic("Invalid syntax", detail, SourceRange.point(self.filename, line, column))
        )

    def token(self, kind: Kind, start: int, end: int) -> Token:
        line, column = self.where(start)
        self.pos = end
        return Token(kind, self.text[start:end], line, column)

    def tokens(self) -> list[Token]:
        out: list[Token] = []
        text = self.text
        while self.pos < len(text):
            start = self.pos
            char = text[start]
            if char in _BLANK:
                self.pos += 1
            elif char == "\n":
                out.append(self.token(Kind.NEWLINE, start, start + 1))
            elif char == "#" or text.startswith("//", start):
                end = text.find("\n", start)
                end = len(text) if end < 0 else end
                out.append(self.token(Kind.COMMENT, start, end))
            elif text.startswith("/*", start):
                end = text.find("*/", start + 2)
                if end < 0:
                    raise self.error("A /* comment is never closed.")
                out.append(self.token(Kind.COMMENT, start, end + 2))
            elif char == '"':
                out.append(self.token(Kind.STRING, start, self.quoted(start)))
            elif heredoc := _HEREDOC.match(text, start):
                out.append(self.token(Kind.HEREDOC, start, self.heredoc(heredoc)))
            elif number := _NUMBER.match(text, start):
                out.append(self.token(Kind.NUMBER, start, number.end()))
            elif ident := _IDENT.match(text, start):
                out.append(self.token(Kind.IDENT, start, ident.end()))
            else:
                for punct in _PUNCTUATION:
                    if text.startswith(punct, start):
                        out.append(self.token(Kind.PUNCT, start, start + len(punct)))
                        break
                else:
                    raise self.error(f"Unexpected character {char!r}.")
        return out

    def quoted(self, start: int) -> int:
        """End of the quoted template opened at ``start`` (interpolations may nest)."""
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
        marker = opener.group(2)
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


def tokenize(text: str, filename: str = "<text>") -> list[Token]:
    """Every token of ``text`` (line endings normalised to LF), comments and newlines
    included; a located error for text no HCL can hold (an unclosed string)."""
    return _Scanner(text.replace("\r\n", "\n"), filename).tokens()
