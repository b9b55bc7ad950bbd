"""The built-in functions of the language (SPEC §1, §10)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, Inexact, InvalidOperation

from infercost.arithmetic import DIGIT_LIMIT, EXPRESSION, marked
from infercost.evaluate.values import Distribution, Value, a_type


class FunctionError(Exception):
    """A misuse of a function; the evaluator locates it at the call or an argument."""

    def __init__(self, message: str, argument: int | None = None) -> None:
        super().__init__(message)
        self.argument = argument


def _numbers(name: str, args: Sequence[Value]) -> list[Decimal]:
    for i, arg in enumerate(args):
        if not isinstance(arg, Decimal) or isinstance(arg, bool):
            raise FunctionError(f"{name}() takes numbers, got {a_type(arg)}.", i)
    return list(args)


def _arity(name: str, args: Sequence[Value], low: int, high: int | None = None) -> None:
    high = low if high is None else high
    if not low <= len(args) <= high:
        want = str(low) if low == high else f"{low} to {high}"
        raise FunctionError(f"{name}() takes {want} arguments, got {len(args)}.")


def _extreme(name: str, pick: Callable[..., Decimal]) -> Callable[[Sequence[Value]], Value]:
    def call(args: Sequence[Value]) -> Value:
        if len(args) == 1 and isinstance(args[0], list):
            args = args[0]
        if not args:
            raise FunctionError(f"{name}() needs at least one number.")
        return pick(_numbers(name, args))

    return call


def _abs(args: Sequence[Value]) -> Value:
    _arity("abs", args, 1)
    value = _numbers("abs", args)[0]
    # copy_abs keeps every digit (abs() would round to the caller's context).
    return marked(value.copy_abs(), value)


def _ceil(args: Sequence[Value]) -> Value:
    _arity("ceil", args, 1)
    return _numbers("ceil", args)[0].to_integral_value(rounding=ROUND_CEILING)


def _floor(args: Sequence[Value]) -> Value:
    _arity("floor", args, 1)
    return _numbers("floor", args)[0].to_integral_value(rounding=ROUND_FLOOR)


# round() is meant to drop digits: the evaluator's context without its Inexact trap.
_ROUND = EXPRESSION.copy()
_ROUND.traps[Inexact] = False


def _round(args: Sequence[Value]) -> Value:
    _arity("round", args, 1, 2)
    nums = _numbers("round", args)
    value = nums[0]
    digits = nums[1] if len(nums) > 1 else Decimal(0)
    if digits != digits.to_integral_value():
        raise FunctionError("round() takes a whole number of digits.", 1)
    # Compare exponents as Decimals first: round(x, 1e18) must not build a 10^18 step.
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or exponent >= -digits:
        return value  # already a multiple of the step (or not finite): nothing to round
    if -digits > value.adjusted() + 1:
        return Decimal(0)  # |x| < 10^(adjusted+1) <= half the step: rounds to zero
    try:
        step = Decimal(1).scaleb(-int(digits))
        return value.quantize(step, rounding=ROUND_HALF_UP, context=_ROUND)
    except InvalidOperation:  # pragma: no cover - a rounded value never has more digits
        raise FunctionError(
            f"round(): the result would have more than {DIGIT_LIMIT:,} digits.", 0
        ) from None


# Bounds of a distribution: a count or a token size beyond a quadrillion is no workflow,
# and a bound like 1e999 would make exact moments (with squares of the bounds) slow.
DISTRIBUTION_LIMIT = Decimal(10) ** 15


def _bounded(name: str, params: list[Decimal]) -> list[Decimal]:
    for i, p in enumerate(params):
        if abs(p) > DISTRIBUTION_LIMIT:
            raise FunctionError(
                f"{name}() bounds must lie within ±1e15 (a quadrillion); this one is "
                f"{'far ' if p.adjusted() > 30 else ''}beyond that.",
                i,
            )
    return params


def _empirical(args: Sequence[Value], text: str) -> Distribution:
    """``empirical([values], [weights])``: each value with probability weight / total
    (weights default to equal)."""
    _arity("empirical", args, 1, 2)
    lists: list[list[Decimal]] = []
    for i, arg in enumerate(args):
        if not isinstance(arg, list):
            raise FunctionError(f"empirical() takes lists of numbers, got {a_type(arg)}.", i)
        for item in arg:
            if not isinstance(item, Decimal) or isinstance(item, bool):
                raise FunctionError(f"empirical() takes numbers, got {a_type(item)}.", i)
        lists.append(list(arg))
    values = lists[0]
    if any(abs(v) > DISTRIBUTION_LIMIT for v in values):
        raise FunctionError("empirical() values must lie within ±1e15 (a quadrillion).", 0)
    if not values:
        raise FunctionError("empirical() needs at least one value.", 0)
    weights = lists[1] if len(lists) > 1 else [Decimal(1)] * len(values)
    if any(abs(w) > DISTRIBUTION_LIMIT for w in weights):
        raise FunctionError("empirical() weights must lie within ±1e15 (a quadrillion).", 1)
    if len(weights) != len(values):
        raise FunctionError(
            f"empirical() needs one weight per value: {len(values)} values, "
            f"{len(weights)} weights.",
            1,
        )
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise FunctionError("empirical() weights must be >= 0 with a positive total.", 1)
    return Distribution("empirical", tuple(values), text, weights=tuple(weights))


def make_distribution(name: str, args: Sequence[Value], text: str) -> Distribution:
    if name == "empirical":
        return _empirical(args, text)
    if name == "between":
        _arity("between", args, 2)
        lo, hi = _bounded("between", _numbers("between", args))
        if lo > hi:
            raise FunctionError(f"between() needs lo <= hi, got {lo} > {hi}.", 0)
        return Distribution("between", (lo, hi), text)
    _arity("triangular", args, 3)
    lo, mode, hi = _bounded("triangular", _numbers("triangular", args))
    if not lo <= mode <= hi:
        raise FunctionError(f"triangular() needs lo <= mode <= hi, got {lo}, {mode}, {hi}.")
    return Distribution("triangular", (lo, mode, hi), text)


FUNCTIONS: dict[str, Callable[[Sequence[Value]], Value]] = {
    "min": _extreme("min", min),
    "max": _extreme("max", max),
    "abs": _abs,
    "ceil": _ceil,
    "floor": _floor,
    "round": _round,
}
DISTRIBUTIONS = ("between", "triangular", "empirical")
ALL_FUNCTIONS = (*FUNCTIONS, *DISTRIBUTIONS)
