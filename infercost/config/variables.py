"""Compiling ``variable`` blocks (with their inputs) and ``locals``."""

from __future__ import annotations

from infercost.config import syntax as s
from infercost.config.attributes import AttributeReader, where
from infercost.config.inputs import has_type, parse_cli_value
from infercost.errors import Diagnostic, did_you_mean, excerpt
from infercost.evaluate.evaluator import Evaluator, Scope
from infercost.evaluate.values import display, type_name
from infercost.model import Variable

VARIABLE_TYPES = ("number", "string", "bool", "list", "object")


class VariableReader(AttributeReader):
    """Variables are compiled first, in a scope of constants: everything else reads them."""

    def _variables(self) -> dict[str, Variable]:
        declared = {b.name: b for b in self.top.get("variable", [])}
        if not self.inputs.ignore_undeclared:
            for name, given in self.inputs.values.items():
                if name not in declared:
                    rng = given.expr.range if given.expr else None
                    self.errors.diagnostics.append(
                        Diagnostic(
                            "Undeclared input variable",
                            f'A value was given for "{name}" ({given.origin}), but no variable '
                            f'"{name}" is declared.' + did_you_mean(name, declared),
                            rng,
                        )
                    )
        out: dict[str, Variable] = {}
        constant = Scope(allow_blocks=False)
        for name, block in sorted(declared.items()):
            built = self.errors.run(self._variable, block, constant)
            if built is not None:
                out[name] = built
        return out

    def _variable(self, block: s.Block, constant: Scope) -> Variable:
        type_ = None
        if "type" in block.body.attributes:
            expr = block.body.attributes["type"].expr
            word = expr.name if isinstance(expr, s.Name) else None
            if isinstance(expr, s.Template) and len(expr.parts) == 1:
                word = expr.parts[0] if isinstance(expr.parts[0], str) else None
            if word not in VARIABLE_TYPES:
                raise self.fail(
                    "Invalid variable type",
                    f"type must be one of {', '.join(VARIABLE_TYPES)}."
                    + did_you_mean(str(word or expr.text), VARIABLE_TYPES),
                    expr.range,
                    block,
                )
            type_ = word
        given = self.inputs.values.get(block.name)
        if given is not None:
            if given.expr is not None:
                value = Evaluator(constant).evaluate(given.expr)
                rng = given.expr.range
            else:
                value = parse_cli_value(given.text or "", type_)
                rng = None
            origin = given.origin
        elif "default" in block.body.attributes:
            attr = block.body.attributes["default"]
            value = self.eval(attr, block, constant)
            rng, origin = attr.expr.range, "default"
        else:
            raise self.fail(
                "No value for required variable",
                f'The variable "{block.name}" has no default; set it with '
                f"--var {block.name}=VALUE or --var-file.",
                block.label_ranges[0],
                block,
            )
        if type_ is not None and not has_type(value, type_):
            raise self.fail(
                "Invalid value for variable",
                f"var.{block.name} must be a {type_}, but the {origin} value is a "
                f"{type_name(value)} ({excerpt(display(value))}).",
                rng or block.label_ranges[0],
                block,
            )
        return Variable(
            range=block.range,
            ranges=self.ranges(block),
            name=block.name,
            type=type_,
            value=value,
            description=self._constant_string(block, "description", constant),
        )

    def _constant_string(self, block: s.Block, name: str, constant: Scope) -> str | None:
        attr = block.body.attributes.get(name)
        if attr is None:
            return None
        value = self.eval(attr, block, constant)
        if value is not None and not isinstance(value, str):
            raise self.fail(
                "Incorrect attribute value type",
                f'"{name}" must be a string.',
                attr.expr.range,
                block,
            )
        return value

    def _locals(self) -> dict[str, s.Attribute]:
        out: dict[str, s.Attribute] = {}
        for block in self.top.get("locals", []):
            for name, attr in block.body.attributes.items():
                if name in out:
                    self.errors.diagnostics.append(
                        Diagnostic(
                            "Duplicate local value",
                            f"local.{name} was already defined in {where(out[name].range)}.",
                            attr.name_range,
                        )
                    )
                    continue
                out[name] = attr
        return out
