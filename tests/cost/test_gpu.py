"""GPU price items (SPEC §18): GPU seconds and cost per unit, by hand."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from infercost.cost.breakdown import compute
from infercost.guard.targets import targets
from infercost.usage.snapshot import read_snapshot
from tests.helpers import CONTEXT, errors_of, load

PRICES = """
    price_sheet "cluster" {
      region "eu" { multiplier = 1.10 }
      gpu "llama-70b-h100" {
        hourly                   = 3.60
        input_tokens_per_second  = 20000
        output_tokens_per_second = 1000
        utilization              = 0.5
      }
      gpu "embedder-l4" {
        hourly                  = 0.72
        input_tokens_per_second = 50000
      }
    }
"""

MAIN = """
    unit "ticket" {}
    workflow "answer" {
      cache_hit_rate = 0.2
      step "embed" {
        uses         = "cluster/embedder-l4"
        input_tokens = 500
        cacheable    = false
      }
      step "draft" {
        uses           = "cluster/llama-70b-h100"
        calls          = between(2, 5)
        input_tokens   = 1800
        output_tokens  = 350
        cached_share   = 0.3
        context_growth = 400
        retry_rate     = 0.05
        share          = 0.5
      }
    }
    feature "support" {
      unit     = unit.ticket
      workflow = workflow.answer
      region   = "eu"
    }
    variable "reserved_gpu_hours" { default = 3 }
"""


def _breakdown(tmp_path: Path, main: str = MAIN):
    stack = load({"prices.hcl": PRICES, "main.hcl": main})
    path = tmp_path / "usage.csv"
    path.write_text("feature,units\nsupport,10000\n", encoding="utf-8")
    return stack, compute(stack, read_snapshot(path))


def test_gpu_cost_per_unit_by_hand(tmp_path: Path) -> None:
    _stack, b = _breakdown(tmp_path)
    embed, draft = b.features["support"].steps
    # draft: E[C] = 3.5, E[C(C-1)] = 10 for between(2, 5)
    t_in = D("3.5") * 1800 + D(400) * 10 / 2  # 8300 input tokens per run
    t_out = D("3.5") * 350  # 1225
    assert (t_in, t_out) == (D(8300), D(1225))
    # cached tokens need no prefill: (0.7·8300/20000 + 1225/1000) / 0.5 = 3.031 s a run
    seconds = (D("0.7") * t_in / 20000 + t_out / 1000) / D("0.5")
    assert seconds == D("3.031")
    factor = D("0.5") * D("1.05") * D("0.8")  # share · (1 + retries) · (1 − cache hits)
    assert draft.gpu_seconds_per_unit == seconds * factor == D("1.27302")
    # 3.031 s at 3.60 an hour = 0.003031 a run; eu pays 10 % more
    assert draft.cost_per_unit == D("1.1") * D("0.003031") * factor == D("0.001400322")
    # embed: no output throughput, not cacheable: 500/50000 s at 0.72 an hour
    assert embed.gpu_seconds_per_unit == D("0.01")
    assert embed.cost_per_unit == D("1.1") * D("0.01") * D("0.72") / 3600 == D("0.0000022")
    f = b.features["support"]
    assert f.gpu_seconds_per_unit == D("1.28302")
    assert f.cost_per_unit == D("0.001402522")
    # 10,000 tickets: GPU-hours per item and in total
    with_ctx = CONTEXT
    assert b.totals.gpu_hours_by_item == {
        "cluster/embedder-l4": with_ctx.divide(D(100), D(3600)),
        "cluster/llama-70b-h100": with_ctx.divide(D("12730.2"), D(3600)),
    }
    assert b.totals.gpu_hours == with_ctx.divide(D(100), D(3600)) + with_ctx.divide(
        D("12730.2"), D(3600)
    )


def test_gpu_targets_and_growth(tmp_path: Path) -> None:
    # Growth on every call after the first moves T_in, hence prefill time: g = 800
    # gives T_in = 6300 + 800·10/2 = 10300 and (0.7·10300/20000 + 1.225)/0.5 = 3.171 s.
    main = MAIN.replace("context_growth = 400", "context_growth = 800")
    stack, b = _breakdown(tmp_path, main)
    draft = b.features["support"].steps[1]
    assert draft.gpu_seconds_per_unit == D("3.171") * D("0.42")
    (stack_target,) = targets("stack", stack, b, None, None)
    assert stack_target.attributes["reserved_gpu_hours"] == D(3)
    assert stack_target.attributes["gpu_hours"] == b.totals.gpu_hours
    steps = {t.address: t.attributes for t in targets("step", stack, b, None, None)}
    assert steps["workflow.answer.step.draft"]["kind"] == "gpu"
    assert steps["workflow.answer.step.draft"]["gpu_seconds_per_unit"] == D("3.171") * D("0.42")
    features = {t.address: t.attributes for t in targets("feature", stack, b, None, None)}
    assert features["feature.support"]["gpu_seconds_per_unit"] == D("3.171") * D("0.42") + D("0.01")


def test_gpu_hours_zero_without_gpus(tmp_path: Path) -> None:
    stack = load(
        {
            "main.hcl": """
            price_sheet "m" {
              meter "call" { price = 1 }
            }
            unit "u" {}
            workflow "w" {
              step "s" { uses = "m/call" }
            }
            feature "f" {
              unit     = unit.u
              workflow = workflow.w
            }
            """
        }
    )
    path = tmp_path / "usage.csv"
    path.write_text("feature,units\nf,5\n", encoding="utf-8")
    b = compute(stack, read_snapshot(path))
    assert b.totals.gpu_hours == 0 and b.totals.gpu_hours_by_item == {}
    assert b.features["f"].gpu_seconds_per_unit is None
    assert b.features["f"].steps[0].gpu_seconds_per_unit is None


def _error(prices: str, main: str = MAIN) -> tuple[str, str, int, int]:
    d = errors_of({"prices.hcl": prices, "main.hcl": main})[0]  # steps using it fail too
    assert d.range is not None
    return d.detail, d.range.filename, d.range.start.line, d.range.start.column


def test_bad_gpu_items() -> None:
    assert _error(PRICES.replace("utilization              = 0.5", "utilization = 1.5")) == (
        '"utilization" is the share of paid GPU time doing useful work: it must be greater '
        "than 0 and at most 1, but it is 1.5.",
        "prices.hcl",
        7,
        19,
    )
    assert _error(PRICES.replace("utilization              = 0.5", "utilization = 0"))[0] == (
        '"utilization" is the share of paid GPU time doing useful work: it must be greater '
        "than 0 and at most 1, but it is 0."
    )
    # A value of 401 digits is not printed whole, as for every other bound.
    assert _error(PRICES.replace("utilization              = 0.5", "utilization = 1e400"))[0] == (
        '"utilization" is the share of paid GPU time doing useful work: it must be greater '
        "than 0 and at most 1, but it is far beyond that."
    )
    assert _error(PRICES.replace("= 20000", "= 0")) == (
        '"input_tokens_per_second" must be greater than 0, but it is 0.',
        "prices.hcl",
        5,
        32,
    )
    assert _error(PRICES.replace("= 1000\n", "= -5\n"))[0] == (
        '"output_tokens_per_second" must be greater than 0, but it is -5.'
    )
    assert _error(PRICES.replace("= 3.60", "= -1"))[0] == (
        'The price "hourly" must be at least 0, but it is -1.'
    )


def test_attributes_a_gpu_item_cannot_use() -> None:
    main = MAIN.replace("input_tokens = 500\n", "input_tokens = 500\n        output_tokens = 10\n")
    assert _error(PRICES, main) == (
        '"cluster/embedder-l4" is a gpu item without "output_tokens_per_second" (it serves no '
        'output tokens), so its steps cannot have "output_tokens".',
        "main.hcl",
        7,
        5,
    )
    main = MAIN.replace("input_tokens = 500\n", "input_tokens = 500\n        quantity = 2\n")
    assert _error(PRICES, main) == (
        '"quantity" applies to meter steps, but "cluster/embedder-l4" is a gpu.',
        "main.hcl",
        7,
        5,
    )


def test_insight_models_gpu_steps(tmp_path: Path) -> None:
    from infercost.insight.inputs import cost_model, describes
    from infercost.insight.simulate import simulate_units, unit_moments

    stack, b = _breakdown(tmp_path)
    feature = stack.features["support"]
    model = cost_model(stack, feature)
    assert describes(model, b.features["support"].cost_per_unit)
    # the hourly price enters linearly: its elasticity is the item's share of the cost
    slopes = model.polynomial.slopes()
    share = CONTEXT.divide(D("0.001400322"), D("0.001402522"))
    assert abs(slopes["cluster/llama-70b-h100.hourly"] / model.cost_per_unit - share) < D("1e-20")
    mean, _ = unit_moments(stack, feature)
    assert abs(mean - b.features["support"].cost_per_unit) < D("1e-24")
    samples = simulate_units(stack, feature, 2000, 7)
    assert len(samples) == 2000 and float(samples.min()) > 0


def test_gpu_cost_takes_discount_region_and_exchange_rate(tmp_path: Path) -> None:
    # SPEC §18/§13: GPU time is priced, then discount, region multiplier, exchange rate.
    prices = PRICES.replace(
        'price_sheet "cluster" {\n',
        'price_sheet "cluster" {\n      currency = "EUR"\n      discount = 0.25\n',
    )
    main = MAIN + "\n    infercost {\n      exchange_rates = { EUR = 1.08 }\n    }\n"
    stack = load({"prices.hcl": prices, "main.hcl": main})
    path = tmp_path / "usage.csv"
    path.write_text("feature,units\nsupport,10000\n", encoding="utf-8")
    embed, draft = compute(stack, read_snapshot(path)).features["support"].steps
    factor = D("0.5") * D("1.05") * D("0.8")
    # 0.003031 EUR a run, 25 % off, eu pays 10 % more, 1.08 USD per EUR
    assert draft.cost_per_unit == D("0.003031") * D("0.75") * D("1.1") * D("1.08") * factor
    assert draft.cost_per_unit == D("0.0011342608200")
    assert embed.cost_per_unit == D("0.000002") * D("0.75") * D("1.1") * D("1.08")
    # the fleet's load does not depend on what an hour costs
    assert draft.gpu_seconds_per_unit == D("1.27302")


def test_token_billing_attributes_do_not_fit_a_gpu_item() -> None:
    for attr in ("cache_write_share = 0.1", 'processing = "batch"'):
        main = MAIN.replace("cached_share   = 0.3\n", f"cached_share   = 0.3\n        {attr}\n")
        detail, filename, line, _ = _error(PRICES, main)
        name = attr.split(" ")[0]
        assert detail == (
            f'"{name}" applies to model steps, but "cluster/llama-70b-h100" is a gpu.'
        )
        assert (filename, line) == ("main.hcl", 15)  # the attribute's own line


def test_a_throughput_too_small_to_price_is_refused_at_its_attribute() -> None:
    """A million tokens must take under 1e18 GPU-seconds and cost under 1e18, or no view
    could show the step's figures: ``validate`` says so where the throughput is written."""
    slow = PRICES.replace("= 20000", "= 0.0000000000001")
    assert _error(slow) == (
        "At 0.0000000000001 input tokens per second and a utilization of 0.5, a million "
        "input tokens would take about 2.000e+19 GPU-seconds and cost about 2.000e+16: "
        "beyond what infercost shows (figures must stay below 1e18 in size).",
        "prices.hcl",
        5,
        32,
    )
    # The throughput alone would do: the utilization is what makes it too slow.
    idle = PRICES.replace("utilization              = 0.5", "utilization              = 1e-20")
    detail, *where = _error(idle)
    assert detail.startswith("At 20000 input tokens per second and a utilization of 0.000000")
    assert where == ["prices.hcl", 7, 32]
    # Costly rather than slow: 20,000 seconds at 9e17 an hour is 5e18.
    dear = PRICES.replace("0.72", "900000000000000000").replace("= 50000", "= 50")
    assert "and cost about 5.000e+18: beyond" in _error(dear)[0]
    # The bound itself: exactly 1e18 GPU-seconds is refused, a little less is not.
    at_bound = PRICES.replace("= 20000", "= 0.000000000002")
    assert "about 1.000e+18 GPU-seconds" in _error(at_bound)[0]
    load({"prices.hcl": PRICES.replace("= 20000", "= 0.0000000000020001"), "main.hcl": MAIN})
