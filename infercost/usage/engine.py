"""The embedded engine: one way to open a DuckDB connection for every reader.

Settings that change results live here so that every query sees them: times are
UTC (a naive ISO time is read as UTC; periods are cut in UTC, SPEC §12), and decimal
arithmetic is exact (DuckDB's DECIMAL sums never round; a sum that would not fit is an
error, not a float).
"""

from __future__ import annotations

import os
from typing import Any

# Scale of decimal columns (quantity, reported cost): 18 fractional digits, 20 whole.
DECIMAL = "DECIMAL(38, 18)"


def connect(*, ordered: bool = False) -> Any:
    """A fresh in-memory DuckDB connection.

    ``ordered`` keeps insertion order, which costs parallelism; it is asked for only
    when an error is being located (row numbers are the order records were read in).
    """
    import duckdb

    config: dict[str, str | bool | int | float | list[str]] = {
        "threads": int(os.environ.get("INFERCOST_THREADS", "0") or 0) or (os.cpu_count() or 1),
        "preserve_insertion_order": ordered,
    }
    limit = os.environ.get("INFERCOST_MEMORY_LIMIT")
    if limit:
        config["memory_limit"] = limit
    return duckdb.connect(":memory:", config=config)
