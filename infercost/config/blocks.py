"""Builders of the stack's blocks: settings, price sheets, units, workflows and their
steps, features, subscriptions, guardrails and waivers."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from infercost.arithmetic import ONE, ZERO
from infercost.config import syntax as s
from infercost.config.attributes import Collector, nowhere
from infercost.config.guardrails import check_guardrail_references, compile_guardrail
from infercost.config.pricing import PriceBuilder
from infercost.config.records_setting import build_records_setting
from infercost.config.whole_bill import build_gpu, build_shared_cost, check_gpu_step
from infercost.errors import Diagnostic, InfercostError, did_you_mean, excerpt
from infercost.evaluate.values import Distribution
from infercost.model import (
    Feature,
    GpuPrice,
    Guardrail,
    MeterPrice,
    ModelPrice,
    PriceSheet,
    Region,
    Settings,
    SharedCost,
    Step,
    Subscription,
    Unit,
    Waiver,
    Workflow,
)

MODEL_ONLY = (
    "input_tokens",
    "output_tokens",
    "cached_share",
    "cache_write_share",
    "context_growth",
    "processing",
)
METER_ONLY = ("quantity",)


class BlockBuilder(PriceBuilder):
    """One method per block type; each returns the model object or raises located errors."""

    sheets: dict[str, PriceSheet]
    features: dict[str, Feature]

    def _settings(self) -> Settings:
        blocks = self.top.get("infercost", [])
        if not blocks:
            return Settings(range=nowhere(self.files))
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
            exchange_rates=self._exchange_rates(block, currency),
            records=build_records_setting(self, block),
        )

    def _price_sheet(self, block: s.Block, settings: Settings) -> PriceSheet:
        currency, rate = self._sheet_currency(block, settings)
        discount = self._discount(block)
        regions: dict[str, Region] = {}
        items: dict[str, ModelPrice | MeterPrice | GpuPrice] = {}
        local = Collector()
        for sub in block.body.blocks:
            if sub.type not in ("model", "meter", "gpu"):
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
            build = {"model": self._model, "meter": self._meter, "gpu": self._gpu}[sub.type]
            built = local.run(build, block, sub)
            if built is not None:
                items[sub.name] = built
        local.raise_if_any()
        return PriceSheet(
            range=block.range,
            ranges=self.ranges(block),
            name=block.name,
            currency=currency,
            effective=self.string(block, "effective"),
            description=self.string(block, "description"),
            regions=regions,
            items=items,
            discount=discount,
            exchange_rate=rate,
        )

    def _region(self, block: s.Block) -> Region:
        multiplier = self.number(block, "multiplier", above=ZERO, low=None)
        return Region(
            range=block.range, ranges=self.ranges(block), name=block.name, multiplier=multiplier
        )

    def _meter(self, sheet: s.Block, block: s.Block) -> MeterPrice:
        return MeterPrice(
            range=block.range,
            ranges=self.ranges(block),
            sheet=sheet.name,
            name=block.name,
            price=self.number(block, "price", money=True, what='the price "price"'),
            per=self.number(block, "per", ONE, low=None, above=ZERO),
            unit=self.string(block, "unit"),
            description=self.string(block, "description"),
        )

    def _gpu(self, sheet: s.Block, block: s.Block) -> GpuPrice:
        return build_gpu(self, sheet, block)

    def _shared_cost(self, block: s.Block) -> SharedCost:
        return build_shared_cost(self, block, self.features)

    def _unit(self, block: s.Block) -> Unit:
        return Unit(
            range=block.range,
            ranges=self.ranges(block),
            name=block.name,
            description=self.string(block, "description"),
        )

    def _workflow(self, block: s.Block) -> Workflow:
        local = Collector()
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
        wrong = MODEL_ONLY if item.kind == "meter" else METER_ONLY
        for name in wrong:
            if name in block.body.attributes:
                attr = block.body.attributes[name]
                raise self.fail(
                    "Attribute does not fit the price item",
                    f'"{name}" applies to {"model" if item.kind == "meter" else "meter"} '
                    f'steps, but "{uses}" is a {item.kind}.',
                    attr.name_range,
                    block,
                )
        local = Collector()
        values = {
            "calls": local.run(lambda: self.number(block, "calls", ONE, distribution=True)),
            "share": local.run(lambda: self.number(block, "share", ONE, low=ZERO, high=ONE)),
            "retry_rate": local.run(lambda: self.number(block, "retry_rate", ZERO)),
            "cacheable": local.run(lambda: self.boolean(block, "cacheable", True)),
        }
        if item.kind != "meter":
            for name in ("input_tokens", "output_tokens", "context_growth"):
                values[name] = local.run(
                    lambda n=name: self.number(block, n, ZERO, distribution=True)
                )
            values["cached_share"] = local.run(
                lambda: self.number(block, "cached_share", ZERO, low=ZERO, high=ONE)
            )
            if isinstance(item, ModelPrice):
                values |= local.run(self._step_pricing, block, item, values) or {}
        else:
            values["quantity"] = local.run(
                lambda: self.number(block, "quantity", ONE, distribution=True)
            )
        local.run(lambda: self._growth_needs_a_count(block, values))
        local.raise_if_any()
        step = Step(
            range=block.range,
            ranges=self.ranges(block),
            workflow=workflow.name,
            name=block.name,
            uses=uses or "",
            item=item,
            description=self.string(block, "description"),
            **values,
        )
        check_gpu_step(self, block, step)
        return step

    def _growth_needs_a_count(self, block: s.Block, values: dict[str, Any]) -> None:
        """Context growth counts ordered pairs of calls, E[C·(C−1)]: for a continuous
        ``calls`` that is not a count of calls (it is negative for between(0, 0.5)), so
        the pair is an error (SPEC §15). A constant or a whole-bounded between is a count."""
        calls, growth = values.get("calls"), values.get("context_growth")
        if not isinstance(calls, Distribution) or calls.is_count:
            return
        if growth is None or (not isinstance(growth, Distribution) and growth == ZERO):
            return
        raise self.fail(
            "Invalid use of a distribution",
            f"calls = {excerpt(calls.text)} is continuous, but this step has a context_growth: "
            "growth adds tokens per earlier call, so calls must be a count here (a whole "
            "number, an average like 2.5, between() with whole bounds, or empirical() of "
            "whole numbers).",
            block.body.attributes["calls"].expr.range,
            block,
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
            failed = [b for b in self.top.get("price_sheet", []) if b.name not in self.sheets]
            if region not in known and any(
                r.name == region for b in failed for r in b.body.blocks_of("region")
            ):
                raise InfercostError()  # its sheet failed and was reported already
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
            revenue_per_unit=self.number(block, "revenue_per_unit", ZERO, money=True),
            target_margin=self.number(block, "target_margin", None, high=ONE),
            description=self.string(block, "description"),
        )

    def _subscription(self, block: s.Block) -> Subscription:
        price = self.number(block, "price", money=True, what='the price "price"')
        if price is not None:  # every customer's revenue starts from it, in the engine
            self.at_most_18_decimals(block, "price", price, 'the price "price"', "amount")
        features = self.feature_refs(block, "subscription")
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
        shares = self.fractions(
            block,
            attr,
            value,
            features,
            summary="Invalid revenue share",
            noun="revenue share",
            stranger="one of this subscription's features",
            every="revenue_share must name every feature of the subscription",
        )
        return {f: shares[f] for f in features}

    def _guardrail(self, block: s.Block, source: str = "stack") -> Guardrail:
        guardrail = compile_guardrail(self, block, source)
        check_guardrail_references(self, block, guardrail)
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
            max_shortfall=self.number(block, "max_shortfall", what="max_shortfall"),
        )
