"""quoted_line: the one way a message or a view quotes text from a file on one line."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from infercost.invisible import quoted_line


def test_short_printable_text_is_itself() -> None:
    assert quoted_line("2026-11") == "2026-11"
    assert quoted_line("é ü 名") == "é ü 名"


def test_controls_and_hidden_characters_are_escaped() -> None:
    assert quoted_line("a\n::error::b\tc\x1b[31m\u202e") == "a\\n::error::b\\tc\\x1b[31m\\u202e"


def test_long_text_is_cut_and_an_escape_is_never_split() -> None:
    assert quoted_line("x" * 81) == "x" * 79 + "…"
    assert quoted_line("x" * 80) == "x" * 80
    # Nine escapes of six characters fit in 59; a tenth would be cut in half.
    assert quoted_line("\u202e" * 30, 60) == "\\u202e" * 9 + "…"


@given(st.text(), st.integers(min_value=2, max_value=200))
def test_always_one_printable_line_within_its_width(text: str, width: int) -> None:
    shown = quoted_line(text, width)
    assert shown.isprintable() and len(shown) <= width
    if len(text) <= width and text.isprintable():
        assert shown == text
    if not shown.endswith("…"):  # nothing dropped: each character is kept or escaped
        assert len(shown) >= len(text)
