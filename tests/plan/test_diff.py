"""The plan result: configuration changes by address, feature actions, change figures,
attribution, ``--detailed-exitcode`` and ``--var`` on both sides (SPEC §8, §11)."""

from __future__ import annotations

from decimal import Decimal

from tests.plan.support import (
    COST_PER_UNIT,
    DRAFT,
    PLAN_STACK,
    RETRIEVE,
    changes,
    feature,
    plan,
    plan_json,
)

D = Decimal
HUNDRED = D(100)


def variant(*edits: tuple[str, str, str], extra: dict[str, str] | None = None) -> dict[str, str]:
    """PLAN_STACK with (file, old, new) text replacements and extra files."""
    files = dict(PLAN_STACK)
    for name, old, new in edits:
        assert old in files[name], (name, old)
        files[name] = files[name].replace(old, new)
    return {**files, **(extra or {})}


RETRIEVE_STEP = """
  step "retrieve" {
    uses     = "pinecone/read_unit"
    calls    = 4
    quantity = 5
  }"""
PINECONE = """
price_sheet "pinecone" {
  meter "read_unit" {
    price = 16
    per   = 1000000
  }
}"""


def dedented(text: str) -> str:
    """The block texts above as they appear in PLAN_STACK (indented by 8)."""
    return "\n".join(("        " + line) if line else line for line in text.split("\n"))


def test_configuration_changes_by_address(write_stack) -> None:
    write_stack(PLAN_STACK, "base")
    write_stack(
        variant(
            ("main.hcl", "calls         = local.draft_calls", "calls         = between(1, 4)"),
            ("main.hcl", "retry_rate    = 0.05", "retry_rate    = 0.1"),
            ("main.hcl", dedented(RETRIEVE_STEP), ""),
            ("main.hcl", "target_margin    = 0.5", "target_margin    = 0.6"),
            ("main.hcl", 'unit "ticket" {}', 'unit "ticket" {}\nunit "search" {\n}'),
            ("prices.hcl", dedented(PINECONE), ""),
        )
    )
    doc = plan_json(["stack", "--base-dir", "base"])
    assert doc["base"] == "directory base"
    assert changes(doc) == [
        ("feature.chat", "update", "target_margin", D("0.5"), D("0.6")),
        (
            "price_sheet.pinecone",
            "delete",
            None,
            {"currency": "USD", "effective": None, "discount": D(0), "description": None},
            None,
        ),
        (
            "price_sheet.pinecone.meter.read_unit",
            "delete",
            None,
            {"price": D(16), "per": D(1000000), "unit": None, "description": None},
            None,
        ),
        ("unit.search", "create", None, None, {"description": None}),
        # a distribution is written as its source text
        ("workflow.answer.step.draft", "update", "calls", "between(2, 5)", "between(1, 4)"),
        ("workflow.answer.step.draft", "update", "retry_rate", D("0.05"), D("0.1")),
        (
            "workflow.answer.step.retrieve",
            "delete",
            None,
            {
                "uses": "pinecone/read_unit",
                "calls": D(4),
                "share": D(1),
                "retry_rate": D(0),
                "cacheable": True,
                "quantity": D(5),
                "description": None,
            },
            None,
        ),
    ]
    addresses = [(c["address"], c["attribute"] or "") for c in doc["changes"]]
    assert addresses == sorted(addresses)


def test_guardrail_definitions_are_diffed_as_expression_text(write_stack) -> None:
    guardrail = """
        guardrail "floor" {
          condition = self.margin >= 0.5
          message   = "${self.name} is under 50%"
        }
        """
    write_stack({**PLAN_STACK, "guardrails.hcl": guardrail}, "base")
    write_stack(
        {**PLAN_STACK, "guardrails.hcl": guardrail.replace(">= 0.5", ">= 0.4").replace("50", "40")}
    )
    doc = plan_json(["stack", "--base-dir", "base"])
    assert changes(doc) == [
        ("guardrail.floor", "update", "condition", "self.margin >= 0.5", "self.margin >= 0.4"),
        (
            "guardrail.floor",
            "update",
            "message",
            '"${self.name} is under 50%"',
            '"${self.name} is under 40%"',
        ),
    ]
    # no feature figure moved, but the plan has changes
    assert feature(doc, "chat")["action"] == "no-op"
    assert doc["has_changes"] is True
    assert plan(["stack", "--base-dir", "base", "--detailed-exitcode"]).code == 2


SECOND_FEATURES = """
    feature "{name}" {{
      unit             = unit.ticket
      workflow         = workflow.answer
      revenue_per_unit = 0.4
    }}
    """


def test_feature_actions_and_change_figures(write_stack) -> None:
    usage = "feature,units\nchat,1000\nold,10\nsame,20\nnew,30\n"
    base_features = SECOND_FEATURES.format(name="old") + SECOND_FEATURES.format(name="same")
    head_features = SECOND_FEATURES.format(name="new") + SECOND_FEATURES.format(name="same")
    write_stack({**PLAN_STACK, "more.hcl": base_features, "usage.csv": usage}, "base")
    # head: every unit of "chat" retries twice as often (0.05 -> 0.1); "chat" alone
    # changes its configuration, but the shared step changes "same" and "new" too.
    write_stack(
        {
            **variant(("main.hcl", "retry_rate    = 0.05", "retry_rate    = 0.1")),
            "more.hcl": head_features,
            "usage.csv": usage,
        }
    )
    doc = plan_json(["stack", "--base-dir", "base"])
    actions = {f["name"]: f["action"] for f in doc["features"]}
    assert actions == {"chat": "update", "new": "create", "old": "delete", "same": "update"}
    assert [f["name"] for f in doc["features"]] == ["chat", "new", "old", "same"]
    assert doc["summary"] == {"create": 1, "update": 2, "delete": 1, "no_op": 0}

    before_cpu = COST_PER_UNIT  # 0.0294 + 0.00032 = 0.02972
    after_cpu = D("0.028") * D("1.1") + RETRIEVE  # 0.0308 + 0.00032 = 0.03112
    revenue = D("0.4")  # per unit, every feature

    chat = feature(doc, "chat")
    cogs_before, cogs_after = 1000 * before_cpu, 1000 * after_cpu  # 29.72, 31.12
    margin_before = (1000 * revenue - cogs_before) / (1000 * revenue)  # 0.9257
    margin_after = (1000 * revenue - cogs_after) / (1000 * revenue)  # 0.9222
    assert chat["change"] == {
        "cogs": D("1.4"),
        "cogs_pct": (cogs_after - cogs_before) / cogs_before * HUNDRED,  # 4.7106...
        "cost_per_unit_pct": (after_cpu - before_cpu) / before_cpu * HUNDRED,
        "margin_points": D("-0.35"),  # (0.9222 - 0.9257) in points
        "revenue": D(0),
        # One snapshot for both sides: the configuration moved all of it.
        "usage_effect": D(0),
        "configuration_effect": D("1.4"),
    }
    assert (margin_after - margin_before) * HUNDRED == D("-0.35")

    new = feature(doc, "new")
    assert new["before"] is None
    assert new["after"]["cogs"] == 30 * after_cpu
    # no base: the change is the whole amount and every relative figure is null
    assert new["change"] == {
        "cogs": 30 * after_cpu,
        "cogs_pct": None,
        "cost_per_unit_pct": None,
        "margin_points": None,
        "revenue": 30 * revenue,
        "usage_effect": D(0),
        "configuration_effect": 30 * after_cpu,  # a created feature is configuration
    }

    old = feature(doc, "old")
    assert old["after"] is None
    assert old["change"] == {
        "cogs": -10 * before_cpu,
        "cogs_pct": D(-100),  # its COGS goes to zero
        "cost_per_unit_pct": None,  # a removed feature has no cost per unit
        "margin_points": None,
        "revenue": -10 * revenue,
        "usage_effect": D(0),
        "configuration_effect": -10 * before_cpu,
    }

    # totals: units 1000+10+20 before, 1000+20+30 after, at one cost per unit each side
    totals = doc["totals"]
    t_before, t_after = 1030 * before_cpu, 1050 * after_cpu  # 30.6116, 32.676
    assert totals["before"]["cogs"] == t_before
    assert totals["after"]["cogs"] == t_after
    assert totals["before"]["revenue"] == 1030 * revenue
    assert totals["after"]["revenue"] == 1050 * revenue
    m_before = (1030 * revenue - t_before) / (1030 * revenue)
    m_after = (1050 * revenue - t_after) / (1050 * revenue)
    assert totals["change"] == {
        "cogs": t_after - t_before,  # 2.0644
        "cogs_pct": (t_after - t_before) / t_before * HUNDRED,
        "cost_per_unit_pct": None,  # totals have no cost per unit
        "margin_points": (m_after - m_before) * HUNDRED,
        "revenue": 20 * revenue,  # 20 more units
        "usage_effect": D(0),
        "configuration_effect": t_after - t_before,
    }


def test_a_base_with_zero_cogs_gives_null_percentages(write_stack) -> None:
    # base: the step is free (a moderation-like model); head: it costs something
    free = variant(
        ("main.hcl", 'uses          = "openai/gpt-4o"', 'uses          = "free/m"'),
        ("main.hcl", dedented(RETRIEVE_STEP), ""),
        extra={"free.hcl": 'price_sheet "free" {\n  model "m" { input_per_mtok = 0 }\n}\n'},
    )
    write_stack(free, "base")
    write_stack({**free, "free.hcl": free["free.hcl"].replace("= 0 }", "= 1 }")})
    doc = plan_json(["stack", "--base-dir", "base"])
    chat = feature(doc, "chat")
    assert chat["before"]["cogs"] == 0
    # head: 3.5 · 1800 input tokens · 1 / 1e6 · 1.05 retries = 0.006615 per unit
    assert chat["after"]["cost_per_unit"] == D("3.5") * D(1800) / D(1_000_000) * D("1.05")
    assert chat["change"]["cogs_pct"] is None
    assert chat["change"]["cost_per_unit_pct"] is None
    # margin 100 % (revenue 400, COGS 0) -> (400 - 6.615) / 400: 1.65375 points lower
    assert chat["after"]["cogs"] == D("6.615")
    assert chat["change"]["margin_points"] == ((D(400) - D("6.615")) / D(400) - 1) * HUNDRED
    assert chat["change"]["margin_points"] == D("-1.65375")
    assert doc["totals"]["change"]["cogs_pct"] is None


def test_attribution_names_the_step_and_its_cause(write_stack) -> None:
    write_stack(PLAN_STACK)
    write_stack(
        {
            "w.hcl": """
                workflow "answer" {
                  step "draft" { uses = "openai/gpt-4o-mini" }
                }
                """
        },
        "what-if",
    )
    doc = plan_json(["stack", "--what-if", "what-if/w.hcl"])
    chat = feature(doc, "chat")
    # draft on gpt-4o-mini (no cached price: it is the input price):
    #   (6300 · 0.15 + 1225 · 0.60) / 1e6 = (945 + 735) / 1e6 = 0.00168; · 1.05 = 0.001764
    mini = (D(6300) * D("0.15") + D(1225) * D("0.60")) / D(1_000_000) * D("1.05")
    assert chat["after"]["steps"][0]["cost_per_unit"] == mini
    (moved,) = chat["attribution"]  # retrieve did not move, so it is not listed
    assert moved["step"] == "draft"
    assert moved["address"] == "workflow.answer.step.draft"
    assert moved["cost_per_unit_change"] == mini - DRAFT
    assert moved["cogs_change"] == 1000 * (mini - DRAFT)  # -27.636
    assert moved["cogs_change"] == chat["change"]["cogs"]
    assert [(c["address"], c["attribute"], c["before"], c["after"]) for c in moved["causes"]] == [
        ("workflow.answer.step.draft", "uses", "openai/gpt-4o", "openai/gpt-4o-mini")
    ]


def test_attribution_of_a_price_change(write_stack) -> None:
    write_stack(PLAN_STACK)
    write_stack(
        {"w.hcl": 'price_sheet "openai" {\n  model "gpt-4o" { output_per_mtok = 12 }\n}\n'},
        "what-if",
    )
    doc = plan_json(["stack", "--what-if", "what-if/w.hcl"])
    (moved,) = feature(doc, "chat")["attribution"]
    # output tokens 1225 per unit, 2 more per million, 1.05 for retries, 1000 units
    assert moved["cogs_change"] == D(1225) * D(2) / D(1_000_000) * D("1.05") * 1000
    assert [c["address"] for c in moved["causes"]] == ["price_sheet.openai.model.gpt-4o"]


def test_detailed_exitcode(write_stack) -> None:
    write_stack(PLAN_STACK)
    write_stack(
        {
            "empty.hcl": "",
            "same.hcl": 'feature "chat" { revenue_per_unit = 0.40 }',  # 0.40 == 0.4
            "cheaper.hcl": 'workflow "answer" { step "draft" { retry_rate = 0 } }',
        },
        "what-if",
    )
    for what_if, code in (("empty", 0), ("same", 0), ("cheaper", 2)):
        argv = ["stack", "--what-if", f"what-if/{what_if}.hcl", "--detailed-exitcode"]
        result = plan(argv)
        assert (result.code, result.stderr) == (code, ""), what_if
        assert plan(argv[:-1]).code == 0  # without the flag, a plan succeeds with 0
    doc = plan_json(["stack", "--what-if", "what-if/cheaper.hcl", "--detailed-exitcode"], 2)
    assert doc["has_changes"] is True
    doc = plan_json(["stack", "--base-dir", "stack", "--detailed-exitcode"])
    assert doc["has_changes"] is False
    assert doc["changes"] == []
    assert {f["action"] for f in doc["features"]} == {"no-op"}


VARIABLE = """
    variable "price" {
      type    = number
      default = 0.4
    }
    """


def test_var_applies_to_both_sides(write_stack) -> None:
    stack = variant(("main.hcl", "revenue_per_unit = 0.4", "revenue_per_unit = var.price"))
    write_stack({**stack, "vars.hcl": VARIABLE}, "base")
    write_stack({**stack, "vars.hcl": VARIABLE})
    doc = plan_json(["stack", "--base-dir", "base", "--var", "price=0.5"])
    assert doc["changes"] == []
    chat = feature(doc, "chat")
    assert chat["before"]["revenue"] == chat["after"]["revenue"] == 1000 * D("0.5")


def test_var_ignored_on_a_side_that_does_not_declare_it(write_stack) -> None:
    write_stack(PLAN_STACK, "base")
    stack = variant(("main.hcl", "revenue_per_unit = 0.4", "revenue_per_unit = var.price"))
    write_stack({**stack, "vars.hcl": VARIABLE})
    doc = plan_json(["stack", "--base-dir", "base", "--var", "price=0.5"])
    assert ("feature.chat", "update", "revenue_per_unit", D("0.4"), D("0.5")) in changes(doc)
    assert (
        "variable.price",
        "create",
        None,
        None,
        {
            "type": "number",
            "value": D("0.5"),
            "description": None,
        },
    ) in changes(doc)
    assert feature(doc, "chat")["change"]["revenue"] == 1000 * D("0.1")


def test_var_declared_on_neither_side_is_an_error(write_stack) -> None:
    write_stack(PLAN_STACK, "base")
    write_stack(PLAN_STACK)
    code, out, err = plan(["stack", "--base-dir", "base", "--var", "price=0.5"])
    assert (code, out) == (1, "")
    assert "Error: Undeclared input variable" in err
    assert '"price"' in err
    assert "neither side of the change declares it" in err


def test_currencies_must_match(write_stack) -> None:
    write_stack(PLAN_STACK, "base")
    write_stack(
        variant(
            ("infercost.hcl", 'period = "month"', 'period = "month"\n  currency = "EUR"'),
            ("prices.hcl", 'price_sheet "openai" {', 'price_sheet "openai" {\n  currency = "EUR"'),
            (
                "prices.hcl",
                'price_sheet "pinecone" {',
                'price_sheet "pinecone" {\n  currency = "EUR"',
            ),
        )
    )
    code, _, err = plan(["stack", "--base-dir", "base"])
    assert code == 1
    assert "Currency mismatch" in err


def test_usage_rows_must_name_a_feature_of_either_side(write_stack) -> None:
    write_stack(PLAN_STACK, "base")
    write_stack({**PLAN_STACK, "usage.csv": "feature,units\nchat,1000\nghost,5\n"})
    code, _, err = plan(["stack", "--base-dir", "base"])
    assert code == 1
    assert "ghost" in err


def test_no_base_compares_with_an_empty_stack(write_stack) -> None:
    write_stack(PLAN_STACK)
    doc = plan_json(["stack"])
    assert doc["base"] == "an empty stack"
    assert [(f["name"], f["action"]) for f in doc["features"]] == [("chat", "create")]
    assert doc["totals"]["before"] == {
        "cogs": 0,
        "revenue": 0,
        "margin": None,
        "variable_cogs": 0,
        "allocated_cogs": 0,
        "unallocated_cogs": 0,
        "contribution_margin": None,
        "gpu_hours": 0,
        "gpu_hours_by_item": {},
    }
    assert doc["totals"]["after"]["cogs"] == 1000 * COST_PER_UNIT


def test_a_missing_base_directory_is_an_error(write_stack) -> None:
    write_stack(PLAN_STACK)
    code, out, err = plan(["stack", "--base-dir", "missing"])
    assert (code, out) == (1, "")
    assert "The directory missing does not exist." in err


def test_plan_decides_changed_on_the_result_model(write_stack) -> None:
    """Whether a feature changed is decided on its figures, not on a rendered document:
    lines moved within a file (other source ranges) and 2.50 written for 2.5 are no-ops,
    while a figure that moves is an update."""
    write_stack(PLAN_STACK, "base")
    moved = {
        n: ("# moved down\n\n\n" + t if n.endswith(".hcl") else t) for n, t in PLAN_STACK.items()
    }
    write_stack(moved)
    doc = plan_json(["stack", "--base-dir", "base", "--detailed-exitcode"])
    assert {f["action"] for f in doc["features"]} == {"no-op"}
    write_stack(variant(("main.hcl", "retry_rate    = 0.05", "retry_rate    = 0.050")), "stack")
    doc = plan_json(["stack", "--base-dir", "base", "--detailed-exitcode"])
    assert {f["action"] for f in doc["features"]} == {"no-op"}
    write_stack(variant(("main.hcl", "retry_rate    = 0.05", "retry_rate    = 0.1")), "stack")
    doc = plan_json(["stack", "--base-dir", "base", "--detailed-exitcode"], 2)
    assert "update" in {f["action"] for f in doc["features"]}
