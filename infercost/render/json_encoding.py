"""JSON with exact numbers: Decimals are written from their decimal text, never via float.

Documents are written by orjson, with every Decimal handed over as an
``orjson.Fragment`` of its plain notation (no exponent, no trailing zeros; SPEC §10), so
a breakdown of hundreds of thousands of customers is encoded at native speed. The
output is byte for byte what the standard library writes with ``indent=2`` and
``ensure_ascii=False`` (but for the characters below); a document orjson refuses (a
lone surrogate, an integer beyond 64 bits) is written by the pure-Python encoder below,
which defines that format.

JSON may carry any character but the C0 controls raw; the characters that hide text or
reorder it on a reader's screen (C1 controls, DEL, the bidirectional and other format
characters, line separators) are written as ``\\uXXXX`` escapes too: the same value,
but a document viewed in a terminal, an editor or a code-scanning page shows them as
what they are. orjson writes them raw: its output is escaped after, which is valid
because structure is ASCII, so they only occur inside strings; a document of ASCII
text (the usual case) is returned as it is without a scan.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

from infercost.arithmetic import plain
from infercost.invisible import json_escaped

_DIGITS = frozenset("0123456789")
_fragment: Any = None  # orjson.Fragment, bound when orjson is first used
# More significant digits than this are rounded by ``plain`` (the engine's precision).
_PRECISION = 28


def dumps(document: Any, indent: int = 2) -> str:
    if indent == 2:
        import orjson

        global _fragment
        _fragment = orjson.Fragment

        try:
            return json_escaped(
                orjson.dumps(
                    document,
                    default=_default,
                    option=orjson.OPT_INDENT_2
                    | orjson.OPT_APPEND_NEWLINE
                    | orjson.OPT_PASSTHROUGH_DATETIME,
                ).decode("utf-8")
            )
        except (orjson.JSONEncodeError, TypeError):
            pass  # the reference encoder below accepts or refuses it with its own message
    out: list[str] = []
    _encode(document, indent, 0, out)
    out.append("\n")
    return "".join(out)


def number(value: Decimal) -> str:
    """``plain(value)``, without its normalising work when the text is already plain."""
    text = str(value)
    if (
        text[-1] in _DIGITS
        and "E" not in text
        and not ("." in text and text[-1] == "0")
        and text != "-0"
        and len(text.replace(".", "").lstrip("-0")) <= _PRECISION
    ):
        return text
    return plain(value)


def _default(value: Any) -> Any:
    if type(value) is Decimal:
        return _fragment(number(value))
    if isinstance(value, Decimal):
        return _fragment(number(value))
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _encode(value: Any, indent: int, level: int, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(json_escaped(encode_basestring(value)))
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
            out.append(json_escaped(encode_basestring(str(key))))
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
