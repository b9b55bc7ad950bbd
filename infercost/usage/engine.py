"""The embedded SQL engine for usage data: one place that opens DuckDB and sets it up.

Every reader and aggregation in ``usage/`` (snapshots and request records) runs its SQL
on a connection from :func:`connect`, so threads, memory, extension loading and the
exact-decimal conventions are decided here once. DuckDB's DECIMAL sums never round; a
sum that would not fit is an error, not a float. ``duckdb`` is imported lazily: a command
that reads no usage should not pay for loading it.

Since DuckDB 2 the engine is the extension module ``_duckdb`` (connections, DB-API
cursors, exceptions), and the ``duckdb`` package adds a relational API written in
Python on top of it. Everything here goes through SQL on a connection's ``execute``, so
:func:`_module` loads the engine alone where it exists: the package's Python layer
costs three times the engine's own import, which is most of a small ``check``'s wait
for its usage (bench/run.py, "check example (warm)"). Older DuckDB has no such split
and is imported whole.
"""

from __future__ import annotations

import importlib
import os
from decimal import Decimal
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

# DuckDB's DECIMAL holds at most 38 digits; past that a cast or sum fails loudly.
MAX_DIGITS = 38

# Scale of record decimal columns (quantity, reported cost): 18 fractional digits, 20 whole.
DECIMAL = "DECIMAL(38, 18)"


def connect(*, ordered: bool = True) -> duckdb.DuckDBPyConnection:
    """A private in-memory database for one run.

    ``ordered`` keeps insertion order so that row numbers follow the file; it costs
    parallelism, so the record aggregation asks for it only when locating an error.
    Extensions are never installed or loaded on demand: a path such as ``https://...``
    must not turn into network access, and the readers need only what is built in.
    ``INFERCOST_THREADS`` and ``INFERCOST_MEMORY_LIMIT`` bound the engine on shared
    machines. Run SQL with ``execute``: with DuckDB 2 the connection is the engine's own
    object, without the ``duckdb`` package's Python methods (``sql``, ``read_csv``, ...).
    """
    threads = int(os.environ.get("INFERCOST_THREADS", "0") or 0) or (os.cpu_count() or 1)
    config: dict[str, str | bool | int | float | list[str]] = {
        "threads": max(1, min(threads, 8)),
        "preserve_insertion_order": ordered,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }
    limit = os.environ.get("INFERCOST_MEMORY_LIMIT")
    if limit:
        config["memory_limit"] = limit
    con: duckdb.DuckDBPyConnection = _module().connect(":memory:", config=config)
    # Output is the CLI's alone: never a progress bar on the terminal.
    con.execute("SET enable_progress_bar = false")
    # A time without a zone is UTC (SPEC §12), whatever the machine's zone: the same
    # records give the same periods on a laptop in New York and a runner in UTC.
    con.execute("SET TimeZone = 'UTC'")
    return con


def engine_errors() -> tuple[type[BaseException], ...]:
    """The exceptions a query can raise (for ``except``), imported only when needed."""
    return (_module().Error,)


def out_of_range() -> tuple[type[BaseException], ...]:
    """Raised when an exact DECIMAL value or result would need more than 38 digits."""
    module = _module()
    return (module.OutOfRangeException, module.ConversionException)


def _module() -> ModuleType:
    """DuckDB's engine: ``_duckdb`` (DuckDB 2+), else the ``duckdb`` package.

    The classes are the same objects either way (``duckdb`` re-exports them), so an
    ``except duckdb.Error`` anywhere still catches what these connections raise.
    """
    try:
        return importlib.import_module("_duckdb")
    except ImportError:  # DuckDB 1.x: the package is the engine
        return importlib.import_module("duckdb")


def decimal_type(scale: int) -> str:
    return f"DECIMAL({MAX_DIGITS},{scale})"


def scale_of(value: Decimal) -> int:
    """Digits after the point that ``value`` needs exactly (0 for whole numbers).

    Read from the digits themselves: ``normalize`` would round in the caller's context.
    """
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if not any(digits):
        return 0
    trailing = len(digits) - len(bytes(digits).rstrip(b"\x00"))
    return max(0, -(exponent + trailing))


def literal(value: Decimal, scale: int) -> str:
    """An exact DECIMAL literal: every digit of the value, never through a float or a
    context that could round it."""
    return f"CAST('{format(value, 'f')}' AS {decimal_type(scale)})"


def string(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"
