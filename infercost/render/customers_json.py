"""The ``customers`` array of a breakdown document, written as JSON text in one pass.

A breakdown of 250,000 customers holds over two million values; handing each Decimal to
the JSON writer one call at a time costs more than the writer itself. Here the columns of
the breakdown's customer table are turned into text a column at a time (one ``str`` per
value, the zeros that end a fraction stripped in one pass, and the few values whose
text is not plain notation (SPEC §10) rewritten one by one), and the customers' text is
one join of the columns' texts and the constant text between them.
The text is byte for byte what :func:`infercost.render.json_encoding.dumps` writes for
the same objects at the same place in the document (the value of a top-level key,
indented by two spaces); ``tests/render/test_customers_json.py`` holds it to that.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import accumulate

from infercost.cost.breakdown import Breakdown, CustomerTable
from infercost.errors import Diagnostic
from infercost.invisible import HIDDEN
from infercost.render.documents import breakdown_document
from infercost.render.inert import Treated, for_format, needs_filter, token_variables_set
from infercost.render.json_encoding import dumps, number

# The capitals of an exponent, None, NaN and Infinity in a value's ``str``.
_LETTERS = re.compile("[ENI]")
# An id or subscription that must be escaped (JSON's escapes and the invisible
# characters ``dumps`` writes escaped too), or that orjson refuses (a lone surrogate).
_SPECIAL = re.compile(f'[\\x00-\\x1f"\\\\\\ud800-\\udfff{HIDDEN}]')

# What comes before each of a customer's values, in ``customer_fields`` order.
_FIELDS = ("id", "subscription", "cogs", "revenue", "margin", "variable_cogs",
           "allocated_cogs", "contribution_margin", "underwater")  # fmt: skip
_BEFORE = [f',\n      "{name}": ' for name in _FIELDS]
_BEFORE[0] = '\n    },\n    {\n      "id": '
_OPEN = '[\n    {\n      "id": '
_CLOSE = "\n    }\n  ]"


def number_texts(values: Sequence[Decimal | None]) -> list[str]:
    """The JSON text of each value (``null`` for None), exactly as ``dumps`` writes it.

    ``dumps`` writes a Decimal in plain notation without trailing zeros (SPEC §10): for
    a ``str`` without exponent that is the same digits with the zeros after the point
    stripped, and a zero is "0" whatever its sign. Those zeros are stripped in one
    comprehension (the cheapest pass per value: a regular-expression scan of the joined
    column costs more than the ``str`` itself); the few values whose ``str`` has
    letters (None, an exponent) or that are a negative zero go through ``number``.
    """
    texts = [t.rstrip("0").rstrip(".") if t[-1] == "0" and "." in t else t
             for t in map(str, values)]  # fmt: skip
    odd: Iterable[int] = ()
    joined = "".join(texts)
    if "E" in joined or "N" in joined or "I" in joined:  # exponent, None, NaN, Infinity
        # Each such text has one of those capitals (and no text has another letter): the
        # texts they fall in, found from where each text ends in the joined text, not
        # by a test of every text (a column of margins has a few None in most chunks).
        ends = list(accumulate(map(len, texts)))
        odd = sorted({bisect_right(ends, m.start()) for m in _LETTERS.finditer(joined)})
    if "-0" in texts:
        odd = [*odd, *(i for i, text in enumerate(texts) if text == "-0")]
    for i in odd:
        value = values[i]
        texts[i] = "null" if value is None else number(value)
    return texts


# Customers written per chunk: the texts of a chunk's values are short-lived, so the
# document's text is the only large thing built (a whole column of texts at once would
# add about half of it again to the peak memory).
CHUNK = 16384
# Stands for the customers in the rest of the document while orjson writes it; a NUL
# can only be there raw when put there (in any string it is written \u0000).
_MARK = "\x00customers\x00"


def customers_text(customers: CustomerTable) -> str | None:
    """The ``customers`` array as JSON text, or None when an id needs escaping (the
    general writer then writes the objects)."""
    chunks = customer_chunks(customers)
    return None if chunks is None else "".join(chunks)


def customer_chunks(customers: CustomerTable) -> list[str] | None:
    """:func:`customers_text` in pieces that join into it."""
    ids, subscriptions, cogs, revenue, margins, underwater = customers.columns()
    if not ids:
        return ["[]"]
    variable, allocated, contribution = customers.whole_bill_columns()
    cogs_texts, revenue_texts = customers.money_texts()
    if _SPECIAL.search("".join(set(subscriptions))) or _SPECIAL.search("".join(ids)):
        return None
    chunks = []
    for start in range(0, len(ids), CHUNK):
        part = slice(start, start + CHUNK)
        chunks.append(
            _chunk(
                ids[part],
                subscriptions[part],
                number_texts(cogs[part]) if cogs_texts is None else cogs_texts[part],
                number_texts(revenue[part]) if revenue_texts is None else revenue_texts[part],
                margins[part],
                None if variable is cogs else variable[part],
                None if variable is cogs else allocated[part],
                None if contribution is margins else contribution[part],
                underwater[part],
            )
        )
    chunks[0] = _OPEN + chunks[0].removeprefix(_BEFORE[0])
    chunks.append(_CLOSE)
    return chunks


_UNDERWATER = (f"{_BEFORE[8]}false", f"{_BEFORE[8]}true")


def _chunk(
    ids: list[str],
    subscriptions: list[str],
    cogs_texts: list[str],
    revenue_texts: list[str],
    margins: list[Decimal | None],
    variable: Sequence[Decimal] | None,
    allocated: Sequence[Decimal] | None,
    contribution: list[Decimal | None] | None,
    underwater: list[bool],
) -> str:
    """Customers one after another, each opened by ``_BEFORE[0]``; a column that is None
    is the same as the one it stands for (no shared cost: variable COGS are the COGS,
    allocated COGS 0, contribution margins the margins).

    Ids and subscriptions (checked: nothing to escape) go in as they are, between the
    quotes that end and start the text around them; a value that is the same for every
    customer (allocated COGS 0) is part of that text too.
    """
    margin_texts = number_texts(margins)
    # The customer's text in order: what comes before a value, then the value.
    parts: list[str | list[str]] = [
        _BEFORE[0] + '"', ids, '"' + _BEFORE[1] + '"', subscriptions, '"' + _BEFORE[2],
        cogs_texts, _BEFORE[3], revenue_texts, _BEFORE[4], margin_texts, _BEFORE[5],
        cogs_texts if variable is None else number_texts(variable), _BEFORE[6],
        "0" if allocated is None else number_texts(allocated), _BEFORE[7],
        margin_texts if contribution is None else number_texts(contribution),
        list(map(_UNDERWATER.__getitem__, underwater)),
    ]  # fmt: skip
    merged: list[str | list[str]] = []
    for part in parts:  # neighbouring constants as one
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    # Every piece in order, set a column at a time: one join instead of a format each.
    width, count = len(merged), len(ids)
    pieces: list[str] = [""] * (width * count)
    for k, part in enumerate(merged):
        pieces[k::width] = [part] * count if isinstance(part, str) else part
    return "".join(pieces)


def breakdown_json(b: Breakdown, diagnostics: Iterable[Diagnostic] = ()) -> str:
    """The breakdown document as JSON text, exactly as ``dumps(breakdown_document(...))``
    writes it, with the customers written by :func:`customer_chunks`."""
    parts = _parts(b, tuple(diagnostics))
    return parts if isinstance(parts, str) else "".join([parts[0], *parts[1], parts[2]])


def breakdown_json_inert(b: Breakdown, diagnostics: Iterable[Diagnostic] = ()) -> Treated:
    """:func:`breakdown_json` made inert for standard output or a file, as
    ``for_format("json", ...)`` makes it, byte for byte.

    The customers are most of the document, and their text is known: numbers, the
    constant text between them, and ids and subscriptions. When those ids and
    subscriptions hold nothing any pattern of the filter starts with (no ``:``, ``#``,
    ``@`` or token, see :func:`~infercost.render.inert.needs_filter`), nothing in the
    customers' text matches, and no match can run into it either (it starts with ``[``
    after ``": `` and ends with ``]`` before a comma or a newline): only the rest of the
    document is filtered. Otherwise, or with a token variable set, all of it is.
    """
    parts = _parts(b, tuple(diagnostics))
    if not isinstance(parts, str):
        head, chunks, tail = parts
        ids, subscriptions = b.customers.columns()[:2]
        if (
            head.endswith('": ')
            and tail[:1] in (",", "\n")
            and not token_variables_set()
            and not needs_filter("".join(set(subscriptions)))
            and not needs_filter("".join(ids))
        ):
            text = "".join([for_format("json", head), *chunks, for_format("json", tail)])
            return Treated(text, "json")
        parts = "".join([head, *chunks, tail])
    return Treated(for_format("json", parts), "json")


def _parts(b: Breakdown, diagnostics: tuple[Diagnostic, ...]) -> str | tuple[str, list[str], str]:
    """The document as the text before the customers, their chunks, and the text after
    them; or as one text when the general writer writes it all.

    The rest of the document is written by orjson around a mark, and the customers'
    text joined in its place: handing orjson the customers as one fragment would copy
    the largest part of the document twice more (into its output, then into a str).
    """
    chunks = customer_chunks(b.customers)
    if chunks is not None:
        import orjson

        try:
            text = dumps(breakdown_document(b, diagnostics, customers=orjson.Fragment(_MARK)))
        except TypeError:  # a document only the reference encoder writes: it writes all
            pass
        else:
            head, mark, tail = text.partition(_MARK)
            if mark:
                return head, chunks, tail
    return dumps(breakdown_document(b, diagnostics))
