"""Text and JSON views of ``prices outdated``, ``prices update`` and ``prices history``.

Names, authors and commit messages come from files and repositories anyone may write
to, and CI runners read their logs for workflow commands (a line starting with ``::``,
or one containing ``##[``); so every such text is flattened to one line, control
characters removed, ``##[`` broken, and placed after a fixed prefix, never at the start
of a line.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from infercost.arithmetic import plain
from infercost.errors import Diagnostic
from infercost.prices.compare import Outdated
from infercost.prices.history import History
from infercost.prices.record import one_line
from infercost.prices.update import UpdateResult
from infercost.render.diagnostics import diagnostics_fields
from infercost.render.formatting import Style, pct
from infercost.render.table import table


def clean(text: str) -> str:
    """One inert line: no control characters, no workflow-command markers."""
    return one_line(text)


def price(value: Decimal | None) -> str:
    return "—" if value is None else plain(value)


def change(before: Decimal | None, after: Decimal | None) -> str:
    return f"{price(before)} → {price(after)}"


# -- outdated ---------------------------------------------------------------------------
def outdated_text(report: Outdated, style: Style) -> str:
    lines = [f"Prices compared with {clean(report.data)} as of {report.at}."]
    if not report.differences:
        lines.append(f"All {len(report.matches)} matched model items are up to date.")
    else:
        rows = [["item", "attribute", "declared", "current", "change"]]
        for d in report.differences:
            rows.append(
                [
                    clean(d.address),
                    d.attribute,
                    price(d.declared),
                    price(d.current),
                    pct(d.change_pct, signed=True) if d.change_pct is not None else "new",
                ]
            )
        lines += ["", *("  " + line for line in table(rows, right=(2, 3, 4)))]
        items = len({d.address for d in report.differences})
        lines += [
            "",
            f"{len(report.differences)} prices differ in {items} of {len(report.matches)} "
            "matched items. Run `infercost prices update` to rewrite them in place.",
        ]
    if report.unmatched:
        names = ", ".join(clean(u) for u in report.unmatched)
        lines.append(
            f'Not in the data (set source = "genai-prices:PROVIDER/MODEL" to match): {names}.'
        )
    return "\n".join(lines) + "\n"


def outdated_document(
    report: Outdated, currency: str, diagnostics: Iterable[Diagnostic] = ()
) -> dict[str, Any]:
    return {
        "format_version": "1",
        "data": report.data,
        "at": report.at,
        "currency": currency,
        "checked": len(report.matches),
        "differences": [
            {
                "item": d.address,
                "attribute": d.attribute,
                "declared": d.declared,
                "current": d.current,
                "change_pct": d.change_pct,
                "source": d.source,
            }
            for d in report.differences
        ],
        "unmatched": list(report.unmatched),
        "diagnostics": diagnostics_fields(diagnostics),
    }


# -- update -----------------------------------------------------------------------------
def update_text(result: UpdateResult) -> str:
    if not result.applied:
        return "No price changed: the stack matches the data.\n"
    lines = []
    for f in result.files:
        lines.append(f"Updated {clean(f.path)}:")
        for a in f.applied:
            d = a.difference
            lines.append(
                f"  line {a.line}: {clean(d.address)} {d.attribute} {change(d.declared, d.current)}"
            )
    return "\n".join(lines) + "\n"


# -- history ----------------------------------------------------------------------------
def history_text(result: History, style: Style) -> str:
    if not result.changes:
        return f"No price changed in {result.commits} commits.\n"
    rows = [["date", "commit", "item", "attribute", "change", "author"]]
    for c in result.changes:
        rows.append(
            [
                c.commit.date[:10],
                c.commit.short,
                clean(c.item),
                c.attribute,
                change(c.before, c.after),
                clean(c.commit.author),
            ]
        )
    lines = [f"Price changes in {result.commits} commits (oldest first):", ""]
    lines += ["  " + line for line in table(rows)]
    if result.current:
        lines += ["", "Current prices and since when:"]
        rows = [["item", "attribute", "price", "since", "commit"]]
        for (item, attribute), value in sorted(result.current.items()):
            since = result.since.get((item, attribute))
            rows.append(
                [
                    clean(item),
                    attribute,
                    plain(value),
                    since.date[:10] if since else "",
                    since.short if since else "",
                ]
            )
        lines += ["  " + line for line in table(rows, right=(2,))]
    return "\n".join(lines) + "\n"


def history_document(
    result: History, stack: str, item: str | None, diagnostics: Iterable[Diagnostic] = ()
) -> dict[str, Any]:
    return {
        "format_version": "1",
        "stack": stack,
        "item": item,
        "commits": result.commits,
        "changes": [
            {
                "item": c.item,
                "attribute": c.attribute,
                "before": c.before,
                "after": c.after,
                "commit": c.commit.sha,
                "date": c.commit.date,
                "author": c.commit.author,
                "summary": c.commit.summary,
            }
            for c in result.changes
        ],
        "current": [
            {
                "item": item_name,
                "attribute": attribute,
                "value": value,
                "since": _since(result, (item_name, attribute)),
            }
            for (item_name, attribute), value in sorted(result.current.items())
        ],
        "diagnostics": diagnostics_fields(diagnostics),
    }


def _since(result: History, key: tuple[str, str]) -> dict[str, str] | None:
    commit = result.since.get(key)
    return {"commit": commit.sha, "date": commit.date} if commit else None
