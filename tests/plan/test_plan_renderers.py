"""The views of a plan: text (Terraform-like), JSON and the Markdown PR comment.

Golden files live in tests/golden/plan/; regenerate with ``pytest --update-goldens``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infercost.render.markdown import GITHUB_COMMENT_LIMIT, MARKER, escape, truncate_middle
from tests.helpers import REPO, assert_plain_numbers, code_spans, outside_code, run_cli
from tests.plan.support import PLAN_STACK, plan

EXAMPLE = "examples/support-assistant"
DRAFT_WHAT_IF = f"{EXAMPLE}/what-if/gpt-4o-draft.hcl"
FORMATS = {"txt": ["--no-color"], "json": ["-o", "json"], "md": ["-o", "markdown"]}


def render_all(assert_golden, name: str, argv: list[str]) -> dict[str, str]:
    """Run the plan in each format, compare each with its golden file; the outputs."""
    outputs = {}
    for ext, flags in FORMATS.items():
        code, out, err = plan([*argv, *flags])
        assert (code, err) == (0, ""), err
        assert_golden(f"plan/{name}.{ext}", out)
        outputs[ext] = out
    assert "\x1b[" not in outputs["txt"]
    assert outputs["md"].split("\n", 1)[0] == MARKER
    assert_plain_numbers(outputs["json"])
    return outputs


@pytest.fixture
def at_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(REPO)
    return REPO


def test_what_if_with_a_margin_breach(at_repo, assert_golden) -> None:
    out = render_all(assert_golden, "what-if", [EXAMPLE, "--what-if", DRAFT_WHAT_IF])
    assert "✗ margin below target 60.0%" in out["txt"]
    assert "Plan: 0 to add, 1 to change, 0 to remove." in out["txt"]
    assert "> [!CAUTION]" in out["md"]
    doc = json.loads(out["json"])
    assert [f["below_target"] for f in doc["features"]] == [False, True]


def test_no_change(at_repo, assert_golden, tmp_path: Path) -> None:
    out = render_all(assert_golden, "no-change", [EXAMPLE, "--base-dir", EXAMPLE])
    assert "No changes." in out["txt"]
    assert "no cost changes" in out["md"]
    assert json.loads(out["json"])["has_changes"] is False
    # an empty what-if file is no change either (only the base label differs)
    empty = tmp_path / "empty.hcl"
    empty.write_text("", encoding="utf-8")
    code, text, _ = plan([EXAMPLE, "--what-if", str(empty), "--no-color"])
    assert code == 0
    assert text.replace("the stack without what-if files", f"directory {EXAMPLE}") == out["txt"]


def test_create_only(at_repo, assert_golden) -> None:
    out = render_all(assert_golden, "create-only", ["examples/search-api"])
    assert "Plan: 2 to add, 0 to change, 0 to remove." in out["txt"]
    doc = json.loads(out["json"])
    assert {c["action"] for c in doc["changes"]} == {"create"}
    # configuration values read as HCL in the comment, never as Python reprs
    assert "Decimal(" not in out["md"] and "None" not in out["md"]
    assert "quantity = between(5, 15)" in out["md"]


def test_delete_only(write_stack, assert_golden) -> None:
    legacy = """
        feature "legacy" {
          unit             = unit.ticket
          workflow         = workflow.answer
          revenue_per_unit = 0.1
        }
        """
    usage = "feature,units\nchat,1000\nlegacy,200\n"  # one snapshot: a pure deletion
    write_stack({**PLAN_STACK, "legacy.hcl": legacy, "usage.csv": usage}, "base")
    write_stack({**PLAN_STACK, "usage.csv": usage})
    out = render_all(assert_golden, "delete-only", ["stack", "--base-dir", "base"])
    assert "Plan: 0 to add, 0 to change, 1 to remove." in out["txt"]
    doc = json.loads(out["json"])
    assert [(c["address"], c["action"]) for c in doc["changes"]] == [("feature.legacy", "delete")]
    assert "| ➖ | `legacy` |" in out["md"]


def test_a_long_comment_is_cut_in_the_middle(write_stack) -> None:
    features = "\n".join(
        f'feature "f{i:03}" {{\n  unit = unit.ticket\n  workflow = workflow.answer\n'
        f'  description = "Feature number {i} with a fairly long description to fill space"\n}}'
        for i in range(300)
    )
    write_stack({**PLAN_STACK, "many.hcl": features})
    code, out, err = plan(["stack", "-o", "markdown"])
    assert (code, err) == (0, "")
    assert len(out) <= GITHUB_COMMENT_LIMIT
    assert out.split("\n", 1)[0] == MARKER
    assert "\n### 💰 infercost: monthly COGS increases" in out  # the head is kept
    assert "| ➕ | `f000` |" in out
    assert re.search(r"\n… \d+ characters truncated …\n", out)
    assert out.endswith("</details>\n")  # the tail is kept
    assert "| ➕ | `workflow.answer.step.retrieve` | created |" in out
    # the middle of the change table is gone: its first and last rows are kept
    rows = [line for line in out.splitlines() if line.startswith("| ➕ | `feature.f")]
    assert 0 < len(rows) < 300
    assert rows[0].startswith("| ➕ | `feature.f000` |")
    assert rows[-1].startswith("| ➕ | `feature.f299` |")


def test_truncate_middle_counts_characters() -> None:
    text = "é" * 50 + "x" * 1000 + "💰" * 50
    cut = truncate_middle(text, 400)
    assert len(cut) <= 400
    assert cut.startswith("é" * 50) and cut.endswith("💰" * 50)
    removed = int(re.search(r"… (\d+) characters truncated …", cut).group(1))
    note = re.search(r"\n\n… \d+ characters truncated …\n\n", cut).group(0)
    assert len(cut) - len(note) + removed == len(text)
    assert truncate_middle(text, len(text)) == text


HOSTILE = r"<script>alert(1)</script> @everyone #1 |pipe| `tick` \nsecond line"


def test_hostile_strings_are_escaped_in_markdown(write_stack) -> None:
    quoted = HOSTILE.replace('"', '\\"')
    # a model label may hold markup but no "/" and no line break (config/schema.json)
    label = quoted.replace("/", "").replace("\\n", " ")
    guardrail = 'guardrail "floor" {{\n  condition = self.margin >= 0.5\n  message = "{m}"\n}}\n'
    write_stack({**PLAN_STACK, "g.hcl": guardrail.format(m="margin too low")}, "base")
    main = PLAN_STACK["main.hcl"].replace(
        "target_margin    = 0.5", f'target_margin    = 0.99\n  description = "{quoted}"'
    )
    write_stack(
        {
            **PLAN_STACK,
            "main.hcl": main,
            "g.hcl": guardrail.format(m=quoted),
            "model.hcl": f'price_sheet "x" {{\n  model "{label}" {{\n'
            "    input_per_mtok = 1\n  }\n}\n",
        }
    )
    code, out, err = plan(["stack", "--base-dir", "base", "-o", "markdown"])
    assert (code, err) == (0, "")
    # Names and values from the configuration are code spans, where GitHub renders no
    # HTML, mention, link or emphasis; outside them everything is escaped.
    rendered = outside_code(out)
    for raw in ("<script", "</script>", "@everyone", "|pipe|", "`tick`"):
        assert raw not in rendered, raw
    assert not re.search(r"(?<!&)#1", rendered)  # "&#124;" is an entity, not an issue link
    spans = code_spans(out)
    assert any("<script>alert(1)</script> @everyone #1 \\|pipe\\| `tick`" in s for s in spans)
    # the newline inside the string became a space: no line starts with the rest of it
    assert not any(line.startswith("second line") for line in out.splitlines())
    assert "> [!WARNING]" in out  # the guardrail change is shown prominently
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    header_cells = {line.count("|") for line in rows if line.startswith("| | Address")}
    (cells,) = header_cells
    table = rows[rows.index("| | Address | Attribute | Before | After |") + 1 :]

    def cells_of(line: str) -> int:
        return len(re.findall(r"(?<!\\)\|", line))

    assert all(cells_of(line) == cells for line in table if not line.startswith("|---"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a & b < c > d", "a &amp; b &lt; c &gt; d"),
        # a zero-width space after "@" and "#": GitHub decodes entities before it
        # looks for mentions and issue references
        ("@team #12", "&#64;&#8203;team &#35;&#8203;12"),
        (
            "see https://x.example and www.y.example",
            "see https&#8203;://x.example and www&#8203;.y.example",
        ),
        ("a\u202eb\u2066c", "a\\\\u202eb\\\\u2066c"),  # shown as text, backslash escaped
        ("x|y`z`", "x&#124;y&#96;z&#96;"),
        ("one\ntwo\r\nthree", "one two three"),
    ],
)
def test_escape(raw: str, expected: str) -> None:
    assert escape(raw) == expected


def test_text_output_to_a_file_has_no_colour(at_repo, tmp_path: Path) -> None:
    target = tmp_path / "plan.txt"
    result = run_cli(["plan", EXAMPLE, "--what-if", DRAFT_WHAT_IF, "-o", f"text={target}"])
    assert (result.code, result.stdout, result.stderr) == (0, "", "")
    assert "\x1b[" not in target.read_text(encoding="utf-8")
