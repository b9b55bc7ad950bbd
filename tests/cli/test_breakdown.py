"""``infercost breakdown``: text and JSON views, outputs, variables, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import REPO, assert_plain_numbers, json_numbers, run_cli

EXAMPLES = ["support-assistant", "search-api"]

USAGE = "feature,units\nchat,1000\n"


@pytest.fixture
def at_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the repository root so paths in the output read examples/NAME."""
    monkeypatch.chdir(REPO)
    return REPO


@pytest.mark.parametrize("example", EXAMPLES)
def test_text_golden(at_repo, assert_golden, example: str) -> None:
    code, out, err = run_cli(["breakdown", f"examples/{example}", "--no-color"])
    assert (code, err) == (0, "")
    assert "\x1b[" not in out
    assert_golden(f"breakdown_{example}.txt", out)


@pytest.mark.parametrize("example", EXAMPLES)
def test_json_golden(at_repo, assert_golden, example: str) -> None:
    code, out, err = run_cli(["breakdown", f"examples/{example}", "-o", "json"])
    assert (code, err) == (0, "")  # machine output: stdout only
    assert_plain_numbers(out)
    assert_golden(f"breakdown_{example}.json", out)


@pytest.mark.parametrize("example", EXAMPLES)
def test_json_shape(at_repo, example: str) -> None:
    doc = json.loads(run_cli(["breakdown", f"examples/{example}", "-o", "json"]).stdout)
    assert list(doc)[:4] == ["format_version", "currency", "period", "usage_period"]
    assert {"features", "subscriptions", "customers", "totals"} <= set(doc)
    assert doc["format_version"] == "1"
    names = [f["name"] for f in doc["features"]]
    assert names == sorted(names)
    for f in doc["features"]:
        assert {"name", "unit", "units", "cost_per_unit", "cogs", "revenue", "margin",
                "target_margin", "steps"} <= set(f)  # fmt: skip
        for step in f["steps"]:
            assert {"name", "uses", "cost_per_unit"} <= set(step)
            assert step["address"] == f"workflow.{f['workflow']}.step.{step['name']}"
    for s in doc["subscriptions"]:
        assert {"name", "customers", "revenue", "cogs", "margin", "underwater_customers",
                "underwater_share"} <= set(s)  # fmt: skip
    ids = [c["id"] for c in doc["customers"]]
    assert ids == sorted(ids)
    assert set(doc["totals"]) == {
        "cogs",
        "revenue",
        "margin",
        "variable_cogs",
        "allocated_cogs",
        "unallocated_cogs",
        "contribution_margin",
        "gpu_hours",
        "gpu_hours_by_item",
    }


def test_plain_numbers_in_raw_json(at_repo) -> None:
    out = run_cli(["breakdown", "examples/search-api", "-o", "json"]).stdout
    numbers = json_numbers(out)
    assert "0.00000056" in numbers  # 5.6E-7 written plainly
    assert "0.6" in numbers  # target_margin 0.60 without the trailing zero
    assert_plain_numbers(out)


def test_json_to_a_file_leaves_stdout_empty(at_repo, tmp_path: Path) -> None:
    target = tmp_path / "b.json"
    code, out, err = run_cli(["breakdown", "examples/search-api", "-o", f"json={target}"])
    assert (code, out, err) == (0, "", "")
    assert json.loads(target.read_text(encoding="utf-8"))["format_version"] == "1"
    code, out, err = run_cli(["breakdown", "examples/search-api", "-o", "json", "--out",
                              str(tmp_path / "c.json")])  # fmt: skip
    assert (code, out, err) == (0, "", "")
    assert (tmp_path / "c.json").read_text(encoding="utf-8") == target.read_text(encoding="utf-8")


def test_out_is_not_written_on_error(write_stack) -> None:
    stack = write_stack({}, base=True)
    Path("usage.csv").write_text("feature,units\nchta,1\n", encoding="utf-8")
    code, out, err = run_cli(["breakdown", str(stack), "--usage", "usage.csv", "-o", "json",
                              "--out", "result.json"])  # fmt: skip
    assert (code, out) == (1, "")
    assert err.startswith("Error: Unknown feature in usage\n")
    assert not Path("result.json").exists()


def test_errors_go_to_stderr_even_with_json(write_stack) -> None:
    stack = write_stack({"extra.hcl": "widget {}\n"}, base=True)
    Path("usage.csv").write_text(USAGE, encoding="utf-8")
    code, out, err = run_cli(["breakdown", str(stack), "--usage", "usage.csv", "-o", "json"])
    assert (code, out) == (1, "")
    assert err.startswith("Error: Unsupported block type\n")
    assert "on stack/extra.hcl line 1:" in err


def test_a_bad_stack_is_reported_before_its_usage(write_stack) -> None:
    """The usage named on the command line is read while the stack is parsed; a bad
    stack is still the one error, and a bad usage file the error of a good stack."""
    stack = write_stack({"extra.hcl": "widget {}\n"}, base=True)
    Path("usage.csv").write_text("feature,units\nchat,-1\n", encoding="utf-8")
    code, out, err = run_cli(["breakdown", str(stack), "--usage", "usage.csv", "-o", "json"])
    assert (code, out) == (1, "")
    assert err.startswith("Error: Unsupported block type\n")
    assert "usage" not in err.lower()
    Path(stack, "extra.hcl").unlink()
    code, out, err = run_cli(["breakdown", str(stack), "--usage", "usage.csv", "-o", "json"])
    assert (code, out) == (1, "")
    assert "usage.csv" in err and "row 1" in err
    code, out, err = run_cli(["breakdown", str(stack), "--usage", "missing.csv"])
    assert (code, out) == (1, "")
    assert err.startswith("Error: Usage file not found\n")


def test_small_stack_text(write_stack) -> None:
    stack = write_stack({}, base=True)
    Path("usage.csv").write_text(USAGE, encoding="utf-8")
    code, out, err = run_cli(["breakdown", str(stack), "--usage", "usage.csv"])
    assert (code, err) == (0, "")
    # draft: E[C] = 3.5; (3.5·1800·2.50 + 3.5·350·10) / 1e6 = (15750 + 12250) / 1e6 = $0.028
    assert "  cost per unit  $0.028\n" in out
    assert "  COGS           $28.00\n" in out
    assert "  revenue        $400.00\n" in out  # 1000 · 0.4
    assert "  margin         93.0%\n" in out
    assert out.startswith("infercost breakdown of stack  (USD per month)\n")


def test_variables_change_the_figures(at_repo, tmp_path: Path) -> None:
    def support_cost(*extra: str) -> float:
        out = run_cli(["breakdown", "examples/support-assistant", "-o", "json", *extra]).stdout
        doc = json.loads(out)
        return next(f for f in doc["features"] if f["name"] == "support_assistant")["cost_per_unit"]

    base = support_cost()
    assert support_cost("--var", "cache_hit_rate=0.15") == base
    assert support_cost("--var", "cache_hit_rate=0.5") < base
    var_file = tmp_path / "v.hcl"
    var_file.write_text("cache_hit_rate = 0.5\n", encoding="utf-8")
    assert support_cost("--var-file", str(var_file)) == support_cost("--var", "cache_hit_rate=0.5")


def test_bad_variable_value(at_repo) -> None:
    code, out, err = run_cli(["breakdown", "examples/support-assistant",
                              "--var", "cache_hit_rate=lots"])  # fmt: skip
    assert (code, out) == (1, "")
    assert err.startswith("Error: Invalid value for variable\n")
    code, _, err = run_cli(["breakdown", "examples/support-assistant", "--var", "cache_hit_rate=2"])
    assert code == 1 and "Value out of range" in err


def test_missing_var_file(at_repo) -> None:
    code, _, err = run_cli(["breakdown", "examples/support-assistant", "--var-file", "nope.hcl"])
    assert code == 1
    assert err.startswith("Error: Variable file not found\n")
