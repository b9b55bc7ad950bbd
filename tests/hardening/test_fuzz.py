"""Fuzzing the example stack's HCL: whatever a mutation does, the CLI answers with a
result or a diagnostic, never "Unexpected internal error" (``run_cli`` asserts that,
and that no traceback is printed). Bounded by max_examples, not by a clock."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import EXAMPLES, run_cli

EXAMPLE = EXAMPLES / "support-assistant"
FILES = sorted(p.name for p in EXAMPLE.glob("*.hcl"))
TEXTS = {name: (EXAMPLE / name).read_text(encoding="utf-8") for name in FILES}

# Pieces that stress the lexer, the evaluator and the arithmetic.
PIECES = [
    "{", "}", "[", "]", "(", ")", "=", ",", '"', "\\", "${", "%{", "\n", "#", "/*", "*/",
    "1e999", "1e-999", "1e1000", "-0", "0.5", "1e30 % 7", "/ 0", "* 1e999", "9" * 40,
    "between(0, 1e30)", "triangular(1, 0, 2)", "round(1, 1e18)", "min()", "max([])",
    "\\U00110000", "\\ud800", "\\u00e9", "local.", "var.nope", "self.margin", "null",
    "true", "1 == true", "feature.", "unit.", "workflow.", '"a" + 1', "-(", "!", "? :",
    "\x00", "\ufeff", "é", "𝟙", "step \"s\" {}", "calls = 0.5", "context_growth = 9",
]  # fmt: skip


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(FILES))
    text = TEXTS[name]
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        piece = draw(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)))
        if kind == "insert":
            text = text[:at] + piece + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif kind == "replace":
            text = text[:at] + piece + text[at + len(piece) :]
        else:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            line = text[start : end if end >= 0 else len(text)]
            text = text[:start] + line + "\n" + text[start:]
    return name, text


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations(), st.sampled_from(["validate", "breakdown", "check"]))
def test_no_mutation_of_the_example_reaches_an_internal_error(
    mutation: tuple[str, str], command: str
) -> None:
    name, text = mutation
    with tempfile.TemporaryDirectory() as tmp:
        stack = Path(tmp) / "stack"
        shutil.copytree(EXAMPLE, stack)
        (stack / name).write_text(text, encoding="utf-8", errors="surrogatepass")
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            code, _out, err = run_cli([command, "stack", "-o", "json"])
        finally:
            os.chdir(cwd)
    assert code in (0, 1, 2)
    if err:  # validate -o json reports its errors in the document instead
        assert err.startswith(("Error: ", "Warning: ")), err
