"""Parsed files -> the evaluated :class:`~infercost.model.Stack`, with semantic checks.

Structure has already been checked against the schema; here every attribute is
evaluated and checked for type and range, references are resolved, and defaults are
filled. Problems are collected block by block so that one run reports them all, each
located at the attribute that caused it.

The work is split by what it reads: :mod:`~infercost.config.attributes` (typed
attribute readers), :mod:`~infercost.config.inputs` and :mod:`~infercost.config.variables`
(variables, their inputs and locals), :mod:`~infercost.config.guardrails` (guardrails and
policy files) and :mod:`~infercost.config.blocks` (every other block). This module
runs them in order.
"""

from __future__ import annotations

from collections.abc import Iterable

from infercost.arithmetic import exact
from infercost.config import syntax as s
from infercost.config.attributes import nowhere, where
from infercost.config.blocks import BlockBuilder
from infercost.config.guardrails import compile_guardrail, compile_policy
from infercost.config.inputs import Inputs, VariableInput, variable_inputs
from infercost.config.records import RecordsBuilder
from infercost.config.variables import VariableReader
from infercost.errors import Diagnostic
from infercost.evaluate.evaluator import Evaluator, Scope
from infercost.model import Settings, Stack

__all__ = [
    "Inputs",
    "VariableInput",
    "compile_guardrail",
    "compile_policy",
    "compile_stack",
    "variable_inputs",
]


def compile_stack(
    files: Iterable[s.File], inputs: Inputs | None = None, directory: str = "."
) -> Stack:
    with exact():
        return _Compiler(list(files), inputs or Inputs(), directory).compile()


class _Compiler(VariableReader, BlockBuilder, RecordsBuilder):
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
        settings = self.errors.run(self._settings) or Settings(range=nowhere(self.files))
        sheets = self._each("price_sheet", self._price_sheet, settings)
        self.sheets = sheets
        units = self._each("unit", self._unit)
        workflows = self._each("workflow", self._workflow)
        features = self._each("feature", self._feature)
        self.features = features
        subscriptions = self._each("subscription", self._subscription)
        guardrails = self._each("guardrail", self._guardrail)
        waivers = self._each("waiver", self._waiver)
        records = self._each("records", self._records)
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
            records=records,
            directory=self.directory,
            locals=dict(self.scope.local_values),
        )

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
                        f"{where(blocks[0].type_range)}.",
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
                            f"{block.header} was already declared in {where(first.type_range)}.",
                            block.label_ranges[0] if block.label_ranges else block.type_range,
                        )
                    )
                else:
                    seen[key] = block
