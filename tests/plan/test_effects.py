"""Usage effect vs configuration effect (SPEC §14): each side on its own snapshot.

The figures are computed by hand from PLAN_STACK (tests/plan/support.py):
cost per unit 0.02972 = draft 0.0294 + retrieve 0.00032. Raising the draft's input to
3000 tokens: T_in = 3.5 · 3000 = 10500, (10500 · 2.50 + 1225 · 10.00) / 1e6 = 0.0385,
· 1.05 retries = 0.040425; cost per unit 0.040745.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.arithmetic import exact
from infercost.cost.breakdown import compute
from infercost.plan.diff import build_plan
from infercost.usage.snapshot import Snapshot
from tests.guard.support import run_check
from tests.helpers import load, run_cli, write_files
from tests.plan.support import COST_PER_UNIT, DRAFT, PLAN_STACK, RETRIEVE, feature, plan_json
from tests.plan.test_git_base import commit, git

D = Decimal
DRAFT_3000 = D("0.0385") * D("1.05")  # 0.040425
CPU_3000 = DRAFT_3000 + RETRIEVE  # 0.040745
MORE_INPUT = ("draft_input = 1800", "draft_input = 3000")
COGS_GUARD = """
guardrail "cogs_growth" {
  scope     = "stack"
  condition = self.cogs_change_pct <= 10
}
"""


def stack_files(units: int, *, edit: tuple[str, str] | None = None, **extra: str) -> dict:
    files = {**PLAN_STACK, "usage.csv": f"feature,units\nchat,{units}\n", **extra}
    if edit is not None:
        assert edit[0] in files["main.hcl"]
        files["main.hcl"] = files["main.hcl"].replace(*edit)
    return files


def test_the_two_effects_are_computed_as_by_hand_and_add_up(write_stack) -> None:
    write_stack(stack_files(1000), "base")
    write_stack(stack_files(1500, edit=MORE_INPUT))
    doc = plan_json(["stack", "--base-dir", "base"])
    assert doc["usage_changed"] is True
    chat = feature(doc, "chat")
    volume = (1500 - 1000) * COST_PER_UNIT  # 14.86: more units at the base's unit cost
    rate = 1500 * (CPU_3000 - COST_PER_UNIT)  # 16.5375: the new unit cost on every unit
    assert (volume, rate) == (D("14.86"), D("16.5375"))
    total = 1500 * CPU_3000 - 1000 * COST_PER_UNIT  # 61.1175 − 29.72
    assert volume + rate == total == D("31.3975")
    assert chat["change"]["cogs"] == total
    assert chat["change"]["usage_effect"] == volume
    assert chat["change"]["configuration_effect"] == rate
    assert chat["before"]["units"] == 1000 and chat["after"]["units"] == 1500
    # Step by step: the draft carries the configuration change, the retrieve only volume.
    steps = {a["step"]: a for a in chat["attribution"]}
    assert steps["draft"]["usage_effect"] == 500 * DRAFT  # 14.7
    assert steps["draft"]["configuration_effect"] == 1500 * (DRAFT_3000 - DRAFT)  # 16.5375
    assert steps["retrieve"]["usage_effect"] == 500 * RETRIEVE  # 0.16
    assert steps["retrieve"]["configuration_effect"] == 0
    assert steps["retrieve"]["causes"] == []
    assert [a["step"] for a in chat["attribution"]] == ["draft", "retrieve"]
    for a in chat["attribution"]:
        assert a["usage_effect"] + a["configuration_effect"] == a["cogs_change"]
    totals = doc["totals"]["change"]
    assert (totals["usage_effect"], totals["configuration_effect"]) == (volume, rate)


def test_the_same_snapshot_has_no_usage_effect(write_stack) -> None:
    write_stack(stack_files(1000), "base")
    write_stack(stack_files(1000, edit=MORE_INPUT))
    doc = plan_json(["stack", "--base-dir", "base"])
    assert doc["usage_changed"] is False
    chat = feature(doc, "chat")
    assert chat["change"]["usage_effect"] == 0
    assert chat["change"]["configuration_effect"] == 1000 * (CPU_3000 - COST_PER_UNIT)


def test_effects_in_text_and_markdown(write_stack) -> None:
    write_stack(stack_files(1000), "base")
    write_stack(stack_files(1500, edit=MORE_INPUT))
    code, out, err = run_cli(["plan", "stack", "--base-dir", "base"])
    assert (code, err) == (0, "")
    assert "usage: stack/usage.csv; base: base/usage.csv" in out
    assert "        usage        +$14.86\n        config       +$16.54\n" in out
    assert "draft: +$31.24/month = usage +$14.70, configuration +$16.54" in out
    assert out.rstrip().endswith(": usage +$14.86, configuration +$16.54.")
    code, md, err = run_cli(["plan", "stack", "--base-dir", "base", "-o", "markdown"])
    assert (code, err) == (0, "")
    assert "usage moved **+$14.86** and the configuration **+$16.54**" in md
    assert "| `retrieve` | +$0.16 | +$0.16 | $0.00 | usage only |" in md


@pytest.fixture
def usage_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose last commit holds PLAN_STACK with 1000 units and a cost guard."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write_files(root / "stack", stack_files(1000, **{"guard.hcl": COGS_GUARD}))
    commit(root, "base")
    monkeypatch.chdir(root)
    return root


def refresh(root: Path, units: int, edit: tuple[str, str] | None = None) -> None:
    files = stack_files(units, edit=edit, **{"guard.hcl": COGS_GUARD})
    write_files(root / "stack", {k: files[k] for k in ("usage.csv", "main.hcl")})


def test_git_base_reads_the_committed_snapshot(usage_repo: Path) -> None:
    refresh(usage_repo, 1500)
    doc = plan_json(["stack", "--base", "HEAD"])
    assert doc["usage_changed"] is True
    chat = feature(doc, "chat")
    # Only usage moved: 500 more units at 0.02972.
    assert chat["change"]["usage_effect"] == 500 * COST_PER_UNIT
    assert chat["change"]["configuration_effect"] == 0


def test_a_usage_refresh_does_not_block(usage_repo: Path) -> None:
    refresh(usage_repo, 1500)  # COGS +50 % from usage alone
    check = run_check(Path("stack"), base_ref="HEAD")
    assert check.passed
    (stack,) = [r for r in check.results if r.guardrail == "cogs_growth"]
    assert stack.status == "pass"
    assert stack.values == {"cogs_change_pct": D(0)}  # the configuration moved nothing
    code, out, err = run_cli(["check", "stack", "--base", "HEAD"])
    assert (code, err) == (0, "")
    assert (
        "COGS $29.72 → $44.58 (+50.0%): usage +$14.86, configuration $0.00 "
        "(guardrails judge the configuration)"
    ) in out


def test_a_configuration_change_cannot_hide_behind_a_usage_drop(usage_repo: Path) -> None:
    refresh(usage_repo, 500, MORE_INPUT)
    # In total COGS falls: 500 · 0.040745 − 1000 · 0.02972 = −9.3475 (−31 %) ...
    doc = plan_json(["stack", "--base", "HEAD"])
    assert doc["totals"]["change"]["cogs"] == D("-9.3475")
    # ... but on the same usage the configuration raised it by 500 · 0.011025 = 5.5125,
    # +37.1 % of 500 · 0.02972 = 14.86: the guardrail judges that and blocks.
    assert doc["totals"]["change"]["configuration_effect"] == D("5.5125")
    check = run_check(Path("stack"), base_ref="HEAD")
    (stack,) = [r for r in check.results if r.guardrail == "cogs_growth"]
    with exact():
        assert stack.values == {"cogs_change_pct": D("5.5125") / D("14.86") * 100}
    assert (stack.status, stack.blocking) == ("fail", True)
    code, out, _ = run_cli(["check", "stack", "--base", "HEAD", "-o", "json"])
    assert code == 2
    doc = json.loads(out, parse_float=D)
    assert doc["plan"]["totals"]["change"]["usage_effect"] == -500 * COST_PER_UNIT


UNITS = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False)
TOKENS = st.integers(min_value=0, max_value=20_000)


@settings(max_examples=25, deadline=None)
@given(UNITS, UNITS, TOKENS, TOKENS)
def test_effects_always_add_up_to_the_change(
    units_base: Decimal, units_head: Decimal, tokens_base: int, tokens_head: int
) -> None:
    """usage + configuration = total exactly, and each is the closed form of SPEC §14."""
    hcl = {name: text for name, text in PLAN_STACK.items() if name.endswith(".hcl")}
    base = load({**hcl, "main.hcl": hcl["main.hcl"].replace("1800", str(tokens_base))})
    head = load({**hcl, "main.hcl": hcl["main.hcl"].replace("1800", str(tokens_head))})
    snap_base = Snapshot("b.csv", units={"chat": units_base})
    snap_head = Snapshot("h.csv", units={"chat": units_head})
    plan = build_plan(
        base,
        head,
        compute(base, snap_base),
        compute(head, snap_head),
        "base",
        compute(base, snap_head),
    )
    (chat,) = plan.features
    assert chat.before is not None and chat.after is not None
    cpu_b, cpu_h = chat.before.cost_per_unit, chat.after.cost_per_unit
    with exact():
        assert chat.change.usage_effect == (units_head - units_base) * cpu_b
        assert chat.change.configuration_effect == units_head * (cpu_h - cpu_b)
        assert chat.change.usage_effect + chat.change.configuration_effect == chat.change.cogs
        for step in chat.attribution:
            assert step.usage_effect + step.configuration_effect == step.cogs_change


def test_a_usage_file_outside_the_repository_is_one_snapshot_for_both(
    usage_repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "usage.csv").write_text("feature,units\nchat,2000\n", encoding="utf-8")
    doc = plan_json(["stack", "--base", "HEAD", "--usage", str(outside / "usage.csv")])
    assert doc["usage_changed"] is False
    assert feature(doc, "chat")["change"]["cogs"] == 0


def test_a_usage_file_named_on_the_command_line_is_read_at_the_ref(usage_repo: Path) -> None:
    refresh(usage_repo, 1200)
    doc = plan_json(["stack", "--base", "HEAD", "--usage", "stack/usage.csv"])
    assert doc["usage_changed"] is True
    assert feature(doc, "chat")["change"]["usage_effect"] == 200 * COST_PER_UNIT


def test_documents_with_a_split_validate_against_the_schemas(write_stack) -> None:
    import jsonschema

    from tests.plan.test_output_schemas import schema

    write_stack(stack_files(1000), "base")
    write_stack(stack_files(1500, edit=MORE_INPUT))
    for kind in ("plan", "check"):
        code, out, _ = run_cli([kind, "stack", "--base-dir", "base", "-o", "json"])
        assert code == 0
        document = json.loads(out)
        jsonschema.validate(document, schema(kind))
        usage_changed = document["usage_changed"] if kind == "plan" else document["plan"]
        assert usage_changed is True or usage_changed["usage_changed"] is True
