"""What a fresh machine installs and runs: declared dependencies and the CI entry point."""

from __future__ import annotations

import re
import tomllib

from tests.helpers import REPO


def project() -> dict[str, object]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def names(requirements: object) -> set[str]:
    assert isinstance(requirements, list)
    return {re.split(r"[<>=!~ \[]", r, maxsplit=1)[0].lower() for r in requirements}


def test_lark_is_declared_as_a_dependency() -> None:
    """config/hcl.py imports lark directly; it must not rely on python-hcl2 pulling it in."""
    meta = project()["project"]
    assert isinstance(meta, dict)
    assert "lark" in names(meta["dependencies"])


def test_mypy_strict_is_configured_and_run_by_ci() -> None:
    config = project()
    tool = config["tool"]
    assert isinstance(tool, dict) and tool["mypy"]["strict"] is True
    meta = config["project"]
    assert isinstance(meta, dict)
    assert "mypy" in names(meta["optional-dependencies"]["test"])
    lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert (
        lines.index("mypy --strict infercost")
        == lines.index("ruff check infercost tests bench") + 1
    )


def test_the_sarif_schema_is_vendored_in_the_tests() -> None:
    schema = REPO / "tests" / "render" / "schemas" / "sarif-schema-2.1.0.json"
    assert schema.is_file()
    assert '"2.1.0"' in schema.read_text(encoding="utf-8")
