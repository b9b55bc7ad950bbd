"""JSON with exact numbers: Decimals are written from their decimal text, never via float.

The standard encoder cannot emit a raw number token for a Decimal, so documents are
encoded here: plain notation, no exponent, no trailing zeros (SPEC §10). Strings go
through the standard library's C string encoder; large breakdowns (tens of thousands
of customers) are dominated by this loop, so it appends to one list instead of
building nested strings.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

from infercost.arithmetic import plain


def dumps(document: Any, indent: int = 2) -> str:
    out: list[str] = []
    _encode(document, indent, 0, out)
    out.append("\n")
    return "".join(out)


def _encode(value: Any, indent: int, level: int, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, Decimal):
        out.append(plain(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        pad = "\n" + " " * (indent * (level + 1))
        first = True
        for key, item in value.items():
            out.append("{" + pad if first else "," + pad)
            first = False
            out.append(encode_basestring(str(key)))
            out.append(": ")
            _encode(item, indent, level + 1, out)
        out.append("\n" + " " * (indent * level) + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        pad = "\n" + " " * (indent * (level + 1))
        first = True
        for item in value:
            out.append("[" + pad if first else "," + pad)
            first = False
            if level < 3:
                # Join each item of an outer list at once: a check of 50,000 customers
                # would otherwise hold millions of small strings until the end, several
                # times the memory of the text they make.
                piece: list[str] = []
                _encode(item, indent, level + 1, piece)
                out.append("".join(piece))
            else:
                _encode(item, indent, level + 1, out)
        out.append("\n" + " " * (indent * level) + "]")
    elif isinstance(value, date):
        out.append(encode_basestring(value.isoformat()))
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")
