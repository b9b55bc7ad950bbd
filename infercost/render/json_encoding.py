"""JSON with exact numbers: Decimals are written from their decimal text, never via float.

The standard encoder cannot emit a raw number token for a Decimal, so documents are
encoded here: plain notation, no exponent, no trailing zeros (SPEC §10).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from infercost.numbers import plain


def dumps(document: Any, indent: int = 2) -> str:
    return _encode(document, indent, 0) + "\n"


def _encode(value: Any, indent: int, level: int) -> str:
    if value is None or isinstance(value, bool | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    pad = " " * (indent * (level + 1))
    end = " " * (indent * level)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}{json.dumps(str(k), ensure_ascii=False)}: {_encode(v, indent, level + 1)}"
                 for k, v in value.items()]  # fmt: skip
        return "{\n" + ",\n".join(items) + "\n" + end + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        items = [pad + _encode(v, indent, level + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + end + "]"
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")
