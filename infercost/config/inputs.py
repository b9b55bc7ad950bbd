"""Values for a stack's variables given from outside it: ``--var`` and ``--var-file``.

They are read before the stack is compiled, so that a malformed ``--var`` is reported
as such, and typed only once the variable's declared ``type`` is known.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from infercost.config import syntax as s
from infercost.errors import InfercostError
from infercost.evaluate.evaluator import Evaluator, Scope
from infercost.evaluate.values import Distribution, Value


@dataclass(frozen=True)
class VariableInput:
    """A value for a variable from ``--var`` (text) or ``--var-file`` (an expression)."""

    name: str
    text: str | None = None
    expr: s.Expr | None = None
    origin: str = "command line"


@dataclass
class Inputs:
    values: dict[str, VariableInput] = field(default_factory=dict)
    # On one side of a plan, a --var for a variable it does not declare is ignored.
    ignore_undeclared: bool = False


def has_type(value: Value, type_: str) -> bool:
    return {
        "number": lambda v: (
            (isinstance(v, Decimal) and not isinstance(v, bool)) or isinstance(v, Distribution)
        ),
        "string": lambda v: isinstance(v, str),
        "bool": lambda v: isinstance(v, bool),
        "list": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }[type_](value)


def parse_cli_value(text: str, type_: str | None) -> Value:
    if type_ in (None, "number"):
        try:
            number = Decimal(text.strip())
            if number.is_finite():
                return number
        except InvalidOperation:
            pass
        if type_ == "number":
            raise InfercostError.at("Invalid value for variable", f'"{text}" is not a number.')
        return text
    if type_ == "bool":
        if text in ("true", "false"):
            return text == "true"
        raise InfercostError.at("Invalid value for variable", f'"{text}" is not true or false.')
    if type_ == "string":
        return text
    # Lists and objects are written in HCL syntax on the command line.
    from infercost.config.hcl import parse_text

    parsed = parse_text(f"value = {text}", "<command line>")
    return Evaluator(Scope(allow_blocks=False)).evaluate(parsed.body.attributes["value"].expr)


def variable_inputs(pairs: Iterable[str], var_files: Mapping[str, s.File]) -> Inputs:
    """``--var-file`` values first, then ``--var`` (which wins), as Terraform does."""
    values: dict[str, VariableInput] = {}
    for path, parsed in var_files.items():
        for name, attr in parsed.body.attributes.items():
            values[name] = VariableInput(name, expr=attr.expr, origin=f"--var-file {path}")
    for pair in pairs:
        name, eq, text = pair.partition("=")
        name = name.strip()
        if not eq or not name:
            raise InfercostError.at(
                "Invalid --var option",
                f'"{pair}" is not of the form NAME=VALUE.',
            )
        values[name] = VariableInput(name, text=text, origin="--var")
    return Inputs(values)
