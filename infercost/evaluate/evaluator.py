"""Evaluate expressions of the neutral syntax tree to values, exactly.

No Python ``eval``: each node type has one small rule. Numbers are Decimal from their
literal text. Distributions are values that no operator accepts, so one can only be the
whole value of an attribute (SPEC §10). Locals are evaluated on demand, and a cycle is
reported with the whole loop named.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, DecimalException, InvalidOperation

from infercost.arithmetic import (
    EXPRESSION,
    arithmetic_problem,
    exact,
    in_range,
    marked,
    plain,
    quotient,
)
from infercost.config import syntax as s
from infercost.errors import InfercostError, SourceRange, did_you_mean, excerpt
from infercost.evaluate.functions import (
    ALL_FUNCTIONS,
    DISTRIBUTIONS,
    FUNCTIONS,
    FunctionError,
    make_distribution,
)
from infercost.evaluate.values import (
    MAX_WEIGHT,
    BlockRef,
    Distribution,
    Missing,
    NoRevenue,
    SizedList,
    SizedObject,
    Value,
    a_type,
    display,
    type_name,
    weight,
)

BLOCK_KINDS = ("unit", "workflow", "feature", "subscription")
# Exact whatever context the caller holds (a guardrail check runs in the engine's); see
# infercost.arithmetic.EXPRESSION. Only a quotient that does not terminate is rounded.
_ARITHMETIC: dict[str, Callable[[Decimal, Decimal], Decimal]] = {
    "+": EXPRESSION.add,
    "-": EXPRESSION.subtract,
    "*": EXPRESSION.multiply,
    "/": quotient,
    "%": EXPRESSION.remainder,
}


def error(summary: str, detail: str, rng: SourceRange | None) -> InfercostError:
    return InfercostError.at(summary, detail, rng)


@dataclass
class Scope:
    """What names mean while evaluating: variables, locals, declared blocks and ``self``."""

    variables: Mapping[str, Value] = field(default_factory=dict)
    locals: Mapping[str, s.Attribute] = field(default_factory=dict)
    blocks: Mapping[str, set[str]] = field(default_factory=dict)
    self_value: Mapping[str, Value] | None = None
    allow_blocks: bool = True
    # Evaluated locals, shared by every evaluator of the same stack.
    local_values: dict[str, Value] = field(default_factory=dict)
    _in_progress: list[str] = field(default_factory=list)
    # Locals whose evaluation failed: reported once, where they failed, not at every use.
    _failed: set[str] = field(default_factory=set)


class Evaluator:
    def __init__(self, scope: Scope, number_text: Callable[[Decimal], str] = plain) -> None:
        self.scope = scope
        self.self_reads: dict[str, Value] = {}
        # How numbers read inside "${...}": exact by default; guardrail messages round.
        self.number_text = number_text

    def evaluate(self, expr: s.Expr) -> Value:
        with exact():
            try:
                return self._eval(expr)
            except RecursionError:
                raise _too_deep(expr) from None

    def local(self, name: str) -> Value:
        """The value of ``local.NAME`` (evaluated once per scope, failures reported once)."""
        expr = self.scope.locals[name].expr
        with exact():
            try:
                return self._local(name, expr)
            except RecursionError:
                self.scope._failed.add(name)
                raise _too_deep(expr) from None

    # -- dispatch ---------------------------------------------------------------------------
    def _eval(self, expr: s.Expr) -> Value:
        rule: Callable[[s.Expr], Value] = getattr(self, f"_{type(expr).__name__}")
        return rule(expr)

    def _Number(self, expr: s.Number) -> Value:
        try:
            value = Decimal(expr.text)  # exact: a literal keeps every digit it is written with
        except InvalidOperation:  # pragma: no cover - the grammar only admits numbers
            raise error("Invalid number", "This is not a number.", expr.range) from None
        if not in_range(value):
            raise error(
                "Number out of range",
                "Numbers must lie between 1e-999 and 1e999 in size (or be 0).",
                expr.range,
            )
        return value

    def _Literal(self, expr: s.Literal) -> Value:
        return expr.value

    def _Template(self, expr: s.Template) -> Value:
        if len(expr.parts) == 1 and not isinstance(expr.parts[0], str):
            inner = self._eval(expr.parts[0])
            if not isinstance(inner, str):
                return self._stringify(inner, expr.parts[0])
            return inner
        pieces: list[str] = []
        for part in expr.parts:
            if isinstance(part, str):
                pieces.append(part)
            else:
                pieces.append(self._stringify(self._eval(part), part))
        return joined_text(pieces, expr)

    def _stringify(self, value: Value, expr: s.Expr) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, Decimal):
            return self.number_text(value)
        if isinstance(value, Missing):
            return "null"
        raise error(
            "Invalid template interpolation value",
            f"Cannot include {a_type(value)} in a string.",
            expr.range,
        )

    def _TupleExpr(self, expr: s.TupleExpr) -> Value:
        items = [self._eval(item) for item in expr.items]
        return SizedList(items, bounded(1 + sum(weight(v) for v in items), expr))

    def _ObjectExpr(self, expr: s.ObjectExpr) -> Value:
        items = {item.key: self._eval(item.value) for item in expr.items}
        total = 1 + sum(max(1, len(k)) + weight(v) for k, v in items.items())
        return SizedObject(items, bounded(total, expr))

    # -- references -------------------------------------------------------------------------
    def _Name(self, expr: s.Name) -> Value:
        roots = ["var", "local", "self", *BLOCK_KINDS]
        raise error(
            "Invalid reference",
            f'"{expr.name}" is not a value on its own; references look like var.NAME, '
            f"local.NAME or unit.NAME.{did_you_mean(expr.name, roots)}",
            expr.range,
        )

    def _GetAttr(self, expr: s.GetAttr) -> Value:
        if isinstance(expr.target, s.Name):
            return self._root(expr.target, expr.name, expr)
        target = self._eval(expr.target)
        return self._member(target, expr.name, expr)

    def _root(self, root: s.Name, name: str, expr: s.GetAttr) -> Value:
        kind = root.name
        if kind == "var":
            if name not in self.scope.variables:
                raise error(
                    "Reference to undeclared input variable",
                    f'No variable "{name}" is declared.' + did_you_mean(name, self.scope.variables),
                    expr.range,
                )
            return self.scope.variables[name]
        if kind == "local":
            return self._local(name, expr)
        if kind == "self":
            return self.self_attribute(name, expr)
        if kind in BLOCK_KINDS:
            if not self.scope.allow_blocks:
                raise error(
                    "Invalid reference",
                    f"{kind}.{name}: block references are not allowed here.",
                    expr.range,
                )
            declared = self.scope.blocks.get(kind, set())
            if name not in declared:
                raise error(
                    "Reference to undeclared resource",
                    f'No {kind} "{name}" is declared.' + did_you_mean(name, declared),
                    expr.range,
                )
            return BlockRef(kind, name)
        return self._Name(root)

    def self_attribute(self, name: str, expr: s.Expr) -> Value:
        """``self.NAME`` in a guardrail: recorded, a null one read as :class:`Missing`."""
        if self.scope.self_value is None:
            raise error(
                "Invalid reference", "self is only available inside guardrails.", expr.range
            )
        if name not in self.scope.self_value:
            raise error(
                "Unsupported attribute",
                f'This object has no attribute "{name}".'
                + did_you_mean(name, self.scope.self_value),
                expr.range,
            )
        value = self.scope.self_value[name]
        self.self_reads[name] = value
        if isinstance(value, NoRevenue):
            raise MarginWithoutRevenue(value, expr.range)
        return Missing(name) if value is None else value

    def _local(self, name: str, expr: s.Expr) -> Value:
        scope = self.scope
        if name in scope.local_values:
            return scope.local_values[name]
        if name in scope._failed:
            raise InfercostError()  # already reported
        if name not in scope.locals:
            raise error(
                "Reference to undeclared local value",
                f'No local value "{name}" is declared.' + did_you_mean(name, scope.locals),
                expr.range,
            )
        if name in scope._in_progress:
            loop = [*scope._in_progress[scope._in_progress.index(name) :], name]
            attr = scope.locals[loop[0]]
            raise error(
                "Cycle in local values",
                "These locals refer to each other in a loop: "
                + " -> ".join(f"local.{n}" for n in loop)
                + ".",
                attr.name_range,
            )
        scope._in_progress.append(name)
        try:
            # Locals never see self: they are the same for every guardrail target.
            inner = Evaluator(
                Scope(
                    scope.variables,
                    scope.locals,
                    scope.blocks,
                    None,
                    scope.allow_blocks,
                    scope.local_values,
                    scope._in_progress,
                    scope._failed,
                )
            )
            value = inner._eval(scope.locals[name].expr)
        except InfercostError:
            scope._failed.add(name)
            raise
        finally:
            scope._in_progress.pop()
        scope.local_values[name] = value
        return value

    def _member(self, target: Value, name: str, expr: s.Expr) -> Value:
        if isinstance(target, dict):
            if name not in target:
                raise error(
                    "Unsupported attribute",
                    f'This object has no attribute "{name}".' + did_you_mean(name, target),
                    expr.range,
                )
            return target[name]
        if isinstance(target, BlockRef):
            raise error(
                "Unsupported attribute",
                f"{target} is a reference to a block; its attributes cannot be read here.",
                expr.range,
            )
        raise error(
            "Unsupported attribute",
            f'Cannot read "{name}" of {a_type(target)}.',
            expr.range,
        )

    def _Index(self, expr: s.Index) -> Value:
        return self.index(expr, self._eval(expr.target), self._eval(expr.key))

    # The value-level rules below are shared with compiled conditions (compiled.py), so an
    # operator means the same thing however an expression is run.
    def index(self, expr: s.Index, target: Value, key: Value) -> Value:
        if isinstance(target, list):
            if not isinstance(key, Decimal) or key != key.to_integral_value():
                raise error("Invalid index", "A list index must be a whole number.", expr.range)
            if not 0 <= key < len(target):
                raise error(
                    "Invalid index",
                    f"Index {plain(key)} is out of range for a list of {len(target)}.",
                    expr.range,
                )
            return target[int(key)]
        if isinstance(target, dict):
            if not isinstance(key, str):
                raise error("Invalid index", "An object key must be a string.", expr.key.range)
            return self._member(target, key, expr)
        raise error("Invalid index", f"Cannot index {a_type(target)}.", expr.range)

    # -- operators --------------------------------------------------------------------------
    def _Unary(self, expr: s.Unary) -> Value:
        return self.unary(expr, self._eval(expr.operand))

    def unary(self, expr: s.Unary, value: Value) -> Value:
        if expr.op == "!":
            return not self._bool(value, expr.operand, "!")
        number = self._number(value, expr.operand, "-")
        return marked(number.copy_negate(), number)  # exact, every digit kept

    def _Binary(self, expr: s.Binary) -> Value:
        op = expr.op
        if op in ("&&", "||"):
            left = self._bool(self._eval(expr.left), expr.left, op)
            if (op == "&&" and not left) or (op == "||" and left):
                return left
            return self._bool(self._eval(expr.right), expr.right, op)
        return self.binary(expr, self._eval(expr.left), self._eval(expr.right))

    def binary(self, expr: s.Binary, left: Value, right: Value) -> Value:
        """A binary operator other than && and || (which short-circuit) on its values."""
        op = expr.op
        if op in ("==", "!="):
            self._no_distribution(left, expr.left, op)
            self._no_distribution(right, expr.right, op)
            equal = equal_values(_normal(left), _normal(right))
            return equal if op == "==" else not equal
        a = self._number(left, expr.left, op)
        b = self._number(right, expr.right, op)
        if op in ("<", ">", "<=", ">="):
            return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        if op in ("/", "%") and b == 0:
            raise error("Division by zero", f"The right side of {op} is zero.", expr.range)
        try:
            result = _ARITHMETIC[op](a, b)
        except DecimalException as exc:
            raise error("Arithmetic error", arithmetic_problem(exc), expr.range) from None
        return marked(result, a, b)  # computed from a rounded number: not exact either

    def _Conditional(self, expr: s.Conditional) -> Value:
        if self._bool(self._eval(expr.condition), expr.condition, "? :"):
            return self._eval(expr.then)
        return self._eval(expr.otherwise)

    def _Call(self, expr: s.Call) -> Value:
        if expr.name not in ALL_FUNCTIONS:
            raise error(
                "Call to unknown function",
                f'There is no function named "{expr.name}".'
                + did_you_mean(expr.name, ALL_FUNCTIONS),
                expr.range,
            )
        return self.call(expr, [self._eval(a) for a in expr.args])

    def call(self, expr: s.Call, args: list[Value]) -> Value:
        for arg, node in zip(args, expr.args, strict=True):
            if isinstance(arg, Distribution):
                self._no_distribution(arg, node, f"{expr.name}()")
            if isinstance(arg, Missing):
                raise NullRead(arg.attribute, node.range)
        try:
            if expr.name in DISTRIBUTIONS:
                return make_distribution(expr.name, args, expr.text)
            return FUNCTIONS[expr.name](args)
        except FunctionError as exc:
            at = expr.args[exc.argument].range if exc.argument is not None else expr.range
            raise error("Invalid function argument", str(exc), at) from None
        except DecimalException as exc:
            raise error("Arithmetic error", arithmetic_problem(exc), expr.range) from None

    # -- type checks ------------------------------------------------------------------------
    def _no_distribution(self, value: Value, expr: s.Expr, op: str) -> None:
        if isinstance(value, Distribution):
            raise error(
                "Invalid use of a distribution",
                f"{excerpt(value.text)} cannot be used with {op}: a distribution must be the whole "
                "value of calls, input_tokens, output_tokens, context_growth or quantity.",
                expr.range,
            )

    def _number(self, value: Value, expr: s.Expr, op: str) -> Decimal:
        self._no_distribution(value, expr, op)
        if isinstance(value, Missing):
            raise NullRead(value.attribute, expr.range)
        if isinstance(value, bool) or not isinstance(value, Decimal):
            raise error(
                "Invalid operand",
                f"{op} needs a number, but {excerpt(expr.text)} is {a_type(value)}"
                + (f" ({excerpt(display(value))})." if isinstance(value, str | bool) else "."),
                expr.range,
            )
        return value

    def _bool(self, value: Value, expr: s.Expr, op: str) -> bool:
        if isinstance(value, Missing):
            raise NullRead(value.attribute, expr.range)
        if not isinstance(value, bool):
            self._no_distribution(value, expr, op)
            raise error(
                "Invalid operand",
                f"{op} needs a bool, but {excerpt(expr.text)} is {a_type(value)}.",
                expr.range,
            )
        return value


class NullRead(InfercostError):
    """A guardrail condition used a null ``self`` attribute: the result is skipped."""

    def __init__(self, attribute: str, rng: SourceRange | None) -> None:
        super().__init__()
        self.diagnostics = [
            InfercostError.at("Null value", f"self.{attribute} is null here.", rng).diagnostics[0]
        ]
        self.attribute = attribute


class MarginWithoutRevenue(InfercostError):
    """A guardrail condition read a margin that has COGS and no revenue: it fails."""

    def __init__(self, value: NoRevenue, rng: SourceRange | None) -> None:
        super().__init__()
        self.diagnostics = [
            InfercostError.at(
                "Margin without revenue", f"self.{value.attribute} has COGS and no revenue.", rng
            ).diagnostics[0]
        ]
        self.attribute = value.attribute
        self.cogs = value.cogs


def _normal(value: Value) -> Value:
    return None if isinstance(value, Missing) else value


def equal_values(a: Value, b: Value, _equal: set[tuple[int, int]] | None = None) -> bool:
    """HCL equality: values of different types are never equal (``1 == true`` is false,
    as in Terraform), lists and objects compare element by element.

    A value may hold the same list many times over (locals that refer to one another), so
    a pair of members already found equal is not compared again: the work grows with the
    distinct members, not with how often they repeat."""
    if a is b and not isinstance(a, Decimal):  # a Decimal NaN is not equal to itself
        return True
    if type_name(a) != type_name(b):
        return False
    if not isinstance(a, list | dict):
        return bool(a == b)
    equal = set() if _equal is None else _equal
    pair = (id(a), id(b))
    if pair in equal:
        return True
    if isinstance(a, list):
        same = len(a) == len(b) and all(
            equal_values(x, y, equal) for x, y in zip(a, b, strict=True)
        )
    else:
        same = a.keys() == b.keys() and all(equal_values(a[k], b[k], equal) for k in a)
    if same:
        equal.add(pair)  # both are alive until the comparison ends: ids are not reused
    return same


def bounded(total: int, expr: s.Expr) -> int:
    """``total`` if a value of that weight may be built, else a located error."""
    if total > MAX_WEIGHT:
        raise error(
            "Value too large",
            f"This value would hold more than {MAX_WEIGHT:,} elements and characters "
            "(locals that repeat one another multiply). infercost refuses to build it.",
            expr.range,
        )
    return total


def joined_text(pieces: list[str], expr: s.Expr) -> str:
    """A template's pieces joined, once its length is known to be within bounds."""
    bounded(sum(len(p) for p in pieces), expr)
    return "".join(pieces)


def _too_deep(expr: s.Expr) -> InfercostError:
    return error(
        "Expression too deeply nested",
        "Evaluating this expression goes deeper than infercost allows (locals that refer "
        "to each other in a very long chain, or deeply nested brackets).",
        expr.range,
    )
