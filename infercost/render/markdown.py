"""Markdown for pull-request comments and job summaries, from jinja2 templates.

Everything that comes from configuration, usage files or messages is escaped: a stack
is code under review, and a hostile feature name must not render HTML, mention people
or break the table. Bodies are kept under GitHub's comment limit by cutting the middle.
"""

from __future__ import annotations

import functools
from typing import Any

from infercost.render.formatting import money, pct, percent, points

MARKER = "<!-- infercost -->"
GITHUB_COMMENT_LIMIT = 65_536

_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "@": "&#64;",
    "#": "&#35;",
    "|": "&#124;",
    "`": "&#96;",
    "*": "&#42;",
    "_": "&#95;",
    "[": "&#91;",
    "]": "&#93;",
    "\\": "&#92;",
    "~": "&#126;",
}


def escape(value: Any) -> str:
    """Inline-safe text: no HTML, no mentions or issue links, no table or code breaks."""
    text = " ".join(str(value).splitlines())
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def truncate_middle(text: str, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """Keep the head and the tail, cut the middle, stay within ``limit`` characters."""
    if len(text) <= limit:
        return text
    note_template = "\n\n… {n} characters truncated …\n\n"
    # The note's own length depends on n; reserve for the widest n.
    reserve = len(note_template.format(n=len(text)))
    keep = max(limit - reserve, 0)
    head = keep * 2 // 3
    tail = keep - head
    cut = len(text) - head - tail
    return text[:head] + note_template.format(n=cut) + (text[-tail:] if tail else "")


@functools.cache
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("infercost.render", "templates"),
        autoescape=False,  # Markdown, not HTML: escaping is explicit with the `md` filter
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(md=escape, money=money, pct=pct, percent=percent, points=points)
    return env


def render_template(name: str, **context: Any) -> str:
    text = _environment().get_template(name).render(marker=MARKER, **context)
    return truncate_middle(text)


def plan_comment(plan: Any) -> str:
    return render_template(
        "plan.md.j2", plan=plan, changed=[f for f in plan.features if f.action != "no-op"]
    )
