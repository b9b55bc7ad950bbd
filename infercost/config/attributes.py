"""Reading one block's attributes: evaluate, check type and range, locate any error.

Every builder of the compiler reads attributes through these helpers, so a wrong
value is reported the same way everywhere: at the attribute's expression, with the
block it belongs to as context.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Context, Decimal, Inexact, localcontext
from typing import Any

from infercost.arithmetic import ZERO, Rounded
from infercost.config import syntax as s
from infercost.config.inputs import Inputs
from infercost.cost.limits import MAX_FIGURE, MIN_AMOUNT
from infercost.diagnostics import Diagnostics
from infercost.errors import Diagnostic, InfercostError, SourceRange, did_you_mean, excerpt
from infercost.evaluate.evaluator import Evaluator, Scope
from infercost.evaluate.functions import DISTRIBUTION_LIMIT
from infercost.evaluate.values import BlockRef, Distribution, Value, a_type, display

DISTRIBUTION_ATTRIBUTES = ("calls", "input_tokens", "output_tokens", "context_growth", "quantity")
#: The most decimals a part of a whole (a weight, a revenue share) may have: a digit
#: beyond 10^-36 changes a part of the largest amount (below 10^18) by less than the
#: 10^-18 every part is kept to, and the bound keeps the parts' sum exact.
FRACTION_DECIMALS = 36
#: Wide enough for the exact sum of any parts of at most FRACTION_DECIMALS decimals;
#: Inexact is trapped so a sum that does not fit fails loudly instead of rounding.
_EXACT = Context(prec=200, traps=[Inexact])


class Collector:
    """Runs builders one by one and gathers their errors, so one run reports them all."""

    def __init__(self) -> None:
        self.diagnostics = Diagnostics()

    def run(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except InfercostError as exc:
            self.diagnostics.append(exc)
            return None

    def raise_if_any(self) -> None:
        if self.diagnostics:
            raise self.diagnostics.error()


class AttributeReader:
    """The parsed files grouped by block type, and typed readers of their attributes."""

    #: The scope expressions are evaluated in; set once variables and locals are known.
    scope: Scope

    def __init__(self, files: list[s.File], inputs: Inputs, directory: str) -> None:
        self.files = files
        self.inputs = inputs
        self.directory = directory
        self.errors = Collector()
        self.top: dict[str, list[s.Block]] = {}
        for f in files:
            for block in f.body.blocks:
                self.top.setdefault(block.type, []).append(block)

    # -- helpers --------------------------------------------------------------------------
    def fail(
        self, summary: str, detail: str, rng: SourceRange | None, block: s.Block | None = None
    ) -> InfercostError:
        return InfercostError(
            Diagnostic(summary, detail, rng, context=block.header if block else None)
        )

    def eval(self, attr: s.Attribute, block: s.Block | None, scope: Scope | None = None) -> Value:
        try:
            return Evaluator(scope or self.scope).evaluate(attr.expr)
        except InfercostError as exc:
            if block is not None:
                exc.diagnostics = [
                    d
                    if d.context
                    else Diagnostic(d.summary, d.detail, d.range, d.severity, block.header)
                    for d in exc.diagnostics
                ]
            raise

    def value(self, block: s.Block, name: str, default: Value = None) -> Value:
        attr = block.body.attributes.get(name)
        if attr is None:
            return default
        value = self.eval(attr, block)
        return default if value is None else value

    def at_most_18_decimals(
        self, block: s.Block, name: str, value: Decimal, what: str, kept: str
    ) -> None:
        """Refuse an amount with digits below 10^-18, the smallest ``kept`` infercost
        keeps: the engine would need more digits than it has to price it (a price), or
        its parts could not add up to it exactly (a shared amount)."""
        if decimals(value) > 18:
            raise self.fail(
                "Value out of range",
                f"{what[:1].upper()}{what[1:]} must have at most 18 decimals (10^-18 is the "
                f"smallest {kept} infercost keeps), but it has {decimals(value)}.",
                block.body.attributes[name].expr.range,
                block,
            )

    def number(
        self,
        block: s.Block,
        name: str,
        default: Decimal | None = None,
        *,
        low: Decimal | None = ZERO,
        high: Decimal | None = None,
        above: Decimal | None = None,
        distribution: bool = False,
        money: bool = False,
        what: str = "",
    ) -> Any:
        """A number attribute (absent or null: ``default``) within its range.

        ``distribution``: the attribute may be a distribution; a constant there obeys the
        same ±1e15 bound as a distribution's bounds, so ``calls = 1e30`` is refused here
        like ``between(0, 1e30)``, not by whichever command first computes with it.
        ``money``: an amount of money, below 1e18 in size like every figure infercost
        shows, so a price of 1e400 is refused at its attribute, not in a usage sum; and
        0 or at least 1e-18 (the smallest amount the engine keeps), so revenue of 1e-30
        is refused by ``validate`` rather than giving a margin no view can show."""
        attr = block.body.attributes.get(name)
        if attr is None:
            return default
        value = self.eval(attr, block)
        if value is None:
            return default
        if isinstance(value, Distribution):
            if not distribution:
                raise self.fail(
                    "Invalid use of a distribution",
                    f'{excerpt(value.text)} cannot be the value of "{name}": a distribution '
                    "may only "
                    "be the whole value of " + ", ".join(DISTRIBUTION_ATTRIBUTES) + ".",
                    attr.expr.range,
                    block,
                )
            for bound in value.params:
                self._check_range(bound, attr, block, name, low, high, above, what)
            return value
        if isinstance(value, bool) or not isinstance(value, Decimal):
            raise self.fail(
                "Incorrect attribute value type",
                f'"{name}" must be a number, but it is {a_type(value)} '
                f"({excerpt(display(value))}).",
                attr.expr.range,
                block,
            )
        self._check_range(value, attr, block, name, low, high, above, what)
        if distribution or money:
            self._check_size(value, money, attr, block, name, what)
        return value

    def _check_size(
        self, value: Decimal, money: bool, attr: s.Attribute, block: s.Block, name: str, what: str
    ) -> None:
        """Refuse a constant beyond its bound in size, in the words of that bound."""
        if money:
            if MIN_AMOUNT <= abs(value) < MAX_FIGURE or value.is_zero():
                return
            if abs(value) < MIN_AMOUNT:
                rule = "must be 0 or at least 1e-18, the smallest amount infercost keeps"
            else:
                rule = "must stay below 1e18 in size, like every amount infercost shows"
        else:
            if abs(value) <= DISTRIBUTION_LIMIT:
                return
            rule = "must lie within ±1e15 (a quadrillion), like the bounds of a distribution"
        noun = what or f'"{name}"'
        noun = noun[:1].upper() + noun[1:]  # it begins the sentence
        raise self.fail(
            "Value out of range",
            f"{noun} {rule}, but it is {out_of_bound(value)}.",
            attr.expr.range,
            block,
        )

    def _check_range(
        self,
        value: Decimal,
        attr: s.Attribute,
        block: s.Block,
        name: str,
        low: Decimal | None,
        high: Decimal | None,
        above: Decimal | None,
        what: str,
    ) -> None:
        bad = (
            (low is not None and value < low)
            or (high is not None and value > high)
            or (above is not None and value <= above)
        )
        if not bad:
            return
        if above is not None:
            rule = f"greater than {display(above)}"
        elif high is not None:
            rule = f"between {display(low)} and {display(high)}"
        else:
            rule = f"at least {display(low)}"
        noun = what or f'"{name}"'
        noun = noun[:1].upper() + noun[1:]  # it begins the sentence
        raise self.fail(
            "Value out of range",
            f"{noun} must be {rule}, but it is {display(value)}.",
            attr.expr.range,
            block,
        )

    def _typed(self, block: s.Block, name: str, default: Any, accepts: type, expected: str) -> Any:
        """An optional attribute of one plain type; null or absent gives the default."""
        attr = block.body.attributes.get(name)
        if attr is None:
            return default
        value = self.eval(attr, block)
        if value is None:
            return default
        if not isinstance(value, accepts):
            raise self.fail(
                "Incorrect attribute value type",
                f'"{name}" must be {expected}, but it is {a_type(value)} '
                f"({excerpt(display(value))}).",
                attr.expr.range,
                block,
            )
        return value

    def string(self, block: s.Block, name: str, default: str | None = None) -> str | None:
        text: str | None = self._typed(block, name, default, str, "a string")
        return text

    def boolean(self, block: s.Block, name: str, default: bool) -> bool:
        flag: bool = self._typed(block, name, default, bool, "true or false")
        return flag

    def ref(self, block: s.Block, name: str, kind: str) -> str:
        attr = block.body.attributes[name]
        value = self.eval(attr, block)
        return self._expect_ref(value, kind, attr.expr, block, name)

    def feature_refs(self, block: s.Block, owner: str) -> list[str]:
        """The non-empty, duplicate-free ``features = [feature.x, ...]`` list of a block
        (subscriptions and shared costs read the same shape, with the same errors)."""
        attr = block.body.attributes["features"]
        value = self.eval(attr, block)
        if not isinstance(value, list) or not value:
            raise self.fail(
                "Incorrect attribute value type",
                '"features" must be a non-empty list of feature references, like [feature.chat].',
                attr.expr.range,
                block,
            )
        items = attr.expr.items if isinstance(attr.expr, s.TupleExpr) else [attr.expr] * len(value)
        features: list[str] = []
        for element, expr in zip(value, items, strict=True):
            name = self._expect_ref(element, "feature", expr, block, "features")
            if name in features:
                raise self.fail(
                    "Duplicate feature",
                    f"feature.{name} is listed twice in this {owner}.",
                    expr.range,
                    block,
                )
            features.append(name)
        return features

    def fractions(
        self,
        block: s.Block,
        attr: s.Attribute,
        value: dict[str, Value],
        members: Sequence[str],
        *,
        summary: str,
        noun: str,
        stranger: str,
        every: str | None,
    ) -> dict[str, Decimal]:
        """Parts of a whole by name (a subscription's ``revenue_share``, a shared cost's
        weights): each key one of ``members`` (else it is not ``stranger``), each part a
        number in [0, 1], every member named when ``every`` says why, and the parts adding
        up to exactly 1. Errors are located at the key, else at the object."""
        key_ranges = (
            {i.key: i.key_range for i in attr.expr.items}
            if isinstance(attr.expr, s.ObjectExpr)
            else {}
        )
        for key, part in value.items():
            rng = key_ranges.get(key, attr.expr.range)
            if key not in members:
                raise self.fail(
                    summary,
                    f"{display(key)} is not {stranger}." + did_you_mean(key, members),
                    rng,
                    block,
                )
            if isinstance(part, bool) or not isinstance(part, Decimal) or not 0 <= part <= 1:
                raise self.fail(
                    "Value out of range",
                    f"The {noun} of {key} must be a number between 0 and 1, but it is "
                    f"{out_of_bound(part) if isinstance(part, Decimal) else display(part)}.",
                    rng,
                    block,
                )
            if type(part) is Rounded:
                # 1/7 and 6/7 each rounded at 28 digits add up to exactly 1; 1/3 three
                # times does not: a part that is not exact cannot be judged by its sum.
                raise self.fail(
                    summary,
                    f"The {noun} of {key} is not exact: it comes from a division that does "
                    "not terminate (rounded at 28 significant digits), and each "
                    f"{noun} must be exact so that the {noun}s add up to exactly 1.",
                    rng,
                    block,
                )
            if decimals(part) > FRACTION_DECIMALS:
                raise self.fail(
                    "Value out of range",
                    f"The {noun} of {key} must have at most {FRACTION_DECIMALS} decimals, "
                    f"but it has {decimals(part)}.",
                    rng,
                    block,
                )
        missing = [m for m in members if m not in value]
        if every is not None and missing:
            raise self.fail(
                summary, f"{every}; missing: " + ", ".join(missing) + ".", attr.expr.range, block
            )
        # Summed exactly: in the usual 28 digits, 1 - 10^-31 would pass for 1.
        with localcontext(_EXACT):
            total = sum((p for p in value.values() if isinstance(p, Decimal)), ZERO)
        if total != 1:
            raise self.fail(
                summary,
                f"The {noun}s add up to {display(total)}; they must add up to exactly 1.",
                attr.expr.range,
                block,
            )
        return {key: part for key, part in value.items() if isinstance(part, Decimal)}

    def _expect_ref(self, value: Value, kind: str, expr: s.Expr, block: s.Block, name: str) -> str:
        if not isinstance(value, BlockRef) or value.kind != kind:
            got = a_type(value)
            raise self.fail(
                "Incorrect attribute value type",
                f'"{name}" must be a reference like {kind}.NAME, but it is {got}.',
                expr.range,
                block,
            )
        return value.name

    @staticmethod
    def ranges(block: s.Block) -> dict[str, SourceRange]:
        return {name: attr.range for name, attr in block.body.attributes.items()}

    def _each(self, kind: str, build: Any, *extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for block in self.top.get(kind, []):
            built = self.errors.run(build, block, *extra)
            if built is not None:
                out[block.name] = built
        return dict(sorted(out.items()))


def where(rng: SourceRange) -> str:
    return f"{rng.filename} line {rng.start.line}"


def nowhere(files: list[s.File]) -> SourceRange:
    name = files[0].path if files else "<stack>"
    return SourceRange.point(name, 1, 1)


def decimals(value: Decimal) -> int:
    """How many decimals ``value`` needs, trailing zeros aside (0.50 needs one), read from
    its digits so no context rounds it first."""
    digits, exponent = value.as_tuple()[1:]
    if not isinstance(exponent, int) or exponent >= 0:
        return 0
    stripped = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -exponent - stripped)


def out_of_bound(value: Decimal) -> str:
    """A number refused by a bound, as its message shows it: a value of 400 digits is
    not printed whole (a line of digits tells the reader nothing more)."""
    if value.adjusted() > 30:
        return "far beyond that"
    if value.adjusted() < -30:
        return "far below that"
    return display(value)
