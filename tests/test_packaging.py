"""What a fresh machine installs and runs: declared dependencies, the CI entry point, and a
wheel that carries every file the package reads, without symlinks."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import PurePosixPath

import infercost
from infercost.guard.policies import builtin_packs
from tests.helpers import REPO, run_cli


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
    # The static checks run before the tests, so a type error fails CI fast.
    assert lines.index("mypy --strict infercost") < lines.index("python -m pytest")


def test_ruff_lint_and_format_run_by_ci_with_one_pinned_ruff() -> None:
    # `ruff format --check` is only stable if every machine runs the same formatter style:
    # an unpinned ruff could reformat main under CI on its next minor release.
    meta = project()["project"]
    assert isinstance(meta, dict)
    pins = [d for d in meta["optional-dependencies"]["test"] if d.startswith("ruff")]
    assert len(pins) == 1 and "<" in pins[0], pins
    lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    tests = lines.index("python -m pytest")
    assert lines.index("ruff check infercost tests bench") < tests
    assert lines.index("ruff format --check infercost tests bench") < tests


def test_the_sarif_schema_is_vendored_in_the_tests() -> None:
    schema = REPO / "tests" / "render" / "schemas" / "sarif-schema-2.1.0.json"
    assert schema.is_file()
    assert '"2.1.0"' in schema.read_text(encoding="utf-8")


def _tracked(*args: str) -> list[str]:
    done = subprocess.run(
        ["git", "ls-files", *args], cwd=REPO, check=True, capture_output=True, text=True
    )
    return done.stdout.splitlines()


def test_no_tracked_file_is_a_symlink() -> None:
    # A clone with core.symlinks=false turns a symlink into a text file holding its target:
    # a package folder that is a symlink then builds a wheel without that folder.
    links = [line.split("\t", 1)[1] for line in _tracked("-s") if line.startswith("120000 ")]
    assert links == []


def test_every_data_file_of_the_package_is_package_data() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["infercost"]
    data = [
        PurePosixPath(name).relative_to("infercost")
        for name in _tracked("infercost")
        if not name.endswith(".py")
    ]
    assert data, "no data files found"
    missing = [str(p) for p in data if not any(p.match(pattern) for pattern in patterns)]
    assert missing == []


def test_shipped_packs_are_read_from_the_package() -> None:
    assert set(builtin_packs()) == {p.stem for p in (REPO / "infercost" / "policies").glob("*.hcl")}
    assert len(builtin_packs()) == 9  # gpu-fleet and drift joined the seven


def test_version_has_one_source() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in config["project"]
    assert config["project"]["dynamic"] == ["version"]
    assert config["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "infercost.__version__"}
    assert run_cli(["version"]).stdout == f"infercost {infercost.__version__}\n"


def test_pre_commit_hooks_run_real_commands() -> None:
    import yaml

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    by_id = {hook["id"]: hook for hook in hooks}
    assert set(by_id) == {"infercost-validate", "infercost-fmt"}
    for hook in hooks:
        assert hook["language"] == "python"
        command = hook["entry"].split()
        assert command[0] == "infercost"
        assert run_cli([command[1], "--help"]).code == 0
    assert by_id["infercost-fmt"]["files"] == r"\.hcl$"
