"""The views of a check result (text, SARIF, JUnit, GitHub, Markdown), from hand-built results.

The results mix every status, a blocking ``existing`` under --strict, an active and an
expired waiver, and hostile text (HTML, mentions, pipes, backticks, newlines, ``%``,
``:`` and ``,``) in the places where configuration and usage data reach a report.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from infercost.cost.breakdown import FeatureResult, Totals
from infercost.errors import Diagnostic, Severity, SourceRange
from infercost.guard.results import CheckResult, GuardResult, WaiverUse
from infercost.plan.diff import ConfigChange, Delta, FeaturePlan, Plan
from infercost.render import check_github, check_junit, check_sarif, check_text
from infercost.render.formatting import Style
from infercost.render.inert import for_format
from infercost.render.markdown import MARKER, check_comment
from tests.helpers import code_spans, outside_code

D = Decimal
HOSTILE_CUSTOMER = 'customer["<img src=x> @admin a|b `c` 50%: x,y"]'
HOSTILE_MESSAGE = "margin <b>low</b> @admin | `rm -rf` 5%\nsecond line: a,b\r#12"


#: The OASIS SARIF 2.1.0 schema, vendored so that the validation runs everywhere.
SARIF_SCHEMA = Path(__file__).resolve().parent / "schemas" / "sarif-schema-2.1.0.json"


def at(filename: str, line: int, column: int = 3) -> SourceRange:
    return SourceRange.point(filename, line, column)


def feature(name: str, cogs: str, margin: str | None, target: str | None) -> FeatureResult:
    return FeatureResult(
        name=name,
        unit="ticket",
        workflow="answer",
        region=None,
        units=D(1000),
        cost_per_unit=D(cogs) / 1000,
        cogs=D(cogs),
        revenue=D(400),
        margin=D(margin) if margin is not None else None,
        target_margin=D(target) if target is not None else None,
        steps=(),
    )


def make_plan() -> Plan:
    before = feature("support_assistant", "120", "0.7", "0.6")
    after = feature("support_assistant", "235.2", "0.412", "0.6")
    search_before = feature("search", "40", "0.9", None)
    search_after = feature("search", "40", "0.9", None)
    tickets = FeaturePlan(
        "support_assistant",
        "update",
        before,
        after,
        Delta(D("115.2"), D(96), D(96), D("-28.8")),
        (),
        (),
    )
    zero = Delta(D(0), D(0), D(0), D(0))
    search = FeaturePlan("search", "no-op", search_before, search_after, zero, (), ())
    changes = (
        ConfigChange(
            "guardrail.margin_floor",
            "update",
            "condition",
            "self.margin >= 0.5",
            "self.margin >= 0.3",
        ),
        ConfigChange("waiver.launch", "create", None, None, {"reason": "<b>@team</b>"}),
        ConfigChange("workflow.answer.step.draft", "update", "input_tokens", D(1800), D(4000)),
    )
    return Plan(
        currency="USD",
        period="month",
        usage_period="2026-11",
        base_label="main",
        features=(search, tickets),
        subscriptions=(),
        totals_before=Totals(D(160), D(800), D("0.8")),
        totals_after=Totals(D("275.2"), D(800), D("0.656")),
        change=Delta(D("115.2"), D(72), None, D("-14.4")),
        changes=changes,
    )


def make_result(*, base: bool = True) -> CheckResult:
    waiver = WaiverUse(
        name="launch",
        reason="Launch pricing <until> @sales says | ok",
        until=date(2027, 1, 31),
        expired=False,
        location=at("stack/waivers.hcl", 1, 1),
    )
    expired = WaiverUse(
        name="old_deal",
        reason="Legacy contract",
        until=date(2026, 1, 31),
        expired=True,
        location=at("stack/waivers.hcl", 8, 1),
    )
    results = (
        GuardResult(
            guardrail="margin_floor",
            target="feature.search",
            severity="error",
            status="pass",
            blocking=False,
            message="",
            location=at("stack/features.hcl", 20),
            description="Every feature keeps a 50% gross margin",
            condition="self.margin >= 0.50",
            guardrail_location=at("stack/guardrails.hcl", 1, 1),
            values={"margin": D("0.9")},
        ),
        GuardResult(
            guardrail="margin_floor",
            target="feature.support_assistant",
            severity="error",
            status="existing",
            blocking=True,
            message="support_assistant: margin 41.2% below 50%",
            location=at("stack/features.hcl", 12),
            description="Every feature keeps a 50% gross margin",
            condition="self.margin >= 0.50",
            guardrail_location=at("stack/guardrails.hcl", 1, 1),
            values={"margin": D("0.412")},
            base_values={"margin": D("0.412")},
        ),
        GuardResult(
            guardrail="retry_storm",
            target="workflow.answer.step.draft",
            severity="warning",
            status="fail",
            blocking=False,
            message=HOSTILE_MESSAGE,
            location=at("stack/workflows.hcl", 30, 5),
            scope="step",
            description="Retries stay below 10% of calls",
            condition="self.retry_rate <= 0.10",
            source="builtin:retry-storms",
            guardrail_location=None,
            values={"retry_rate": D("0.3")},
        ),
        GuardResult(
            guardrail="target_margin",
            target="feature.support_assistant",
            severity="error",
            status="fail",
            blocking=True,
            message="feature.support_assistant: margin 41.2% is below its target 60.0%",
            location=at("stack/features.hcl", 14),
            condition="self.margin >= self.target_margin",
            values={"margin": D("0.412"), "target_margin": D("0.6")},
            base_values={"margin": D("0.7"), "target_margin": D("0.6")},
            worse="margin fell from 70.0% to 41.2%",
        ),
        GuardResult(
            guardrail="underwater",
            target=HOSTILE_CUSTOMER,
            severity="error",
            status="waived",
            blocking=False,
            message="customer pays $29 and costs $44"
            " (waived until 2027-01-31: Launch pricing <until> @sales says | ok)",
            location=None,
            scope="customer",
            condition="self.cogs <= self.revenue",
            guardrail_location=at("stack/guardrails.hcl", 10, 1),
            values={"cogs": D("44"), "revenue": D("29")},
            waiver=waiver,
        ),
        GuardResult(
            guardrail="underwater",
            target='customer["globex"]',
            severity="error",
            status="fail",
            blocking=True,
            message="customer pays $29 and costs $31",
            location=None,
            scope="customer",
            condition="self.cogs <= self.revenue",
            guardrail_location=at("stack/guardrails.hcl", 10, 1),
            values={"cogs": D("31"), "revenue": D("29")},
            waiver=expired,
        ),
        GuardResult(
            guardrail="stack_cogs_growth",
            target="stack",
            severity="error",
            status="skipped",
            blocking=False,
            message="skipped: self.cogs_change_pct is null (the base has no COGS)",
            location=None,
            scope="stack",
            condition="self.cogs_change_pct <= 10",
            source="builtin:cogs-growth",
        ),
    )
    return CheckResult(
        currency="USD",
        period="month",
        usage_period="2026-11",
        base_label="main" if base else None,
        strict=True,
        results=results,
        warnings=(Diagnostic("Old usage snapshot", "rows end @ 2026-10", None, Severity.WARNING),),
        plan=make_plan(),
    )


def passing_result() -> CheckResult:
    full = make_result()
    results = tuple(
        replace(r, blocking=False)
        for r in full.results
        if r.status != "fail" and not (r.waiver and r.waiver.expired)
    )
    return replace(full, strict=False, results=results, warnings=())


# -- text ----------------------------------------------------------------------------------
def test_text_golden(assert_golden: Callable[[str, str], None]) -> None:
    text = check_text.render(make_result(), Style(False))
    assert_golden("check/text.txt", text)
    assert text.rstrip().endswith(
        "Check failed: 3 blocking violations (feature.support_assistant: margin_floor; "
        'feature.support_assistant: target_margin; customer["globex"]: underwater).'
    )
    assert "\r" not in text and "\x1b" not in text


def test_text_passed_golden(assert_golden: Callable[[str, str], None]) -> None:
    text = check_text.render(passing_result(), Style(False))
    assert_golden("check/text_passed.txt", text)
    assert text.rstrip().splitlines()[-1] == (
        "Check passed: 1 check holds, 1 existing violation (not blocking), 1 waived, 1 skipped."
    )


def test_text_groups_in_order_and_colour_only_when_asked() -> None:
    text = check_text.render(make_result(), Style(False))
    order = [text.index(h) for h in ("Blocking (3)", "Warnings", "Waived (1)", "Skipped (1)")]
    assert order == sorted(order)
    assert "EXPIRED" in text and "Launch pricing" in text and "until 2027-01-31" in text
    coloured = for_format("text", check_text.render(make_result(), Style(True)))
    assert "\x1b[31m" in coloured


def test_text_shows_control_characters_as_escapes() -> None:
    r = replace(make_result().results[2], message="bad\x1b[2Jthing")
    text = check_text.render(replace(make_result(), results=(r,)), Style(False))
    assert "\x1b" not in text and "bad\\x1b[2Jthing" in text


def test_no_guardrails() -> None:
    empty = replace(make_result(), results=(), warnings=())
    assert (
        check_text.render(empty, Style(False))
        .rstrip()
        .endswith("Check passed: there are no guardrails to check.")
    )
    assert check_github.render(empty) == ""
    root = ET.fromstring(check_junit.render(empty))
    assert root.find("testsuite").get("tests") == "0"  # type: ignore[union-attr]


# -- SARIF ---------------------------------------------------------------------------------
def _sarif(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, result: CheckResult) -> dict:
    monkeypatch.chdir(tmp_path / "repo" / "sub")
    return json.loads(check_sarif.render(result, Path("..")))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "repo" / "sub").mkdir(parents=True)
    return tmp_path / "repo"


def test_sarif_golden(
    repo: Path, monkeypatch: pytest.MonkeyPatch, assert_golden: Callable[[str, str], None]
) -> None:
    monkeypatch.chdir(repo / "sub")
    text = check_sarif.render(make_result(), Path(".."))
    scrubbed = text.replace(repo.resolve().as_uri(), "file:///REPO")
    assert_golden("check/result.sarif", scrubbed)


def test_sarif_validates_against_the_schema(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    for result in (make_result(), make_result(base=False), passing_result()):
        monkeypatch.chdir(repo / "sub")
        document = json.loads(check_sarif.render(result, Path("..")))
        jsonschema.validate(document, schema)


def test_sarif_results_levels_and_baseline(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "sub")
    run = json.loads(check_sarif.render(make_result(), Path("..")))["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "infercost" and driver["version"]
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert rule_ids == [
        "margin_floor",
        "retry_storm",
        "target_margin",
        "underwater",
        "stack_cogs_growth",
    ]
    assert (
        driver["rules"][0]["shortDescription"]["text"] == "Every feature keeps a 50% gross margin"
    )
    by_target = {
        (r["ruleId"], r["properties"]["target"]): r for r in run["results"]
    }  # pass and skipped are not findings
    assert len(run["results"]) == 5
    existing = by_target[("margin_floor", "feature.support_assistant")]
    assert existing["level"] == "error"  # existing but blocking under --strict
    assert existing["baselineState"] == "unchanged"
    assert by_target[("retry_storm", "workflow.answer.step.draft")]["level"] == "warning"
    new = by_target[("target_margin", "feature.support_assistant")]
    assert new["level"] == "error" and new["baselineState"] == "new"
    location = new["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {
        "uri": "sub/stack/features.hcl",
        "uriBaseId": "%SRCROOT%",
    }
    assert location["region"] == {"startLine": 14, "startColumn": 3}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    waived = by_target[("underwater", HOSTILE_CUSTOMER)]
    assert waived["level"] == "note"
    assert waived["suppressions"][0]["kind"] == "external"
    assert waived["suppressions"][0]["justification"] == "Launch pricing <until> @sales says | ok"
    # Without a location of its own, a result points at its guardrail.
    assert waived["locations"][0]["physicalLocation"]["region"]["startLine"] == 10
    assert "suppressions" not in by_target[("underwater", 'customer["globex"]')]


def test_sarif_note_for_non_blocking_existing_and_no_baseline_without_base(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "sub")
    run = json.loads(check_sarif.render(passing_result(), Path("..")))["runs"][0]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"margin_floor": "note", "underwater": "note"}
    no_base = json.loads(check_sarif.render(make_result(base=False), Path("..")))["runs"][0]
    assert all("baselineState" not in r for r in no_base["results"])


def test_sarif_fingerprints_survive_line_moves(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "sub")
    first = make_result()
    moved = replace(
        first,
        results=tuple(
            replace(r, location=at(r.location.filename, r.location.start.line + 7))
            if r.location
            else r
            for r in first.results
        ),
    )

    def prints(result: CheckResult) -> list[dict]:
        run = json.loads(check_sarif.render(result, Path("..")))["runs"][0]
        return [r["partialFingerprints"] for r in run["results"]]

    assert prints(first) == prints(moved)
    assert len({json.dumps(p) for p in prints(first)}) == 5


def test_sarif_file_outside_the_repository_keeps_an_absolute_uri(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "sub")
    outside = repo.parent / "site-packages" / "policies" / "retry storms.hcl"
    r = replace(make_result().results[2], location=at(str(outside), 4))
    run = json.loads(check_sarif.render(replace(make_result(), results=(r,)), Path("..")))
    artifact = run["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": outside.resolve().as_uri()}
    assert "%20" in artifact["uri"]


# -- JUnit ---------------------------------------------------------------------------------
def test_junit_golden_and_counts(assert_golden: Callable[[str, str], None]) -> None:
    text = check_junit.render(make_result())
    assert_golden("check/junit.xml", text)
    root = ET.fromstring(text)
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("name") == "infercost check"
    cases = suite.findall("testcase")
    assert len(cases) == 7
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("7", "4", "1")
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("7", "4", "1")
    failed = {(c.get("classname"), c.get("name")) for c in cases if c.find("failure") is not None}
    assert failed == {
        ("margin_floor", "feature.support_assistant"),  # existing, blocking under --strict
        ("retry_storm", "workflow.answer.step.draft"),  # a warning is still a failure
        ("target_margin", "feature.support_assistant"),
        ("underwater", 'customer["globex"]'),  # its waiver expired
    }
    hostile = next(c for c in cases if c.get("name") == HOSTILE_CUSTOMER)
    assert hostile.find("failure") is None and hostile.find("skipped") is None
    out = hostile.find("system-out")
    assert out is not None and "waived violation (not blocking)" in (out.text or "")
    retry = next(c for c in cases if c.get("classname") == "retry_storm")
    failure = retry.find("failure")
    assert failure is not None and failure.get("message") == HOSTILE_MESSAGE
    assert failure.get("type") == "not-blocking"
    skipped = next(c for c in cases if c.get("classname") == "stack_cogs_growth").find("skipped")
    assert skipped is not None and "cogs_change_pct is null" in (skipped.get("message") or "")
    assert "<b>" not in text and "<img" not in text


def test_junit_passed_counts() -> None:
    root = ET.fromstring(check_junit.render(passing_result()))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "0", "1")


def test_junit_replaces_characters_xml_cannot_hold() -> None:
    r = replace(make_result().results[3], message="nul\x00 bell\x07")
    text = check_junit.render(replace(make_result(), results=(r,)))
    failure = ET.fromstring(text).find("testsuite/testcase/failure")
    assert failure is not None and failure.get("message") == "nul\\x00 bell\\x07"


# -- GitHub --------------------------------------------------------------------------------
def test_github_commands_exactly(assert_golden: Callable[[str, str], None]) -> None:
    text = check_github.render(make_result())
    assert_golden("check/github.txt", text)
    lines = text.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == [
        "::error",
        "::error",
        "::error",
        "::warning",
        "::warning",
        "::notice",
    ]
    # The run's warning (here the guardrails' own: no diagnostics given) before theirs.
    assert lines[3] == "::warning title=Old usage snapshot::Old usage snapshot%0Arows end @ 2026-10"
    assert lines[1] == (
        "::error file=stack/features.hcl,line=14,col=3,"
        "title=target_margin%3A feature.support_assistant"
        "::feature.support_assistant: margin 41.2%25 is below its target 60.0%25"
        "%0Avalues: margin 41.2%25 (base 70.0%25), target_margin 60.0%25"
        "%0Aworse than on the base: margin fell from 70.0%25 to 41.2%25"
    )
    warning = lines[4]
    assert warning.startswith(
        "::warning file=stack/workflows.hcl,line=30,col=5,"
        "title=retry_storm%3A workflow.answer.step.draft::"
    )
    assert warning.endswith(
        "::margin <b>low</b> @admin | `rm -rf` 5%25%0Asecond line: a,b%0D#12"
        "%0Avalues: retry_rate 30.0%25"
    )
    notice = lines[5]
    assert notice.startswith(
        "::notice file=stack/guardrails.hcl,line=10,col=1,title=underwater%3A "
        'customer["<img src=x> @admin a|b `c` 50%25%3A x%2Cy"]::waived: '
    )
    for line in lines:
        assert "\r" not in line
        properties = line.split("::")[1]
        assert properties.count(",") == len(re.findall(r",(?:line|col|title)=", properties))


def test_github_escaping_functions() -> None:
    assert check_github.escape_data("a%b\r\nc:d,e") == "a%25b%0D%0Ac:d,e"
    assert check_github.escape_property("a%b\r\nc:d,e") == "a%25b%0D%0Ac%3Ad%2Ce"
    assert check_github.command("notice", "m") == "::notice::m"


def test_github_commands_keep_a_legacy_command_in_their_text_inert() -> None:
    """The annotation's own command stays; a "##[error]" inside its text (from a
    guardrail's message, anyone's to write) gets the backslash it gets elsewhere."""
    written = check_github.command("warning", "margin low ##[error]forged ##vso[task]x", line=3)
    assert for_format("github", written) == (
        "::warning line=3::margin low ##\\[error]forged ##vso\\[task]x"
    )


def test_waiver_shown_once_in_every_view(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "sub")
    result = make_result()
    for text in (
        check_text.render(result, Style(False)),
        check_github.render(result),
        check_junit.render(result),
        check_sarif.render(result, Path("..")),
    ):
        assert text.count("Launch pricing") == 1 or "suppressions" in text
        assert "(waived until 2027-01-31" not in text
    assert "(waived until 2027-01-31" not in check_comment(result)


def test_waiver_on_a_passing_result_is_not_called_a_violation() -> None:
    first = make_result()
    waiver = replace(first.results[4].waiver, expired=True)  # type: ignore[arg-type]
    r = replace(first.results[0], waiver=waiver)
    result = replace(first, results=(r,), warnings=())
    text = check_text.render(result, Style(False))
    assert "EXPIRED" not in text
    comment = check_comment(result)
    assert "[!IMPORTANT]" not in comment
    assert check_github.render(result) == ""


def test_github_without_location_omits_file_and_line() -> None:
    r = replace(make_result().results[5], guardrail_location=None)
    line = check_github.render(replace(make_result(), results=(r,), warnings=()))
    assert line.startswith('::error title=underwater%3A customer["globex"]::')
    assert "EXPIRED" in line


# -- Markdown ------------------------------------------------------------------------------
def test_markdown_golden(assert_golden: Callable[[str, str], None]) -> None:
    text = check_comment(make_result())
    assert_golden("check/comment.md", text)
    assert text.splitlines()[0] == MARKER
    assert text.splitlines()[1].startswith("### ❌ infercost check failed: 3 blocking violations")


def test_markdown_escapes_everything_from_configuration() -> None:
    text = check_comment(make_result())
    # Names are code spans: inside one, GitHub shows HTML, mentions and links as typed.
    body = outside_code(text.split("\n", 1)[1])
    for tag in re.findall(r"<[^>]*>", body):
        assert tag in ("<br>", "<details>", "</details>", "<summary>", "</summary>"), tag
    assert "@" not in body
    assert "`" not in body  # every backtick left is part of a code span
    assert " #12" not in body and "&#35;&#8203;12" in body
    assert 'customer["<img src=x> @admin a\\|b `c` 50%: x,y"]' in code_spans(text)
    # Table rows keep their column count despite pipes and newlines in values (GFM splits
    # cells at every | not escaped with a backslash, code spans included).
    columns = None
    for row in text.splitlines():
        cells = len(re.findall(r"(?<!\\)\|", row))
        if not row.startswith("|"):
            columns = None
        elif columns is None:
            columns = cells
        else:
            assert cells == columns, row


def test_markdown_shows_plan_table_guardrail_changes_and_waivers() -> None:
    text = check_comment(make_result())
    assert "> [!WARNING]" in text and "**`guardrail.margin_floor`**" in text
    assert "`waiver.launch`" in text
    assert (
        "| 🔄 | `support_assistant` | $0.12 → $0.2352 | $120.00 → $235.20 | +$115.20 (+96.0%) |"
        in text
    )
    assert "❌ 60.0%" in text
    assert "##### ❌ Blocking (3)" in text
    assert "##### 🔕 Waived (1)" in text and "2027-01-31" in text
    assert "> [!IMPORTANT]" in text and "`old_deal`" in text
    assert "<details><summary>✅ Passed (1)</summary>" in text
    assert "&#95;" not in text  # names are code spans, never entities
    # blocking results come before every other group
    assert text.index("Blocking (3)") < text.index("Warnings") < text.index("Passed (1)")
    assert "| `search` |" not in text  # an unchanged feature is counted, not listed
    assert "1 other feature unchanged." in text


def test_markdown_passed_and_without_base(assert_golden: Callable[[str, str], None]) -> None:
    text = check_comment(passing_result())
    assert text.splitlines()[1] == (
        "### ✅ infercost check passed: 1 check holds, "
        "1 existing violation (not blocking), 1 waived, 1 skipped"
    )
    no_base = check_comment(replace(passing_result(), base_label=None))
    assert_golden("check/comment_no_base.md", no_base)
    assert "No base to compare with" in no_base
    assert "[!WARNING]" not in no_base  # against an empty base, every block is "created"
    assert "| `search` | 1,000 | $0.04 | $40.00 | 90.0% | — |" in no_base


def test_the_run_warnings_reach_the_comment_and_the_annotations() -> None:
    # A warning of the run (not of a guardrail), located or not, with text anyone may
    # write: a note in the comment (Markdown inert, its place a code span) and an
    # annotation at its file and line (commands escaped). A crossed waiver's warning
    # has its own box, so it is no note; an error is not a warning.
    hostile = "period `2026-10` <b>x</b>\n::error::forged"
    located = Diagnostic(
        "Records of another period",
        hostile,
        SourceRange.point("stack/main.hcl", 7, 3),
        Severity.WARNING,
    )
    bare = Diagnostic("Old usage snapshot", "rows end @ 2026-10", None, Severity.WARNING)
    crossed = Diagnostic("Waiver no longer holds", "x", None, Severity.WARNING)
    error = Diagnostic("Broken", "y", None, Severity.ERROR)
    result = make_result()
    comment = check_comment(result, [located, bare, crossed, error])
    box = comment.split("> [!NOTE]\n", 1)[1].split("\n\n**COGS", 1)[0]
    notes = [line for line in box.splitlines() if line]
    assert notes == [
        "> - Records of another period: period &#96;2026-10&#96; &lt;b&gt;x&lt;/b&gt; "
        "::error::forged (`stack/main.hcl:7`)",
        "> - Old usage snapshot: rows end &#64;&#8203; 2026-10",  # no mention
    ]
    assert "Waiver no longer holds" not in "\n".join(notes) and "Broken" not in comment
    lines = check_github.render(result, [located, bare, crossed, error]).splitlines()
    warnings = [line for line in lines if line.startswith("::warning")]
    assert warnings[:2] == [
        "::warning file=stack/main.hcl,line=7,col=3,title=Records of another period"
        "::Records of another period%0Aperiod `2026-10` <b>x</b>%0A::error::forged",
        "::warning title=Old usage snapshot::Old usage snapshot%0Arows end @ 2026-10",
    ]
    assert not any("Broken" in line or "Waiver no longer" in line for line in lines)
