"""Builders of what vendors bill (SPEC §13): model prices with cache writes, per-call
fees, batch prices and long-context tiers; a sheet's discount, currency and exchange
rate; and the step attributes that choose among them (``cache_write_share``,
``processing``).

No price is ever relabelled: a sheet in another currency than the stack's is converted
with a rate the stack states, and a missing rate is an error, never a silent 1.
"""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, Decimal

from infercost.arithmetic import ONE, ZERO
from infercost.config import syntax as s
from infercost.config.attributes import AttributeReader
from infercost.errors import InfercostError, did_you_mean
from infercost.evaluate.values import a_type, display, upper_of
from infercost.model import LongContext, ModelPrice, Settings, TokenPrices

PROCESSING = ("standard", "batch")
SOURCE_PATTERN = re.compile(r"^(genai-prices|litellm):[^/\s]+/\S+$")
CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")


class PriceBuilder(AttributeReader):
    """Reads the price attributes of sheets, models and steps."""

    # -- settings and sheets ------------------------------------------------------------
    def _exchange_rates(self, block: s.Block, currency: str) -> dict[str, Decimal]:
        attr = block.body.attributes.get("exchange_rates")
        if attr is None:
            return {}
        value = self.eval(attr, block)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(
                "Incorrect attribute value type",
                '"exchange_rates" must be an object like { EUR = 1.08 }: units of the stack\'s '
                f"currency per one unit of another, but it is {a_type(value)}.",
                attr.expr.range,
                block,
            )
        key_ranges = (
            {i.key: i.key_range for i in attr.expr.items}
            if isinstance(attr.expr, s.ObjectExpr)
            else {}
        )
        rates: dict[str, Decimal] = {}
        for code, rate in value.items():
            rng = key_ranges.get(code, attr.expr.range)
            if not CURRENCY_PATTERN.fullmatch(code):
                raise self.fail(
                    "Invalid currency",
                    f'"{code}" is not an ISO 4217 currency code like "EUR".',
                    rng,
                    block,
                )
            if code == currency:
                raise self.fail(
                    "Invalid exchange rate",
                    f"{code} is the stack's own currency; its rate is 1 by definition, so it "
                    "must not be listed.",
                    rng,
                    block,
                )
            if isinstance(rate, bool) or not isinstance(rate, Decimal) or rate <= 0:
                raise self.fail(
                    "Value out of range",
                    f"The exchange rate of {code} must be a number greater than 0, but it is "
                    f"{display(rate)}.",
                    rng,
                    block,
                )
            rates[code] = rate
        return dict(sorted(rates.items()))

    def _sheet_currency(self, block: s.Block, settings: Settings) -> tuple[str, Decimal]:
        """The sheet's currency (USD when not set) and its rate into the stack's."""
        currency = self.string(block, "currency", "USD") or "USD"
        attr = block.body.attributes.get("currency")
        rng = attr.expr.range if attr else block.label_ranges[0]
        if not CURRENCY_PATTERN.fullmatch(currency):
            raise self.fail(
                "Invalid currency",
                f'"{currency}" is not an ISO 4217 currency code like "USD".',
                rng,
                block,
            )
        if currency == settings.currency:
            return currency, ONE
        rate = settings.exchange_rates.get(currency)
        if rate is None:
            implicit = "" if attr else " (a sheet without currency is in USD)"
            raise self.fail(
                "Missing exchange rate",
                f'price_sheet "{block.name}" is in {currency}{implicit}, but the stack uses '
                f"{settings.currency}; set infercost {{ exchange_rates = {{ {currency} = ... }} "
                f"}} (units of {settings.currency} per one {currency}).",
                rng,
                block,
            )
        return currency, rate

    def _discount(self, block: s.Block) -> Decimal:
        attr = block.body.attributes.get("discount")
        discount: Decimal = self.number(block, "discount", ZERO)
        if attr is not None and discount >= ONE:
            raise self.fail(
                "Value out of range",
                "The discount must be at least 0 and less than 1 (0.2 is 20 % off), but it is "
                f"{display(discount)}.",
                attr.expr.range,
                block,
            )
        return discount

    # -- model items ------------------------------------------------------------------------
    def _model(self, sheet: s.Block, block: s.Block) -> ModelPrice:
        prices = self._token_prices(block)
        batches = block.body.blocks_of("batch")
        batch = self._token_prices(batches[0]) if batches else None
        source = self.string(block, "source")
        if source is not None and not SOURCE_PATTERN.match(source):
            raise self.fail(
                "Invalid price source",
                f'source must look like "genai-prices:PROVIDER/MODEL" (or '
                f'"litellm:PROVIDER/MODEL"), but it is "{source}".',
                block.body.attributes["source"].expr.range,
                block,
            )
        return ModelPrice(
            range=block.range,
            ranges=self.ranges(block),
            sheet=sheet.name,
            name=block.name,
            input_per_mtok=prices.input_per_mtok,
            cached_input_per_mtok=prices.cached_input_per_mtok,
            cache_write_per_mtok=prices.cache_write_per_mtok,
            output_per_mtok=prices.output_per_mtok,
            long_context=prices.long_context,
            per_call=self.number(block, "per_call", ZERO, money=True, what='the price "per_call"'),
            batch=batch,
            source=source,
            description=self.string(block, "description"),
        )

    def _token_prices(self, block: s.Block) -> TokenPrices:
        """A model's or a batch block's prices, with defaults and tiers."""
        price_in = self.number(
            block, "input_per_mtok", money=True, what='the price "input_per_mtok"'
        )
        base = TokenPrices(
            range=block.range,
            ranges=self.ranges(block),
            input_per_mtok=price_in,
            cached_input_per_mtok=self.number(block, "cached_input_per_mtok", price_in, money=True),
            cache_write_per_mtok=self.number(block, "cache_write_per_mtok", price_in, money=True),
            output_per_mtok=self.number(block, "output_per_mtok", ZERO, money=True),
        )
        tiers: dict[Decimal, LongContext] = {}
        for sub in block.body.blocks_of("long_context"):
            tier = self._tier(sub, base)
            if tier.above_input_tokens in tiers:
                first = tiers[tier.above_input_tokens].range.start.line
                raise self.fail(
                    "Duplicate long-context tier",
                    f"A long_context block above {display(tier.above_input_tokens)} input "
                    f"tokens was already declared at line {first}; thresholds must differ.",
                    sub.body.attributes["above_input_tokens"].expr.range,
                    sub,
                )
            tiers[tier.above_input_tokens] = tier
        return TokenPrices(
            range=base.range,
            ranges=base.ranges,
            input_per_mtok=base.input_per_mtok,
            cached_input_per_mtok=base.cached_input_per_mtok,
            cache_write_per_mtok=base.cache_write_per_mtok,
            output_per_mtok=base.output_per_mtok,
            long_context=tuple(tiers[k] for k in sorted(tiers)),
        )

    def _tier(self, block: s.Block, enclosing: TokenPrices) -> LongContext:
        above = self.number(
            block, "above_input_tokens", low=None, above=ZERO, what='"above_input_tokens"'
        )
        return LongContext(
            range=block.range,
            ranges=self.ranges(block),
            above_input_tokens=above,
            input_per_mtok=self.number(
                block, "input_per_mtok", money=True, what='the price "input_per_mtok"'
            ),
            cached_input_per_mtok=self.number(
                block, "cached_input_per_mtok", enclosing.cached_input_per_mtok, money=True
            ),
            cache_write_per_mtok=self.number(
                block, "cache_write_per_mtok", enclosing.cache_write_per_mtok, money=True
            ),
            output_per_mtok=self.number(
                block, "output_per_mtok", enclosing.output_per_mtok, money=True
            ),
        )

    # -- steps ----------------------------------------------------------------------------
    def _step_pricing(
        self, block: s.Block, item: ModelPrice, values: dict[str, object]
    ) -> dict[str, object]:
        """``cache_write_share`` and ``processing`` of a model step, checked against its
        item and the step's other values (already read into ``values``)."""
        write_attr = block.body.attributes.get("cache_write_share")
        write = self.number(block, "cache_write_share", ZERO, low=ZERO, high=ONE)
        cached = values.get("cached_share")
        if write_attr is not None and isinstance(cached, Decimal) and cached + write > ONE:
            raise self.fail(
                "Value out of range",
                "cached_share + cache_write_share must be at most 1 (they are shares of the "
                f"same input tokens), but it is {display(cached + write)} "
                f"({display(cached)} + {display(write)}).",
                write_attr.expr.range,
                block,
            )
        processing = self.string(block, "processing", "standard") or "standard"
        proc_attr = block.body.attributes.get("processing")
        if processing not in PROCESSING:
            assert proc_attr is not None
            raise self.fail(
                "Invalid processing",
                f'processing must be "standard" or "batch", not "{processing}".'
                + did_you_mean(processing, PROCESSING),
                proc_attr.expr.range,
                block,
            )
        if processing == "batch":
            assert proc_attr is not None
            if item.batch is None:
                raise self.fail(
                    "No batch prices",
                    f'"{item.address}" has no batch prices, so a step cannot use processing = '
                    '"batch"; add a batch { ... } block to the model, or remove processing.',
                    proc_attr.expr.range,
                    block,
                )
            self._check_batch_tiers(block, item, values, proc_attr)
        return {"cache_write_share": write, "processing": processing}

    def _check_batch_tiers(
        self, block: s.Block, item: ModelPrice, values: dict[str, object], attr: s.Attribute
    ) -> None:
        """Batch calls that can cross a threshold need the batch block's own tiers."""
        assert item.batch is not None
        if not item.long_context or item.batch.long_context:
            return
        calls, size, growth = (values.get(k) for k in ("calls", "input_tokens", "context_growth"))
        if calls is None or size is None or growth is None:
            return  # reported already
        # A fractional count of calls is its two whole neighbours: the larger is ceil(c).
        most = upper_of(calls).to_integral_value(rounding=ROUND_CEILING)  # type: ignore[arg-type]
        largest = upper_of(size) + upper_of(growth) * max(most - ONE, ZERO)  # type: ignore[arg-type]
        lowest = item.long_context[0].above_input_tokens
        if largest > lowest:
            raise self.fail(
                "Missing batch long-context prices",
                f'"{item.address}" has long-context tiers but its batch block has none, and a '
                f"call of this step can carry {display(largest)} input tokens (above "
                f"{display(lowest)}); add the long_context blocks to the batch block too.",
                attr.expr.range,
                block,
            )


def check_source(text: str) -> tuple[str, str, str]:
    """(source, provider, model) of a ``source`` value already checked by the compiler."""
    origin, _, rest = text.partition(":")
    provider, _, model = rest.partition("/")
    if not provider or not model:  # pragma: no cover - the pattern guarantees both
        raise InfercostError.at("Invalid price source", text)
    return origin, provider, model
