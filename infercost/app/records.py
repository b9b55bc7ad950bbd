"""``usage import`` (the app layer): check the files, pick the engine, build the result,
write the snapshot (atomically, and never over a file that is not a snapshot)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from infercost.config.loader import display_path
from infercost.errors import Diagnostic, InfercostError
from infercost.files import check_target, replace_atomically
from infercost.model import Stack
from infercost.usage.records import read
from infercost.usage.records.fields import SOURCES
from infercost.usage.records.result import ImportResult, Locator, build
from infercost.usage.records.run import EngineOutput, Source, run_duckdb

ENGINES = ("duckdb", "spark")


class _SourceLocator(Locator):
    def __init__(self, source: Source) -> None:
        self.source = source

    def find(self, condition: str) -> dict[str, Any] | None:
        return self.source.locate(f"_problem IS NULL AND ({condition})")

    def error(self, record: dict[str, Any] | None, message: str) -> InfercostError:
        if record is None:
            return InfercostError.at("Invalid record", f"{self.source.label}: {message}")
        where, rng = self.source.where(record)
        return InfercostError(Diagnostic("Invalid record", f"{where}: {message}", rng))


class _FileLocator(Locator):
    def __init__(self, label: str) -> None:
        self.label = label

    def find(self, condition: str) -> dict[str, Any] | None:
        return None

    def error(self, record: dict[str, Any] | None, message: str) -> InfercostError:
        return InfercostError.at("Invalid aggregated rows", f"{self.label}: {message}")


def check_source(name: str) -> str:
    if name not in SOURCES:
        from infercost.errors import did_you_mean

        raise InfercostError.at(
            "Unknown records source",
            f'"{name}" is not a source; choose from {", ".join(SOURCES)}.'
            + did_you_mean(name, SOURCES),
        )
    return name


def import_records(
    stack: Stack,
    paths: Sequence[Path],
    source_name: str,
    period: str | None = None,
    engine: str = "duckdb",
    observer: Any = None,
    snapshot_rows: bool = True,
) -> ImportResult:
    """Read, check, aggregate and price the records. ``observer`` measures more on the
    same records in the same connection: ``calibrate``'s observed shape (on Spark, the
    same queries run there). ``snapshot_rows``: see ``result.build``."""
    source_name = check_source(source_name)
    if engine not in ENGINES:
        raise InfercostError.at("Unknown engine", f'"{engine}": choose duckdb or spark.')
    if not paths:
        raise InfercostError.at("No records files", "Name at least one file of records.")
    files = read.open_sources(paths)
    shown = [f.shown for f in files]
    mapping = stack.records.get(source_name)
    if source_name == "focus":
        if engine == "spark":
            from infercost.usage.records.spark import read_focus_spark

            return read_focus_spark(stack, files, period)
        from infercost.usage.records.focus import read_focus

        return read_focus(stack, files, period)
    if source_name == "aggregated":
        if engine == "spark":
            from infercost.usage.records.spark import read_aggregated_spark

            rows = read_aggregated_spark(files)
        else:
            from infercost.usage.records.aggregated import read_aggregated

            rows = read_aggregated(files)
        return build(stack, rows, period, source_name, shown, _FileLocator(", ".join(shown)))
    source = Source(stack, files, source_name, mapping)
    if engine == "spark":
        from infercost.usage.records.spark import run_spark

        output: EngineOutput = run_spark(source, observer=observer)
    else:
        output = run_duckdb(source, observer=observer)
    result = build(stack, output, period, source_name, shown, _SourceLocator(source), snapshot_rows)
    result.observed = output.observed
    return result


SNAPSHOT_SUFFIXES = (".csv", ".json", ".jsonl", ".ndjson")


def check_out(path: Path) -> None:
    """``--out`` may replace a snapshot, never another file (and never a FIFO or device)."""
    shown = display_path(path)
    if path.suffix.lower() not in SNAPSHOT_SUFFIXES:
        raise InfercostError.at(
            "Invalid --out",
            f"{shown}: a snapshot is written as .csv, .json or .jsonl (chosen by the name).",
        )
    if not os.path.lexists(path):
        return
    if not path.is_file() or path.is_symlink():
        raise InfercostError.at("Invalid --out", f"{shown} exists and is not a regular file.")
    from infercost.usage.sources import COLUMNS

    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.read(65536)
    except (OSError, UnicodeDecodeError):
        head = "\0"
    if not head.strip():
        return
    keys: set[str] | None = None
    if path.suffix.lower() == ".csv":
        keys = {c.strip() for c in head.splitlines()[0].split(",")}
    else:
        import json
        import re

        first = head.lstrip().lstrip("[").lstrip()
        match = re.match(r"\{[^{}]*\}", first)
        if match:
            try:
                keys = set(json.loads(match.group(0)))
            except ValueError:
                keys = None
        elif first in ("", "]"):
            return
    if keys is None or not keys <= set(COLUMNS) or not {"feature", "units"} <= keys:
        raise InfercostError.at(
            "Invalid --out",
            f"{shown} exists and is not a usage snapshot; it is not replaced. Choose "
            "another file, or remove it.",
        )


def snapshot_text(result: ImportResult, suffix: str) -> str:
    with_customers = any(r.customer is not None for r in result.snapshot)
    columns = ["customer", "subscription"] if with_customers else []
    columns += ["feature", "units"]
    if result.period is not None:
        columns.append("period")
    if suffix == ".csv":
        import csv
        import io
        from operator import attrgetter

        # One tuple per row straight from the snapshot (a customer per row on a large
        # import): the writer writes None as an empty cell.
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(map(attrgetter(*columns), result.snapshot))
        return buffer.getvalue()
    rows = [
        {
            "customer": r.customer,
            "subscription": r.subscription,
            "feature": r.feature,
            "units": r.units,
            "period": r.period,
        }
        for r in result.snapshot
    ]
    import json

    from infercost.invisible import json_escaped

    # Snapshot values are text and whole numbers: the standard encoder writes them exactly.
    objects = [{c: row[c] for c in columns} for row in rows]
    # Ids that hide or reorder text are written escaped, as every JSON view writes them.
    if suffix == ".json":
        return json_escaped(json.dumps(objects, indent=2, ensure_ascii=False) + "\n")
    return json_escaped("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects))


def write_snapshot(result: ImportResult, path: Path) -> None:
    text = snapshot_text(result, path.suffix.lower())
    check_target(path)
    try:
        replace_atomically(path, text, newline="")
    except OSError as exc:
        raise InfercostError.at(
            "Cannot write output", f"{display_path(path)}: {exc.strerror or exc}."
        ) from None
