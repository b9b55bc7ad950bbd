"""What vendors bill (SPEC §13): cache writes, per-call fees, batch prices, long-context
cliffs, sheet discounts and exchange rates — each against figures worked out by hand."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import pytest

from infercost.cost.unit_cost import workflow_costs
from infercost.model import Stack
from tests.helpers import dec, errors_of, load, where

M = D(1_000_000)

PRICES = """
    price_sheet "anthropic" {
      discount = 0.10
      region "eu" { multiplier = 1.2 }

      model "sonnet" {
        input_per_mtok        = 3.00
        cached_input_per_mtok = 0.30
        cache_write_per_mtok  = 3.75
        output_per_mtok       = 15.00
        per_call              = 0.01

        long_context {
          above_input_tokens = 200000
          input_per_mtok     = 6.00
          output_per_mtok    = 22.50
        }

        batch {
          input_per_mtok  = 1.50
          output_per_mtok = 7.50

          long_context {
            above_input_tokens = 200000
            input_per_mtok     = 3.00
          }
        }
      }
      model "plain" {
        input_per_mtok  = 1.00
        output_per_mtok = 5.00
      }
    }

    price_sheet "mistral" {
      currency = "EUR"
      model "large" {
        input_per_mtok  = 2.00
        output_per_mtok = 6.00
      }
    }
    """

SETTINGS = """
    infercost {
      exchange_rates = { EUR = 1.08 }
    }
    """


def stack_with(step: str, workflow: str = "", region: str = "") -> Stack:
    main = f"""
        unit "ticket" {{}}
        workflow "w" {{
          {workflow}
          step "s" {{
            {step}
          }}
        }}
        feature "f" {{
          unit     = unit.ticket
          workflow = workflow.w
          {region}
        }}
        """
    return load({"prices.hcl": PRICES, "settings.hcl": SETTINGS, "main.hcl": main})


def unit_cost(step: str, region: str | None = None, **kw: str) -> D:
    stack = stack_with(step, region=f'region = "{region}"' if region else "", **kw)
    (cost,) = workflow_costs(stack, stack.workflows["w"], region)
    return cost.cost_per_unit


def test_cache_writes_are_billed_at_their_own_price() -> None:
    step = """
      uses              = "anthropic/sonnet"
      input_tokens      = 10000
      output_tokens     = 500
      cached_share      = 0.6
      cache_write_share = 0.3
    """
    # 10,000 input tokens: 10% uncached at 3.00, 60% read at 0.30, 30% written at 3.75;
    # 500 output at 15.00; a per-call fee of 0.01; then 10% off.
    raw = (
        D(1000) * D("3.00") + D(6000) * D("0.30") + D(3000) * D("3.75") + D(500) * D("15.00")
    ) / M + D("0.01")
    assert raw == D("0.03355")  # (3,000 + 1,800 + 11,250 + 7,500) / 1e6 + 0.01
    assert unit_cost(step) == raw * D("0.9")


def test_per_call_fees_follow_calls_retries_share_and_region() -> None:
    step = """
      uses         = "anthropic/sonnet"
      calls        = between(1, 3)
      input_tokens = 0
      share        = 0.5
      retry_rate   = 0.2
    """
    # E[C] = 2 calls at 0.01, 10% off, eu multiplier 1.2, share 0.5, retries 1.2.
    expected = D(2) * D("0.01") * D("0.9") * D("1.2") * D("0.5") * D("1.2")
    assert unit_cost(step, region="eu") == expected


def test_batch_processing_uses_the_batch_prices() -> None:
    step = """
      uses          = "anthropic/sonnet"
      processing    = "batch"
      input_tokens  = 4000
      output_tokens = 1000
      cached_share  = 0.5
    """
    # Batch block: input 1.50; cached and cache-write prices default to the batch input
    # price (1.50), output 7.50. The per-call fee is the item's (0.01).
    raw = (D(4000) * D("1.50") + D(1000) * D("7.50")) / M + D("0.01")
    assert unit_cost(step) == raw * D("0.9")


def test_a_call_above_the_threshold_is_billed_entirely_at_the_tier() -> None:
    step = """
      uses          = "anthropic/sonnet"
      input_tokens  = 250000
      output_tokens = 1000
    """
    # 250,000 > 200,000: every token at the tier: input 6.00, output 22.50.
    raw = (D(250000) * D("6.00") + D(1000) * D("22.50")) / M + D("0.01")
    assert unit_cost(step) == raw * D("0.9")
    at_threshold = step.replace("250000", "200000")  # not above: base prices
    raw = (D(200000) * D("3.00") + D(1000) * D("15.00")) / M + D("0.01")
    assert unit_cost(at_threshold) == raw * D("0.9")


def test_context_growth_moves_later_calls_over_the_cliff() -> None:
    step = """
      uses           = "anthropic/plain"
      calls          = between(1, 3)
      input_tokens   = 150000
      context_growth = 60000
    """
    # plain has no tier: call k has 150,000 + 60,000·(k−1) tokens, all at 1.00.
    # E[T_in] = E[C]·150,000 + 60,000·E[C(C−1)]/2 = 2·150,000 + 60,000·(0+2+6)/3/2
    assert unit_cost(step) == (D(300000) + D(80000)) / M * D("0.9")
    tiered = step.replace("anthropic/plain", "anthropic/sonnet")
    # sonnet: call 1 (150,000) at 3.00; calls 2 (210,000) and 3 (270,000) above 200,000
    # at 6.00. P(C ≥ 1) = 1, P(C ≥ 2) = 2/3, P(C ≥ 3) = 1/3; per call 0.01 × E[C] = 2.
    expected = (
        Fraction(150000 * 3) + Fraction(2, 3) * 210000 * 6 + Fraction(1, 3) * 270000 * 6
    ) / 1_000_000 + Fraction(2, 100)
    assert unit_cost(tiered) == dec(expected) * D("0.9")


def test_batch_calls_use_the_batch_tiers() -> None:
    step = """
      uses          = "anthropic/sonnet"
      processing    = "batch"
      input_tokens  = 300000
      output_tokens = 100
    """
    # Batch tier: input 3.00, output keeps the batch block's 7.50.
    raw = (D(300000) * D("3.00") + D(100) * D("7.50")) / M + D("0.01")
    assert unit_cost(step) == raw * D("0.9")


def test_a_sheet_in_another_currency_is_converted_at_the_stated_rate() -> None:
    step = """
      uses          = "mistral/large"
      input_tokens  = 1000
      output_tokens = 1000
    """
    # EUR 0.008 per call, at 1.08 USD per EUR.
    assert unit_cost(step) == (D(1000) * 2 + D(1000) * 6) / M * D("1.08")


def test_several_tiers_bill_at_the_highest_threshold_crossed() -> None:
    prices = """
        price_sheet "g" {
          model "m" {
            input_per_mtok = 1
            long_context {
              above_input_tokens = 100
              input_per_mtok     = 2
            }
            long_context {
              above_input_tokens = 200
              input_per_mtok     = 4
            }
          }
        }
        """
    main = """
        unit "u" {}
        workflow "w" {
          step "s" {
            uses         = "g/m"
            input_tokens = between(50, 250)
          }
        }
        feature "f" {
          unit     = unit.u
          workflow = workflow.w
        }
        """
    stack = load({"prices.hcl": prices, "main.hcl": main})
    (cost,) = workflow_costs(stack, stack.workflows["w"], None)
    # 201 equally likely sizes: 50..100 (51 of them) at 1, 101..200 (100) at 2,
    # 201..250 (50) at 4.
    total = sum(range(50, 101)) * 1 + sum(range(101, 201)) * 2 + sum(range(201, 251)) * 4
    assert cost.cost_per_unit == dec(Fraction(total, 201 * 1_000_000))


@pytest.mark.parametrize(
    ("step", "summary", "detail", "line_of"),
    [
        (
            'uses = "anthropic/plain"\n cached_share = 0.6\n cache_write_share = 0.5',
            "Value out of range",
            "cached_share + cache_write_share must be at most 1 (they are shares of the same "
            "input tokens), but it is 1.1 (0.6 + 0.5).",
            "cache_write_share",
        ),
        (
            'uses = "anthropic/plain"\n processing = "batch"',
            "No batch prices",
            '"anthropic/plain" has no batch prices, so a step cannot use processing = "batch"; '
            "add a batch { ... } block to the model, or remove processing.",
            "processing",
        ),
        (
            'uses = "anthropic/plain"\n processing = "bach"',
            "Invalid processing",
            'processing must be "standard" or "batch", not "bach". Did you mean "batch"?',
            "processing",
        ),
    ],
)
def test_bad_step_pricing(step: str, summary: str, detail: str, line_of: str) -> None:
    main = f"""
        unit "u" {{}}
        workflow "w" {{
          step "s" {{
            {step}
          }}
        }}
        """
    (d,) = errors_of({"prices.hcl": PRICES, "settings.hcl": SETTINGS, "main.hcl": main})
    assert (d.summary, d.detail) == (summary, detail)
    lines = main.strip("\n").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if line_of in text)
    assert where(d)[:2] == ("main.hcl", line)


def _sheet_error(sheet: str, settings: str = SETTINGS) -> tuple[str, str, tuple[str, int, int]]:
    (d,) = errors_of({"prices.hcl": sheet, "settings.hcl": settings})
    return d.summary, d.detail, where(d)


def test_a_tier_threshold_must_be_positive() -> None:
    sheet = """
        price_sheet "p" {
          model "m" {
            input_per_mtok = 1
            long_context {
              above_input_tokens = 0
              input_per_mtok     = 2
            }
          }
        }
        """
    assert _sheet_error(sheet) == (
        "Value out of range",
        '"above_input_tokens" must be greater than 0, but it is 0.',
        ("prices.hcl", 5, 28),
    )


@pytest.mark.parametrize("discount", ["1", "-0.1", "1.5"])
def test_a_discount_lies_in_zero_to_one(discount: str) -> None:
    sheet = f"""
        price_sheet "p" {{
          discount = {discount}
          model "m" {{ input_per_mtok = 1 }}
        }}
        """
    summary, detail, at = _sheet_error(sheet)
    assert summary == "Value out of range"
    if discount.startswith("-"):
        assert detail == '"discount" must be at least 0, but it is -0.1.'
    else:
        assert detail == (
            "The discount must be at least 0 and less than 1 (0.2 is 20 % off), but it is "
            f"{discount}."
        )
    assert at == ("prices.hcl", 2, 14)


def test_a_sheet_currency_without_a_rate() -> None:
    sheet = 'price_sheet "p" {\n  currency = "GBP"\n  model "m" { input_per_mtok = 1 }\n}\n'
    assert _sheet_error(sheet) == (
        "Missing exchange rate",
        'price_sheet "p" is in GBP, but the stack uses USD; set infercost { exchange_rates = '
        "{ GBP = ... } } (units of USD per one GBP).",
        ("prices.hcl", 2, 14),
    )


@pytest.mark.parametrize(
    ("rates", "detail"),
    [
        ("{ EUR = 0 }", "The exchange rate of EUR must be a number greater than 0, but it is 0."),
        (
            "{ EUR = -1.08 }",
            "The exchange rate of EUR must be a number greater than 0, but it is -1.08.",
        ),
        (
            "{ USD = 1 }",
            "USD is the stack's own currency; its rate is 1 by definition, so it must not be "
            "listed.",
        ),
    ],
)
def test_bad_exchange_rates(rates: str, detail: str) -> None:
    settings = f"infercost {{\n  exchange_rates = {rates}\n}}\n"
    (d,) = errors_of({"settings.hcl": settings, "prices.hcl": 'price_sheet "p" {}\n'})
    assert d.detail == detail
    assert where(d) == ("settings.hcl", 2, 22)


def test_continuous_calls_with_growth_cannot_be_priced_call_by_call() -> None:
    main = """
        unit "u" {}
        workflow "w" {
          step "s" {
            uses           = "anthropic/sonnet"
            calls          = between(1.5, 3.5)
            input_tokens   = 1000
            context_growth = 500
          }
        }
        """
    # The general rule (SPEC §15) already refuses it, once, at calls: a cliff priced call
    # by call needs the k-th call to exist.
    (d,) = errors_of({"prices.hcl": PRICES, "settings.hcl": SETTINGS, "main.hcl": main})
    assert d.summary == "Invalid use of a distribution"
    assert d.detail.startswith("calls = between(1.5, 3.5) is continuous, but this step has")
    assert where(d) == ("main.hcl", 5, 22)


def test_steps_report_the_share_of_calls_over_the_cliff() -> None:
    from infercost.cost.unit_cost import step_metrics

    step = """
      uses           = "anthropic/sonnet"
      calls          = between(1, 3)
      input_tokens   = 150000
      context_growth = 60000
    """
    stack = stack_with(step)
    (cost,) = workflow_costs(stack, stack.workflows["w"], None)
    metrics = step_metrics(cost.step, cost, cost.cost_per_unit)
    # Calls 2 (210,000) and 3 (270,000) exceed 200,000: P(C≥2) + P(C≥3) = 2/3 + 1/3 = 1
    # of E[C] = 2 calls.
    assert metrics["long_context_share"] == D("0.5")
    plain = stack_with(step.replace("anthropic/sonnet", "anthropic/plain"))
    (cost,) = workflow_costs(plain, plain.workflows["w"], None)
    assert step_metrics(cost.step, cost, cost.cost_per_unit)["long_context_share"] is None


def test_drivers_and_percentiles_know_every_new_price_term() -> None:
    """The insight layer's polynomial, exact moments and simulation price cache writes,
    per-call fees, batch prices, the discount and the exchange rate as the engine does."""
    import math

    from infercost.insight.inputs import cost_model, describes
    from infercost.insight.simulate import simulate_units, unit_moments

    main = """
        unit "u" {}
        workflow "w" {
          cache_hit_rate = 0.2
          step "draft" {
            uses              = "anthropic/plain"
            calls             = between(1, 3)
            input_tokens      = between(1000, 2000)
            output_tokens     = 300
            context_growth    = 100
          }
          step "write" {
            uses              = "anthropic/sonnet"
            processing        = "batch"
            input_tokens      = 5000
            output_tokens     = between(100, 200)
            cached_share      = 0.5
            cache_write_share = 0.25
            retry_rate        = 0.1
          }
          step "eu" {
            uses          = "mistral/large"
            input_tokens  = 800
            output_tokens = 100
            share         = 0.5
          }
        }
        feature "f" {
          unit     = unit.u
          workflow = workflow.w
          region   = "eu"
        }
        """
    stack = load({"prices.hcl": PRICES, "settings.hcl": SETTINGS, "main.hcl": main})
    feature = stack.features["f"]
    engine = sum((c.cost_per_unit for c in workflow_costs(stack, stack.workflows["w"], "eu")), D(0))
    model = cost_model(stack, feature)
    assert describes(model, engine)
    assert "anthropic/sonnet.batch.input_per_mtok" in model.inputs
    assert "write.cache_write_share" in model.inputs
    assert "anthropic/sonnet.per_call" in model.inputs
    mean, variance = unit_moments(stack, feature)
    assert abs(mean - engine) <= engine * D("1e-24")
    draws = simulate_units(stack, feature, 200_000, 7)
    se = float(draws.std(ddof=1)) / math.sqrt(draws.size)
    assert abs(float(draws.mean()) - float(engine)) <= 4 * se
    assert math.isclose(float(draws.var()), float(variance), rel_tol=0.05)
