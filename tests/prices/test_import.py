"""``prices import``: the written sheets price calls exactly as genai-prices itself does.

The check is end to end and independent of our mapping: import a model, compile the
HCL, price one call through the cost engine, and compare with genai-prices' own
``calc_price`` for the same usage — standard, batch, and above a long-context
threshold, for a sample of models across providers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from genai_prices import Usage, calc_price

from infercost.cost.unit_cost import workflow_costs
from infercost.prices import genai
from infercost.prices.sheets import render
from tests.helpers import load, run_cli

TODAY = date.today()
SAMPLE = [
    "openai/gpt-4o",
    "openai/gpt-4o-mini",
    "openai/text-embedding-3-small",
    "anthropic/claude-sonnet-4-5",
    "anthropic/claude-haiku-4-5",
    "google/gemini-2.5-pro",
    "google/gemini-2.5-flash",
    "deepseek/deepseek-chat",
    "mistral/mistral-large-latest",
    "x-ai/grok-3",
    "groq/llama-3.3-70b-versatile",
    "cohere/command-r-plus",
]


def step_cost(reference: str, step: str) -> D:
    record = genai.lookup(reference, TODAY)
    sheet = render([record], genai.describe(), TODAY, sheet="p")
    main = f"""
        unit "u" {{}}
        workflow "w" {{
          step "s" {{
            uses = "p/{record.item_label}"
            {step}
          }}
        }}
        """
    stack = load({"prices.hcl": sheet, "main.hcl": main})
    (cost,) = workflow_costs(stack, stack.workflows["w"], None)
    return cost.cost_per_unit


def their_price(reference: str, usage: Usage, batch: bool = False) -> D:
    provider, _, model = reference.partition("/")
    context = {"processing": "batch"} if batch else None
    moment = datetime.combine(TODAY, datetime.min.time(), UTC).replace(hour=12)
    return calc_price(
        usage,
        model,
        provider_id=provider,
        genai_request_timestamp=moment,
        price_context=context,  # type: ignore[arg-type]
    ).total_price


@pytest.mark.parametrize("reference", SAMPLE)
def test_a_plain_call_costs_what_genai_prices_says(reference: str) -> None:
    step = "input_tokens = 12000\noutput_tokens = 800"
    assert step_cost(reference, step) == their_price(
        reference, Usage(input_tokens=12000, output_tokens=800)
    )


@pytest.mark.parametrize(
    "reference",
    [
        "openai/gpt-4o",
        "anthropic/claude-sonnet-4-5",
        "google/gemini-2.5-pro",
        "deepseek/deepseek-chat",
    ],
)
def test_cache_reads_and_writes_cost_what_genai_prices_says(reference: str) -> None:
    # 20,000 input tokens of which 8,000 read from the cache and 4,000 written to it.
    step = "input_tokens = 20000\noutput_tokens = 500\ncached_share = 0.4\ncache_write_share = 0.2"
    usage = Usage(
        input_tokens=20000, cache_read_tokens=8000, cache_write_tokens=4000, output_tokens=500
    )
    assert step_cost(reference, step) == their_price(reference, usage)


@pytest.mark.parametrize(
    "reference", ["openai/gpt-4o", "anthropic/claude-sonnet-4-5", "google/gemini-2.5-pro"]
)
def test_batch_calls_cost_what_genai_prices_says(reference: str) -> None:
    step = 'processing = "batch"\ninput_tokens = 30000\noutput_tokens = 900\ncached_share = 0.5'
    usage = Usage(input_tokens=30000, cache_read_tokens=15000, output_tokens=900)
    assert step_cost(reference, step) == their_price(reference, usage, batch=True)


@pytest.mark.parametrize("reference", ["anthropic/claude-sonnet-4-5", "google/gemini-2.5-pro"])
@pytest.mark.parametrize("batch", [False, True])
def test_long_context_calls_cost_what_genai_prices_says(reference: str, batch: bool) -> None:
    processing = 'processing = "batch"\n' if batch else ""
    step = processing + "input_tokens = 250000\noutput_tokens = 2000\ncached_share = 0.2"
    usage = Usage(input_tokens=250000, cache_read_tokens=50000, output_tokens=2000)
    assert step_cost(reference, step) == their_price(reference, usage, batch)


def test_prices_as_of_a_date_follow_the_data_history() -> None:
    """A model whose price changed on a start date: before and after, as genai-prices."""
    from genai_prices.data import providers
    from genai_prices.types import StartDateConstraint

    found = None
    for provider in providers:
        for model in provider.models:
            if isinstance(model.prices, list) and any(
                isinstance(c.constraint, StartDateConstraint) for c in model.prices
            ):
                found = provider.id, model.id, model.prices
                break
        if found:
            break
    assert found is not None
    provider, model, conditional = found
    start = next(c.constraint.start_date for c in conditional if c.constraint is not None)
    before, after = (
        genai.find(provider, model, date.fromordinal(start.toordinal() - 1)),
        (genai.find(provider, model, start)),
    )
    assert before.prices != after.prices  # the data's price changed on that date
    for when, record in ((start.toordinal() - 1, before), (start.toordinal(), after)):
        moment = datetime.combine(date.fromordinal(when), datetime.min.time(), UTC)
        theirs = calc_price(
            Usage(input_tokens=100_000),  # below any long-context threshold
            model,
            provider_id=provider,
            genai_request_timestamp=moment.replace(hour=12),
        )
        assert record.prices.input_per_mtok / 10 == theirs.total_price


def test_the_cli_writes_a_sheet_that_names_source_and_date(tmp_path: Path) -> None:
    out = tmp_path / "prices.hcl"
    result = run_cli(["prices", "import", "openai/gpt-4o", "--at", "2026-11-15", "--out", str(out)])
    assert result.code == 0, result.stderr
    text = out.read_text()
    version = genai.data_version()
    assert text.startswith(
        f"# Imported with `infercost prices import` from genai-prices {version}, prices as "
        "of 2026-11-15.\n"
    )
    assert 'effective = "2026-11-15"' in text
    assert 'source                = "genai-prices:openai/gpt-4o"' in text
    assert "# not imported: web_searches_kcount = 10" in text
    assert "Warning: Prices not imported" in result.stderr


def test_unknown_models_and_providers_suggest_a_name() -> None:
    result = run_cli(["prices", "import", "openai/gpt-4oo", "antropic/claude-haiku-4-5"])
    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: Unknown model\n\n"
        'genai-prices has no model "gpt-4oo" for provider "openai". Did you mean "gpt-4o"?\n\n'
        "Error: Unknown model\n\n"
        'genai-prices has no provider "antropic". Did you mean "anthropic"?\n\n'
    )


def test_a_bad_date_is_an_error() -> None:
    result = run_cli(["prices", "import", "openai/gpt-4o", "--at", "March"])
    assert result.code == 1
    assert 'Error: Invalid date\n\n--at must be a date like "2026-03-01", not "March".' in (
        result.stderr
    )


def test_the_lookup_cache_gives_the_datas_own_records(tmp_path: Path, monkeypatch) -> None:
    """Records read back from the day's cached index equal those built from the data."""
    monkeypatch.setenv("INFERCOST_CACHE_DIR", str(tmp_path))
    at = date(2026, 11, 1)
    genai._index.cache_clear()
    fresh = {ref: genai.find(*ref.split("/"), at) for ref in SAMPLE}
    assert list(tmp_path.glob("genai-prices-*-2026-11-01.json"))
    genai._index.cache_clear()  # the next lookups read the file
    for ref, record in fresh.items():
        assert genai.find(*ref.split("/"), at) == record
    genai._index.cache_clear()


def test_prices_alone_prints_its_help() -> None:
    result = run_cli(["prices"])
    assert result.code == 0
    assert result.stdout.startswith("Usage: infercost prices [OPTIONS] COMMAND [ARGS]...")
    for command in ("import", "outdated", "update", "history"):
        assert f"  {command} " in result.stdout


def test_a_sheet_name_must_be_a_block_name() -> None:
    result = run_cli(["prices", "import", "openai/gpt-4o", "--sheet", "my sheet"])
    assert result.code == 1
    assert result.stderr == (
        "Error: Invalid sheet name\n\n"
        '--sheet "my sheet" is not a block name: a letter or _ first, then letters, digits, '
        "_ or -.\n\n"
    )
