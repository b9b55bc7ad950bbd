"""Assemble what a command works on from paths and options: the one place the core's
inputs are read from disk. Everything after this is pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from infercost.config import syntax as s
from infercost.config.compile import Inputs, compile_stack, variable_inputs
from infercost.config.loader import display_path, parse_files, read_stack_dir, read_text
from infercost.errors import InfercostError
from infercost.model import Stack
from infercost.usage.snapshot import Snapshot, check_names, read_snapshot


@dataclass(frozen=True)
class Options:
    """What every command shares: the stack, variables, usage and period."""

    stack: Path = Path(".")
    vars: Sequence[str] = ()
    var_files: Sequence[Path] = ()
    usage: Path | None = None
    period: str | None = None


def read_inputs(options: Options) -> Inputs:
    parsed: dict[str, s.File] = {}
    for path in options.var_files:
        shown = display_path(path)
        if not path.is_file():
            raise InfercostError.at("Variable file not found", f"{shown} does not exist.")
        (parsed[shown],) = parse_files({shown: read_text(path)}, root="var_file")
    return variable_inputs(options.vars, parsed)


def load_stack(options: Options, texts: Mapping[str, str] | None = None,
               inputs: Inputs | None = None) -> Stack:  # fmt: skip
    """Parse, check and evaluate a stack (from its directory, or from given file texts)."""
    files = parse_files(texts if texts is not None else read_stack_dir(options.stack))
    return compile_stack(files, inputs or read_inputs(options), display_path(options.stack))


def usage_path(stack: Stack, options: Options) -> Path | None:
    if options.usage is not None:
        return options.usage
    if stack.settings.usage:
        return Path(stack.directory) / stack.settings.usage
    return None


def load_usage(stacks: Sequence[Stack], options: Options, required: bool = True) -> Snapshot | None:
    """The head's snapshot, checked against the features declared on any side."""
    head = stacks[-1]
    path = usage_path(head, options)
    if path is None:
        if not required:
            return None
        raise InfercostError.at(
            "No usage snapshot",
            "Give one with --usage FILE, or set usage = \"FILE\" in the infercost block.",
        )
    snapshot = read_snapshot(path, options.period)
    features = {f for st in stacks for f in st.features}
    subscriptions = {sub for st in stacks for sub in st.subscriptions}
    check_names(snapshot, features, subscriptions)
    return snapshot
