"""The published JSON Schemas (infercost/schemas/) against the documents the code writes.

Two guards, as Infracost keeps them: every document validates against its schema, and
the schema and the code do not drift apart — every key a document holds is declared in
the schema, and every key the schema declares is produced by some document here.
"""

from __future__ import annotations

import importlib.resources
import json
from typing import Any

import jsonschema
import pytest

from tests.helpers import REPO, run_cli
from tests.plan.support import PLAN_STACK

KINDS = ("breakdown", "plan", "check", "explain", "project", "compare")
SA = "examples/support-assistant"
SEARCH = "examples/search-api"
DRAFT_WHAT_IF = f"{SA}/what-if/gpt-4o-draft.hcl"
GPU = f"{SA}/self-hosted"  # GPU items and shared costs

WAIVERS = """
waiver "launch_pricing" {
  guardrail = "target_margin"
  target    = "feature.support_assistant"
  reason    = "Launch pricing until the Pro plan ships"
  until     = "2999-12-31"
}

waiver "old_exception" {
  guardrail = "underwater_customers"
  target    = "subscription.pro"
  reason    = "Expired on purpose"
  until     = "2000-01-01"
}
"""


def search_what_if(tmp) -> Any:
    path = tmp / "cheaper.hcl"
    path.write_text('feature "answer" {\n  revenue_per_unit = 0.004\n}\n', encoding="utf-8")
    return path


def project_documents(tmp) -> list[dict[str, Any]]:
    """Project documents of every command, one with totals refused (two currencies),
    one with a stack created and one deleted since a base ref."""
    from tests.cli.test_projects import make_repo

    repo = make_repo(tmp / "repo")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(repo)
        docs = [
            run_json(["validate"]),
            run_json(["breakdown"]),
            run_json(["plan", "--base", "main"]),
            run_json(["check", "--base", "main"], (0, 2)),
            run_json(["check"], (0, 2)),
        ]
        gamma = repo / "stacks" / "gamma" / "main.hcl"
        gamma.write_text(gamma.read_text().replace('"USD"', '"EUR"'))
        docs.append(run_json(["breakdown"]))
        (repo / "stacks" / "beta" / "main.hcl").write_text("feature {\n", encoding="utf-8")
        docs.append(run_json(["validate"], (1,)))
    return docs


PRICE_CUT = """
price_sheet "openai" {
  model "gpt-4o-mini" {
    input_per_mtok = 0.12
  }
}
"""


def schema(kind: str) -> dict[str, Any]:
    path = importlib.resources.files("infercost").joinpath("schemas", f"{kind}.schema.json")
    return json.loads(path.read_text(encoding="utf-8"))


def run_json(argv: list[str], codes: tuple[int, ...] = (0,)) -> dict[str, Any]:
    result = run_cli([*argv, "-o", "json"])
    assert result.code in codes, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Documents of each kind, chosen so that together they hold every optional part."""
    tmp = tmp_path_factory.mktemp("docs")
    what_ifs = tmp / "waivers.hcl"
    what_ifs.write_text(WAIVERS, encoding="utf-8")
    price_cut = tmp / "price-cut.hcl"
    price_cut.write_text(PRICE_CUT, encoding="utf-8")
    base = tmp / "base"
    base.mkdir()
    for name, text in PLAN_STACK.items():
        (base / name).write_text(text, encoding="utf-8")
    (base / "old.hcl").write_text(
        'feature "old" {\n  unit = unit.ticket\n  workflow = workflow.answer\n}\n',
        encoding="utf-8",
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)
        return {
            "breakdown": [
                run_json(["breakdown", SA]),
                run_json(["breakdown", SEARCH]),
                run_json(["breakdown", GPU]),
            ],
            "plan": [
                run_json(["plan", SA, "--what-if", DRAFT_WHAT_IF]),  # update, attribution
                run_json(["plan", SA, "--what-if", str(price_cut)]),  # price changes
                run_json(["plan", SEARCH]),  # create-only, empty base
                run_json(["plan", SEARCH, "--base-dir", SEARCH]),  # no change
                run_json(["plan", SA, "--base-dir", str(base)]),  # create and delete
                run_json(["plan", GPU, "--base-dir", SA]),  # shared costs created
            ],
            "explain": [
                run_json(["explain", SA, "support_assistant", "--samples", "2000"]),
                run_json(["explain", SEARCH, "answer", "--swing", "35"]),
                run_json(["explain", GPU, "support_assistant"]),  # shared costs as drivers
            ],
            "project": project_documents(tmp),
            "compare": [
                run_json(["compare", SA, DRAFT_WHAT_IF]),
                run_json(["compare", SEARCH, str(search_what_if(tmp)), "--usage-scale", "2"]),
            ],
            "check": [
                run_json(["check", SA]),
                run_json(["check", SA, "--what-if", DRAFT_WHAT_IF], (2,)),
                run_json(
                    ["check", SA, "--what-if", DRAFT_WHAT_IF, "--what-if", str(what_ifs)], (0, 2)
                ),
                run_json(["check", SEARCH, "--base-dir", SEARCH, "--strict"], (0, 2)),
            ],
        }


# Schemas whose documents are checked beside their command's tests (tests/usage,
# tests/prices, tests/calibrate).
OTHER_KINDS = ("usage-import", "prices-history", "prices-outdated", "calibrate")


def test_the_schemas_ship_in_the_package() -> None:
    folder = importlib.resources.files("infercost").joinpath("schemas")
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".json")) == [
        f"{kind}.schema.json" for kind in sorted((*KINDS, *OTHER_KINDS))
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_valid_and_strict(kind: str) -> None:
    root = schema(kind)
    jsonschema.Draft202012Validator.check_schema(root)
    assert root["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert root["properties"]["format_version"] == {
        "const": "1",
        "description": "Version of this document format.",
    }
    for where, node in object_schemas(root):
        # strict: nothing extra, nothing omitted (a missing value is null, SPEC §10)
        assert node.get("additionalProperties") is False, where
        assert sorted(node["required"]) == sorted(node["properties"]), where
    # numbers are "number" (exact decimals, not integers) where amounts appear
    # (a project's totals have no currency when its stacks do not share one)
    expected = ["string", "null"] if kind == "project" else "string"
    assert root["properties"]["currency"]["type"] == expected


@pytest.mark.parametrize("kind", KINDS)
def test_documents_validate(documents, kind: str) -> None:
    validator = jsonschema.Draft202012Validator(
        schema(kind), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for document in documents[kind]:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
        assert errors == []


DIAGNOSTIC = "$.diagnostics[]"


@pytest.mark.parametrize("kind", KINDS)
def test_schema_and_code_do_not_drift(documents, kind: str) -> None:
    root = schema(kind)
    produced: set[str] = set()
    for document in documents[kind]:
        walk(root, root, document, "$", produced)
    # A diagnostic object comes from one encoder shared by every document: its keys count
    # as produced when any kind's documents hold one (breakdown has no warning to show).
    for other in KINDS:
        shared: set[str] = set()
        for document in documents[other]:
            walk(schema(other), schema(other), document, "$", shared)
        produced |= {path for path in shared if path.startswith(DIAGNOSTIC)}
    declared = schema_paths(root, root, "$")
    assert sorted(declared - produced) == [], "declared in the schema, never produced"
    assert sorted(produced - declared) == [], "produced, not declared in the schema"


def test_the_documents_cover_the_optional_parts(documents) -> None:
    """The drift test is only as good as its documents: they hold each nullable part."""
    check_results = [r for d in documents["check"] for r in d["results"]]
    statuses = {r["status"] for r in check_results}
    assert {"pass", "fail", "waived", "skipped"} <= statuses
    assert any(r["waiver"] and r["waiver"]["expired"] for r in check_results)
    assert any(r["worse"] is None and r["base_values"] is None for r in check_results)
    assert any(r["base_values"] for r in check_results)
    actions = {f["action"] for d in documents["plan"] for f in d["features"]}
    assert actions == {"create", "update", "delete", "no-op"}
    assert any(f["attribution"] for d in documents["plan"] for f in d["features"])
    assert any(d["customers"] for d in documents["breakdown"])
    located = [g for d in documents["check"] for g in d["diagnostics"] if g["range"]]
    assert {g["summary"] for g in located} >= {"Waiver expired"}


# -- walking schemas and documents ----------------------------------------------------------


def resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].removeprefix("#/$defs/")
        node = root["$defs"][name]
    return node


def branches(root: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a node (``anyOf`` of a ref and null, or the node)."""
    node = resolve(root, node)
    if "anyOf" in node:
        return [resolve(root, b) for b in node["anyOf"] if b.get("type") != "null"]
    return [node]


def object_schemas(root: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [("$", root)]
    found += [(f"$defs.{name}", node) for name, node in root.get("$defs", {}).items()]
    out = []
    while found:
        where, node = found.pop()
        if "properties" in node:
            out.append((where, node))
            found += [(f"{where}.{k}", v) for k, v in node["properties"].items()]
        if isinstance(node.get("items"), dict):
            found.append((f"{where}[]", node["items"]))
        for alternative in node.get("anyOf", []):
            found.append((where, alternative))
    return out


def schema_paths(root: dict[str, Any], node: dict[str, Any], path: str) -> set[str]:
    out: set[str] = set()
    for branch in branches(root, node):
        if "properties" in branch:
            for key, sub in branch["properties"].items():
                out.add(f"{path}.{key}")
                out |= schema_paths(root, sub, f"{path}.{key}")
        elif isinstance(branch.get("additionalProperties"), dict):
            out |= schema_paths(root, branch["additionalProperties"], f"{path}{{*}}")
        if isinstance(branch.get("items"), dict):
            out |= schema_paths(root, branch["items"], f"{path}[]")
    return out


def walk(root: dict[str, Any], node: dict[str, Any], value: Any, path: str, seen: set[str]) -> None:
    if value is None:
        return
    (branch,) = branches(root, node)
    if isinstance(value, dict):
        if "properties" in branch:
            assert set(value) == set(branch["properties"]), path
            for key, item in value.items():
                seen.add(f"{path}.{key}")
                walk(root, branch["properties"][key], item, f"{path}.{key}", seen)
        elif isinstance(branch.get("additionalProperties"), dict):  # a map keyed by name
            for item in value.values():
                walk(root, branch["additionalProperties"], item, f"{path}{{*}}", seen)
    elif isinstance(value, list) and isinstance(branch.get("items"), dict):
        for item in value:
            walk(root, branch["items"], item, f"{path}[]", seen)


def test_docs_name_every_top_level_key() -> None:
    text = (REPO / "docs" / "json-output.md").read_text(encoding="utf-8")
    for kind in KINDS:
        assert f"infercost/schemas/{kind}.schema.json" in text
        for key in schema(kind)["properties"]:
            assert f"`{key}`" in text, (kind, key)
