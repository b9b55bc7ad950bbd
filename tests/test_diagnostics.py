"""The one diagnostics list (infercost.diagnostics), as Terraform's tfdiags keeps it."""

from __future__ import annotations

from pathlib import Path

import pytest

from infercost.app.sources import with_snippets
from infercost.diagnostics import Diagnostics
from infercost.errors import Diagnostic, InfercostError, Severity, SourceRange

WARNING = Diagnostic("Waiver expired", severity=Severity.WARNING)
ERROR = Diagnostic("Bad input", range=SourceRange.point("base/main.hcl@HEAD", 2, 3))


def test_diagnostics_accumulate_warnings_and_errors_in_order() -> None:
    found = Diagnostics(WARNING)
    assert not found.has_errors and found.warnings == (WARNING,)
    found.append([WARNING], InfercostError(ERROR))
    assert list(found) == [WARNING, WARNING, ERROR]
    assert found.has_errors and found.errors == (ERROR,) and len(found) == 3


def test_the_error_that_ends_a_run_carries_the_warnings_before_it() -> None:
    found = Diagnostics(WARNING, ERROR)
    with pytest.raises(InfercostError) as info:
        found.raise_if_errors()
    assert info.value.diagnostics == [WARNING, ERROR]
    Diagnostics(WARNING).raise_if_errors()  # warnings alone never raise


def test_source_lines_come_from_the_texts_already_read(tmp_path: Path) -> None:
    """A base read from git has no file on disk; its text is what the run kept."""
    sources = {"base/main.hcl@HEAD": 'unit "a" {}\n  calls = "x"\r\n'}
    [shown] = with_snippets([ERROR], sources)
    assert shown.snippet == '  calls = "x"'
    assert shown == ERROR  # the snippet is presentation: equality is unchanged
    [unknown] = with_snippets([ERROR], {})
    assert unknown.snippet is None


def test_only_newlines_end_a_line_for_snippets() -> None:
    rng = SourceRange.point("f.hcl", 2)
    [shown] = with_snippets([Diagnostic("x", range=rng)], {"f.hcl": "a\x0cb\nsecond\n"})
    assert shown.snippet == "second"
