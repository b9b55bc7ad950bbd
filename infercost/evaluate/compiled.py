"""Guardrail conditions compiled once into closures, then run per target.

``check`` judges every customer, feature and step against each guardrail: 50,000
customers meant walking the same syntax tree 50,000 times, with a fresh evaluator and
scope each time. Here the tree is walked once per guardrail: every sub-expression that
does not read ``self`` is evaluated then (``var.floor * 0.9`` is a constant), and the
rest becomes nested closures that call the evaluator's own value-level rules
(:meth:`Evaluator.binary` and friends), so a compiled condition means exactly what the
interpreted one means, errors and their locations included.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from infercost.arithmetic import exact
from infercost.config import syntax as s
from infercost.errors import InfercostError
from infercost.evaluate.evaluator import Evaluator, Scope, joined_text
from infercost.evaluate.values import Value

Code = Callable[[], Value]
_COMPARISONS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


def reads_self(expr: s.Expr) -> bool:
    """Whether ``self`` appears anywhere in ``expr`` (iteratively: no recursion limit)."""
    stack: list[Any] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, s.GetAttr):
            if isinstance(node.target, s.Name) and node.target.name == "self":
                return True
            stack.append(node.target)
        elif isinstance(node, s.Name):
            if node.name == "self":
                return True
        elif isinstance(node, s.Template):
            stack.extend(p for p in node.parts if not isinstance(p, str))
        elif isinstance(node, s.Index):
            stack += [node.target, node.key]
        elif isinstance(node, s.Call):
            stack.extend(node.args)
        elif isinstance(node, s.Unary):
            stack.append(node.operand)
        elif isinstance(node, s.Binary):
            stack += [node.left, node.right]
        elif isinstance(node, s.Conditional):
            stack += [node.condition, node.then, node.otherwise]
        elif isinstance(node, s.TupleExpr):
            stack.extend(node.items)
        elif isinstance(node, s.ObjectExpr):
            stack.extend(item.value for item in node.items)
    return False


class CompiledCondition:
    """One guardrail expression, ready to run against many ``self`` objects."""

    def __init__(self, expr: s.Expr, scope: Scope, evaluator: Evaluator | None = None) -> None:
        """``evaluator``: one of the scope's own (how a message shows its numbers)."""
        self.expr = expr
        # One evaluator for every target; run() swaps its self and clears its reads.
        self.evaluator = evaluator if evaluator is not None else Evaluator(scope)
        with exact():
            try:
                self._code = self._compile(expr)
            except RecursionError:  # pragma: no cover - the adapter bounds nesting at 64
                self._code = lambda: self.evaluator._eval(expr)

    def run(self, self_value: Mapping[str, Value]) -> tuple[Value, dict[str, Value]]:
        """The value for one target and the ``self`` attributes it read, in order."""
        ev = self.evaluator
        ev.scope.self_value = self_value
        ev.self_reads = {}
        with exact():
            return self._code(), ev.self_reads

    def run_in_context(self, self_value: Mapping[str, Value]) -> tuple[Value, dict[str, Value]]:
        """:meth:`run` for a caller that already holds the engine's context
        (:func:`infercost.arithmetic.exact`) around a loop over many targets: switching
        contexts once per target costs as much as a simple condition."""
        ev = self.evaluator
        ev.scope.self_value = self_value
        ev.self_reads = {}
        return self._code(), ev.self_reads

    # -- compilation ------------------------------------------------------------------------
    def _compile(self, expr: s.Expr) -> Code:
        ev = self.evaluator
        if not reads_self(expr):
            return self._constant(expr)
        if isinstance(expr, s.GetAttr):
            if isinstance(expr.target, s.Name) and expr.target.name == "self":
                return self._self_attribute(expr.name, expr)
            target = self._compile(expr.target)
            return lambda: ev._member(target(), expr.name, expr)
        if isinstance(expr, s.Binary):
            return self._binary(expr)
        if isinstance(expr, s.Unary):
            operand = self._compile(expr.operand)
            return lambda: ev.unary(expr, operand())
        if isinstance(expr, s.Conditional):
            return self._conditional(expr)
        if isinstance(expr, s.Call) and expr.name in _known_functions():
            args = [self._compile(a) for a in expr.args]
            return lambda: ev.call(expr, [a() for a in args])
        if isinstance(expr, s.Index):
            target, key = self._compile(expr.target), self._compile(expr.key)
            return lambda: ev.index(expr, target(), key())
        if isinstance(expr, s.Template):
            return self._template(expr)
        # Tuples, objects, a bare self: rare in conditions; interpret them.
        return lambda: ev._eval(expr)

    def _self_attribute(self, name: str, expr: s.GetAttr) -> Code:
        ev = self.evaluator

        def read() -> Value:
            # A number, the common case, is recorded and returned here; anything else
            # (null, a margin without revenue, an unknown name) by the evaluator's rule.
            values = ev.scope.self_value
            value = values.get(name) if values is not None else None
            if type(value) is Decimal:
                ev.self_reads[name] = value
                return value
            return ev.self_attribute(name, expr)

        return read

    def _template(self, expr: s.Template) -> Code:
        """A string template (a guardrail message) as :meth:`Evaluator._Template` reads it."""
        ev = self.evaluator
        parts = [p if isinstance(p, str) else (self._compile(p), p) for p in expr.parts]
        if len(parts) == 1 and not isinstance(parts[0], str):
            code, node = parts[0]

            def whole() -> Value:
                value = code()
                return value if isinstance(value, str) else ev._stringify(value, node)

            return whole

        def joined() -> Value:
            pieces = [p if isinstance(p, str) else ev._stringify(p[0](), p[1]) for p in parts]
            return joined_text(pieces, expr)

        return joined

    def _constant(self, expr: s.Expr) -> Code:
        """A sub-expression that does not read self: evaluated now, or its error kept."""
        try:
            value = self.evaluator._eval(expr)
        except InfercostError as exc:
            error = exc

            def fail() -> Value:
                raise error.with_traceback(None)

            return fail
        return lambda: value

    def _binary(self, expr: s.Binary) -> Code:
        ev = self.evaluator
        left, right = self._compile(expr.left), self._compile(expr.right)
        op = expr.op
        if op == "&&":

            def both() -> Value:
                if not ev._bool(left(), expr.left, op):
                    return False
                return ev._bool(right(), expr.right, op)

            return both
        if op == "||":

            def either() -> Value:
                if ev._bool(left(), expr.left, op):
                    return True
                return ev._bool(right(), expr.right, op)

            return either
        compare = _COMPARISONS.get(op)
        if compare is not None:
            # Two plain numbers, the common case, compared at once; every other pair of
            # values (a null, a bool, a distribution) goes through the evaluator's rules.
            def comparison() -> Value:
                a, b = left(), right()
                if type(a) is Decimal and type(b) is Decimal:
                    return compare(a, b)
                return ev.binary(expr, a, b)

            return comparison
        return lambda: ev.binary(expr, left(), right())

    def _conditional(self, expr: s.Conditional) -> Code:
        ev = self.evaluator
        condition = self._compile(expr.condition)
        then, otherwise = self._compile(expr.then), self._compile(expr.otherwise)

        def choose() -> Value:
            if ev._bool(condition(), expr.condition, "? :"):
                return then()
            return otherwise()

        return choose


def _known_functions() -> tuple[str, ...]:
    from infercost.evaluate.functions import ALL_FUNCTIONS

    return ALL_FUNCTIONS
