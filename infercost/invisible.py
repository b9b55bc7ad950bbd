"""The characters no reader should get raw, in one place for every writer.

Raw, a C0 control starts a line the reader does not see (a CI runner reads ``::error``
there) or recolours a terminal; the characters of :data:`HIDDEN` hide text or reorder it
on a reader's screen (Trojan Source). Each writer escapes them in its own notation (an
HCL literal, a Markdown code span, a JSON string), but all from these classes, so a name
that one view shows escaped is never shown raw by another.
"""

from __future__ import annotations

import re

__all__ = ["C0", "C0_BUT_LAYOUT", "HIDDEN", "json_escaped", "quoted_line"]

#: Regex class body: DEL and the C1 controls, the Arabic letter mark, the zero-width and
#: direction marks (U+200B–U+200F), the line and paragraph separators and the bidi
#: embeddings and overrides (U+2028–U+202E), the word joiner, invisible operators and
#: bidi isolates (U+2060–U+2069), and the byte-order mark.
HIDDEN = "\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
#: Every C0 control.
C0 = "\x00-\x1f"
#: The C0 controls but tab and line feed, for text whose lines and tabs are its layout.
C0_BUT_LAYOUT = "\x00-\x08\x0b-\x1f"

_JSON_HIDDEN = re.compile(f"[{HIDDEN}]")


def _u_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_escaped(text: str) -> str:
    """JSON text with every character of :data:`HIDDEN` written as its ``\\uXXXX``
    escape: the same value, still JSON (its structure is ASCII, so they only occur inside
    strings). ``text`` itself when it has none, found without a scan for ASCII text."""
    if text.isascii() and "\x7f" not in text:  # isascii is O(1) on a str
        return text
    return _JSON_HIDDEN.sub(_u_escape, text)


def quoted_line(value: object, width: int = 80) -> str:
    """``value`` as a message or a view quotes it: on one line, every character that is
    not printable (newline, the controls, everything in :data:`HIDDEN`) written as its
    Python escape, and cut to ``width`` characters, the last one "…".

    Names, cells, periods and labels come from files anyone may write, and what infercost
    prints is read by CI runners and reviewers: a newline of the file's choosing would
    start a line of its choosing, and a line of megabytes tells nobody anything."""
    text = str(value)
    if len(text) <= width and text.isprintable():
        return text
    # Only what can be shown is escaped (a value of megabytes is not), and an escape is
    # never cut in half.
    pieces = [c if c.isprintable() else repr(c)[1:-1] for c in text[: width + 1]]
    if len(text) <= width and sum(map(len, pieces)) <= width:
        return "".join(pieces)
    out, used = [], 0
    for piece in pieces:
        if used + len(piece) > width - 1:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out) + "…"
