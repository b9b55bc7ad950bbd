"""Figures every view can show: a located error for an amount beyond them.

Views print money to the cent and margins to a tenth of a percent, at the engine's 28
significant digits, so an amount of 10^26 or a margin of -10^30 (a price of 1e40, or
revenue of 1e-20 against real COGS) cannot be shown, and a table of them would be
unreadable anyway. Rather than fail in a renderer with no location, the breakdown is
checked here once, and the first figure out of range is reported at the block (or
usage row) it belongs to. The bound is generous: a quintillion of any currency.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from infercost.errors import Diagnostic, InfercostError, SourceRange

MAX_FIGURE = Decimal(10) ** 18
# The smallest amount of money the engine keeps (an allocated part is rounded down to
# it, SPEC §18): a price or revenue smaller than this but not 0 is refused at its
# attribute, since a margin over such revenue (1 − COGS / 1e-30) is beyond any figure.
MIN_AMOUNT = Decimal(10) ** -18


def too_large(value: Decimal | None) -> bool:
    return value is not None and not (-MAX_FIGURE < value < MAX_FIGURE)


def too_large_error(label: str, what: str, value: Decimal, hint: str = "") -> InfercostError:
    """The error for an amount of an imported file beyond the bound, named by ``what``."""
    return InfercostError.at(
        "Figure too large",
        f"{label}: {what} comes to about {value:.3e}, beyond what infercost shows (amounts "
        f"must stay below 1e18 in size).{hint}",
    )


def check_displayable(stack: object, snapshot: object, figures: object) -> None:
    """Raise a located error for the first figure no view can show."""
    for what, value, where, context in _figures(stack, snapshot, figures):
        if value is not None and too_large(value):
            raise _not_shown(what, value, where, context)


def check_usage_units(snapshot: object) -> None:
    """The units of each feature, as :func:`check_displayable` judges them, without
    pricing anything: ``validate`` refuses the snapshot ``breakdown`` would refuse, with
    the same error at the same row (the feature's largest; each row alone may fit)."""
    units: dict[str, Decimal] = getattr(snapshot, "units", {})
    locate = getattr(snapshot, "feature_location", None)
    for name, value in sorted(units.items()):
        if too_large(value):
            where = locate(name) if locate is not None else None
            raise _not_shown(f"The units of feature {name}", value, where, None)


def _not_shown(
    what: str, value: Decimal, where: SourceRange | None, context: str | None
) -> InfercostError:
    return InfercostError(
        Diagnostic(
            "Figure too large",
            f"{what} {_comes(what)} to about {value:.3e}, beyond what infercost shows "
            "(amounts and margins must stay below 1e18 in size). Check the "
            "prices, counts and usage that lead to it.",
            where,
            context=context,
        )
    )


def _comes(what: str) -> str:
    """The verb agreeing with ``what`` ("The units of …" come, "The COGS of …" comes)."""
    return "come" if what.split()[1] in ("units", "customers") else "comes"


def _figures(
    stack: object, snapshot: object, figures: object
) -> Iterator[tuple[str, Decimal | None, SourceRange | None, str | None]]:
    from infercost.cost.breakdown import Breakdown
    from infercost.model import Stack

    assert isinstance(stack, Stack) and isinstance(figures, Breakdown)
    in_usage = getattr(snapshot, "feature_location", None)
    for name, f in figures.features.items():
        feature = stack.features.get(name)
        at = feature.range if feature is not None else None
        context = f'feature "{name}"'
        for step in f.steps:
            yield (
                f"The cost per unit of step {step.step.address}",
                step.cost_per_unit,
                step.step.range,
                f'step "{step.name}"',
            )
        yield f"The cost per unit of feature {name}", f.cost_per_unit, at, context
        if too_large(f.units) and in_usage is not None:
            # Units come from the usage file, not the block: name its largest row.
            yield f"The units of feature {name}", f.units, in_usage(name) or at, None
        yield f"The units of feature {name}", f.units, at, context
        yield f"The COGS of feature {name}", f.cogs, at, context
        # Shared costs over very few units (a millionth of a unit carrying a pod's
        # month): each figure fits, their quotient does not.
        yield f"The COGS per unit of feature {name}", f.cogs_per_unit, at, context
        yield f"The revenue of feature {name}", f.revenue, at, context
        yield f"The gross margin of feature {name}", f.margin, at, context
    for name, sub in figures.subscriptions.items():
        declared = stack.subscriptions.get(name)
        at = declared.range if declared is not None else None
        context = f'subscription "{name}"'
        yield f"The customers of subscription {name}", sub.customers, at, context
        yield f"The revenue of subscription {name}", sub.revenue, at, context
        yield f"The COGS of subscription {name}", sub.cogs, at, context
        yield f"The gross margin of subscription {name}", sub.margin, at, context
    locate = getattr(snapshot, "customer_location", None)
    within = _customers_within(figures.customers)
    for cid, c in figures.customers.items() if not within else ():
        # The first usage row that names the customer: a customer is a row, not a block.
        at = locate(cid) if locate is not None else None
        yield f"The revenue of customer {cid}", c.revenue, at, None
        yield f"The COGS of customer {cid}", c.cogs, at, None
        yield f"The gross margin of customer {cid}", c.margin, at, None
    t = figures.totals
    for what, value in (("COGS", t.cogs), ("revenue", t.revenue), ("margin", t.margin)):
        yield f"The total {what}", value, None, None


def _customers_within(customers: object) -> bool:
    """Whether every customer's figures are in range, read from the table's columns.

    A breakdown of 250,000 customers would otherwise build each one's result just to
    look at three numbers; only when some figure is out of range are they walked one by
    one, in id order, to name the first. Margins are bounded before any is computed:
    |(r − c) / r| <= 1 + |c| / |r|, so when the largest COGS is below the smallest
    revenue times 10^17 every margin is within 1 + 10^17 (the view of each customer
    computes them when it shows them, and the text view shows ten).
    """
    money = getattr(customers, "money", None)
    columns = getattr(customers, "columns", None)
    if money is None or columns is None:
        return False
    cogs, revenue = money()
    for values in (cogs, revenue):
        if values and (too_large(max(values)) or too_large(min(values))):
            return False
    if not cogs:
        return True
    largest = max(abs(max(cogs)), abs(min(cogs)))
    if min(revenue) > 0 and largest < min(revenue) * _MARGIN_SLACK:
        return True
    margins = columns()[4]
    present = [m for m in margins if m is not None]
    return not (present and (too_large(max(present)) or too_large(min(present))))


# Ten times below the bound: a margin computed at 28 digits rounds within it.
_MARGIN_SLACK = MAX_FIGURE / 10
