"""What a command is asked to work on: the stack, variables, usage and the change, as
plain frozen values.

They live apart from :mod:`infercost.workspace`, which reads them from disk, so that
building a command's arguments (and so every command line) imports no parser, no
stack compiler and no usage engine before the command runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

__all__ = ["Change", "Options"]


@dataclass(frozen=True)
class Options:
    """What every command shares: the stack, variables, usage and period."""

    stack: Path = Path(".")
    vars: Sequence[str] = ()
    var_files: Sequence[Path] = ()
    usage: Path | None = None
    period: str | None = None
    #: ``--usage-scale``: every usage row's units times this factor (None: as read).
    usage_scale: Decimal | None = None
    #: A project's stack ignores a ``--var`` it does not declare (the project checks
    #: that some stack declares it).
    ignore_undeclared_vars: bool = False


@dataclass(frozen=True)
class Change:
    """How the proposed change is given: a git ref, a directory, what-if files."""

    base_ref: str | None = None
    base_dir: Path | None = None
    what_ifs: Sequence[Path] = ()
