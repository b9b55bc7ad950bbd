"""Projects (SPEC §17): several stacks in one repository, one run, one comment.

The repository is built here: at ``main`` the project lists alpha, beta and old; the
working tree changes alpha (its step's quantity 2 -> 6), keeps beta, adds gamma and
drops old. Every stack is a single meter step at $0.01 per call, so each figure below
is quantity x $0.01 x units, worked out by hand.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from tests.helpers import run_cli

STACK = """\
infercost {
  currency = "USD"
  period   = "month"
  usage    = "usage.csv"
}

price_sheet "p" {
  currency = "USD"
  meter "call" {
    price = 0.01
    per   = 1
  }
}

unit "req" {}

workflow "w" {
  step "s" {
    uses     = "p/call"
    quantity = QUANTITY
  }
}

feature "f" {
  unit             = unit.req
  workflow         = workflow.w
  revenue_per_unit = 0.1
  target_margin    = 0.5
}
"""


def write_stack(folder: Path, quantity: str, units: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.hcl").write_text(STACK.replace("QUANTITY", quantity), encoding="utf-8")
    (folder / "usage.csv").write_text(f"feature,units\nf,{units}\n", encoding="utf-8")


def project_text(*stacks: str) -> str:
    return "".join(f'stack "{name}" {{\n  path = "stacks/{name}"\n}}\n\n' for name in stacks)


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def make_repo(repo: Path) -> Path:
    """The repository described at the top; its root is the working directory to use."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    write_stack(repo / "stacks" / "alpha", "2", 1000)
    write_stack(repo / "stacks" / "beta", "1", 500)
    write_stack(repo / "stacks" / "old", "1", 300)
    (repo / "infercost.project.hcl").write_text(project_text("alpha", "beta", "old"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    write_stack(repo / "stacks" / "alpha", "6", 1000)  # changed
    write_stack(repo / "stacks" / "gamma", "3", 200)  # added
    shutil.rmtree(repo / "stacks" / "old")  # removed
    (repo / "infercost.project.hcl").write_text(project_text("alpha", "beta", "gamma"))
    return repo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo(tmp_path / "repo")
    monkeypatch.chdir(root)
    return root


def doc(argv: list[str], code: int) -> dict:
    result = run_cli([*argv, "-o", "json"])
    assert result.code == code, result.stderr
    return json.loads(result.stdout, parse_float=Decimal)


def test_plan_against_the_base_ref_creates_and_deletes_whole_stacks(repo: Path) -> None:
    d = doc(["plan", "--base", "main"], 0)
    by = {s["name"]: s for s in d["stacks"]}
    assert list(by) == ["alpha", "beta", "gamma", "old"]
    assert [by[n]["lifecycle"] for n in by] == [None, None, "create", "delete"]
    # alpha: 1000 units x $0.01 x 2 -> x 6
    alpha = by["alpha"]["document"]["totals"]
    assert (alpha["before"]["cogs"], alpha["after"]["cogs"]) == (Decimal(20), Decimal(60))
    assert by["beta"]["document"]["has_changes"] is False
    assert by["gamma"]["document"]["features"][0]["action"] == "create"
    old = by["old"]["document"]
    assert [f["action"] for f in old["features"]] == ["delete"]
    assert (old["totals"]["before"]["cogs"], old["totals"]["after"]["cogs"]) == (3, 0)
    t = d["totals"]
    # before: 20 + 5 + 3 = 28 COGS, 100 + 50 + 30 = 180 revenue
    # after: 60 + 5 + 6 = 71 COGS, 100 + 50 + 20 = 170 revenue
    assert (t["before"]["cogs"], t["before"]["revenue"]) == (28, 180)
    assert (t["after"]["cogs"], t["after"]["revenue"]) == (71, 170)
    assert t["after"]["margin"] == Decimal(99) / Decimal(170)
    assert t["change"]["cogs"] == 43
    assert d["has_changes"] is True


def test_check_exit_codes_combine(repo: Path) -> None:
    # alpha's margin falls to (100 - 60) / 100 = 0.4 < 0.5: a new, blocking violation.
    d = doc(["check", "--base", "main"], 2)
    assert d["passed"] is False
    assert [s["name"] for s in d["stacks"] if s["blocking"]] == ["alpha"]
    assert run_cli(["check", "--base", "main", "--soft-fail"]).code == 0
    assert run_cli(["plan", "--base", "main", "--detailed-exitcode"]).code == 2
    assert run_cli(["plan", "--base", "main"]).code == 0
    # An error in one stack wins over a blocking violation in another: exit 1, and the
    # other stacks are still reported.
    (repo / "stacks" / "beta" / "main.hcl").write_text("feature {\n", encoding="utf-8")
    result = run_cli(["check", "--base", "main", "-o", "json"])
    assert result.code == 1
    d = json.loads(result.stdout)
    assert [(s["name"], s["failed"]) for s in d["stacks"]][:3] == [
        ("alpha", False),
        ("beta", True),
        ("gamma", False),
    ]
    assert "on stacks/beta/main.hcl line" in result.stderr


def test_check_passes_when_no_stack_blocks(repo: Path) -> None:
    write_stack(repo / "stacks" / "alpha", "2", 1000)
    assert run_cli(["check", "--base", "main"]).code == 0


def test_comment_golden(repo: Path, assert_golden) -> None:
    result = run_cli(["check", "--base", "main", "-o", "markdown"])
    assert result.code == 2
    assert result.stdout.startswith("<!-- infercost -->\n")
    assert result.stdout.count("<details>\n<summary>") == 4
    assert_golden("project/check_comment.md", result.stdout)


def test_sarif_has_one_run_per_stack_and_junit_one_suite(repo: Path) -> None:
    sarif = json.loads(run_cli(["check", "--base", "main", "-o", "sarif"]).stdout)
    schema = Path(__file__).resolve().parent.parent / "render" / "schemas"
    sarif_schema = json.loads((schema / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(sarif_schema)(sarif_schema)
    assert [e.message for e in validator.iter_errors(sarif)] == []
    runs = sarif["runs"]
    assert [r["automationDetails"]["id"] for r in runs] == [
        "infercost/alpha/",
        "infercost/beta/",
        "infercost/gamma/",
        "infercost/old/",
    ]
    (alpha_result,) = runs[0]["results"]
    location = alpha_result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "stacks/alpha/main.hcl", "uriBaseId": "%SRCROOT%"}
    junit = run_cli(["check", "--base", "main", "-o", "junit"]).stdout
    assert junit.count("<testsuite ") == 4
    assert 'name="infercost check: alpha"' in junit
    github = run_cli(["check", "--base", "main", "-o", "github"]).stdout
    assert github.startswith("::error file=stacks/alpha/main.hcl,")
    # A stack that fails to run is a run that did not succeed, and a suite with an error.
    (repo / "stacks" / "beta" / "main.hcl").write_text("feature {\n", encoding="utf-8")
    failed = run_cli(["check", "--base", "main", "-o", "sarif"])
    assert failed.code == 1
    sarif = json.loads(failed.stdout)
    assert [e.message for e in validator.iter_errors(sarif)] == []
    assert sarif["runs"][1]["invocations"][0]["executionSuccessful"] is False
    junit = run_cli(["check", "--base", "main", "-o", "junit"]).stdout
    assert '<testsuites name="infercost" tests="3" failures="1" errors="1" skipped="0"' in junit


def test_text_lists_every_stack_and_the_totals(repo: Path) -> None:
    result = run_cli(["plan", "--base", "main"])
    assert result.code == 0
    assert 'stack "gamma" (stacks/gamma) [created] ──' in result.stdout
    assert result.stdout.endswith(
        "Stack  COGS before → after  Margin before → after  Result\n"
        "alpha  $20.00 → $60.00      80.0% → 40.0%          changed (1 updated)\n"
        "beta   $5.00 → $5.00        90.0% → 90.0%          no change\n"
        "gamma  — → $6.00            — → 70.0%              created\n"
        "old    $3.00 → —            90.0% → —              deleted\n"
        "Total  $28.00 → $71.00      84.4% → 58.2%\n"
        "\n"
        "3 stacks of 4 changed: alpha, gamma, old.\n"
    )
    assert (
        'Warning: Stack removed\n\nStack "old": stacks/old is listed in the project at main '
        "and not any more: everything in it is deleted."
    ) in result.stderr


def test_stack_picks_one(repo: Path) -> None:
    d = doc(["breakdown", "--stack", "beta"], 0)
    assert d["totals"]["cogs"] == 5  # a single stack's own document
    result = run_cli(["breakdown", "--stack", "bta"])
    assert result.code == 1
    assert 'has no stack named "bta". Did you mean "beta"?' in result.stderr


def test_single_stack_options_need_stack(repo: Path) -> None:
    result = run_cli(["plan", "--what-if", "x.hcl"])
    assert result.code == 1
    assert "Error: Option needs one stack" in result.stderr
    assert "--what-if names the inputs of one stack" in result.stderr
    result = run_cli(["check", "--usage", "u.csv", "--base-dir", "stacks/beta"])
    assert "--usage and --base-dir name the inputs of one stack" in result.stderr
    # With --stack, they apply to that stack.
    assert run_cli(["plan", "--stack", "beta", "--base-dir", "stacks/beta"]).code == 0


def test_an_explicit_stack_directory_ignores_the_project(repo: Path) -> None:
    d = doc(["breakdown", "stacks/alpha"], 0)
    assert d["totals"]["cogs"] == 60


def test_currencies_that_differ_refuse_totals_and_report_each_stack(repo: Path) -> None:
    main = repo / "stacks" / "gamma" / "main.hcl"
    main.write_text(main.read_text().replace('"USD"', '"EUR"'))
    result = run_cli(["breakdown", "-o", "json"])
    assert result.code == 0
    d = json.loads(result.stdout)
    assert d["totals"] is None and d["currency"] is None
    assert [s["document"]["currency"] for s in d["stacks"]] == ["USD", "USD", "EUR"]
    assert "Warning: No project totals" in result.stderr
    assert (
        'Totals across stacks need one currency and one period label: stack "alpha" is in '
        'USD per month; stack "beta" is in USD per month; stack "gamma" is in EUR per month. '
        "Each stack is reported on its own."
    ) in result.stderr


# -- the project file's errors ------------------------------------------------------------


def errors(repo: Path, text: str) -> str:
    (repo / "infercost.project.hcl").write_text(text, encoding="utf-8")
    result = run_cli(["validate"])
    assert result.code == 1
    return result.stderr


def test_a_stack_outside_the_repository(repo: Path) -> None:
    err = errors(repo, 'stack "x" {\n  path = "../elsewhere"\n}\n')
    assert "Error: Stack outside the repository" in err
    assert 'on infercost.project.hcl line 2, in stack "x":' in err
    assert 'stack "x": the path "../elsewhere" resolves to ' in err
    assert "outside the repository at " in err


def test_two_stacks_with_one_name_or_one_path(repo: Path) -> None:
    err = errors(
        repo, 'stack "a" {\n  path = "stacks/alpha"\n}\nstack "a" {\n  path = "stacks/beta"\n}\n'
    )
    assert err == (
        'Error: Duplicate block\n\n  on infercost.project.hcl line 4:\n  4: stack "a" {\n\n'
        'stack "a" was already declared at line 1.\n\n'
    )
    err = errors(
        repo, 'stack "a" {\n  path = "stacks/alpha"\n}\nstack "b" {\n  path = "stacks/alpha/"\n}\n'
    )
    assert err == (
        'Error: Duplicate stack path\n\n  on infercost.project.hcl line 5, in stack "b":\n'
        '  5:   path = "stacks/alpha/"\n\n'
        'stack "b" has the same path as stack "a" (line 1): stacks/alpha. A directory is one '
        "stack.\n\n"
    )


def test_a_stack_without_hcl_files(repo: Path) -> None:
    (repo / "empty").mkdir()
    (repo / "empty" / "notes.txt").write_text("")
    err = errors(repo, 'stack "e" {\n  path = "empty"\n}\n')
    assert "Error: Empty stack" in err
    assert 'stack "e": no .hcl files were found in empty (the project file ' in err


def test_the_project_file_is_never_part_of_a_stack(repo: Path) -> None:
    # The root itself is a stack directory holding the project file.
    (repo / "main.hcl").write_text(STACK.replace("QUANTITY", "1"))
    (repo / "usage.csv").write_text("feature,units\nf,10\n")
    (repo / "infercost.project.hcl").write_text('stack "root" {\n  path = "."\n}\n')
    d = doc(["breakdown"], 0)
    assert d["stacks"][0]["document"]["totals"]["cogs"] == Decimal("0.1")


def test_unknown_arguments_get_a_did_you_mean(repo: Path) -> None:
    err = errors(repo, 'stack "a" {\n  pth = "stacks/alpha"\n}\n')
    assert 'An argument named "pth" is not expected in stack "a". Did you mean "path"?' in err


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "--usage-scale -1 is negative; a usage scale is a factor of 0 or more."),
        ("two", '--usage-scale "two" is not a number; give a factor such as 2 or 0.5.'),
        ("nan", '--usage-scale "nan" is not a number; give a factor such as 2 or 0.5.'),
    ],
)
def test_bad_usage_scale(repo: Path, value: str, message: str) -> None:
    result = run_cli(["breakdown", "stacks/alpha", "--usage-scale", value])
    assert result.code == 1
    assert result.stderr == f"Error: Invalid usage scale\n\n{message}\n\n"


# -- this repository as a project ---------------------------------------------------------


def test_the_repository_examples_are_a_project(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers import REPO

    monkeypatch.chdir(REPO)
    result = run_cli(["check", "-o", "json"])
    assert result.code == 0, result.stderr
    d = json.loads(result.stdout)
    assert [(s["name"], s["path"]) for s in d["stacks"]] == [
        ("support-assistant", "examples/support-assistant"),
        ("search-api", "examples/search-api"),
    ]
    # The project's shared packs are checked in every stack.
    sources = {r["source"] for s in d["stacks"] for r in s["document"]["results"]}
    assert {"builtin:retry-storms", "builtin:context-windows"} <= sources


def test_the_readme_quick_start_is_unchanged_beside_a_project_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.helpers import REPO

    monkeypatch.chdir(REPO)
    draft = "examples/support-assistant/what-if/gpt-4o-draft.hcl"
    result = run_cli(["plan", "examples/support-assistant", "--what-if", draft])
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("infercost plan of examples/support-assistant ")
    assert "COGS $2,536.79 → $15,046.61" in result.stdout.replace("/month", "")


def test_stack_without_a_project_file(write_stack) -> None:
    write_stack({}, base=True)
    result = run_cli(["check", "--stack", "api"])
    assert result.code == 1
    assert "Error: No project file" in result.stderr


def test_compare_in_a_project_of_several_stacks_needs_one(repo: Path) -> None:
    (repo / "w.hcl").write_text('feature "f" {\n  revenue_per_unit = 0.2\n}\n')
    result = run_cli(["compare", "w.hcl"])
    assert result.code == 1
    assert "compare works on one stack, and the project has 3" in result.stderr
    d = doc(["compare", "--stack", "beta", "w.hcl"], 0)
    # beta: 500 units, COGS $5; revenue 500 x 0.1 = 50 -> 500 x 0.2 = 100
    assert [c["totals"]["revenue"] for c in d["columns"]] == [50, 100]


def test_project_usage_and_policies_are_relative_to_the_project_file(repo: Path) -> None:
    (repo / "data").mkdir()
    (repo / "data" / "beta.csv").write_text("feature,units\nf,2000\n")
    (repo / "rules").mkdir()
    (repo / "rules" / "floor.hcl").write_text(
        'guardrail "floor" {\n  scope     = "feature"\n  condition = self.margin >= 0.95\n}\n'
    )
    (repo / "infercost.project.hcl").write_text(
        'stack "beta" {\n  path  = "stacks/beta"\n  usage = "data/beta.csv"\n}\n'
        'policies = ["rules/floor.hcl"]\n'
    )
    d = doc(["check"], 2)
    (beta,) = d["stacks"]
    # 2000 units x $0.01 = $20 COGS against $200: margin 0.9 < 0.95 fails the shared floor
    assert beta["document"]["plan"]["totals"]["after"]["cogs"] == 20
    floor = [r for r in beta["document"]["results"] if r["guardrail"] == "floor"]
    assert [(r["status"], r["source"]) for r in floor] == [("fail", "rules/floor.hcl")]


def test_a_usage_file_the_project_names_must_exist(repo: Path) -> None:
    err = errors(repo, 'stack "b" {\n  path  = "stacks/beta"\n  usage = "nope.csv"\n}\n')
    assert err == (
        'Error: Usage file not found\n\n  on infercost.project.hcl line 3, in stack "b":\n'
        '  3:   usage = "nope.csv"\n\nstack "b": nope.csv does not exist (usage is relative to '
        "the project file).\n\n"
    )


def test_an_invalid_project_file_at_the_base_is_an_error_beside_the_stacks(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "work")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "head")
    (repo / "broken.hcl").write_text("x")
    (repo / "infercost.project.hcl").rename(repo / "keep.hcl")
    (repo / "infercost.project.hcl").write_text('stak "a" {}\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "broken project")
    (repo / "keep.hcl").rename(repo / "infercost.project.hcl")
    result = run_cli(["plan", "--base", "HEAD", "-o", "json"])
    assert result.code == 1
    assert "Error: Invalid base project" in result.stderr
    assert "The project file at git ref HEAD does not load; its errors follow." in result.stderr
    assert 'Blocks of type "stak" are not expected at the top level. Did you mean "stack"?' in (
        result.stderr
    )
    assert [s["name"] for s in json.loads(result.stdout)["stacks"]] == ["alpha", "beta", "gamma"]


def test_a_project_of_one_stack_takes_single_stack_options(repo: Path) -> None:
    (repo / "infercost.project.hcl").write_text(project_text("beta"))
    (repo / "more.csv").write_text("feature,units\nf,900\n")
    d = doc(["breakdown", "--usage", "more.csv"], 0)
    # 900 units x $0.01
    assert d["stacks"][0]["document"]["totals"]["cogs"] == 9


def test_a_var_applies_to_the_stacks_that_declare_it(repo: Path) -> None:
    main = repo / "stacks" / "beta" / "main.hcl"
    text = main.read_text().replace("revenue_per_unit = 0.1", "revenue_per_unit = var.price")
    main.write_text(text + 'variable "price" {\n  type    = number\n  default = 0.1\n}\n')
    d = doc(["breakdown", "--var", "price=0.2"], 0)
    # beta: 500 units x $0.2; alpha and gamma do not declare "price" and ignore it
    assert [s["document"]["totals"]["revenue"] for s in d["stacks"]] == [100, 100, 20]
    result = run_cli(["breakdown", "--var", "prise=0.2"])
    assert result.code == 1
    assert (
        'A value was given for "prise" (--var), but no stack of the project declares it. '
        'Did you mean "price"?'
    ) in result.stderr


def test_plan_text_golden_with_its_warnings(repo: Path, assert_golden) -> None:
    result = run_cli(["plan", "--base", "main"])
    assert result.code == 0
    assert_golden("project/plan.txt", result.stdout + "--- stderr ---\n" + result.stderr)


def test_a_format_a_project_run_has_not_is_a_clean_error(repo: Path) -> None:
    result = run_cli(["breakdown", "-o", "html"])
    assert result.code == 1
    assert (
        '"html" is not an output format of breakdown over a project; choose from text, json '
        "(or pick one stack with --stack NAME)."
    ) in result.stderr


def test_validate_summary_counts_its_stacks(repo: Path) -> None:
    result = run_cli(["validate"])
    assert result.code == 0, result.stderr
    assert "All 3 stacks are valid." in result.stdout
    (repo / "infercost.project.hcl").write_text(project_text("beta"))
    result = run_cli(["validate"])
    assert result.code == 0, result.stderr
    assert "The stack is valid." in result.stdout
    assert "All 1 stack" not in result.stdout
