"""One list of the warnings and errors of a run, as Terraform's ``tfdiags`` keeps them.

Code that finds a problem either raises :class:`~infercost.errors.InfercostError` (it
cannot go on) or appends a warning; the application layer gathers both kinds here, in
the order found, so that a run's diagnostics are printed once, by one handler, and
written into every JSON document. An error that ends a run carries the warnings found
before it, so none is lost. (Source lines are attached by the application layer, which
holds the texts read: :func:`infercost.app.sources.with_snippets`.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

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
