"""``breakdown -o html`` and ``plan -o html``: one self-contained page with inline SVG charts.

No script, no stylesheet, font or image from elsewhere (a Content-Security-Policy of
``default-src 'none'`` says so to the browser). Every figure the page shows sits in an
element carrying its JSON path and exact value (``data-json``, ``data-value``), so a test
— or a reader with the JSON — can check that page and document agree. Text from the
configuration is escaped by jinja2's autoescape and, inside the SVG, by
:mod:`infercost.render.svg`.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from infercost.arithmetic import plain
from infercost.cost.breakdown import Breakdown, CustomerResult, FeatureResult
from infercost.render import svg
from infercost.render.formatting import count, money, percent
from infercost.render.insight_text import drivers_text

MARGIN_LOW = Decimal(-1)  # the margin chart's left edge: −100 % (lower margins are clipped)
BIN_EDGES = [Decimal(n) / 10 for n in range(-10, 11)]  # −100 % … +100 % in 10-point bins


@functools.cache
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("infercost.render", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(money=money, percent=percent, count=count, exact=_exact)
    return env


def _exact(value: Decimal | int | None) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return plain(Decimal(value))


def _render(name: str, **context: Any) -> str:
    text: str = _environment().get_template(name).render(**context)
    return text


def _markup(text: str) -> Any:
    import markupsafe

    return markupsafe.Markup(text)


def _margin_chart(key: str, features: list[tuple[str, FeatureResult | None, FeatureResult]]) -> Any:
    bars = []
    for name, before, after in features:
        value = after.margin if after.margin is not None else Decimal(0)
        bars.append(
            svg.Bar(
                label=name,
                value=max(value, MARGIN_LOW),
                shown=percent(after.margin),
                before=None if before is None else max(before.margin or Decimal(0), MARGIN_LOW),
                shown_before="" if before is None else percent(before.margin),
                marker=after.target_margin,
                bad=after.below_target,
            )
        )
    below = [n for n, _, a in features if a.below_target]
    desc = (
        f"Gross margin of {len(features)} features against their target margin (dashed line). "
        + (f"Below target: {', '.join(below)}." if below else "Every feature meets its target.")
    )
    return _markup(
        svg.hbars(
            key, "Margin per feature against target", desc, bars, low=MARGIN_LOW, high=Decimal(1)
        )
    )


def _step_chart(key: str, before: FeatureResult | None, after: FeatureResult, currency: str) -> Any:
    old = {c.step.name: c.cost_per_unit for c in before.steps} if before else {}
    names = [c.step.name for c in after.steps] + [
        n for n in old if n not in {c.step.name for c in after.steps}
    ]
    new = {c.step.name: c.cost_per_unit for c in after.steps}
    bars = [
        svg.Bar(
            label=n,
            value=new.get(n, Decimal(0)),
            shown=money(new.get(n, Decimal(0)), currency),
            before=old.get(n, Decimal(0)) if before is not None else None,
            shown_before=money(old.get(n, Decimal(0)), currency) if before is not None else "",
        )
        for n in names
    ]
    top = max(names, key=lambda n: new.get(n, Decimal(0)), default=None)
    desc = (
        f"Cost per unit of each step of {after.name}, in {currency}"
        + (", before (light) and after (dark)" if before is not None else "")
        + (f". The largest is {top}." if top else ".")
    )
    return _markup(svg.hbars(key, f"Cost per unit by step: {after.name}", desc, bars))


def _bins(customers: list[CustomerResult]) -> list[tuple[str, int, bool]]:
    """Customers by margin in 10-point bins, underwater ones (COGS above revenue) flagged;
    margins below −100 % and underwater customers without revenue share the first bin."""
    counts = [0] * (len(BIN_EDGES) - 1)
    lowest = 0
    for c in customers:
        m = c.margin
        if m is None or m < MARGIN_LOW:
            lowest += 1 if c.underwater else 0
            continue
        counts[min(int((m - MARGIN_LOW) * 10), len(counts) - 1)] += 1
    out = [("<−100", lowest, True)]
    out += [(f"{int(BIN_EDGES[i] * 100)}", n, BIN_EDGES[i] < 0) for i, n in enumerate(counts)]
    return out


def _customer_chart(key: str, b: Breakdown) -> Any:
    customers = list(b.customers.values())
    if not customers:
        return None
    underwater = sum(1 for c in customers if c.underwater)
    desc = (
        f"Margins of {len(customers)} customers in 10-point bins; {underwater} are underwater "
        "(their COGS exceeds their revenue), drawn in red left of 0 %."
    )
    return _markup(svg.histogram(key, "Customers' margin distribution", desc, _bins(customers)))


def _feature_view(f: FeatureResult) -> dict[str, Any]:
    return {"result": f, "drivers": drivers_text(f), "insight": f.insight}


def breakdown_page(b: Breakdown, source: str = "") -> str:
    features = [b.features[n] for n in sorted(b.features)]
    return _render(
        "report.html.j2",
        kind="breakdown",
        title=f"infercost breakdown{' of ' + source if source else ''}",
        b=b,
        currency=b.currency,
        features=[_feature_view(f) for f in features],
        margin_chart=_margin_chart("margins", [(f.name, None, f) for f in features]),
        customer_chart=_customer_chart("customers", b),
        step_charts={
            f.name: _step_chart(f"steps-{i}", None, f, b.currency) for i, f in enumerate(features)
        },
        underwater=sum(1 for c in b.customers.values() if c.underwater),
    )


def plan_page(plan: Any, source: str = "") -> str:
    head: Breakdown = plan.head
    pairs = [(f.name, f.before, f.after) for f in plan.features if f.after is not None]
    changed = [f for f in plan.features if f.action != "no-op" and f.after is not None]
    return _render(
        "plan.html.j2",
        kind="plan",
        title=f"infercost plan{' of ' + source if source else ''}",
        plan=plan,
        b=head,
        currency=plan.currency,
        margin_chart=_margin_chart("margins", pairs) if pairs else None,
        customer_chart=_customer_chart("customers", head),
        changed=changed,
        step_charts={
            f.name: _step_chart(f"steps-{i}", f.before, f.after, plan.currency)
            for i, f in enumerate(changed)
        },
        underwater=sum(1 for c in head.customers.values() if c.underwater),
        drivers={f.name: drivers_text(f.after) for f in changed},
    )
