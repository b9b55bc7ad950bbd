"""``infercost fmt``: rewrite ``.hcl`` files in the canonical layout (as ``terraform fmt``).

Prints the files it changed (with ``--check``: the files that would change, writing
nothing). ``infercost fmt -`` reads standard input and writes its layout to standard
output, for editors. Exit codes: 0 all formatted, 3 ``--check`` found files to format, 1 an error
(a path that does not exist, a file that is not valid HCL).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from infercost.app.fmt import format_files, format_stdin
from infercost.cli.context import Console
from infercost.cli.diagnostics import Outcome
from infercost.render.inert import InertStream, neutralize_commands


def run(paths: Sequence[Path], check: bool, console: Console) -> Outcome:
    if [str(p) for p in paths] == ["-"]:
        result = format_stdin(sys.stdin.read(), check)
        # The file itself, byte for byte (an editor replaces its buffer with it): no
        # escapes, only no line that starts a runner command.
        text = neutralize_commands(result.output or "")
        if isinstance(console.stdout, InertStream):
            console.stdout.write_document(text)
        else:
            console.stdout.write(text)
    else:
        result = format_files(paths, check)
        console.stdout.write("".join(f"{name}\n" for name in result.differ))
    return Outcome(result.exit_code, result.diagnostics)
