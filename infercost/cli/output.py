"""Where rendered output goes: ``-o FORMAT`` to stdout, ``-o FORMAT=FILE`` to a file.

``-o`` is repeatable so one run can produce a terminal view, a PR comment and SARIF at
once; ``--out FILE`` is the file of the single format that has none. Without any
``-o``, ``--out FILE`` saves the JSON document and the text view still goes to the
terminal, as ``terraform plan -out`` saves the plan and shows it. Everything is
rendered before anything is written, so a failing run never leaves a partial file.

Each command has one table of views (``VIEWS``: format -> renderer); :func:`render`
looks formats up there and decides colour once, here: only a view written to standard
output on a terminal is coloured, never a file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import TextIO, TypeVar

from infercost.app.arguments import OutputSpec
from infercost.cli.context import Console
from infercost.errors import Diagnostic, InfercostError
from infercost.files import check_target
from infercost.render.formatting import Style
from infercost.render.inert import InertStream, Treated, for_format

__all__ = ["OutputSpec", "View", "parse_outputs", "publish", "render", "write_outputs"]

R = TypeVar("R")
#: A renderer of one format: the command's result and the style to draw it in -> text
#: (or text it has already made inert for its format, :class:`Treated`).
View = Callable[[R, Style], str | Treated]


def parse_outputs(
    values: Sequence[str] | None, out: Path | None, allowed: Collection[str]
) -> tuple[OutputSpec, ...]:
    """``-o`` and ``--out`` values -> the views to produce, checked before any work."""
    if not values and out is not None and "json" in allowed:
        return (OutputSpec("text"), OutputSpec("json", out))
    specs: list[OutputSpec] = []
    for value in values or ["text"]:
        fmt, eq, path = value.partition("=")
        fmt = fmt.strip().lower()
        if fmt not in allowed:
            raise InfercostError.at(
                "Invalid output format",
                f'"{fmt}" is not an output format of this command; choose from '
                + ", ".join(allowed)
                + ".",
            )
        if eq and not path:
            raise InfercostError.at("Invalid output option", f'"-o {value}" names no file.')
        specs.append(OutputSpec(fmt, Path(path) if eq else None))
    if out is not None:
        unfiled = [i for i, spec in enumerate(specs) if spec.path is None]
        if len(unfiled) != 1:
            raise InfercostError.at(
                "Invalid output option",
                "--out names the file of the one format without =FILE; give each format "
                "its own file as -o FORMAT=FILE instead.",
            )
        specs[unfiled[0]] = OutputSpec(specs[unfiled[0]].format, out)
    # Two formats written to one file: the second would silently replace the first.
    seen: dict[str, OutputSpec] = {}
    for spec in specs:
        if spec.path is None:
            continue
        key = os.path.realpath(spec.path)
        if key in seen:
            raise InfercostError.at(
                "Invalid output option",
                f"{seen[key].format} and {spec.format} would both be written to "
                f"{spec.path}; give each format its own file.",
            )
        seen[key] = spec
    # GitHub workflow commands are read by the runner from the log, so they may share
    # standard output with one other format.
    to_stdout = [s.format for s in specs if s.path is None and s.format != "github"]
    if len(to_stdout) > 1:
        raise InfercostError.at(
            "Invalid output option",
            "Only one format can go to standard output; give the others a file "
            "(-o FORMAT=FILE): " + ", ".join(to_stdout) + ".",
        )
    return tuple(specs)


def render(
    result: R, specs: Sequence[OutputSpec], views: Mapping[str, View[R]], console: Console
) -> list[tuple[OutputSpec, str | Treated]]:
    """Every requested view of ``result``, rendered before anything is written.

    Colour is decided here and nowhere else: a file never holds ANSI codes, whatever
    the terminal the command runs in.
    """
    plain = Style(False)
    return [
        (spec, views[spec.format](result, console.out_style if spec.path is None else plain))
        for spec in specs
    ]


def write_outputs(rendered: Sequence[tuple[OutputSpec, str | Treated]], stdout: TextIO) -> None:
    """Write each document; none can start a CI runner command or carry a token
    (:mod:`infercost.render.inert`), only the ``github`` format writes real commands.
    Every file target is checked first: one that cannot be written fails the run before
    anything is written."""
    for spec, _ in rendered:
        if spec.path is not None:
            check_target(spec.path)
    for spec, text in rendered:
        if spec.path is None:
            if isinstance(stdout, InertStream):
                stdout.write_document(for_format(spec.format, text))
            else:
                stdout.write(for_format(spec.format, text))
            continue
        try:
            spec.path.write_text(for_format(spec.format, text), encoding="utf-8")
        except OSError as exc:
            raise InfercostError.at(
                "Cannot write output", f"{spec.path}: {exc.strerror or exc}."
            ) from None


def publish(
    result: R,
    specs: Sequence[OutputSpec],
    views: Mapping[str, View[R]],
    console: Console,
    diagnostics: Sequence[Diagnostic] = (),
) -> None:
    """Render every view, then write them; a failed write ends the run with the
    result's own ``diagnostics`` kept before the error, so no warning is lost."""
    rendered = render(result, specs, views, console)
    try:
        write_outputs(rendered, console.stdout)
    except InfercostError as exc:
        raise InfercostError(*diagnostics, *exc.diagnostics) from None
