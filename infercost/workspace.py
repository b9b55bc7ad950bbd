"""Assemble what a command works on from paths and options: the one place the core's
inputs are read from disk. Everything after this is pure.

Every text read here is also kept in ``sources`` (display name -> text) when the caller
passes one, so a diagnostic can show its source line without reading the file again:
a base read from git exists nowhere on disk.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from infercost.config import syntax as s
from infercost.config.compile import Inputs, compile_stack, variable_inputs
from infercost.config.loader import (
    check_files,
    display_path,
    parse_files,
    read_stack_dir,
    read_text,
)
from infercost.config.parsed import sharing
from infercost.errors import Diagnostic, InfercostError, Severity
from infercost.files import refuse_special
from infercost.model import Stack

# Re-exported: the arguments were defined here first, and callers still import them here.
from infercost.options import Change as Change
from infercost.options import Options as Options
from infercost.plan.overrides import apply_what_ifs
from infercost.usage.snapshot import Snapshot, check_names, read_snapshot, read_snapshot_bytes

Sources = MutableMapping[str, str]


def _keep(sources: Sources | None, texts: Mapping[str, str]) -> Mapping[str, str]:
    if sources is not None:
        sources.update(texts)
    return texts


def read_inputs(options: Options, sources: Sources | None = None) -> Inputs:
    parsed: dict[str, s.File] = {}
    for path in options.var_files:
        shown = display_path(path)
        if not path.exists():
            raise InfercostError.at("Variable file not found", f"{shown} does not exist.")
        text = _keep(sources, {shown: read_text(path)})
        (parsed[shown],) = parse_files(text, root="var_file")
    inputs = variable_inputs(options.vars, parsed)
    inputs.ignore_undeclared = options.ignore_undeclared_vars
    return inputs


def load_stack(
    options: Options,
    texts: Mapping[str, str] | None = None,
    inputs: Inputs | None = None,
    sources: Sources | None = None,
) -> Stack:
    """Parse, check and evaluate a stack (from its directory, or from given file texts)."""
    files = parse_files(
        _keep(sources, texts if texts is not None else read_stack_dir(options.stack))
    )
    return compile_stack(
        files, inputs or read_inputs(options, sources), display_path(options.stack)
    )


def usage_path(stack: Stack, options: Options) -> Path | None:
    if options.usage is not None:
        return options.usage
    if stack.settings.usage:
        from infercost.files import confine, stack_roots

        path = Path(stack.directory) / stack.settings.usage
        confine(path, stack_roots(Path(stack.directory)), "usage file", stack.settings.at("usage"))
        return path
    return None


class EarlyUsage:
    """The snapshot named on the command line, read in a thread while the stack is parsed.

    The engine reads and groups the file with the interpreter's lock released, so on a
    large snapshot the two overlap instead of following each other. Whatever the read
    raises is raised again by :meth:`snapshot`, where :func:`load_usage` would have read
    the file, so errors come in the same order as without it (a bad stack first).
    """

    def __init__(self, path: Path, period: str | None) -> None:
        self.path = path
        self._period = period
        self._snapshot: Snapshot | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._read, name="infercost-usage")
        self._thread.start()

    def _read(self) -> None:
        try:
            refuse_special(self.path, "usage snapshot")  # a pipe would never end
            self._snapshot = read_snapshot(self.path, self._period)
        except BaseException as exc:  # raised again in the caller's thread
            self._error = exc

    def join(self) -> None:
        self._thread.join()

    def snapshot(self) -> Snapshot:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._snapshot is not None
        return self._snapshot


@contextmanager
def usage_read_early(options: Options) -> Iterator[EarlyUsage | None]:
    """Start reading ``--usage`` now (None without one); the read is always waited for,
    so no engine query outlives the command, even one that ends in an error."""
    early = EarlyUsage(options.usage, options.period) if options.usage is not None else None
    try:
        yield early
    finally:
        if early is not None:
            early.join()


def load_usage(
    stacks: Sequence[Stack],
    options: Options,
    required: bool = True,
    early: EarlyUsage | None = None,
) -> Snapshot | None:
    """The head's snapshot, checked against the features declared on any side
    (``early``: the same file, already being read)."""
    head = stacks[-1]
    path = usage_path(head, options)
    if path is None:
        if not required:
            return None
        raise InfercostError.at(
            "No usage snapshot",
            'Give one with --usage FILE, or set usage = "FILE" in the infercost block.',
        )
    if options.usage is None and not path.exists():
        # The path came from the stack: point at the setting that names it.
        raise InfercostError(
            Diagnostic(
                "Usage file not found",
                f"{display_path(path)} does not exist (usage is relative to the stack directory).",
                head.settings.at("usage"),
                context="infercost",
            )
        )
    if early is not None and early.path == path:
        snapshot = early.snapshot()
    else:
        refuse_special(path, "usage snapshot")  # a pipe or /proc file would never end
        snapshot = read_snapshot(path, options.period)
    features = {f for st in stacks for f in st.features}
    subscriptions = {sub for st in stacks for sub in st.subscriptions}
    check_names(snapshot, features, subscriptions)
    if options.usage_scale is not None:
        from infercost.usage.scale import scale_snapshot

        snapshot = scale_snapshot(snapshot, options.usage_scale)
    return snapshot


@dataclass
class Sides:
    """The two configurations a plan compares. ``base`` is None for an empty stack."""

    base: Stack | None
    head: Stack
    base_label: str
    warnings: list[Diagnostic] = field(default_factory=list)


@sharing()  # the sides share most files: each distinct text is parsed once
def load_sides(options: Options, change: Change, sources: Sources | None = None) -> Sides:
    if change.base_ref is not None and change.base_dir is not None:
        raise InfercostError.at(
            "Conflicting options", "--base and --base-dir exclude each other; give one."
        )
    inputs = read_inputs(options, sources)
    inputs.ignore_undeclared = True
    head_files = parse_files(_keep(sources, read_stack_dir(options.stack)), root=None)
    what_if_files = parse_files(
        _keep(sources, {display_path(p): _read_what_if(p) for p in change.what_ifs}), root=None
    )
    warnings: list[Diagnostic] = []
    base: Stack | None = None
    if change.base_ref is not None:
        from infercost.vcs import read_stack_at

        at_ref = read_stack_at(options.stack, change.base_ref)
        label = f"git ref {change.base_ref}"
        if at_ref.exists:
            base = _compile_base(_keep(sources, at_ref.texts), inputs, options, label)
        else:
            warnings.append(
                Diagnostic(
                    "Stack absent at base",
                    f"{display_path(options.stack)} has no .hcl files at {change.base_ref}; "
                    "the base is an empty stack and everything is created.",
                    severity=Severity.WARNING,
                )
            )
    elif change.base_dir is not None:
        label = f"directory {display_path(change.base_dir)}"
        texts = _keep(sources, read_stack_dir(change.base_dir))
        base = _compile_base(texts, inputs, options, label)
    elif what_if_files:
        label = "the stack without what-if files"
        check_files(head_files)
        base = compile_stack(head_files, inputs, display_path(options.stack))
    else:
        label = "an empty stack"
    merged = apply_what_ifs(head_files, what_if_files)
    check_files(merged)
    head = compile_stack(merged, inputs, display_path(options.stack))
    declared = set(head.variables) | (set(base.variables) if base else set())
    for name, given in inputs.values.items():
        if name not in declared and not options.ignore_undeclared_vars:
            raise InfercostError.at(
                "Undeclared input variable",
                f'A value was given for "{name}" ({given.origin}), but neither side of the '
                "change declares it.",
            )
    if base is not None and base.currency != head.currency:
        raise InfercostError.at(
            "Currency mismatch",
            f"The base is in {base.currency} and the head in {head.currency}; a plan "
            "compares one currency.",
        )
    return Sides(base, head, label, warnings)


def load_base_usage(
    sides: Sides, options: Options, change: Change, head: Snapshot
) -> Snapshot | None:
    """The base's own usage snapshot when it differs from the head's, else None (SPEC §14).

    With ``--base REF`` it is the snapshot file as committed at REF (the one ``--usage``
    names, or the base stack's ``usage`` setting), read through git; with
    ``--base-dir`` it is the base stack's ``usage`` file in that directory (``--usage``
    names one file for both sides). When the base has none, or the same bytes as the
    head's, both sides are priced on the head's snapshot and no usage effect arises.
    """
    base = sides.base
    if base is None:
        return None
    if change.base_ref is not None:
        if options.usage is not None:
            path = options.usage
        elif base.settings.usage:
            path = Path(options.stack) / base.settings.usage
        else:
            return None
        from infercost.vcs import read_committed

        found = read_committed(path, change.base_ref, Path(options.stack))
        if found is None:
            return None
        shown, data = found
    elif change.base_dir is not None:
        if options.usage is not None or not base.settings.usage:
            return None
        path = change.base_dir / base.settings.usage
        if not path.is_file():
            return None
        shown, data = display_path(path), path.read_bytes()
    else:
        return None
    head_path = usage_path(sides.head, options)
    if head_path is not None and head_path.is_file() and head_path.read_bytes() == data:
        return None
    snapshot = read_snapshot_bytes(data, shown, options.period)
    features = set(base.features) | set(sides.head.features)
    check_names(snapshot, features, set(base.subscriptions) | set(sides.head.subscriptions))
    return snapshot


def _read_what_if(path: Path) -> str:
    if not path.exists():
        raise InfercostError.at("What-if file not found", f"{display_path(path)} does not exist.")
    return read_text(path)


def _compile_base(texts: Mapping[str, str], inputs: Inputs, options: Options, label: str) -> Stack:
    try:
        files = parse_files(texts)
        return compile_stack(files, inputs, display_path(options.stack))
    except InfercostError as exc:
        raise InfercostError(
            Diagnostic(
                "Invalid base configuration",
                f"The stack at {label} does not validate; its errors follow.",
            ),
            *exc.diagnostics,
        ) from None
