"""Source lines for diagnostics, from the texts a run has already read.

Terraform's views keep the configuration sources they read; so does a run here
(:class:`infercost.app.run.Run`), and a diagnostic's line is looked up in them rather
than read again from disk: a base read from git exists nowhere on disk.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path

from infercost.errors import Diagnostic
from infercost.invisible import quoted_line


def with_snippets(
    diagnostics: Iterable[Diagnostic], sources: Mapping[str, str]
) -> list[Diagnostic]:
    """Attach each diagnostic's source line from the texts a run has already read.

    ``sources`` maps a file's display name to its text: the stack, a base read from
    git (``stack/main.hcl@main``), what-if, variable and policy files. A file the run
    streamed without keeping its text (a usage snapshot) is read again from disk, and
    only when it is a regular file.
    """
    out: list[Diagnostic] = []
    lines: dict[str, list[str]] = {}
    for d in diagnostics:
        if d.range is None or d.snippet is not None:
            out.append(d)
            continue
        name, number = d.range.filename, d.range.start.line
        text = sources.get(name)
        if text is None:
            line = _line_on_disk(name, number)
        else:
            if name not in lines:
                # Lines as the parser counts them: only "\n" ends a line; a leading
                # byte-order mark is not part of the file (``hcl.parse_text``).
                lines[name] = text.removeprefix("\ufeff").split("\n")
            found = lines[name]
            line = found[number - 1].rstrip("\r") if 0 < number <= len(found) else None
        out.append(d if line is None else dataclasses.replace(d, snippet=one_line(line)))
    return out


SOURCE_WIDTH = 120


def one_line(text: str, width: int = SOURCE_WIDTH) -> str:
    """A source line as it may be echoed: control characters shown as escapes (a NUL-
    separated file is not one huge line of secrets), cut to ``width`` characters."""
    return quoted_line(text.replace("\t", "    "), width)


def _line_on_disk(filename: str, line: int, limit: int = 50_000_000) -> str | None:
    from infercost.files import is_pseudo

    path = Path(filename)
    try:
        if is_pseudo(path) or not path.is_file() or path.stat().st_size > limit:
            return None
        # Only "\n" ends a line, as for the texts above (a bare "\r" in a quoted CSV
        # cell is part of its line).
        with path.open(encoding="utf-8", errors="replace", newline="\n") as handle:
            for number, text in enumerate(handle, start=1):
                if number == line:
                    return text.rstrip("\n").rstrip("\r")
    except OSError:
        return None
    return None
