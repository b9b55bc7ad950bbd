"""A command imports what it runs and nothing else.

Start-up is most of a small stack's run, and the runs that matter most are small: CI
checks one stack per pull request (bench/run.py times "check example (warm)"). Each heavy
library below costs tens of milliseconds to import, so a stray top-level import undoes
the budget silently. This test runs the command in a child process and reads
``sys.modules`` afterwards: it checks what was loaded, never how long it took.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from tests.helpers import REPO
from tests.test_layering import imports_of

EXAMPLE = "examples/support-assistant"

# Libraries no run of check, validate or explain on the example needs.
HEAVY = {
    "sqlglot",  # request records only (usage import/sql, calibrate, check --records)
    "numpy",  # percentiles only (--samples/--seed, breakdown, plan)
    "jinja2",  # comment templates only (-o markdown)
    "pyspark",  # --engine spark only
    "genai_prices",  # the prices commands and init only
    "git",  # --base and prices history only
    "rich",  # the progress bar of usage import only
    "typer",  # not used: the command line is infercost.cli.commandline
    "pydantic",
    "hcl2",  # the package imports its whole API; only its grammar and post-lexer are used
    "lark",  # valid files are parsed from cached tables; lark only explains a syntax error
    "regex",  # imported by lark
}


def loaded_by(*args: str) -> set[str]:
    """Top-level names of every module imported by ``infercost ARGS`` in a fresh process."""
    code = (
        "import json, sys\n"
        "from infercost.cli.main import main\n"
        f"code = main({list(args)!r})\n"
        "sys.stdout.flush()\n"
        "sys.stderr.write('\\nMODULES ' + json.dumps(sorted(sys.modules)) + '\\n')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    line = done.stderr.rsplit("\nMODULES ", 1)[1]
    return {name.split(".")[0] for name in json.loads(line)}


@pytest.mark.parametrize(
    "args",
    [
        ("check", EXAMPLE),
        ("validate", EXAMPLE),
        ("explain", EXAMPLE, "support_assistant"),
        ("breakdown", EXAMPLE, "-o", "json"),
    ],
    ids=lambda a: a[0],
)
def test_a_small_run_loads_no_heavy_library(args: tuple[str, ...]) -> None:
    loaded = loaded_by(*args)
    heavy = HEAVY - ({"numpy"} if args[0] == "breakdown" else set())  # breakdown simulates
    assert "infercost" in loaded  # it ran: the stack was parsed (tested in test_lalr_tables)
    assert loaded & heavy == set()


@pytest.mark.skipif(importlib.util.find_spec("_duckdb") is None, reason="DuckDB 1.x is one package")
def test_usage_is_read_by_the_engine_without_duckdbs_python_layer() -> None:
    loaded = loaded_by("check", EXAMPLE)
    assert "_duckdb" in loaded and "duckdb" not in loaded


def test_version_and_help_load_no_command() -> None:
    for args in (("version",), ("--help",), ("check", "--help")):
        loaded = loaded_by(*args)
        assert loaded & (HEAVY | {"lark", "hcl2", "_duckdb", "duckdb", "jsonschema"}) == set()


def _structure_uses_jsonschema() -> bool:
    imported = imports_of(REPO / "infercost" / "config" / "structure.py")
    return any(name.split(".")[0] == "jsonschema" for name in imported)


@pytest.mark.skipif(_structure_uses_jsonschema(), reason="the structure check uses jsonschema")
def test_check_loads_no_jsonschema() -> None:
    assert "jsonschema" not in loaded_by("check", EXAMPLE)
