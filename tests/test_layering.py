"""The package's layering (docs ARCHITECTURE): imports only flow from the CLI inwards.

Checked on the source, by parsing every module's imports (lazy imports inside
functions included), so a shortcut back into a renderer fails here and not in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "infercost"

CORE = ("config", "evaluate", "cost", "plan", "guard", "usage")
CORE_MODULES = ("model.py", "arithmetic.py", "errors.py")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def core_files() -> list[Path]:
    files = [PACKAGE / name for name in CORE_MODULES]
    for package in CORE:
        files += sorted((PACKAGE / package).rglob("*.py"))
    return files


@pytest.mark.parametrize("path", core_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_core_never_imports_a_renderer_the_app_layer_or_the_cli(path: Path) -> None:
    outward = {
        name
        for name in imports_of(path)
        if name.startswith(("infercost.render", "infercost.cli", "infercost.app"))
        or name in ("infercost.workspace", "infercost.github")
    }
    assert outward == set(), f"{path.name} imports {sorted(outward)}"


def test_plan_diff_decides_changed_without_render_documents() -> None:
    assert not any(
        name.startswith("infercost.render") for name in imports_of(PACKAGE / "plan" / "diff.py")
    )


def test_only_the_hcl_adapter_imports_the_parser() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        parser = {n for n in imports_of(path) if n.split(".")[0] in ("hcl2", "lark")}
        if path != PACKAGE / "config" / "hcl.py":
            assert parser == set(), path


def test_statuses_and_actions_are_str_enums_so_json_is_unchanged() -> None:
    from infercost.guard.results import STATUSES, Status
    from infercost.plan.diff import ACTIONS, Action
    from infercost.render.json_encoding import dumps

    assert [s.value for s in STATUSES] == ["pass", "fail", "existing", "waived", "skipped"]
    assert [a.value for a in ACTIONS] == ["create", "update", "delete", "no-op"]
    assert dumps({"status": Status.EXISTING, "action": Action.NO_OP}, indent=0) == dumps(
        {"status": "existing", "action": "no-op"}, indent=0
    )
    assert f"{Status.FAIL} {Action.NO_OP}" == "fail no-op"


@pytest.mark.parametrize("path", sorted((PACKAGE / "app").rglob("*.py")), ids=lambda p: p.name)
def test_the_app_layer_never_imports_the_cli_or_a_renderer(path: Path) -> None:
    outward = {n for n in imports_of(path) if n.startswith(("infercost.cli", "infercost.render"))}
    assert outward == set(), f"{path.name} imports {sorted(outward)}"
