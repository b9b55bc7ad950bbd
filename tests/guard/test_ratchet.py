"""The ratchet: with a base, only new or worsened violations block (SPEC §6, §11).

Margins of feature "chat" (revenue 102.5, 3100 units; see tests/guard/support.py) as the
draft step's retry_rate varies, the rest of the stack unchanged:

  draft per unit, eu   = 0.0173125 · (1 + r) · 0.8 · 1.1 = 0.015235 · (1 + r)
  cost per unit        = that + 0.0004 (retrieve)
  r = 0    → 0.015635  → COGS 48.4685  → margin 54.0315 / 102.5 ≈ 0.5271  (passes 0.5)
  r = 0.08 → 0.0168538 → COGS 52.24678 → margin 50.25322 / 102.5 ≈ 0.4903 (fails)
  r = 0.1  → 0.0171585 → COGS 53.19135 → margin 0.48106                    (fails)
  r = 0.2  → 0.018682  → COGS 57.9142  → margin 44.5858 / 102.5 ≈ 0.4350  (fails)
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from tests.guard.support import GUARD_STACK, result, run_check
from tests.helpers import CONTEXT, run_cli, write_files

D = Decimal
WriteStack = Callable[..., Path]
RETRY = "retry_rate     = 0.1"


def with_retry(rate: str, **extra: str) -> dict[str, str]:
    main = GUARD_STACK["main.hcl"]
    assert RETRY in main
    return {**GUARD_STACK, "main.hcl": main.replace(RETRY, f"retry_rate     = {rate}"), **extra}


def margin_at(retry: str) -> Decimal:
    cost = D("0.015235") * (1 + D(retry)) + D("0.0004")
    cogs = D(3100) * cost
    return CONTEXT.divide(D("102.5") - cogs, D("102.5"))


def sides(write_stack: WriteStack, base_retry: str, head_retry: str, **extra: str) -> Path:
    """Write base/ and stack/ (the head) that differ in the draft's retry_rate."""
    write_stack(with_retry(base_retry, **extra), "base")
    return write_stack(with_retry(head_retry, **extra))


def test_the_margins_worked_out_above() -> None:
    assert margin_at("0") > D("0.5")
    assert margin_at("0.1") == D("0.48106")
    assert margin_at("0.2") < margin_at("0.1") < margin_at("0.08") < D("0.5")


# -- target_margin -----------------------------------------------------------------------------
def test_a_new_violation_blocks_and_names_the_change(write_stack: WriteStack) -> None:
    stack = sides(write_stack, "0", "0.1")
    check = run_check(stack, base_dir=Path("base"))
    chat = result(check, "target_margin", "feature.chat")
    assert (chat.status, chat.blocking, chat.worse) == ("fail", True, None)
    assert chat.base_values == {"margin": margin_at("0"), "target_margin": D("0.5")}
    # COGS 48.4685 → 53.19135: +4.72285, written to the cent.
    assert chat.message == (
        "chat: margin 48.1% is below target 50.0% (short by 1.9 pts); mostly from "
        "workflow.answer.step.draft retry_rate 0 → 0.1 (+$4.72 COGS per period)"
    )
    assert check.base_label == "directory base"
    assert check.passed is False


def test_the_message_names_the_change_that_moved_cogs_most(write_stack: WriteStack) -> None:
    # Two changes: the draft's retry_rate (+4.72285 COGS) and the retrieve step's calls
    # between(3, 7) → between(3, 9): E[C] 5 → 6, +1 · 5 · 16 / 1e6 · 3100 = +0.248.
    write_stack(with_retry("0"), "base")
    head = with_retry("0.1")
    head["main.hcl"] = head["main.hcl"].replace("between(3, 7)", "between(3, 9)")
    stack = write_stack(head)
    chat = result(run_check(stack, base_dir=Path("base")), "target_margin", "feature.chat")
    assert chat.status == "fail"
    assert chat.message.endswith(
        "; mostly from workflow.answer.step.draft retry_rate 0 → 0.1 (+$4.72 COGS per period)"
    )
    assert "between(3, 9)" not in chat.message


def test_several_changes_to_the_top_step_are_all_named(write_stack: WriteStack) -> None:
    # Both changes are the draft step's, so its whole COGS change is theirs together:
    # output_tokens 200 → 210 adds 3.5 · 10 · 10 / 1e6 = 0.00035 per call before retries,
    # cache and region, so the draft moves 3100 · (0.0173125 + 0.00035) · 1.1 · 0.8 · 1.1
    # − 3100 · 0.0173125 · 0.8 · 1.1 = 54.24163 − 48.4685 ≈ +5.77.
    write_stack(with_retry("0"), "base")
    head = with_retry("0.1")
    head["main.hcl"] = head["main.hcl"].replace("output_tokens  = 200", "output_tokens  = 210")
    stack = write_stack(head)
    chat = result(run_check(stack, base_dir=Path("base")), "target_margin", "feature.chat")
    assert chat.message.endswith(
        "; mostly from workflow.answer.step.draft output_tokens 200 → 210, retry_rate 0 → 0.1 "
        "(+$5.77 COGS per period)"
    )


def test_no_cause_without_a_base(write_stack: WriteStack) -> None:
    chat = result(run_check(write_stack(GUARD_STACK)), "target_margin", "feature.chat")
    assert chat.status == "fail" and "mostly from" not in chat.message


@pytest.mark.parametrize(("base_retry", "label"), [("0.1", "unchanged"), ("0.2", "improved")])
def test_an_existing_violation_that_did_not_get_worse_does_not_block(
    write_stack: WriteStack, base_retry: str, label: str
) -> None:
    stack = sides(write_stack, base_retry, "0.1")
    check = run_check(stack, base_dir=Path("base"))
    chat = result(check, "target_margin", "feature.chat")
    assert (chat.status, chat.blocking, chat.worse) == ("existing", False, None), label
    assert chat.base_values is not None
    assert chat.base_values["margin"] == margin_at(base_retry)
    assert check.passed is True
    code, _, _ = run_cli(["check", str(stack), "--base-dir", "base"])
    assert code == 0


def test_a_lower_margin_than_on_the_base_blocks(write_stack: WriteStack) -> None:
    stack = sides(write_stack, "0.08", "0.1")
    check = run_check(stack, base_dir=Path("base"))
    chat = result(check, "target_margin", "feature.chat")
    assert (chat.status, chat.blocking) == ("fail", True)
    assert chat.worse is not None and "grew" in chat.worse
    assert check.passed is False
    code, out, _ = run_cli(["check", str(stack), "--base-dir", "base", "--no-color"])
    assert code == 2
    assert "✗ feature.chat  target_margin" in out


def test_a_fixed_violation_passes(write_stack: WriteStack) -> None:
    stack = sides(write_stack, "0.1", "0")
    check = run_check(stack, base_dir=Path("base"))
    chat = result(check, "target_margin", "feature.chat")
    assert (chat.status, chat.blocking) == ("pass", False)
    assert check.passed is True


def test_strict_keeps_existing_but_blocks(write_stack: WriteStack) -> None:
    stack = sides(write_stack, "0.1", "0.1")
    check = run_check(stack, base_dir=Path("base"), strict=True)
    chat = result(check, "target_margin", "feature.chat")
    assert (chat.status, chat.blocking) == ("existing", True)
    assert check.strict is True and check.passed is False
    assert run_cli(["check", str(stack), "--base-dir", "base"]).code == 0
    assert run_cli(["check", str(stack), "--base-dir", "base", "--strict"]).code == 2


# -- declared guardrails -----------------------------------------------------------------------
CHAIN = """
    guardrail "lean_draft" {
      scope     = "step"
      condition = self.kind == "meter" || self.retry_rate <= 0.05 && self.calls_max <= 4
    }
    guardrail "chain" {
      scope     = "step"
      condition = self.calls_max <= 4 && self.retry_rate <= 0.05
    }
    """
DRAFT = "workflow.answer.step.draft"


def chain_sides(write_stack: WriteStack, base: tuple[str, str], head: tuple[str, str]) -> Path:
    """base/ and stack/ whose draft has (calls upper bound, retry_rate) as given."""
    for name, (upper, retry) in (("base", base), ("stack", head)):
        files = with_retry(retry, **{"guardrails.hcl": CHAIN})
        files["main.hcl"] = files["main.hcl"].replace("between(2, 5)", f"between(2, {upper})")
        write_stack(files, name)
    return Path("stack")


@pytest.mark.parametrize(
    ("base", "head", "status", "blocking"),
    [
        # misses (calls_max − 4, retry_rate − 0.05): (1, 0.05) → (1, 0.05): same
        (("5", "0.1"), ("5", "0.1"), "existing", False),
        # (2, 0.15) → (1, 0.05): both shrank
        (("6", "0.2"), ("5", "0.1"), "existing", False),
        # (1, 0.03) → (1, 0.05): the retry miss grew
        (("5", "0.08"), ("5", "0.1"), "fail", True),
        # (2, 0.05) → (1, 0.15): one shrank, one grew
        (("6", "0.1"), ("5", "0.2"), "fail", True),
        # (0, 0.05) → (1, 0.05): a comparison that held on the base now misses
        (("4", "0.1"), ("5", "0.1"), "fail", True),
        # (1, 0.05) → (0, 0): fixed
        (("5", "0.1"), ("4", "0.05"), "pass", False),
    ],
)
def test_an_and_chain_of_comparisons_is_worse_when_any_miss_grew(
    write_stack: WriteStack,
    base: tuple[str, str],
    head: tuple[str, str],
    status: str,
    blocking: bool,
) -> None:
    stack = chain_sides(write_stack, base, head)
    chain = result(run_check(stack, base_dir=Path("base")), "chain", DRAFT)
    assert (chain.status, chain.blocking) == (status, blocking)
    if status == "fail":
        assert chain.worse is not None and chain.worse.startswith("the violation grew")


def test_how_far_a_chain_misses_is_reported(write_stack: WriteStack) -> None:
    stack = chain_sides(write_stack, ("6", "0.1"), ("5", "0.2"))
    chain = result(run_check(stack, base_dir=Path("base")), "chain", DRAFT)
    # calls miss 2 → 1 (shrank); retry miss 0.05 → 0.15 (grew): only the growth is named.
    assert chain.worse == "the violation grew: it now misses by 15.0 pts (was 5.0 pts)"


@pytest.mark.parametrize(
    ("base", "head", "status"),
    [
        (("5", "0.1"), ("5", "0.1"), "existing"),  # nothing it reads changed
        (("5", "0.2"), ("5", "0.1"), "fail"),  # retry_rate changed (even for the better)
        # The retry comparison fails, so && never reads calls_max: a change to it is not
        # a change to what the condition read.
        (("6", "0.1"), ("5", "0.1"), "existing"),
        (("6", "0.04"), ("5", "0.04"), "fail"),  # retry holds: calls_max is read, changed
    ],
)
def test_any_other_condition_is_worse_when_a_value_it_reads_changed(
    write_stack: WriteStack, base: tuple[str, str], head: tuple[str, str], status: str
) -> None:
    stack = chain_sides(write_stack, base, head)
    lean = result(run_check(stack, base_dir=Path("base")), "lean_draft", DRAFT)
    assert lean.status == status
    assert lean.blocking is (status == "fail")
    if status == "fail":
        assert lean.worse is not None and lean.worse.startswith("values it reads changed")


def test_a_violation_absent_on_the_base_is_new(write_stack: WriteStack) -> None:
    # The base has no "answer" workflow's draft step at all: every draft violation is new.
    write_stack(with_retry("0.1", **{"guardrails.hcl": CHAIN}), "base")
    base_main = Path("base/main.hcl")
    text = base_main.read_text(encoding="utf-8")
    start = text.index('  step "draft"')
    end = text.index("  }\n", start) + len("  }\n")
    base_main.write_text(text[:start] + text[end:], encoding="utf-8")
    stack = write_stack(with_retry("0.1", **{"guardrails.hcl": CHAIN}))
    chain = result(run_check(stack, base_dir=Path("base")), "chain", DRAFT)
    assert (chain.status, chain.blocking, chain.base_values) == ("fail", True, None)


def test_a_violation_skipped_on_the_base_is_new(write_stack: WriteStack) -> None:
    # cost_per_unit_change_pct is null on the base side (it has no base of its own), so the
    # base verdict is skipped and a head violation is new.
    rules = """
        guardrail "growth" {
          condition = self.cost_per_unit_change_pct <= 5
        }
        """
    stack = sides(write_stack, "0", "0.1", **{"guardrails.hcl": rules})
    growth = result(run_check(stack, base_dir=Path("base")), "growth", "feature.chat")
    # (0.0171585 − 0.015635) / 0.015635 · 100 ≈ 9.74 > 5
    assert (growth.status, growth.blocking) == ("fail", True)
    assert growth.values["cost_per_unit_change_pct"] == CONTEXT.divide(
        D("0.0015235") * 100, D("0.015635")
    )


def test_warnings_never_block(write_stack: WriteStack) -> None:
    rules = """
        guardrail "soft" {
          severity  = "warning"
          condition = self.margin >= 0.6
        }
        """
    stack = sides(write_stack, "0", "0.1", **{"guardrails.hcl": rules})
    for strict in (False, True):
        soft = result(
            run_check(stack, base_dir=Path("base"), strict=strict), "soft", "feature.chat"
        )
        assert (soft.status, soft.severity, soft.blocking) == ("fail", "warning", False)
    unchanged = sides(write_stack, "0.1", "0.1", **{"guardrails.hcl": rules})
    soft = result(run_check(unchanged, base_dir=Path("base"), strict=True), "soft", "feature.chat")
    assert (soft.status, soft.blocking) == ("existing", False)


def test_passed_is_false_when_any_result_blocks(write_stack: WriteStack) -> None:
    stack = sides(write_stack, "0.1", "0.1")
    check = run_check(stack, base_dir=Path("base"))
    assert check.passed is True and check.summary["existing"] == 1
    assert check.summary["blocking"] == 0
    check = run_check(stack, base_dir=Path("base"), strict=True)
    assert check.passed is False and check.summary["blocking"] == 1


def test_soft_fail_exits_0_on_violations_but_1_on_errors(write_stack: WriteStack) -> None:
    stack = sides(write_stack, "0", "0.1")
    code, out, _ = run_cli(["check", str(stack), "--base-dir", "base", "--soft-fail", "-o", "json"])
    assert code == 0
    assert '"passed": false' in out
    code, out, err = run_cli(["check", str(stack), "--base-dir", "nowhere", "--soft-fail"])
    assert (code, out) == (1, "")
    assert "Error:" in err


# -- a base from git -----------------------------------------------------------------------------
def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose one commit holds the stack with retry_rate 0.08 (margin fails)."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write_files(root / "stack", with_retry("0.08"))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    monkeypatch.chdir(root)
    return root


@pytest.mark.parametrize(
    ("head_retry", "status", "code"),
    [("0.08", "existing", 0), ("0.2", "fail", 2), ("0.1", "fail", 2), ("0", "pass", 0)],
)
def test_git_base(repo: Path, head_retry: str, status: str, code: int) -> None:
    write_files(repo / "stack", with_retry(head_retry))
    check = run_check(Path("stack"), base_ref="HEAD")
    chat = result(check, "target_margin", "feature.chat")
    assert chat.status == status
    assert chat.base_values is not None and chat.base_values["margin"] == margin_at("0.08")
    assert check.base_label == "git ref HEAD"
    assert run_cli(["check", "stack", "--base", "HEAD"]).code == code


def test_git_base_strict(repo: Path) -> None:
    chat = result(
        run_check(Path("stack"), base_ref="HEAD", strict=True), "target_margin", "feature.chat"
    )
    assert (chat.status, chat.blocking) == ("existing", True)
    assert run_cli(["check", "stack", "--base", "HEAD", "--strict"]).code == 2
