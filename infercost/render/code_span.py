"""Names from a configuration as Markdown code spans, safe whatever the name holds.

A feature, step, guardrail or address is code, and a reviewer reads it best as code:
``support_assistant`` rather than ``support&#95;assistant``. Inside a code span GitHub
renders no HTML, no emphasis, no mention, no issue link and no autolink, so only four
things can still go wrong, and each is handled here:

- a backtick in the name would close the span: the fence is one backtick longer than
  the longest run inside it, padded with a space when the name starts or ends with a
  backtick or a space (CommonMark strips one space on each side);
- a newline would end a table row: newlines become spaces;
- ``|`` would split a table cell even inside a span (GFM splits cells first): it is
  written ``\\|``, which the table parser turns back into ``|`` (``table=False`` for
  prose, where a backslash would show);
- control and bidirectional characters could reorder or hide text: they are shown as
  ``\\u202e``-style escapes.

Very long names are cut in the middle so one hostile name cannot fill the comment;
the whole body is also kept under GitHub's limit (render/markdown.py).
"""

from __future__ import annotations

import re
from typing import Any

from infercost.invisible import C0_BUT_LAYOUT, HIDDEN

MAX_LENGTH = 1000  # long enough for any real value (a guardrail condition is never cut)
# C0/C1 controls, and the bidirectional formatting characters (Trojan Source).
_INVISIBLE = re.compile(f"[{C0_BUT_LAYOUT}{HIDDEN}]")
_TICKS = re.compile(r"`+")


def code(value: Any, *, table: bool = True) -> str:
    """``value`` as an inline code span that cannot break out of itself or a table cell."""
    text = " ".join(str(value).splitlines())
    text = _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    if len(text) > MAX_LENGTH:
        half = (MAX_LENGTH - 1) // 2
        text = text[:half] + "…" + text[-half:]
    if not text.strip():
        return f"`{text}`" if text else '`""`'
    if table:
        # GFM splits a row where a | is not escaped; a backslash right before it would
        # escape the escape, so it is shown as its code point instead.
        text = text.replace("\\|", "\\u005c|").replace("|", "\\|")
    longest = max((len(run) for run in _TICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    if text[0] in "` " or text[-1] in "` ":
        text = f" {text} "
    return f"{fence}{text}{fence}"
