"""``explain -o markdown``: one feature's drivers, shared costs and break-even, for a pull
request comment or a job summary.

The same :class:`~infercost.insight.explain.Explanation` as the text and JSON views, with
the same figures (one number formatter, :mod:`infercost.numbers`). Names and configured
values are code spans (:func:`~infercost.render.code_span.code`) and prose from the
configuration is escaped (:func:`~infercost.render.markdown.escape`): a stack is code
under review, and a hostile name must not break the table or the comment.
"""

from __future__ import annotations

from infercost.arithmetic import plain
from infercost.insight.breakeven import Headroom
from infercost.insight.explain import Explanation
from infercost.numbers import count, money, pct, percent, significant
from infercost.render.code_span import code
from infercost.render.markdown import MARKER, escape, truncate_middle

SHOWN = 15  # drivers listed, as in the text view


def render(x: Explanation) -> str:
    f, be, c = x.feature, x.break_even, x.currency
    swing = plain(x.swing)
    out = [
        MARKER,
        f"### infercost explain: {code(f.name, table=False)}",
        "",
        f"{escape(c)} per {escape(x.period)} · unit {code(f.unit, table=False)} · workflow "
        f"{code(f.workflow, table=False)}",
        "",
        "| cost per unit | units | COGS | revenue | margin | target |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {money(f.cost_per_unit, c)} | {count(f.units)} | {money(f.cogs, c)} | "
        f"{money(f.revenue, c)} | {percent(f.margin)} | {percent(f.target_margin)} |",
    ]
    if f.allocated_cogs and f.cogs_per_unit is not None:
        out += [
            "",
            f"COGS per unit {money(f.cogs_per_unit, c)} = {money(f.cost_per_unit, c)} variable"
            f" + {money(f.allocated_cogs / f.units, c)} shared · contribution margin "
            f"{percent(f.contribution_margin)}",
        ]
    shown = [d for d in x.drivers if d.elasticity][:SHOWN]
    out += [
        "",
        "#### Drivers of the cost per unit",
        "",
        f"Elasticity: how many % the cost per unit moves when the input moves 1 %; the cost "
        f"per unit with the input {swing} % lower and higher, the others held.",
        "",
        f"| # | input | value | elasticity | −{swing}% | +{swing}% |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for i, d in enumerate(shown, 1):
        value = code(d.input.text) if d.input.text else significant(d.input.value)
        out.append(
            f"| {i} | {code(d.key)} | {value} | {percent(d.elasticity, signed=True)} | "
            f"{money(d.low, c)} | {money(d.high, c)} |"
        )
    if x.shared:
        out += [
            "",
            "#### Shared costs: drivers of the COGS per unit",
            "",
            "Elasticity of the COGS per unit to each amount (its share of the feature's "
            f"COGS); the COGS per unit with the amount {swing} % lower and higher; the "
            "amount at which the gross margin meets the target.",
            "",
            f"| shared cost | amount | allocated here | elasticity | −{swing}% | +{swing}% "
            "| reaches the target at |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for s in x.shared:
            out.append(
                f"| {code(s.name)} | {money(s.amount, c)} | {money(s.part, c)} "
                f"({escape(s.allocate)}) | {percent(s.elasticity, signed=True)} | "
                f"{money(s.low, c)} | {money(s.high, c)} | {_reached(s.headroom, c, True)} |"
            )
    title = (
        f"Headroom and break-even at the {percent(be.target_margin)} target margin"
        if be.has_target
        else "Break-even (margin 0: the feature has no target\\_margin)"
    )
    out += ["", f"#### {title}", ""]
    out += [f"- {escape(note)}" for note in be.notes]
    if be.allowed_cost_per_unit is not None:
        verdict = "meets it" if be.meets_target else "**does not meet it**"
        shared = (
            f", with {money(be.shared_cost_per_unit, c)} of shared costs per unit on top"
            if be.shared_cost_per_unit
            else ""
        )
        out.append(
            f"- cost per unit allowed: {money(be.allowed_cost_per_unit, c)} (now "
            f"{money(f.cost_per_unit, c)}: {verdict}){shared}"
        )
    if be.revenue_per_unit_needed is not None:
        needed = be.revenue_per_unit_needed
        text = money(needed, c) if needed > 0 else "any (met with no usage revenue)"
        out.append(f"- revenue per unit needed: {text} (now {money(be.revenue_per_unit, c)})")
    for sub in be.subscriptions:
        if sub.needed is None:
            out.append(
                f"- subscription {code(sub.name, table=False)} price: cannot meet it "
                f"({escape(sub.reason)})"
            )
        else:
            text = money(sub.needed, c) if sub.needed > 0 else "any price"
            out.append(
                f"- subscription {code(sub.name, table=False)} price needed: {text} (now "
                f"{money(sub.price, c)}, the other subscriptions held)"
            )
    rows = [
        f"| {code(h.key)} | {significant(d.input.value)} | {_reached(h, c, False)} |"
        for h, d in zip(be.headroom, x.drivers, strict=True)
        if d.elasticity
    ][:SHOWN]
    if rows and be.allowed_cost_per_unit is not None:
        out += [
            "",
            "Headroom of each input (the others held):",
            "",
            "| input | now | reaches the target at |",
            "|---|---:|---|",
            *rows,
        ]
    return truncate_middle("\n".join(out) + "\n")


def _reached(h: Headroom | None, currency: str, is_money: bool) -> str:
    if h is None:
        return "n/a"
    if h.status == "never":
        return f"never: {escape(h.reason or '')}"
    value = money(h.value, currency) if is_money else significant(h.value)
    change = pct(h.change_pct, signed=True)
    return f"{value} ({change}{'' if h.status == 'headroom' else ' needed'})"
