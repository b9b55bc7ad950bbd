"""``infercost init [DIR] --model PROVIDER/MODEL``: argument wiring only. Builds the
arguments, calls :func:`infercost.app.init.init_stack` and says what it wrote and what to
run next; its outcome goes back to the one handler in :mod:`infercost.cli.main`."""

from __future__ import annotations

from pathlib import Path

from infercost.app.init import InitArgs, init_stack
from infercost.app.prices import DataArgs
from infercost.cli.context import Console
from infercost.cli.diagnostics import Outcome
from infercost.config.loader import display_path


def run(directory: Path, models: tuple[str, ...], data: DataArgs, console: Console) -> Outcome:
    result = init_stack(InitArgs(directory, models, data))
    if result.files:
        where = display_path(directory)
        lines = [f"Wrote a new stack in {where}:"]
        lines += [f"  {display_path(directory / name)}" for name, _ in result.files]
        lines += ["", "Next:"]
        lines += [
            f"  infercost validate {where}",
            f"  infercost breakdown {where}",
            f"  infercost check {where}",
        ]
        console.stdout.write("\n".join(lines) + "\n")
    return Outcome(result.exit_code, result.diagnostics)
