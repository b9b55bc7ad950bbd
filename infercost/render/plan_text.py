"""The Terraform-like terminal view of a plan: symbols, per-feature figures, the closing line."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from infercost.arithmetic import plain
from infercost.evaluate.values import display, source_line
from infercost.invisible import quoted_line
from infercost.model import SourceText
from infercost.plan.diff import ConfigChange, FeaturePlan, Plan
from infercost.plan.prices import PriceEffect
from infercost.render.formatting import Style, count, money, pct, percent, points
from infercost.render.insight_text import plan_insight_lines
from infercost.render.whole_bill_text import plan_split

SYMBOL = {"create": "+", "update": "~", "delete": "-", "no-op": " "}
VERB = {"create": "created", "update": "updated", "delete": "removed"}
MOVERS = 3


def value_text(value: Any) -> str:
    """A configuration value as HCL spells it; expression text (a distribution, a guardrail
    condition) as written, not as a quoted string."""
    if isinstance(value, SourceText):
        return source_line(value)
    if isinstance(value, list):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {value_text(v)}" for k, v in value.items()) + " }"
    return display(value)


def render(plan: Plan, style: Style, source: str = "", usage: str = "") -> str:
    colour = {
        "create": style.green,
        "update": style.yellow,
        "delete": style.red,
        "no-op": style.dim,
    }
    lines = [
        style.bold(f"infercost plan{' of ' + source if source else ''}")
        + style.dim(f"  (compared with {plan.base_label})"),
    ]
    if usage:
        lines.append(style.dim(f"usage: {usage}, {plan.currency} per {plan.period}"))
    if plan.usage_changed:
        lines.append(
            style.dim(
                "the base has its own usage snapshot"
                + (f" ({quoted_line(plan.base_usage_period)})" if plan.base_usage_period else "")
                + ": each COGS change is split into usage and configuration effects"
            )
        )
    if not plan.has_changes:
        lines += [
            "",
            style.green(style.bold("No changes."))
            + " The configuration and its figures match the base.",
            "",
        ]
        return "\n".join(lines)
    lines += [
        "",
        "Symbols: "
        + "  ".join(
            f"{colour[a](SYMBOL[a])} {word}"
            for a, word in (("create", "create"), ("update", "update"), ("delete", "remove"))
        ),
    ]
    if any(e.cogs_change for e in plan.price_changes):
        lines += ["", style.bold("Price changes:")]
        lines += [
            f"    {price_change_text(e)}  "
            + style.dim(f"{money(e.cogs_change, plan.currency, signed=True)}/{plan.period} COGS")
            for e in plan.price_changes
            if e.cogs_change
        ]
    guardrails = plan.guardrail_changes
    if guardrails:
        lines += ["", style.yellow(style.bold("! Guardrail definitions change in this plan:"))]
        lines += [f"    {_change_line(c, colour)}" for c in guardrails]
    hidden = 0
    for feature in plan.features:
        if feature.action == "no-op":
            hidden += 1
            continue
        lines.append("")
        lines += _feature(feature, plan, style, colour)
    if hidden:
        lines += [
            "",
            style.dim(f"  ({hidden} unchanged feature{'s' if hidden != 1 else ''} hidden)"),
        ]
    tied = {(c.address, c.attribute) for f in plan.features for c in f.changes}
    loose = [
        c
        for c in plan.changes
        if (c.address, c.attribute) not in tied and c.kind not in ("guardrail", "waiver")
    ]
    if loose:
        lines += ["", style.bold("Other configuration changes:")]
        lines += [f"    {_change_line(c, colour)}" for c in loose]
    subs = [s for s in plan.subscriptions if s.action != "no-op"]
    if subs:
        lines += ["", style.bold("Subscriptions:")]
        for sp in subs:
            lines.append(f'  {colour[sp.action](SYMBOL[sp.action])} subscription "{sp.name}"')
            b, a = sp.before, sp.after
            if a is not None and a.cogs is not None:
                lines.append(f"      COGS        {_arrow(b.cogs if b else None, a.cogs, plan)}")
            if a is not None and a.margin is not None:
                before_margin = percent(b.margin) if b else "n/a"
                lines.append(f"      margin      {before_margin} → {percent(a.margin)}")
            if a is not None and a.underwater_customers is not None:
                before_uw = (
                    str(b.underwater_customers)
                    if b and b.underwater_customers is not None
                    else "n/a"
                )
                lines.append(
                    f"      underwater  {before_uw} → {a.underwater_customers} "
                    f"of {int(a.customers)} customers"
                )
    t = plan.change
    lines += [
        "",
        style.bold(
            f"Plan: {plan.count('create')} to add, {plan.count('update')} to change, "
            f"{plan.count('delete')} to remove."
        )
        + f" COGS {money(plan.totals_before.cogs, plan.currency)} → "
        f"{money(plan.totals_after.cogs, plan.currency)}/{plan.period}"
        + (f" ({pct(t.cogs_pct, signed=True)})" if t.cogs_pct is not None else "")
        + (f": {effects(t, plan.currency)}." if plan.usage_changed else "."),
    ]
    if split := plan_split(plan):
        lines.append(split)
    lines.append("")
    return "\n".join(lines)


def effects(d: Any, currency: str) -> str:
    """``usage +$30.00, configuration +$20.00``: the two parts of a COGS change."""
    return (
        f"usage {money(d.usage_effect, currency, signed=True)}, "
        f"configuration {money(d.configuration_effect, currency, signed=True)}"
    )


def _arrow(before: Any, after: Any, plan: Plan) -> str:
    if before is None:
        return money(after, plan.currency)
    if before == after:
        return f"{money(after, plan.currency)} (unchanged)"
    return f"{money(before, plan.currency)} → {money(after, plan.currency)}"


def _feature(f: FeaturePlan, plan: Plan, style: Style, colour: dict[str, Any]) -> list[str]:
    c = plan.currency
    verb = {"create": "created", "update": "updated", "delete": "removed"}[f.action]
    lines = [
        style.dim(f"  # feature.{f.name} will be {verb}"),
        f"  {colour[f.action](SYMBOL[f.action])} " + style.bold(f'feature "{f.name}"'),
    ]
    b, a = f.before, f.after
    d = f.change
    if a is not None and b is not None:
        cogs = f"{money(b.cogs, c)} → {money(a.cogs, c)}"
        if b.cogs != a.cogs:
            extra = [money(d.cogs, c, signed=True)]
            if d.cogs_pct is not None:
                extra.append(pct(d.cogs_pct, signed=True))
            cogs += f" ({', '.join(extra)})"
        cpu = f"{money(b.cost_per_unit, c)} → {money(a.cost_per_unit, c)}"
        if d.cost_per_unit_pct:
            cpu += f" ({pct(d.cost_per_unit_pct, signed=True)})"
        revenue = (
            f"{money(a.revenue, c)} (unchanged)"
            if a.revenue == b.revenue
            else f"{money(b.revenue, c)} → {money(a.revenue, c)}"
        )
        margin = f"{percent(b.margin)} → {percent(a.margin)}"
        if d.margin_points is not None and d.margin_points != 0:
            margin += f" ({points(d.margin_points / 100)})"
        rows = [("COGS", cogs), ("cost per unit", cpu), ("revenue", revenue), ("margin", margin)]
        if plan.usage_changed:
            rows[1:1] = [
                ("  usage", money(d.usage_effect, c, signed=True)),
                ("  config", money(d.configuration_effect, c, signed=True)),
            ]
        if a.units != b.units:
            rows.insert(0, ("units", f"{count(b.units)} → {count(a.units)}"))
    else:
        only = a or b
        assert only is not None
        rows = [
            ("units", count(only.units)),
            ("COGS", money(only.cogs, c)),
            ("cost per unit", money(only.cost_per_unit, c)),
            ("revenue", money(only.revenue, c)),
            ("margin", percent(only.margin)),
        ]
    lines += [f"      {label:<14} {value}" for label, value in rows]
    lines += ["    " + line for line in plan_insight_lines(b, a, c, style)]
    if f.target_margin is not None and a is not None:
        if a.below_target:
            lines.append(
                "      "
                + style.red(style.bold(f"✗ margin below target {percent(f.target_margin)}"))
            )
        else:
            lines.append("      " + style.green(f"✓ target {percent(f.target_margin)} holds"))
    movers = [m for m in f.attribution if m.cogs_change][:MOVERS]
    if movers:
        lines.append(style.dim("      what moved the cost:"))
        for m in movers:
            priced = [
                f"{price_change_text(e)}: {money(e.cogs_change, c, signed=True)}"
                for e in m.price_effects
                if e.cogs_change
            ]
            others = [_cause(x) for x in m.other_causes]
            cause = "; ".join([*priced, *others][:3]) or (
                "usage" if not m.configuration_effect else "usage or shared settings"
            )
            split = f" = {effects(m, c)}" if plan.usage_changed else ""
            lines.append(
                f"        {m.step}: {money(m.cogs_change, c, signed=True)}/{plan.period}{split}"
                + style.dim(f"  ({cause})")
            )
    if f.changes and f.action != "update":
        n = len(f.changes)
        blocks = "block" if n == 1 else "blocks"
        lines.append(style.dim(f"      ({n} related configuration {blocks} {verb})"))
    elif f.changes:
        lines.append(style.dim("      changes:"))
        lines += [f"        {_change_line(x, colour)}" for x in f.changes]
    return lines


def price_change_text(effect: PriceEffect) -> str:
    """``gpt-4o input 2.50 → 2.00``: prices with at least two decimals, as price lists."""
    return f"{effect.label} {_price(effect.before)} → {_price(effect.after)}"


def _price(value: Decimal) -> str:
    whole, _, fraction = plain(value).partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _cause(change: ConfigChange) -> str:
    if change.attribute is None:
        return f"{change.address} {VERB[change.action]}"
    return f"{change.attribute} {value_text(change.before)} → {value_text(change.after)}"


def _change_line(change: ConfigChange, colour: dict[str, Any]) -> str:
    symbol = colour[change.action](SYMBOL[change.action])
    if change.attribute is None:
        return f"{symbol} {change.address}"
    return (
        f"{symbol} {change.address}: {change.attribute} = "
        f"{value_text(change.before)} → {value_text(change.after)}"
    )
