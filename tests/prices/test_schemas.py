"""The published schemas of ``prices history -o json`` and ``prices outdated -o json``
against the documents the commands write: valid, strict, and without drift."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.helpers import run_cli
from tests.prices.test_history import repo  # noqa: F401 - the fixture
from tests.prices.test_update import stack  # noqa: F401 - the fixture


def schema(kind: str) -> dict[str, Any]:
    path = importlib.resources.files("infercost").joinpath("schemas", f"{kind}.schema.json")
    return json.loads(path.read_text(encoding="utf-8"))


def keys(node: Any, path: str = "") -> set[str]:
    out: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            out.add(f"{path}.{key}")
            out |= keys(value, f"{path}.{key}")
    elif isinstance(node, list):
        for value in node:
            out |= keys(value, f"{path}[]")
    return out


def schema_keys(root: dict[str, Any], node: dict[str, Any], path: str = "") -> set[str]:
    if "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    out: set[str] = set()
    for branch in node.get("anyOf", ()):
        out |= schema_keys(root, branch, path)
    for key, value in node.get("properties", {}).items():
        out.add(f"{path}.{key}")
        out |= schema_keys(root, value, f"{path}.{key}")
    if isinstance(node.get("items"), dict):
        out |= schema_keys(root, node["items"], f"{path}[]")
    return out


def check(kind: str, document: dict[str, Any]) -> None:
    """Valid, and every key it holds is declared (the schema may declare keys a document
    leaves out only under a diagnostic's optional range)."""
    root = schema(kind)
    jsonschema.Draft202012Validator.check_schema(root)
    errors = [e.message for e in jsonschema.Draft202012Validator(root).iter_errors(document)]
    assert errors == []
    declared = schema_keys(root, root)
    assert keys(document) <= declared
    assert {k for k in declared - keys(document) if ".range." not in k} == set()


def test_history_document(repo: Path) -> None:  # noqa: F811
    result = run_cli(["prices", "history", "stack", "-o", "json"])
    check("prices-history", json.loads(result.stdout))


def test_outdated_document(stack: Path) -> None:  # noqa: F811
    # A sheet in euros is skipped with a located note: the document carries it.
    (stack / "eur.hcl").write_text(
        'infercost {\n  exchange_rates = { EUR = 1.08 }\n}\n\nprice_sheet "mistral" {\n'
        '  currency = "EUR"\n  model "mistral-large-latest" { input_per_mtok = 2 }\n}\n',
        encoding="utf-8",
    )
    result = run_cli(["prices", "outdated", "stack", "-o", "json"])
    doc = json.loads(result.stdout)
    assert [d["summary"] for d in doc["diagnostics"]] == ["Sheet skipped"]
    check("prices-outdated", doc)


@pytest.mark.parametrize("kind", ["prices-history", "prices-outdated"])
def test_schemas_are_strict(kind: str) -> None:
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            is_object = node.get("type") == "object" or "object" in (node.get("type") or [])
            if is_object and "properties" in node:
                assert node.get("additionalProperties") is False
                assert sorted(node["required"]) == sorted(node["properties"])
            for value in node.values():
                walk(value)

    walk(schema(kind))
