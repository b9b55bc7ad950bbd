"""Every configurable object of a stack by address, with its effective configuration.

Addresses follow SPEC §11: ``feature.F``, ``workflow.W``, ``workflow.W.step.S``,
``price_sheet.P``, ``price_sheet.P.model.M``, ``price_sheet.P.meter.M``,
``price_sheet.P.region.R``, ``subscription.S``, ``unit.U``, ``variable.V``,
``guardrail.G``, ``waiver.W``, ``shared_cost.C`` (SPEC §18) and ``infercost``.
"""

from __future__ import annotations

from typing import Any

from infercost.model import Stack


def configuration(stack: Stack | None) -> dict[str, dict[str, Any]]:
    if stack is None:
        return {}
    out: dict[str, dict[str, Any]] = {"infercost": stack.settings.config()}
    for name, v in stack.variables.items():
        out[f"variable.{name}"] = v.config()
    for name, sheet in stack.price_sheets.items():
        out[f"price_sheet.{name}"] = sheet.config()
        for region in sheet.regions.values():
            out[f"price_sheet.{name}.region.{region.name}"] = {"multiplier": region.multiplier}
        for item in sheet.items.values():
            out[f"price_sheet.{name}.{item.kind}.{item.name}"] = item.config()
    for name, unit in stack.units.items():
        out[f"unit.{name}"] = unit.config()
    for name, workflow in stack.workflows.items():
        out[f"workflow.{name}"] = workflow.config()
        for step in workflow.steps:
            out[step.address] = step.config()
    for name, feature in stack.features.items():
        out[f"feature.{name}"] = feature.config()
    for name, sub in stack.subscriptions.items():
        out[f"subscription.{name}"] = sub.config()
    for name, shared in stack.shared_costs.items():
        out[f"shared_cost.{name}"] = shared.config()
    for name, guardrail in stack.guardrails.items():
        out[f"guardrail.{name}"] = guardrail.config()
    for name, waiver in stack.waivers.items():
        out[f"waiver.{name}"] = waiver.config()
    return out


def feature_addresses(stack: Stack | None, feature: str) -> set[str]:
    """The addresses whose change can move a feature's figures."""
    if stack is None or feature not in stack.features:
        return set()
    f = stack.features[feature]
    out = {f"feature.{feature}", f"unit.{f.unit}", "infercost"}
    workflow = stack.workflows.get(f.workflow)
    if workflow is not None:
        out.add(f"workflow.{workflow.name}")
        for step in workflow.steps:
            out.add(step.address)
            sheet, _, item = step.uses.partition("/")
            out.add(f"price_sheet.{sheet}")
            if step.item is not None:
                out.add(f"price_sheet.{sheet}.{step.item.kind}.{item}")
            if f.region:
                out.add(f"price_sheet.{sheet}.region.{f.region}")
    for name, sub in stack.subscriptions.items():
        if feature in sub.features:
            out.add(f"subscription.{name}")
    for name, shared in stack.shared_costs.items():
        if feature in shared.features:
            out.add(f"shared_cost.{name}")
    return out
