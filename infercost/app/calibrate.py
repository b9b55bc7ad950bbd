"""``calibrate`` (the app layer): import the records with the observed shape measured in
the same DuckDB connection, compare with the declared shape, write the what-if."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from infercost.calibrate.shape import ObservedFeature, observe_features
from infercost.calibrate.whatif import write_what_if
from infercost.config.loader import display_path
from infercost.errors import InfercostError
from infercost.files import check_target, replace_atomically
from infercost.model import Stack
from infercost.numbers import counted
from infercost.usage.records.result import ImportResult


@dataclass
class CalibrateResult:
    result: ImportResult
    features: list[ObservedFeature]
    unknown_features: dict[str, int]  # records of features the stack does not declare
    what_if: str


def calibrate(
    stack: Stack,
    paths: Sequence[Path],
    source: str,
    period: str | None = None,
    engine: str = "duckdb",
    snapshot_rows: bool = False,
) -> CalibrateResult:
    """``snapshot_rows``: keep the import's snapshot rows, which calibrate itself does not
    show (comparing two engines' imports on them costs no second import)."""
    from infercost.app.records import import_records
    from infercost.usage.records.observed import ShapeObserver

    if source in ("focus", "aggregated"):
        raise InfercostError.at(
            "Invalid --from",
            f"{source} has no request records: calibrate needs records, otel or litellm.",
        )
    result = import_records(
        stack,
        paths,
        source,
        period,
        engine,
        observer=ShapeObserver(stack),
        snapshot_rows=snapshot_rows,
    )
    features = observe_features(stack, result)
    unknown = {
        r["feature"] if r["feature"] is not None else "(none)": r["records"]
        for r in (result.observed or {}).get("unknown_features", [])
    }
    header = [
        f"Observed shape from {counted(result.records, 'record')} "
        f"({', '.join(result.files)}), period {result.period or 'n/a'}.",
        "infercost plan --what-if THIS_FILE prices the stack as production behaves.",
    ]
    return CalibrateResult(
        result,
        features,
        unknown,
        write_what_if(stack, features, header),
    )


def write_text(path: Path, text: str) -> None:
    """Write atomically; never over something that is not a regular file."""
    shown = display_path(path)
    if path.suffix.lower() != ".hcl":
        raise InfercostError.at("Invalid --write-what-if", f"{shown}: a what-if file ends in .hcl.")
    if os.path.lexists(path) and (not path.is_file() or path.is_symlink()):
        raise InfercostError.at("Invalid --write-what-if", f"{shown} is not a regular file.")
    check_target(path)
    try:
        replace_atomically(path, text)
    except OSError as exc:
        raise InfercostError.at("Cannot write output", f"{shown}: {exc.strerror or exc}.") from None
