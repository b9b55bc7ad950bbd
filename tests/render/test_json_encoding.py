"""orjson writes every document byte for byte as the reference encoder does."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.arithmetic import plain
from infercost.render import json_encoding
from infercost.render.json_encoding import dumps, number


def reference(document: object) -> str:
    out: list[str] = []
    json_encoding._encode(document, 2, 0, out)
    return "".join(out) + "\n"


numbers = st.decimals(allow_nan=False, allow_infinity=False) | st.builds(
    lambda digits, exponent: Decimal(digits).scaleb(exponent),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.integers(min_value=-45, max_value=20),
)
leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.text()
    | numbers
    | st.dates()
)
documents = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_orjson_output_is_the_reference_output(document: object) -> None:
    assert dumps(document) == reference(document)


@given(numbers)
def test_number_is_plain(value: Decimal) -> None:
    assert number(value) == plain(value)


def test_what_orjson_refuses_is_still_written() -> None:
    # A lone surrogate and a 70-bit integer: the reference encoder writes both.
    document = {"id": "a\ud800b", "big": 2**70, "when": date(2026, 11, 1), "n": Decimal("1.50")}
    assert dumps(document) == reference(document)
    assert '"big": 1180591620717411303424' in dumps(document)
    assert '"n": 1.5\n' in dumps(document)


def test_invisible_characters_are_written_as_escapes_by_both_writers() -> None:
    # JSON may carry them raw; neither writer does (same value, still JSON).
    document = {"id\u202e": "a\u202eb\u2066c\u200e\x85\x7f\u2028\ufeff\x1b", "plain": "é"}
    expected = (
        '{\n  "id\\u202e": "a\\u202eb\\u2066c\\u200e\\u0085\\u007f\\u2028\\ufeff\\u001b",\n'
        '  "plain": "é"\n}\n'
    )
    assert dumps(document) == expected
    assert reference(document) == expected
    # A lone surrogate sends the document to the reference writer.
    assert dumps({**document, "x": "\ud800"}).startswith(expected[:-3])
