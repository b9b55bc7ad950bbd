"""Parsed files -> the evaluated :class:`~infercost.model.Stack`, with semantic checks.

Structure has already been checked against the schema; here every attribute is
evaluated and checked for type and range, references are resolved, and defaults are
filled. Problems are collected block by block so that one run reports them all, each
located at the attribute that caused it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from infercost.arithmetic import ONE, ZERO, exact
from infercost.config import syntax as s
from infercost.errors import Diagnostic, InfercostError, SourceRange, did_you_mean
from infercost.evaluate.evaluator import Evaluator, Scope
from infercost.evaluate.values import BlockRef, Distribution, Value, display, type_name
from infercost.model import (
    SCOPES,
    SEVERITIES,
    Feature,
    Guardrail,
    MeterPrice,
    ModelPrice,
    PriceSheet,
    Region,
    Settings,
    Stack,
    Step,
    Subscription,
    Unit,
    Variable,
    Waiver,
    Workflow,
)

RESERVED_GUARDRAILS = ("target_margin",)
VARIABLE_TYPES = ("number", "string", "bool", "list", "object")
DISTRIBUTION_ATTRIBUTES = ("calls", "input_tokens", "output_tokens", "context_growth", "quantity")
MODEL_ONLY = ("input_tokens", "output_tokens", "cached_share", "context_growth")
METER_ONLY = ("quantity",)


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


class _Collector:
    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def run(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except InfercostError as exc:
            self.diagnostics.extend(exc.diagnostics)
            return None

    def raise_if_any(self) -> None:
        if self.diagnostics:
            raise InfercostError(*self.diagnostics)


def compile_stack(
    files: Iterable[s.File], inputs: Inputs | None = None, directory: str = "."
) -> Stack:
    with exact():
        return _Compiler(list(files), inputs or Inputs(), directory).compile()


class _Compiler:
    def __init__(self, files: list[s.File], inputs: Inputs, directory: str) -> None:
        self.files = files
        self.inputs = inputs
        self.directory = directory
        self.errors = _Collector()
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
        what: str = "",
    ) -> Any:
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
                    f'{value.text} cannot be the value of "{name}": a distribution may only '
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
                f'"{name}" must be a number, but it is a {type_name(value)} ({display(value)}).',
                attr.expr.range,
                block,
            )
        self._check_range(value, attr, block, name, low, high, above, what)
        return value

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
                f'"{name}" must be {expected}, but it is a {type_name(value)} ({display(value)}).',
                attr.expr.range,
                block,
            )
        return value

    def string(self, block: s.Block, name: str, default: str | None = None) -> str | None:
        return self._typed(block, name, default, str, "a string")

    def boolean(self, block: s.Block, name: str, default: bool) -> bool:
        return self._typed(block, name, default, bool, "true or false")

    def ref(self, block: s.Block, name: str, kind: str) -> str:
        attr = block.body.attributes[name]
        value = self.eval(attr, block)
        return self._expect_ref(value, kind, attr.expr, block, name)

    def _expect_ref(self, value: Value, kind: str, expr: s.Expr, block: s.Block, name: str) -> str:
        if not isinstance(value, BlockRef) or value.kind != kind:
            got = type_name(value)
            raise self.fail(
                "Incorrect attribute value type",
                f'"{name}" must be a reference like {kind}.NAME, but it is a {got}.',
                expr.range,
                block,
            )
        return value.name

    @staticmethod
    def ranges(block: s.Block) -> dict[str, SourceRange]:
        return {name: attr.range for name, attr in block.body.attributes.items()}

    # -- the stack ------------------------------------------------------------------------
    def compile(self) -> Stack:
        self._check_duplicates()
        self.errors.raise_if_any()
        variables = self._variables()
        self.errors.raise_if_any()
        local_attrs = self._locals()
        self.errors.raise_if_any()
        self.scope = Scope(
            variables={name: v.value for name, v in variables.items()},
            locals=local_attrs,
            blocks={
                kind: {b.name for b in self.top.get(kind, [])}
                for kind in ("unit", "workflow", "feature", "subscription")
            },
        )
        # Evaluate every local once, so a broken local is reported even if unused.
        for name in local_attrs:
            self.errors.run(Evaluator(self.scope).local, name)
        settings = self.errors.run(self._settings) or Settings(range=_nowhere(self.files))
        sheets = self._each("price_sheet", self._price_sheet, settings)
        self.sheets = sheets
        units = self._each("unit", self._unit)
        workflows = self._each("workflow", self._workflow)
        features = self._each("feature", self._feature)
        self.features = features
        subscriptions = self._each("subscription", self._subscription)
        guardrails = self._each("guardrail", self._guardrail)
        waivers = self._each("waiver", self._waiver)
        self.errors.raise_if_any()
        return Stack(
            settings=settings,
            variables=variables,
            price_sheets=sheets,
            units=units,
            workflows=workflows,
            features=features,
            subscriptions=subscriptions,
            guardrails=guardrails,
            waivers=waivers,
            directory=self.directory,
            locals=dict(self.scope.local_values),
        )

    def _each(self, kind: str, build: Any, *extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for block in self.top.get(kind, []):
            built = self.errors.run(build, block, *extra)
            if built is not None:
                out[block.name] = built
        return dict(sorted(out.items()))

    def _check_duplicates(self) -> None:
        seen: dict[tuple[str, str], s.Block] = {}
        for kind, blocks in self.top.items():
            if kind in ("locals",):
                continue
            if kind == "infercost" and len(blocks) > 1:
                self.errors.diagnostics.append(
                    Diagnostic(
                        "Duplicate block",
                        "Only one infercost block is allowed; another was declared in "
                        f"{_where(blocks[0].type_range)}.",
                        blocks[1].type_range,
                    )
                )
                continue
            for block in blocks:
                key = (kind, block.name)
                if key in seen:
                    first = seen[key]
                    self.errors.diagnostics.append(
                        Diagnostic(
                            "Duplicate block",
                            f"{block.header} was already declared in {_where(first.type_range)}.",
                            block.label_ranges[0] if block.label_ranges else block.type_range,
                        )
                    )
                else:
                    seen[key] = block

    # -- variables and locals -------------------------------------------------------------
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
                value = _parse_cli_value(given.text or "", type_)
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
        if type_ is not None and not _has_type(value, type_):
            raise self.fail(
                "Invalid value for variable",
                f"var.{block.name} must be a {type_}, but the {origin} value is a "
                f"{type_name(value)} ({display(value)}).",
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
                            f"local.{name} was already defined in {_where(out[name].range)}.",
                            attr.name_range,
                        )
                    )
                    continue
                out[name] = attr
        return out

    # -- blocks ---------------------------------------------------------------------------
    def _settings(self) -> Settings:
        blocks = self.top.get("infercost", [])
        if not blocks:
            return Settings(range=_nowhere(self.files))
        block = blocks[0]
        policies_attr = block.body.attributes.get("policies")
        policies: tuple[str, ...] = ()
        if policies_attr is not None:
            value = self.eval(policies_attr, block)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise self.fail(
                    "Incorrect attribute value type",
                    '"policies" must be a list of strings (paths or builtin:NAME).',
                    policies_attr.expr.range,
                    block,
                )
            policies = tuple(value)
        currency = self.string(block, "currency", "USD") or "USD"
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise self.fail(
                "Invalid currency",
                f'"{currency}" is not an ISO 4217 currency code like "USD".',
                block.body.attributes["currency"].expr.range,
                block,
            )
        return Settings(
            range=block.range,
            ranges=self.ranges(block),
            currency=currency,
            period=self.string(block, "period", "month") or "month",
            usage=self.string(block, "usage"),
            policies=policies,
        )

    def _price_sheet(self, block: s.Block, settings: Settings) -> PriceSheet:
        currency = self.string(block, "currency", settings.currency)
        if currency != settings.currency:
            raise self.fail(
                "Currency mismatch",
                f'price_sheet "{block.name}" is in {currency}, but the stack uses '
                f"{settings.currency}; every price sheet must use the stack's currency.",
                block.body.attributes["currency"].expr.range,
                block,
            )
        regions: dict[str, Region] = {}
        items: dict[str, ModelPrice | MeterPrice] = {}
        local = _Collector()
        for sub in block.body.blocks:
            if sub.type == "region":
                built = local.run(self._region, sub)
                if built is not None:
                    regions[sub.name] = built
                continue
            if sub.name in items:
                first = items[sub.name]
                local.diagnostics.append(
                    Diagnostic(
                        "Duplicate price item",
                        f'"{sub.name}" is declared both as a {first.kind} (line '
                        f"{first.range.start.line}) and as a {sub.type} in price_sheet "
                        f'"{block.name}".',
                        sub.label_ranges[0],
                        context=block.header,
                    )
                )
                continue
            built = local.run(self._model if sub.type == "model" else self._meter, block, sub)
            if built is not None:
                items[sub.name] = built
        local.raise_if_any()
        return PriceSheet(
            range=block.range,
            ranges=self.ranges(block),
            name=block.name,
            currency=currency or settings.currency,
            effective=self.string(block, "effective"),
            description=self.string(block, "description"),
            regions=regions,
            items=items,
        )

    def _region(self, block: s.Block) -> Region:
        multiplier = self.number(block, "multiplier", above=ZERO, low=None)
        return Region(
            range=block.range, ranges=self.ranges(block), name=block.name, multiplier=multiplier
        )

    def _model(self, sheet: s.Block, block: s.Block) -> ModelPrice:
        price_in = self.number(block, "input_per_mtok", what='the price "input_per_mtok"')
        return ModelPrice(
            range=block.range,
            ranges=self.ranges(block),
            sheet=sheet.name,
            name=block.name,
            input_per_mtok=price_in,
            cached_input_per_mtok=self.number(block, "cached_input_per_mtok", price_in),
            output_per_mtok=self.number(block, "output_per_mtok", ZERO),
            description=self.string(block, "description"),
        )

    def _meter(self, sheet: s.Block, block: s.Block) -> MeterPrice:
        return MeterPrice(
            range=block.range,
            ranges=self.ranges(block),
            sheet=sheet.name,
            name=block.name,
            price=self.number(block, "price", what='the price "price"'),
            per=self.number(block, "per", ONE, low=None, above=ZERO),
            unit=self.string(block, "unit"),
            description=self.string(block, "description"),
        )

    def _unit(self, block: s.Block) -> Unit:
        return Unit(
            range=block.range,
            ranges=self.ranges(block),
            name=block.name,
            description=self.string(block, "description"),
        )

    def _workflow(self, block: s.Block) -> Workflow:
        local = _Collector()
        rate = local.run(lambda: self.number(block, "cache_hit_rate", ZERO, high=ONE))
        steps = []
        for sub in block.body.blocks_of("step"):
            built = local.run(self._step, block, sub)
            if built is not None:
                steps.append(built)
        local.raise_if_any()
        return Workflow(
            range=block.range,
            ranges=self.ranges(block),
            name=block.name,
            cache_hit_rate=rate,
            steps=tuple(steps),
            description=self.string(block, "description"),
        )

    def _step(self, workflow: s.Block, block: s.Block) -> Step:
        uses_attr = block.body.attributes["uses"]
        uses = self.string(block, "uses")
        if not uses:
            raise self.fail(
                "Missing required argument",
                f'The argument "uses" is required in {block.header}; it names the price item '
                'the step is billed by, like "openai/gpt-4o".',
                uses_attr.expr.range,
                block,
            )
        item = self._price_item(uses or "", uses_attr, block)
        wrong = METER_ONLY if item.kind == "model" else MODEL_ONLY
        for name in wrong:
            if name in block.body.attributes:
                attr = block.body.attributes[name]
                raise self.fail(
                    "Attribute does not fit the price item",
                    f'"{name}" applies to {"meter" if item.kind == "model" else "model"} '
                    f'steps, but "{uses}" is a {item.kind}.',
                    attr.name_range,
                    block,
                )
        unit_interval = {"low": ZERO, "high": ONE}
        local = _Collector()
        values = {
            "calls": local.run(lambda: self.number(block, "calls", ONE, distribution=True)),
            "share": local.run(lambda: self.number(block, "share", ONE, **unit_interval)),
            "retry_rate": local.run(lambda: self.number(block, "retry_rate", ZERO)),
            "cacheable": local.run(lambda: self.boolean(block, "cacheable", True)),
        }
        if item.kind == "model":
            for name in ("input_tokens", "output_tokens", "context_growth"):
                values[name] = local.run(
                    lambda n=name: self.number(block, n, ZERO, distribution=True)
                )
            values["cached_share"] = local.run(
                lambda: self.number(block, "cached_share", ZERO, **unit_interval)
            )
        else:
            values["quantity"] = local.run(
                lambda: self.number(block, "quantity", ONE, distribution=True)
            )
        local.raise_if_any()
        return Step(
            range=block.range,
            ranges=self.ranges(block),
            workflow=workflow.name,
            name=block.name,
            uses=uses or "",
            item=item,
            description=self.string(block, "description"),
            **values,
        )

    def _price_item(self, uses: str, attr: s.Attribute, block: s.Block) -> Any:
        sheet_name, slash, item_name = uses.partition("/")
        all_items = [
            f"{sheet}/{item}" for sheet, built in self.sheets.items() for item in built.items
        ]
        if not slash or not sheet_name or not item_name:
            raise self.fail(
                "Invalid price item reference",
                f'"{uses}" is not of the form "SHEET/ITEM" (like "openai/gpt-4o").'
                + did_you_mean(uses, all_items),
                attr.expr.range,
                block,
            )
        sheet = self.sheets.get(sheet_name)
        if sheet is None:
            declared = {b.name for b in self.top.get("price_sheet", [])}
            if sheet_name in declared:  # the sheet itself failed; it was reported already
                raise InfercostError()
            raise self.fail(
                "Reference to undeclared price item",
                f'No price_sheet "{sheet_name}" is declared.' + did_you_mean(uses, all_items),
                attr.expr.range,
                block,
            )
        item = sheet.items.get(item_name)
        if item is None:
            raise self.fail(
                "Reference to undeclared price item",
                f'price_sheet "{sheet_name}" has no model or meter "{item_name}".'
                + did_you_mean(uses, all_items),
                attr.expr.range,
                block,
            )
        return item

    def _feature(self, block: s.Block) -> Feature:
        region = self.string(block, "region")
        if region is not None:
            known = {r for sheet in self.sheets.values() for r in sheet.regions}
            if region not in known:
                raise self.fail(
                    "Unknown region",
                    f'No price sheet declares a region "{region}".' + did_you_mean(region, known),
                    block.body.attributes["region"].expr.range,
                    block,
                )
        return Feature(
            range=block.range,
            ranges=self.ranges(block),
            name=block.name,
            unit=self.ref(block, "unit", "unit"),
            workflow=self.ref(block, "workflow", "workflow"),
            region=region,
            revenue_per_unit=self.number(block, "revenue_per_unit", ZERO),
            target_margin=self.number(block, "target_margin", None, high=ONE),
            description=self.string(block, "description"),
        )

    def _subscription(self, block: s.Block) -> Subscription:
        price = self.number(block, "price", what='the price "price"')
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
                    f"feature.{name} is listed twice in this subscription.",
                    expr.range,
                    block,
                )
            features.append(name)
        shares = self._revenue_share(block, features)
        customers = self.number(block, "customers", None)
        return Subscription(
            range=block.range,
            ranges=self.ranges(block),
            name=block.name,
            price=price,
            features=tuple(features),
            revenue_share=shares,
            customers=customers,
            description=self.string(block, "description"),
        )

    def _revenue_share(self, block: s.Block, features: list[str]) -> dict[str, Decimal]:
        attr = block.body.attributes.get("revenue_share")
        if attr is None:
            # Equal shares; the last takes the remainder so the shares add up to exactly 1.
            each = ONE / len(features)
            shares = {f: each for f in features[:-1]}
            shares[features[-1]] = ONE - each * (len(features) - 1)
            return shares
        value = self.eval(attr, block)
        if not isinstance(value, dict):
            raise self.fail(
                "Incorrect attribute value type",
                '"revenue_share" must be an object like { chat = 0.7, search = 0.3 }.',
                attr.expr.range,
                block,
            )
        key_ranges = (
            {i.key: i.key_range for i in attr.expr.items}
            if isinstance(attr.expr, s.ObjectExpr)
            else {}
        )
        for key, share in value.items():
            rng = key_ranges.get(key, attr.expr.range)
            if key not in features:
                raise self.fail(
                    "Invalid revenue share",
                    f'"{key}" is not one of this subscription\'s features.'
                    + did_you_mean(key, features),
                    rng,
                    block,
                )
            if isinstance(share, bool) or not isinstance(share, Decimal) or not 0 <= share <= 1:
                raise self.fail(
                    "Value out of range",
                    f"The revenue share of {key} must be a number between 0 and 1, but it is "
                    f"{display(share)}.",
                    rng,
                    block,
                )
        missing = [f for f in features if f not in value]
        if missing:
            raise self.fail(
                "Invalid revenue share",
                "revenue_share must name every feature of the subscription; missing: "
                + ", ".join(missing)
                + ".",
                attr.expr.range,
                block,
            )
        total = sum(value.values(), ZERO)
        if total != ONE:
            raise self.fail(
                "Invalid revenue share",
                f"The revenue shares add up to {display(total)}; they must add up to exactly 1.",
                attr.expr.range,
                block,
            )
        return {f: value[f] for f in features}

    def _guardrail(self, block: s.Block, source: str = "stack") -> Guardrail:
        guardrail = compile_guardrail(self, block, source)
        _check_guardrail_references(self, block, guardrail)
        return guardrail

    def _waiver(self, block: s.Block) -> Waiver:
        until_attr = block.body.attributes["until"]
        until_text = self.string(block, "until") or ""
        try:
            until = date.fromisoformat(until_text)
        except ValueError:
            raise self.fail(
                "Invalid date",
                f'until must be a date like "2027-01-31", but it is "{until_text}".',
                until_attr.expr.range,
                block,
            ) from None
        reason = (self.string(block, "reason") or "").strip()
        if not reason:
            raise self.fail(
                "Missing waiver reason",
                "A waiver needs a reason that says why the rule may be broken.",
                block.body.attributes["reason"].expr.range,
                block,
            )
        return Waiver(
            range=block.range,
            ranges=self.ranges(block),
            name=block.name,
            guardrail=self.string(block, "guardrail") or "",
            target=self.string(block, "target") or "",
            reason=reason,
            until=until,
            description=self.string(block, "description"),
        )


def compile_guardrail(compiler: _Compiler, block: s.Block, source: str) -> Guardrail:
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
        compiler = _Compiler(list(files), Inputs(), ".")
        compiler.scope = Scope(allow_blocks=False)
        guardrails = compiler._each("guardrail", lambda b: _policy_guardrail(compiler, b, source))
        compiler.errors.raise_if_any()  # a broken rule in a policy must not vanish silently
        return guardrails


def _policy_guardrail(compiler: _Compiler, block: s.Block, source: str) -> Guardrail:
    """A policy rule; it is checked before any target is judged, so an empty scope too."""
    guardrail = compile_guardrail(compiler, block, source)
    for ref in _guardrail_references(guardrail):
        if ref.target.name != "self":  # type: ignore[attr-defined]
            raise compiler.fail(
                "Invalid reference in a policy",
                f"{ref.text}: policy files are shared across stacks and may refer only to self.",
                ref.range,
                block,
            )
    return guardrail


def _check_guardrail_references(compiler: _Compiler, block: s.Block, g: Guardrail) -> None:
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
                f"{ref.text}: guardrails read self, var.NAME and local.NAME only.",
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


def _has_type(value: Value, type_: str) -> bool:
    return {
        "number": lambda v: (
            (isinstance(v, Decimal) and not isinstance(v, bool)) or isinstance(v, Distribution)
        ),
        "string": lambda v: isinstance(v, str),
        "bool": lambda v: isinstance(v, bool),
        "list": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }[type_](value)


def _parse_cli_value(text: str, type_: str | None) -> Value:
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


def _where(rng: SourceRange) -> str:
    return f"{rng.filename} line {rng.start.line}"


def _nowhere(files: list[s.File]) -> SourceRange:
    name = files[0].path if files else "<stack>"
    return SourceRange.point(name, 1, 1)


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
