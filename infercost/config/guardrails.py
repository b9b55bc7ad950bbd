"""Compiling ``guardrail`` blocks, of a stack or of a shared policy file.

A guardrail's condition stays an expression: it is evaluated later, once per target,
by the guard engine. Here only its settings and the names it reads are checked.
"""

from __future__ import annotations

from collections.abc import Iterable

from infercost.arithmetic import exact
from infercost.config import syntax as s
from infercost.config.attributes import AttributeReader
from infercost.config.inputs import Inputs
from infercost.errors import did_you_mean, excerpt
from infercost.evaluate.evaluator import Scope
from infercost.model import SCOPES, SEVERITIES, Guardrail

RESERVED_GUARDRAILS = ("target_margin",)


def compile_guardrail(compiler: AttributeReader, block: s.Block, source: str) -> Guardrail:
    if block.name in RESERVED_GUARDRAILS:
        raise compiler.fail(
            "Reserved name",
            f'"{block.name}" is the implicit guardrail of every feature with a target_margin; '
            "choose another name.",
            block.label_ranges[0],
            block,
        )
    scope = compiler.string(block, "scope", "feature")
    if scope not in SCOPES:
        raise compiler.fail(
            "Invalid guardrail scope",
            f'scope must be one of {", ".join(SCOPES)}, not "{scope}".'
            + did_you_mean(str(scope), SCOPES),
            block.body.attributes["scope"].expr.range,
            block,
        )
    severity = compiler.string(block, "severity", "error")
    if severity not in SEVERITIES:
        raise compiler.fail(
            "Invalid guardrail severity",
            f'severity must be "error" or "warning", not "{severity}".',
            block.body.attributes["severity"].expr.range,
            block,
        )
    message = block.body.attributes.get("message")
    return Guardrail(
        range=block.range,
        ranges=compiler.ranges(block),
        name=block.name,
        scope=scope or "feature",
        severity=severity or "error",
        description=compiler.string(block, "description"),
        condition=block.body.attributes["condition"].expr,
        message=message.expr if message else None,
        source=source,
    )


def compile_policy(files: Iterable[s.File], source: str) -> dict[str, Guardrail]:
    """Guardrails of a policy file: they may read only ``self``."""
    with exact():
        compiler = AttributeReader(list(files), Inputs(), ".")
        compiler.scope = Scope(allow_blocks=False)
        guardrails = compiler._each("guardrail", lambda b: _policy_guardrail(compiler, b, source))
        compiler.errors.raise_if_any()  # a broken rule in a policy must not vanish silently
        return guardrails


def _policy_guardrail(compiler: AttributeReader, block: s.Block, source: str) -> Guardrail:
    """A policy rule; it is checked before any target is judged, so an empty scope too."""
    guardrail = compile_guardrail(compiler, block, source)
    for ref in _guardrail_references(guardrail):
        if ref.target.name != "self":  # type: ignore[attr-defined]
            raise compiler.fail(
                "Invalid reference in a policy",
                f"{excerpt(ref.text)}: policy files are shared across stacks and may refer "
                "only to self.",
                ref.range,
                block,
            )
    return guardrail


def check_guardrail_references(compiler: AttributeReader, block: s.Block, g: Guardrail) -> None:
    """A stack guardrail may read self, var and local: each must exist, even if no target
    would ever evaluate it (an empty scope must not hide a typo)."""
    declared = {"var": compiler.scope.variables, "local": compiler.scope.locals}
    for ref in _guardrail_references(g):
        root = ref.target.name  # type: ignore[attr-defined]
        if root == "self":
            continue
        if root not in declared:
            raise compiler.fail(
                "Invalid reference",
                f"{excerpt(ref.text)}: guardrails read self, var.NAME and local.NAME only.",
                ref.range,
                block,
            )
        if ref.name not in declared[root]:
            kind = "variable" if root == "var" else "local value"
            raise compiler.fail(
                f"Reference to undeclared {kind}",
                f'No {kind} "{ref.name}" is declared.' + did_you_mean(ref.name, declared[root]),
                ref.range,
                block,
            )


def _guardrail_references(g: Guardrail) -> list[s.GetAttr]:
    out: list[s.GetAttr] = []
    for expr in (g.condition, g.message):
        if expr is not None:
            out.extend(_root_references(expr))
    return out


def _root_references(expr: s.Expr) -> list[s.GetAttr]:
    """Every traversal rooted at a bare name (``self.x``, ``var.y``, ``local.z``)."""
    if isinstance(expr, s.GetAttr) and isinstance(expr.target, s.Name):
        return [expr]
    children: list[s.Expr] = []
    if isinstance(expr, s.Template):
        children = [p for p in expr.parts if isinstance(p, s.Expr)]
    elif isinstance(expr, s.GetAttr):
        children = [expr.target]
    elif isinstance(expr, s.Index):
        children = [expr.target, expr.key]
    elif isinstance(expr, s.Call):
        children = list(expr.args)
    elif isinstance(expr, s.Unary):
        children = [expr.operand]
    elif isinstance(expr, s.Binary):
        children = [expr.left, expr.right]
    elif isinstance(expr, s.Conditional):
        children = [expr.condition, expr.then, expr.otherwise]
    elif isinstance(expr, s.TupleExpr):
        children = list(expr.items)
    elif isinstance(expr, s.ObjectExpr):
        children = [item.value for item in expr.items]
    return [ref for child in children for ref in _root_references(child)]
