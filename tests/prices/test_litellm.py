"""A LiteLLM ``model_prices_and_context_window.json`` file read as price records."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest

from infercost.errors import InfercostError
from infercost.prices import litellm
from infercost.prices.record import Tier
from tests.helpers import run_cli, where

SAMPLE = {
    "sample_spec": {"input_cost_per_token": 0.0, "mode": "one of: chat, embedding"},
    "gpt-4o": {
        "litellm_provider": "openai",
        "mode": "chat",
        "max_input_tokens": 128000,
        "input_cost_per_token": 2.5e-06,
        "output_cost_per_token": 1e-05,
        "cache_read_input_token_cost": 1.25e-06,
        "input_cost_per_token_batches": 1.25e-06,
        "output_cost_per_token_batches": 5e-06,
        "supports_vision": True,
        "search_context_cost_per_query": {"search_context_size_low": 0.03},
    },
    "gemini/gemini-2.5-pro": {
        "litellm_provider": "gemini",
        "mode": "chat",
        "input_cost_per_token": 1.25e-06,
        "input_cost_per_token_above_200k_tokens": 2.5e-06,
        "output_cost_per_token": 1e-05,
        "output_cost_per_token_above_200k_tokens": 1.5e-05,
        "cache_read_input_token_cost": 1.25e-07,
        "input_cost_per_audio_token": 1e-06,
    },
    "dall-e-3": {
        "litellm_provider": "openai",
        "mode": "image_generation",
        "output_cost_per_image": 0.04,
    },
}


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "model_prices_and_context_window.json"
    path.write_text(json.dumps(SAMPLE, indent=4), encoding="utf-8")
    return path


def test_prices_per_token_become_exact_prices_per_million(sample: Path) -> None:
    data = litellm.read(sample, "prices.json")
    record = litellm.find(data, "openai", "gpt-4o")
    assert record.flat() == {
        "input_per_mtok": D("2.5"),
        "cached_input_per_mtok": D("1.25"),
        "cache_write_per_mtok": D("2.5"),  # not stated: the input price
        "output_per_mtok": D(10),
        "batch.input_per_mtok": D("1.25"),
        # LiteLLM states no batch cache price: the standard one is kept, written out.
        "batch.cached_input_per_mtok": D("1.25"),
        "batch.cache_write_per_mtok": D("2.5"),
        "batch.output_per_mtok": D(5),
    }
    # Unknown price fields are reported by name, never mapped by guess.
    assert record.not_imported == (
        'search_context_cost_per_query = {"search_context_size_low": 0.03}',
    )


def test_tiers_come_from_above_n_tokens_fields(sample: Path) -> None:
    data = litellm.read(sample, "prices.json")
    record = litellm.find(data, "gemini", "gemini-2.5-pro")
    assert record.prices.tiers == (Tier(200000, input_per_mtok=D("2.5"), output_per_mtok=D(15)),)
    assert record.flat()["long_context[200000].cached_input_per_mtok"] == D("0.125")
    assert record.not_imported == ("input_cost_per_audio_token = 0.000001",)


def test_unknown_model_suggests_a_name(sample: Path) -> None:
    data = litellm.read(sample, "prices.json")
    with pytest.raises(LookupError) as caught:
        litellm.find(data, "openai", "gpt-4")
    assert str(caught.value) == (
        'LiteLLM prices.json has no model "gpt-4" for provider "openai". Did you mean "gpt-4o"?'
    )
    with pytest.raises(LookupError) as caught:
        litellm.find(data, "gemni", "gemini-2.5-pro")
    assert (
        str(caught.value) == 'LiteLLM prices.json has no provider "gemni". Did you mean "gemini"?'
    )


def test_a_model_not_priced_by_tokens_is_refused(sample: Path) -> None:
    data = litellm.read(sample, "prices.json")
    with pytest.raises(InfercostError) as caught:
        litellm.find(data, "openai", "dall-e-3")
    (d,) = caught.value.diagnostics
    assert (
        d.detail
        == '"dall-e-3" has no input_cost_per_token; it is not priced by tokens (image_generation).'
    )


@pytest.mark.parametrize(
    ("text", "detail", "at"),
    [
        (
            "[1, 2]",
            "A model_prices_and_context_window.json file is one JSON object with a key per "
            "model, but this file holds a JSON array.",
            (1, 1),
        ),
        (
            '{\n  "a": {"input_cost_per_token": 1e-6},\n  "b": 3\n}',
            'The entry "b" must be an object of prices, but it is a number.',
            (3, 3),
        ),
        (
            '{\n  "a": {\n    "input_cost_per_token": "cheap"\n  }\n}',
            '"input_cost_per_token" of "a" must be a number >= 0, but it is "cheap".',
            (2, 3),
        ),
        (
            '{\n  "a": {,}\n}',
            "Expecting property name enclosed in double quotes: this is not JSON.",
            (2, 9),
        ),
    ],
)
def test_a_file_not_of_its_shape_is_a_located_error(
    tmp_path: Path, text: str, detail: str, at: tuple[int, int]
) -> None:
    path = tmp_path / "prices.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InfercostError) as caught:
        data = litellm.read(path, "prices.json")
        litellm.find(data, "x", "a")
    (d,) = caught.value.diagnostics
    assert d.summary == "Invalid LiteLLM price file"
    assert d.detail == detail
    assert where(d) == ("prices.json", *at)


def test_import_from_a_litellm_file(sample: Path, tmp_path: Path) -> None:
    result = run_cli(["prices", "import", "openai/gpt-4o", "--from", "litellm", str(sample)])
    assert result.code == 0, result.stderr
    assert 'source                = "litellm:openai/gpt-4o"' in result.stdout
    assert "from LiteLLM model_prices_and_context_window.json" in result.stdout
    assert "search_context_cost_per_query" in result.stderr


def test_hostile_names_cannot_inject_hcl_or_ci_commands(tmp_path: Path) -> None:
    """A price file is input like any other: names become inert strings and comments."""
    evil = 'x" }\nprice_sheet "evil" { model "m" { input_per_mtok = 0 } } # ${var.x}'
    data = {
        f"openai/{evil}": {
            "litellm_provider": "openai",
            "input_cost_per_token": 1e-06,
            "\n::error::pwned ##[group]": 1,
        }
    }
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "prices.hcl"
    result = run_cli(
        ["prices", "import", f"openai/{evil}", "--from", "litellm", str(path), "--out", str(out)]
    )
    assert result.code == 0, result.stderr
    from infercost.config.hcl import parse_text

    parsed = parse_text(out.read_text(encoding="utf-8"), "prices.hcl")
    (sheet,) = parsed.body.blocks  # nothing injected
    (model,) = sheet.body.blocks_of("model")
    assert model.labels == (evil,)
    for line in (result.stderr + out.read_text(encoding="utf-8")).splitlines():
        assert not line.lstrip().startswith("::")
        assert "##[" not in line
