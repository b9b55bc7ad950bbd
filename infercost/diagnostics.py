"""One list of the warnings and errors of a run, as Terraform's ``tfdiags`` keeps them.

Code that finds a problem either raises :class:`~infercost.errors.InfercostError` (it
cannot go on) or appends a warning; the application layer gathers both kinds here, in
the order found, so that a run's diagnostics are printed once, by one handler, and
written into every JSON document. An error that ends a run carries the warnings found
before it, so none is lost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from infercost.errors import Diagnostic, InfercostError, Severity

Item = Diagnostic | Iterable[Diagnostic] | InfercostError


class Diagnostics:
    """An ordered, growing list of diagnostics; ``append`` flattens what it is given."""

    __slots__ = ("_items",)

    def __init__(self, *items: Item) -> None:
        self._items: list[Diagnostic] = []
        self.append(*items)

    def append(self, *items: Item) -> Diagnostics:
        for item in items:
            if isinstance(item, Diagnostic):
                self._items.append(item)
            elif isinstance(item, InfercostError):
                self._items.extend(item.diagnostics)
            else:
                self._items.extend(item)
        return self

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __repr__(self) -> str:
        return f"Diagnostics({self._items!r})"

    @property
    def has_errors(self) -> bool:
        return any(d.severity == Severity.ERROR for d in self._items)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self._items if d.severity == Severity.ERROR)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self._items if d.severity == Severity.WARNING)

    def freeze(self) -> tuple[Diagnostic, ...]:
        """The list as it is now, for a frozen result object."""
        return tuple(self._items)

    def error(self) -> InfercostError:
        """Everything gathered, as the error that ends the run."""
        return InfercostError(*self._items)

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise self.error()


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
                # Lines as the parser counts them: only "\n" ends a line.
                lines[name] = text.split("\n")
            found = lines[name]
            line = found[number - 1].rstrip("\r") if 0 < number <= len(found) else None
        out.append(d if line is None else dataclasses.replace(d, snippet=line))
    return out


def _line_on_disk(filename: str, line: int, limit: int = 50_000_000) -> str | None:
    path = Path(filename)
    try:
        if not path.is_file() or path.stat().st_size > limit:
            return None
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if number == line:
                    return text.rstrip("\n").rstrip("\r")
    except OSError:
        return None
    return None
