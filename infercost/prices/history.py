"""``prices history``: every change of every price through the stack's git history.

The files are read from git objects at each first-parent commit (no checkout), with
renames followed (see :func:`infercost.vcs.stack_revisions`). Only what prices depend
on is evaluated at each commit — the price sheets, settings, variables and locals — and
a file is parsed once per distinct blob, so a long history costs little more than its
number of distinct price files. A commit where the prices do not evaluate is skipped
with a warning naming it; the history stays readable around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from infercost.config import syntax as s
from infercost.config.compile import Inputs, compile_stack
from infercost.config.hcl import parse_text
from infercost.config.structure import check_structure
from infercost.errors import Diagnostic, InfercostError, Severity
from infercost.model import MeterPrice, ModelPrice, Stack
from infercost.prices.compare import declared_prices, written

PRICE_BLOCKS = ("price_sheet", "infercost", "variable", "locals")


@dataclass(frozen=True)
class Commit:
    sha: str
    date: str
    author: str
    summary: str

    @property
    def short(self) -> str:
        return self.sha[:8]


@dataclass(frozen=True)
class PriceChange:
    item: str  # SHEET/ITEM, or SHEET for a sheet-wide price (discount)
    attribute: str
    before: Decimal | None  # None: the price did not exist yet
    after: Decimal | None  # None: the price was removed
    commit: Commit


@dataclass(frozen=True)
class History:
    changes: tuple[PriceChange, ...]  # oldest first
    commits: int  # first-parent commits read
    current: dict[tuple[str, str], Decimal]  # the prices at the newest readable commit
    since: dict[tuple[str, str], Commit]  # when each current price took its value
    warnings: tuple[Diagnostic, ...]


def prices_of(stack: Stack) -> dict[tuple[str, str], Decimal]:
    """(item, attribute) -> price for every price the stack writes (a default that follows
    another price, like a cache-write price equal to the input price, is not a change of
    its own)."""
    out: dict[tuple[str, str], Decimal] = {}
    for sheet in stack.price_sheets.values():
        if sheet.discount:
            out[(sheet.name, "discount")] = sheet.discount
        for item in sheet.items.values():
            if isinstance(item, ModelPrice):
                for attribute, value in declared_prices(item).items():
                    if written(item, attribute):
                        out[(item.address, attribute)] = value
            elif isinstance(item, MeterPrice):
                out[(item.address, "price")] = item.price
                out[(item.address, "per")] = item.per
    return out


class _Evaluator:
    """Prices of a set of file texts, with parses cached by blob and results by tree."""

    def __init__(self) -> None:
        self.files: dict[tuple[str, str], s.File] = {}
        self.results: dict[tuple[tuple[str, str], ...], dict[tuple[str, str], Decimal]] = {}

    def file(self, name: str, blob: str, text: str) -> s.File:
        key = (name, blob)
        if key not in self.files:
            parsed = parse_text(text, name)
            check_structure(parsed.body)
            blocks = [b for b in parsed.body.blocks if b.type in PRICE_BLOCKS]
            self.files[key] = s.File(parsed.path, parsed.source, s.Body({}, blocks))
        return self.files[key]

    def prices(self, files: dict[str, tuple[str, str]]) -> dict[tuple[str, str], Decimal]:
        key = tuple(sorted((name, blob) for name, (blob, _) in files.items()))
        if key not in self.results:
            parsed = [self.file(name, blob, text) for name, (blob, text) in sorted(files.items())]
            stack = compile_stack(parsed, Inputs(ignore_undeclared=True))
            self.results[key] = prices_of(stack)
        return self.results[key]


def history(stack_dir: Path, item: str | None = None, ref: str = "HEAD") -> History:
    from infercost.vcs import stack_revisions

    revisions = stack_revisions(stack_dir, ref)
    evaluator = _Evaluator()
    warnings: list[Diagnostic] = []
    snapshots: list[tuple[Commit, dict[tuple[str, str], Decimal]]] = []
    for revision in reversed(revisions):  # oldest first
        commit = Commit(revision.commit, revision.date, revision.author, revision.summary)
        if not revision.files:
            snapshots.append((commit, {}))
            continue
        try:
            prices = evaluator.prices(revision.files)
        except InfercostError as exc:
            first = exc.diagnostics[0] if exc.diagnostics else None
            reason = f" ({first.summary}: {first.detail})" if first else ""
            warnings.append(
                Diagnostic(
                    "Commit skipped",
                    f"The stack does not evaluate at {commit.short} ({commit.summary}){reason}; "
                    "its prices are left out of the history.",
                    severity=Severity.WARNING,
                )
            )
            continue
        snapshots.append((commit, prices))
    changes: list[PriceChange] = []
    since: dict[tuple[str, str], Commit] = {}
    previous: dict[tuple[str, str], Decimal] = {}
    for commit, prices in snapshots:
        for key in sorted(previous.keys() | prices.keys()):
            before, after = previous.get(key), prices.get(key)
            if before == after or (item is not None and key[0] != item):
                continue
            changes.append(PriceChange(key[0], key[1], before, after, commit))
            since[key] = commit
        previous = prices
    current = {k: v for k, v in previous.items() if item is None or k[0] == item}
    return History(
        tuple(changes),
        len(revisions),
        current,
        {k: c for k, c in since.items() if k in current},
        tuple(warnings),
    )
