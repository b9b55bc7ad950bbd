"""SARIF stays within GitHub's 25,000 results per run; the rest is summarized."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from infercost.errors import SourceRange
from infercost.guard.results import CheckResult, GuardResult
from infercost.render import check_sarif

TESTS = Path(__file__).resolve().parents[1]
# Vendored beside the tests, or in the shared folder next to the repository.
SCHEMAS = [
    TESTS / "schemas" / "sarif-schema-2.1.0.json",
    TESTS.parent.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json",
]


def violation(i: int, *, blocking: bool, status: str = "fail") -> GuardResult:
    return GuardResult(
        guardrail="underwater" if not blocking else "floor",
        target=f'customer["c{i:06d}"]',
        severity="error" if blocking else "warning",
        status=status,
        blocking=blocking,
        message=f"c{i} is underwater",
        location=SourceRange.point("stack/usage.csv", i + 2),
        scope="customer",
        condition="self.cogs <= self.revenue",
        values={"cogs": Decimal(2), "revenue": Decimal(1)},
    )


def test_sarif_caps_results_at_25000_blocking_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(check_sarif, "MAX_RESULTS", 5)  # same rule, small enough to read
    monkeypatch.chdir(tmp_path)
    # 6 non-blocking warnings first in order, then 3 blocking failures: 9 > 5.
    warnings = [violation(i, blocking=False) for i in range(6)]
    blocking = [violation(100 + i, blocking=True) for i in range(3)]
    result = CheckResult("USD", "month", None, None, False, tuple(warnings + blocking))
    run = json.loads(check_sarif.render(result, tmp_path))["runs"][0]
    kept = [r["message"]["text"] for r in run["results"]]
    assert len(run["results"]) == 5
    # every blocking result is kept, plus the first two warnings, in their original order
    levels = [r["level"] for r in run["results"]]
    assert levels == ["warning", "warning", "error", "error", "error"], kept
    assert run["properties"]["omitted_results"] == {
        "count": 4,
        "limit": 5,
        "blocking": 0,
        "by_guardrail": {"underwater": {"fail": 4}},
    }
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"].startswith("4 of 9 results are left out")


def test_sarif_cap_is_github_limit_and_output_stays_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert check_sarif.MAX_RESULTS == 25_000
    monkeypatch.setattr(check_sarif, "MAX_RESULTS", 2)
    monkeypatch.chdir(tmp_path)
    results = tuple(violation(i, blocking=i % 2 == 0) for i in range(4))
    document = json.loads(
        check_sarif.render(CheckResult("USD", "month", None, None, False, results), tmp_path)
    )
    assert len(document["runs"][0]["results"]) == 2
    jsonschema = pytest.importorskip("jsonschema")
    schema = next((p for p in SCHEMAS if p.is_file()), None)
    if schema is None:
        pytest.skip("the SARIF schema is not available here")
    jsonschema.validate(document, json.loads(schema.read_text(encoding="utf-8")))


def test_sarif_under_the_cap_has_no_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    results = (violation(1, blocking=True),)
    run = json.loads(
        check_sarif.render(CheckResult("USD", "month", None, None, False, results), tmp_path)
    )["runs"][0]
    assert "omitted_results" not in run["properties"]
    assert "invocations" not in run
