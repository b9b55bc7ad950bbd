"""What one run gathers while it works: the texts it read and its diagnostics."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from infercost.app.sources import with_snippets
from infercost.diagnostics import Diagnostics
from infercost.errors import Diagnostic, InfercostError


class Run:
    """The texts read (display name -> text) and the diagnostics of one command's work.

    Work is done inside :meth:`working`: an error that ends it is raised again carrying
    every diagnostic gathered before it (warnings first, as found), each with its source
    line from the texts already read.
    """

    def __init__(self) -> None:
        self.sources: dict[str, str] = {}
        self.diagnostics = Diagnostics()

    @contextmanager
    def working(self) -> Iterator[Diagnostics]:
        try:
            yield self.diagnostics
        except InfercostError as exc:
            self.diagnostics.append(exc)
            raise InfercostError(*self.finished()) from None

    def finished(self) -> tuple[Diagnostic, ...]:
        """The diagnostics gathered, with their source lines, for a result object."""
        return tuple(with_snippets(self.diagnostics, self.sources))
