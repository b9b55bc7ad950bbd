"""``init``: a new stack directory, ready for ``validate``, ``breakdown`` and ``check``.

Everything is rendered first (the price sheet through :func:`import_prices`, exactly as
``prices import`` writes it, so its source-and-date comment and its did-you-mean errors
are the same); only then are the files written, each through a temporary file and a
rename, so a refusal or an error leaves the directory as it was.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

from infercost.app.exit import ExitCode, exit_code
from infercost.app.prices import DataArgs, ImportArgs, import_prices
from infercost.app.run import Run
from infercost.config.fmt import format_text
from infercost.config.hcl import parse_text
from infercost.config.loader import display_path
from infercost.errors import Diagnostic, InfercostError, Severity, SourceRange
from infercost.files import new_file
from infercost.prices.record import PriceRecord
from infercost.prices.sheets import hcl_string, price_text

#: Token counts of the skeleton's one step: a round first guess to replace with real ones.
INPUT_TOKENS = 1000
OUTPUT_TOKENS = 300
TARGET_MARGIN = Decimal("0.70")
USAGE_FILE = "usage.csv"


@dataclass(frozen=True)
class InitArgs:
    directory: Path
    models: tuple[str, ...]
    data: DataArgs = field(default_factory=DataArgs)


@dataclass(frozen=True)
class InitRun:
    args: InitArgs
    #: (file name, text) in the order written; empty when nothing was written.
    files: tuple[tuple[str, str], ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(self.diagnostics)


def init_stack(args: InitArgs) -> InitRun:
    run = Run()
    files: tuple[tuple[str, str], ...] = ()
    with run.working() as diagnostics:
        _refuse_existing(args.directory)
        imported = import_prices(ImportArgs(args.models, args.data))
        if any(d.severity == Severity.ERROR for d in imported.diagnostics):
            raise InfercostError(*imported.diagnostics)
        diagnostics.append(*imported.diagnostics)
        files = render_files(imported.records, imported.text)
        _write_all(args.directory, files)
    return InitRun(args, files, run.finished())


def _refuse_existing(directory: Path) -> None:
    """A directory that already holds a stack is never written into (not even a file
    that would not clash): ``init`` starts stacks, it does not merge into them."""
    if directory.exists() and not directory.is_dir():
        raise InfercostError.at(
            "Not a directory", f"{display_path(directory)} exists and is not a directory."
        )
    existing = sorted(directory.glob("*.hcl")) if directory.is_dir() else []
    if existing:
        raise InfercostError.at(
            "Stack already exists",
            f"{display_path(directory)} already holds .hcl files "
            f"({', '.join(p.name for p in existing[:3])}{', ...' if len(existing) > 3 else ''}); "
            "init writes only into a new or empty directory, and wrote nothing.",
            SourceRange.point(display_path(existing[0]), 1),
        )
    if (directory / USAGE_FILE).exists():
        raise InfercostError.at(
            "Usage file already exists",
            f"{display_path(directory / USAGE_FILE)} exists; init wrote nothing.",
            SourceRange.point(display_path(directory / USAGE_FILE), 1),
        )


def _revenue(record: PriceRecord) -> Decimal:
    """A list price per unit that leaves a 75% margin over the skeleton step's cost, to
    two significant digits, so the new stack passes ``check`` until real figures land."""
    prices = record.prices.effective()
    cost = (
        prices["input_per_mtok"] * INPUT_TOKENS + prices["output_per_mtok"] * OUTPUT_TOKENS
    ) / Decimal(1_000_000) + (record.per_call or Decimal(0))
    if cost <= 0:
        return Decimal("0.01")
    price = cost * 4
    step = Decimal(1).scaleb(price.adjusted() - 1)
    return (price / step).to_integral_value(ROUND_CEILING) * step


def render_files(records: tuple[PriceRecord, ...], price_sheet: str) -> tuple[tuple[str, str], ...]:
    """The new stack's files, each in the ``fmt`` layout and checked to parse."""
    first = records[0]
    uses = f"{first.provider}/{first.item_label}"
    settings = "\n".join(
        [
            "# Stack settings. Run `infercost validate`, `breakdown` and `check` here.",
            "",
            "infercost {",
            '  currency = "USD"',
            '  period = "month"',
            f"  usage = {hcl_string(USAGE_FILE)}",
            '  policies = ["builtin:margin-floors"]',
            "}",
            "",
        ]
    )
    workflow = "\n".join(
        [
            "# One unit of work, the workflow that produces it and the feature that sells it.",
            "# Replace the token counts and prices with your own (`infercost calibrate`",
            "# measures them from request records).",
            "",
            'unit "request" {',
            '  description = "One request served to a customer"',
            "}",
            "",
            'workflow "main" {',
            '  step "generate" {',
            f"    uses = {hcl_string(uses)}",
            "    calls = 1",
            f"    input_tokens = {INPUT_TOKENS}",
            f"    output_tokens = {OUTPUT_TOKENS}",
            "  }",
            "}",
            "",
            'feature "main" {',
            "  unit = unit.request",
            "  workflow = workflow.main",
            f"  revenue_per_unit = {price_text(_revenue(first))}",
            f"  target_margin = {TARGET_MARGIN}",
            "}",
            "",
        ]
    )
    hcl = [("infercost.hcl", settings), ("prices.hcl", price_sheet), ("workflows.hcl", workflow)]
    files = []
    for name, text in hcl:
        laid_out = format_text(text, name)
        parse_text(laid_out, name)
        files.append((name, laid_out))
    files.append((USAGE_FILE, "feature,units\nmain,10000\n"))
    return tuple(files)


def _write_all(directory: Path, files: tuple[tuple[str, str], ...]) -> None:
    """Each file to a temporary name first, then renamed into place; on any failure the
    files already renamed and every temporary are removed, so nothing half-written stays."""
    created_dir = not directory.exists()
    temporaries: list[tuple[str, Path]] = []
    placed: list[Path] = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in files:
            fd, temporary = new_file(directory, f".{name}.", ".tmp")
            temporaries.append((name, temporary))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        for name, temporary in temporaries:
            target = directory / name
            os.replace(temporary, target)
            placed.append(target)
    except OSError as exc:
        for _, temporary in temporaries:
            temporary.unlink(missing_ok=True)
        for target in placed:
            target.unlink(missing_ok=True)
        if created_dir:
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise InfercostError.at(
            "Cannot write file", f"{display_path(directory)}: {exc.strerror or exc}."
        ) from None
