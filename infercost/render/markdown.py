"""Markdown for pull-request comments and job summaries, from jinja2 templates.

Everything that comes from configuration, usage files or messages is escaped: a stack
is code under review, and a hostile feature name must not render HTML, mention people
or break the table. Bodies are kept under GitHub's comment limit by cutting the middle.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

from infercost.errors import Diagnostic
from infercost.invisible import C0, HIDDEN
from infercost.numbers import count, miss, money, pct, percent, points
from infercost.render.code_span import code

MARKER = "<!-- infercost -->"
GITHUB_COMMENT_LIMIT = 65_536

# "@" and "#" also get a zero-width space: GitHub finds mentions and issue references
# in the rendered text, after entities are decoded, so "&#64;team" would still notify.
_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "@": "&#64;&#8203;",
    "#": "&#35;&#8203;",
    "\u200b": "&#8203;",
    "|": "&#124;",
    "`": "&#96;",
    # Markdown's own punctuation: a backslash escape reads better than an entity.
    "*": "\\*",
    "_": "\\_",
    "[": "\\[",
    "]": "\\]",
    "\\": "\\\\",
    "~": "\\~",
}


# Where GitHub would start a link: a scheme before "://" and "www." (GFM's extended
# autolinks). A zero-width space after "https" or "www" keeps the text and breaks the link.
_AUTOLINK = re.compile(r"(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*)(?=://)|(?<![a-z0-9])(www)(?=\.)")
# Control and bidirectional-formatting characters: shown as escapes, so a name cannot
# reorder the text around it (U+202E) or hide part of itself.
_INVISIBLE = re.compile(f"[{C0}{HIDDEN}]")


def escape(value: Any) -> str:
    """Inline-safe text: no HTML, no mentions, issue references or links, no table or
    code breaks, no reordering."""
    text = " ".join(str(value).splitlines())
    # Hidden characters first: the zero-width space the link breaker adds is ours.
    text = _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    text = _AUTOLINK.sub(lambda m: m.group() + "\u200b", text)
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


_MERMAID_SAFE = re.compile(r"[^A-Za-z0-9 _./+:()-]")


def mermaid_text(value: Any) -> str:
    """A label inside a quoted Mermaid string: a whitelist, so no quote, bracket, %%,
    backtick or newline from configuration can end the string or the block."""
    return _MERMAID_SAFE.sub("_", " ".join(str(value).split()))[:60]


def chart_number(value: Any) -> str:
    """A chart value: plain notation, 6 significant digits."""
    from infercost.arithmetic import plain
    from infercost.insight.sampling import significant

    return plain(significant(value))


def _plain_notice(removed: int, after_newline: bool) -> str:
    return f"\n\n… {removed} characters truncated …\n\n"


def truncate_middle(
    text: str,
    limit: int = GITHUB_COMMENT_LIMIT,
    notice: Callable[[int, bool], str] = _plain_notice,
) -> str:
    """Fit ``text`` into ``limit`` characters by cutting out its middle.

    The head (headline, summary table) and the tail (closing tags, footer) are what a
    reader needs; the middle is detail. Cuts snap to line boundaries when that costs
    less than half of a side's budget, so a table row or tag is not split. Lengths are
    ``str`` lengths (code points, what GitHub counts), never bytes. ``notice(removed,
    after_newline)`` writes the line that replaces the middle.
    """
    if len(text) <= limit:
        return text
    # The notice's own length depends on the number it shows; reserve the widest one
    # possible (fewer than len(text) characters are ever removed).
    widest = notice(10 ** len(str(len(text))) - 1, False)
    keep = limit - len(widest)
    if keep < 2:
        raise ValueError(f"cannot truncate a body to {limit} characters: limit too small")
    head_budget = keep - keep // 4
    tail_budget = keep - head_budget

    head = text[:head_budget]
    newline = head.rfind("\n")
    if newline >= head_budget // 2:
        head = head[: newline + 1]

    tail = text[len(text) - tail_budget :] if tail_budget else ""
    newline = tail.find("\n")
    if 0 <= newline < tail_budget // 2:
        tail = tail[newline + 1 :]

    removed = len(text) - len(head) - len(tail)
    return head + notice(removed, head.endswith("\n")) + tail


def _price_change(effect: Any) -> str:
    from infercost.render.plan_text import price_change_text

    return price_change_text(effect)


def _value(value: Any) -> str:
    from infercost.render.plan_text import value_text

    return value_text(value)


# How many rows each group of results shows before "and N more": what blocks is shown
# generously, the rest is folded and capped so 50 passing customers never bury the one
# that fails. Every result stays in the JSON, SARIF and JUnit outputs.
CAPS = {"blocking": 100, "warning": 25, "existing": 25, "waived": 25, "skipped": 25, "pass": 25}
ICONS = {"create": "➕", "update": "🔄", "delete": "➖", "no-op": "·"}
VERBS = {"create": "created", "update": "updated", "delete": "deleted"}
MAX_STEPS = 10  # steps per feature in "what moved the cost"
MAX_CAUSES = 5  # configuration changes named per step
FOLD_CHANGES = 15  # more configuration changes than this are folded
_BLOCKING_NAMED = 3


@functools.cache
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("infercost.render", "templates"),
        autoescape=False,  # Markdown, not HTML: escaping is explicit with `md` and `code`
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        md=escape, code=code, money=money, pct=pct, percent=percent, points=points, count=count
    )
    env.filters["value"] = _value  # a configuration value as HCL spells it, not Python's repr
    env.filters.update(mermaid=mermaid_text, chartnum=chart_number)
    env.filters["price_change"] = _price_change  # "gpt-4o input 2.50 → 2.00"
    return env


def render_template(name: str, **context: Any) -> str:
    text = _environment().get_template(name).render(marker=MARKER, **context)
    text = re.sub(r"\n{3,}", "\n\n", text)  # optional sections leave no gaps behind
    return truncate_middle(text)


def _figures(plan: Any, compared: bool) -> dict[str, Any]:
    """What the figures partial needs, for a plan (always compared) or a check."""
    c = plan.currency if plan is not None else "USD"
    changed = (
        [f for f in plan.features if f.action != "no-op"]
        if plan is not None and compared and plan.has_changes
        else []
    )
    # Without a base, or when no feature's figures moved, the table shows where they stand.
    current = (
        [f for f in plan.features if f.after is not None]
        if plan is not None and not changed
        else []
    )
    if plan is None:
        subscriptions = []
    elif compared:
        subscriptions = [s for s in plan.subscriptions if s.action != "no-op"]
    else:
        subscriptions = [s for s in plan.subscriptions if s.after is not None]
    return {
        "changed": changed,
        "current": current,
        "unchanged": sum(1 for f in plan.features if f.action == "no-op") if changed else 0,
        "subscriptions": subscriptions,
        "movers": [f for f in changed if f.attribution],
        "compared": compared,
        "icons": ICONS,
        "verbs": VERBS,
        "max_steps": MAX_STEPS,
        "max_causes": MAX_CAUSES,
        "fold_changes": FOLD_CHANGES,
        "money_c": lambda value: money(value, c),
        "percent": percent,
        "count": count,
    }


def plan_comment(plan: Any) -> str:
    """The plan for a pull request comment: the same figures as the check comment."""
    return render_template("plan.md.j2", plan=plan, c=plan.currency, **_figures(plan, True))


def check_comment(result: Any, diagnostics: Sequence[Diagnostic] | None = None) -> str:
    """The check report for a pull request comment or a job summary: the verdict, the
    figures of the change, then the guardrails with what blocks first. ``diagnostics``:
    the whole run's, whose warnings (records of another period, a stack's own) are
    notes, so the reviewer sees what the terminal shows; without them, the guardrails'
    own warnings."""
    from infercost.render.check_view import (
        GROUPS,
        group_of,
        headline,
        line,
        message,
        run_warnings,
        verdict,
    )

    groups: dict[str, list[Any]] = {g: [] for g in GROUPS}
    counts = dict.fromkeys(GROUPS, 0)
    for r in result.results:
        group = group_of(r)
        counts[group] += 1
        if len(groups[group]) < CAPS[group]:
            groups[group].append(line(r, result.currency))
    hidden = {g: counts[g] - len(groups[g]) for g in GROUPS}
    plan = result.plan
    compared = result.base_label is not None
    blocking = [r for r in result.results if r.blocking]
    shown_waived = [r for r in result.results if r.status == "waived" and r.waiver is not None]
    return render_template(
        "check.md.j2",
        result=result,
        plan=plan,
        c=result.currency,
        **_figures(plan, compared),
        guardrail_changes=plan.guardrail_changes if plan is not None and compared else (),
        groups=groups,
        counts=counts,
        hidden=hidden,
        blocking_names=blocking[:_BLOCKING_NAMED],
        blocking_more=max(0, len(blocking) - _BLOCKING_NAMED),
        waived=[
            {
                "target": r.target,
                "guardrail": r.guardrail,
                "waiver": r.waiver,
                "text": message(r),
                "shortfall_text": miss(r.shortfall[0], r.shortfall[1], result.currency)
                if r.shortfall
                else "",
            }
            for r in shown_waived[: CAPS["waived"]]
        ],
        crossed=[
            r
            for r in result.results
            if r.waiver is not None and not r.waiver.expired and r.waiver.exceeded is not None
        ],
        expired=[
            r
            for r in result.results
            if r.waiver is not None and r.waiver.expired and r.status in ("fail", "existing")
        ],
        # A crossed waiver line has its own box at the top; the other warnings are notes.
        notes=run_warnings(result, diagnostics),
        headline=headline(result),
        verdict=verdict(result),
    )
