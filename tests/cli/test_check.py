"""``infercost check``: exit codes, output routing, files and goldens (SPEC §7, §8, §11)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.guard.support import GUARD_STACK
from tests.helpers import REPO, assert_plain_numbers, run_cli

WriteStack = Callable[..., Path]
EXAMPLE = "examples/support-assistant"
WHAT_IF = f"{EXAMPLE}/what-if/gpt-4o-draft.hcl"
CHANGE = [EXAMPLE, "--what-if", WHAT_IF]

# GUARD_STACK's chat keeps a margin of 0.48106; with a target of 0.4 everything holds.
PASSING = {
    **GUARD_STACK,
    "main.hcl": GUARD_STACK["main.hcl"].replace("target_margin    = 0.5", "target_margin    = 0.4"),
}
NOT_A_BOOL = 'guardrail "sloppy" {\n  scope     = "stack"\n  condition = self.cogs\n}\n'


@pytest.fixture
def at_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the repository root so paths in the output read examples/NAME."""
    monkeypatch.chdir(REPO)
    return REPO


# -- exit codes ------------------------------------------------------------------------------
def test_exit_0_when_every_guardrail_holds(write_stack: WriteStack) -> None:
    code, out, err = run_cli(["check", str(write_stack(PASSING)), "--no-color"])
    assert (code, err) == (0, "")
    assert "Check passed" in out


def test_exit_2_on_a_blocking_violation(write_stack: WriteStack) -> None:
    code, out, err = run_cli(["check", str(write_stack(GUARD_STACK)), "--no-color"])
    assert (code, err) == (2, "")
    assert "Blocking (1):" in out
    assert "Check failed: 1 blocking violation (feature.chat: target_margin)." in out


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "missing-stack"],
        ["check", "stack", "--what-if", "nope.hcl"],
        ["check", "stack", "-o", "yaml"],
        ["check", "stack", "--no-such-flag"],
        ["check", "stack", "--base", "HEAD", "--base-dir", "stack"],
        ["check", "stack", "--policy", "builtin:nope"],
    ],
)
def test_exit_1_on_an_error(write_stack: WriteStack, argv: list[str]) -> None:
    write_stack(GUARD_STACK)
    code, out, err = run_cli(argv)
    assert (code, out) == (1, "")
    assert err.startswith("Error")


def test_exit_1_for_an_evaluation_error_even_with_soft_fail(write_stack: WriteStack) -> None:
    stack = write_stack({**GUARD_STACK, "guardrails.hcl": NOT_A_BOOL})
    for extra in ([], ["--soft-fail"]):
        code, out, err = run_cli(["check", str(stack), *extra])
        assert (code, out) == (1, "")
        assert "Error: Guardrail condition is not a bool" in err


# -- files -----------------------------------------------------------------------------------
def test_out_is_written_on_exit_2(write_stack: WriteStack) -> None:
    stack = write_stack(GUARD_STACK)
    code, out, err = run_cli(["check", str(stack), "-o", "json", "--out", "result.json"])
    assert (code, out, err) == (2, "", "")
    doc = json.loads(Path("result.json").read_text(encoding="utf-8"))
    assert doc["passed"] is False
    assert doc["summary"]["blocking"] == 1


def test_out_alone_saves_json_and_shows_text(write_stack: WriteStack) -> None:
    stack = write_stack(GUARD_STACK)
    code, out, _ = run_cli(["check", str(stack), "--no-color", "--out", "result.json"])
    assert code == 2
    assert out.startswith("infercost check")
    assert json.loads(Path("result.json").read_text(encoding="utf-8"))["passed"] is False


def test_out_is_not_written_on_error(write_stack: WriteStack) -> None:
    stack = write_stack({**GUARD_STACK, "guardrails.hcl": NOT_A_BOOL})
    code, out, _ = run_cli(
        ["check", str(stack), "-o", "json", "--out", "result.json", "-o", "sarif=r.sarif"]
    )
    assert (code, out) == (1, "")
    assert not Path("result.json").exists()
    assert not Path("r.sarif").exists()


def test_soft_fail_still_writes_the_failed_result(write_stack: WriteStack) -> None:
    stack = write_stack(GUARD_STACK)
    code, _, _ = run_cli(["check", str(stack), "--soft-fail", "-o", "json=result.json"])
    assert code == 0
    assert json.loads(Path("result.json").read_text(encoding="utf-8"))["passed"] is False


def test_several_formats_in_one_run(at_repo: Path, tmp_path: Path) -> None:
    md, sarif, junit = tmp_path / "comment.md", tmp_path / "check.sarif", tmp_path / "junit.xml"
    code, out, err = run_cli(
        [
            "check",
            *CHANGE,
            "--no-color",
            "-o",
            "text",
            "-o",
            f"markdown={md}",
            "-o",
            f"sarif={sarif}",
            "-o",
            f"junit={junit}",
        ]
    )
    assert (code, err) == (2, "")
    # Text on stdout, the same as a text-only run.
    assert out == run_cli(["check", *CHANGE, "--no-color"]).stdout
    assert out.startswith("infercost check  (compared with the stack without what-if files)")

    comment = md.read_text(encoding="utf-8")
    assert comment.splitlines()[0] == "<!-- infercost -->"
    assert "infercost check failed: 1 blocking violation" in comment
    assert comment == run_cli(["check", *CHANGE, "-o", "markdown"]).stdout

    log = json.loads(sarif.read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    # fail and existing results only: 1 blocking, 3 warnings.
    levels = sorted((r["ruleId"], r["level"]) for r in results)
    assert levels == [
        ("cost_per_unit_growth", "warning"),
        ("target_margin", "error"),
        ("underwater_customers", "warning"),
        ("underwater_customers", "warning"),
    ]
    for r in results:
        assert r["baselineState"] == "new"
        location = r["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location["uriBaseId"] == "%SRCROOT%"
        assert location["uri"].startswith("examples/support-assistant/")

    suite = ET.fromstring(junit.read_text(encoding="utf-8"))
    cases = suite.findall(".//testcase")
    assert len(cases) == 6  # one per (guardrail, target), passes included
    failed = sorted(
        (c.get("classname"), c.get("name")) for c in cases if c.find("failure") is not None
    )
    assert failed == [
        ("cost_per_unit_growth", "feature.support_assistant"),
        ("target_margin", "feature.support_assistant"),
        ("underwater_customers", "subscription.pro"),
        ("underwater_customers", "subscription.team"),
    ]


def test_junit_marks_skipped_results(at_repo: Path) -> None:
    code, out, _ = run_cli(["check", EXAMPLE, "-o", "junit"])
    assert code == 0
    suite = ET.fromstring(out)
    skipped = [c.get("name") for c in suite.findall(".//testcase") if c.find("skipped") is not None]
    assert skipped == ["feature.semantic_search", "feature.support_assistant"]


def test_github_and_text_share_stdout(at_repo: Path) -> None:
    code, out, err = run_cli(["check", *CHANGE, "--no-color", "-o", "github", "-o", "text"])
    assert (code, err) == (2, "")
    commands = [line for line in out.splitlines() if line.startswith("::")]
    assert [c.split(" ", 1)[0] for c in commands] == [
        "::error",
        "::warning",
        "::warning",
        "::warning",
    ]
    assert commands[0].startswith(
        "::error file=examples/support-assistant/features.hcl,line=7,col=3,"
        "title=target_margin%3A feature.support_assistant::"
    )
    assert "-80.4%25 is below target 60.0%25" in commands[0]  # % escaped
    assert "infercost check  (compared with the stack without what-if files)" in out
    assert "Check failed: 1 blocking violation" in out


def test_two_formats_cannot_share_stdout(write_stack: WriteStack) -> None:
    code, out, err = run_cli(["check", str(write_stack(GUARD_STACK)), "-o", "json", "-o", "text"])
    assert (code, out) == (1, "")
    assert "Only one format can go to standard output" in err


@pytest.mark.parametrize("fmt", ["json", "markdown", "sarif", "junit", "github"])
def test_machine_formats_go_to_stdout_alone(write_stack: WriteStack, fmt: str) -> None:
    # An expired waiver makes a warning: it goes to stderr, never into the document.
    waiver = (
        'waiver "old" {\n  guardrail = "target_margin"\n  target    = "feature.chat"\n'
        '  reason    = "old deal"\n  until     = "2001-01-31"\n}\n'
    )
    stack = write_stack({**GUARD_STACK, "waivers.hcl": waiver})
    code, out, err = run_cli(["check", str(stack), "-o", fmt])
    assert code == 2
    assert err.startswith("Warning: Waiver expired")
    assert "Warning" not in out and "\x1b[" not in out
    if fmt in ("json", "sarif"):
        json.loads(out)
    elif fmt == "junit":
        ET.fromstring(out)
    elif fmt == "github":
        assert all(line.startswith("::") for line in out.splitlines())
    else:
        assert out.startswith("<!-- infercost -->")


# -- goldens ---------------------------------------------------------------------------------
def test_text_golden_with_what_if(at_repo: Path, assert_golden: Callable[..., None]) -> None:
    code, out, err = run_cli(["check", *CHANGE, "--no-color"])
    assert (code, err) == (2, "")
    assert "\x1b[" not in out
    assert_golden("check_support-assistant_what-if.txt", out)


def test_json_golden_with_what_if(at_repo: Path, assert_golden: Callable[..., None]) -> None:
    code, out, err = run_cli(["check", *CHANGE, "-o", "json"])
    assert (code, err) == (2, "")
    assert_plain_numbers(out)
    doc = json.loads(out)
    assert list(doc)[:3] == ["format_version", "currency", "period"]
    assert doc["format_version"] == "1" and doc["passed"] is False
    for r in doc["results"]:
        assert {
            "guardrail",
            "target",
            "severity",
            "status",
            "blocking",
            "message",
            "location",
        } <= set(r)
        assert {"file", "line"} <= set(r["location"])
    keys = [(r["guardrail"], r["target"]) for r in doc["results"]]
    assert keys == sorted(keys)
    assert_golden("check_support-assistant_what-if.json", out)


def test_text_golden_without_violations(at_repo: Path, assert_golden: Callable[..., None]) -> None:
    code, out, err = run_cli(["check", EXAMPLE, "--no-color"])
    assert (code, err) == (0, "")
    assert "Check passed" in out
    assert_golden("check_support-assistant.txt", out)


def test_json_golden_without_violations(at_repo: Path, assert_golden: Callable[..., None]) -> None:
    code, out, err = run_cli(["check", EXAMPLE, "-o", "json"])
    assert (code, err) == (0, "")
    assert_plain_numbers(out)
    doc = json.loads(out)
    assert doc["passed"] is True and doc["base"] is None
    assert doc["summary"] == {
        "pass": 4,
        "fail": 0,
        "existing": 0,
        "waived": 0,
        "skipped": 2,
        "blocking": 0,
        "total": 6,
    }
    assert_golden("check_support-assistant.json", out)
