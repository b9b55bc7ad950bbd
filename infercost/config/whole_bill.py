"""Builders of the whole bill's blocks (SPEC §18): ``gpu`` price items and ``shared_cost``.

They live apart from :mod:`~infercost.config.blocks` because their checks are their own:
a GPU item is priced by time, not tokens, so its throughputs must be positive and its
utilization a share of paid time; a shared cost's allocation names features and, with
explicit weights, must add up to exactly 1 so no part of the amount is lost.
"""

from __future__ import annotations

from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, localcontext

from infercost.arithmetic import ONE, ZERO
from infercost.config import syntax as s
from infercost.config.attributes import AttributeReader, out_of_bound
from infercost.cost.limits import MAX_FIGURE
from infercost.errors import did_you_mean
from infercost.evaluate.values import Distribution, a_type, display
from infercost.model import Feature, GpuPrice, SharedCost, Step

ALLOCATION_BASES = ("units", "variable_cogs", "revenue")


def build_gpu(reader: AttributeReader, sheet: s.Block, block: s.Block) -> GpuPrice:
    hourly = reader.number(block, "hourly", money=True, what='the price "hourly"')
    prefill = reader.number(block, "input_tokens_per_second", low=None, above=ZERO)
    decode = reader.number(block, "output_tokens_per_second", None, low=None, above=ZERO)
    utilization = reader.number(block, "utilization", ONE, low=None)
    if not ZERO < utilization <= ONE:
        raise reader.fail(
            "Value out of range",
            '"utilization" is the share of paid GPU time doing useful work: it must be '
            f"greater than 0 and at most 1, but it is {out_of_bound(utilization)}.",
            block.body.attributes["utilization"].expr.range,
            block,
        )
    for name, rate in (("input_tokens_per_second", prefill), ("output_tokens_per_second", decode)):
        if rate is not None:
            _check_throughput(reader, block, name, rate, utilization, hourly)
    return GpuPrice(
        range=block.range,
        ranges=reader.ranges(block),
        sheet=sheet.name,
        name=block.name,
        hourly=hourly,
        input_tokens_per_second=prefill,
        output_tokens_per_second=decode,
        utilization=utilization,
        description=reader.string(block, "description"),
    )


# Wide enough that a throughput of 1e-999999 at a utilization as small is still a number.
_UNBOUNDED = Context(prec=28, Emax=MAX_EMAX, Emin=MIN_EMIN)
_MTOK = Decimal(1_000_000)


def _check_throughput(
    reader: AttributeReader,
    block: s.Block,
    name: str,
    rate: Decimal,
    utilization: Decimal,
    hourly: Decimal,
) -> None:
    """Refuse a throughput so small that a million tokens would take, or cost, more than
    any figure infercost shows (1e18): ``validate`` says so at the attribute, rather than
    ``breakdown`` at the first step that uses the item."""
    with localcontext(_UNBOUNDED):
        seconds = _MTOK / (rate * utilization)
        cost = seconds * hourly / 3600
        if seconds < MAX_FIGURE and cost < MAX_FIGURE:
            return
        alone = _MTOK / rate < MAX_FIGURE and _MTOK / rate * hourly / 3600 < MAX_FIGURE
        blamed = "utilization" if alone and "utilization" in block.body.attributes else name
        tokens = name.split("_")[0]
        raise reader.fail(
            "Value out of range",
            f"At {_about(rate)} {tokens} tokens per second and a utilization of "
            f"{_about(utilization)}, a million {tokens} tokens would take about "
            f"{seconds:.3e} GPU-seconds and cost about {cost:.3e}: beyond what infercost "
            "shows (figures must stay below 1e18 in size).",
            block.body.attributes[blamed].expr.range,
            block,
        )


def _about(value: Decimal) -> str:
    return display(value) if -30 <= value.adjusted() <= 30 else f"{value:.3e}"


# Token-billing attributes of a model step (SPEC §13) that a GPU, billed by time, has no use
# for: a cache write costs the same prefill time as any input token, and a GPU has no
# batch price list.
MODEL_PRICING_ONLY = ("cache_write_share", "processing")


def check_gpu_step(reader: AttributeReader, block: s.Block, step: Step) -> None:
    """Token-billing attributes cannot apply to time; and output tokens on an item that
    serves none (no decode throughput) cannot be timed."""
    item = step.item
    if not isinstance(item, GpuPrice):
        return
    for name in MODEL_PRICING_ONLY:
        if name in block.body.attributes:
            raise reader.fail(
                "Attribute does not fit the price item",
                f'"{name}" applies to model steps, but "{step.uses}" is a gpu.',
                block.body.attributes[name].name_range,
                block,
            )
    if item.output_tokens_per_second is not None:
        return
    out = step.output_tokens
    if isinstance(out, Distribution) or out != ZERO:
        attr = block.body.attributes["output_tokens"]
        raise reader.fail(
            "Attribute does not fit the price item",
            f'"{step.uses}" is a gpu item without "output_tokens_per_second" (it serves no '
            'output tokens), so its steps cannot have "output_tokens".',
            attr.name_range,
            block,
        )


def build_shared_cost(
    reader: AttributeReader, block: s.Block, features: dict[str, Feature]
) -> SharedCost:
    amount = reader.number(block, "amount", money=True, what='the amount "amount"')
    # Its parts are kept to 10^-18 and must add up to it exactly (SPEC §18): a finer
    # amount would leave its last digits in one part and cut them from the totals.
    reader.at_most_18_decimals(block, "amount", amount, 'the amount "amount"', "part")
    members = _members(reader, block, features)
    allocate, weights = _allocation(reader, block, members, "features" in block.body.attributes)
    if allocate == "weights":
        members = sorted(weights)
    return SharedCost(
        range=block.range,
        ranges=reader.ranges(block),
        name=block.name,
        amount=amount,
        features=tuple(sorted(members)),
        allocate=allocate,
        weights=weights,
        description=reader.string(block, "description"),
    )


def _members(reader: AttributeReader, block: s.Block, features: dict[str, Feature]) -> list[str]:
    attr = block.body.attributes.get("features")
    if attr is None:
        return sorted(features)
    return reader.feature_refs(block, "shared cost")


def _allocation(
    reader: AttributeReader, block: s.Block, members: list[str], listed: bool
) -> tuple[str, dict[str, Decimal]]:
    attr = block.body.attributes.get("allocate")
    if attr is None:
        return "units", {}
    value = reader.eval(attr, block)
    if isinstance(value, str):
        if value not in ALLOCATION_BASES:
            raise reader.fail(
                "Invalid allocation",
                f"{display(value)} is not an allocation rule; use "
                '"units", "variable_cogs", "revenue" '
                "or weights like { chat = 0.7, search = 0.3 }."
                + did_you_mean(value, ALLOCATION_BASES),
                attr.expr.range,
                block,
            )
        return value, {}
    if not isinstance(value, dict) or not value:
        raise reader.fail(
            "Incorrect attribute value type",
            '"allocate" must be "units", "variable_cogs", "revenue" or weights like '
            f"{{ chat = 0.7, search = 0.3 }}, but it is {a_type(value)}.",
            attr.expr.range,
            block,
        )
    weights = reader.fractions(
        block,
        attr,
        value,
        sorted(members),
        summary="Invalid allocation",
        noun="weight",
        stranger="one of this shared cost's features" if listed else "a declared feature",
        every="The weights must name exactly the features of this shared cost" if listed else None,
    )
    return "weights", {k: weights[k] for k in sorted(weights)}
