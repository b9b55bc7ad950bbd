"""Shared set-up of the request-record benchmarks (``records.py``, ``calibrate.py``):
the generated records and a timed run of the CLI in a child process.

``INFERCOST_BENCH_REPO=DIR`` measures the CLI of another checkout (same scripts, same
data), for before/after figures on one machine."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
STACK = REPO / "examples" / "support-assistant"
# item, its genai-prices reference, prices per million tokens (input, cached, output)
MODELS = [
    ("openai/gpt-4o-mini", ("openai", "gpt-4o-mini"), ("0.15", "0.075", "0.60")),
    ("openai/gpt-4o", ("openai", "gpt-4o"), ("2.50", "1.25", "10.00")),
    ("openai/text-embedding-3-small", ("openai", "text-embedding-3-small"), ("0.02", "0.02", "0")),
    ("anthropic/claude-haiku-4-5", ("anthropic", "claude-haiku-4-5"), ("1.00", "0.10", "5.00")),
]
SCALE = 1000  # prices x 1000 are whole numbers


def generate(directory: Path, records: int) -> dict[str, Path]:
    import duckdb

    directory.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    items = "[" + ", ".join(f"'{m[0]}'" for m in MODELS) + ", 'pinecone/read_unit']"
    con.execute(f"""
        CREATE TABLE r AS
        SELECT
            TIMESTAMP '2026-11-01 00:00:00' + to_seconds((i // 8) % 2500000) AS time,
            'u' || (i // 8) AS unit_id,
            CASE WHEN (i // 8) % 10 = 0 THEN 'semantic_search' ELSE 'support_assistant' END
                AS feature,
            'cus-' || lpad(((i // 8) % 50000)::VARCHAR, 5, '0') AS customer,
            CASE WHEN (i // 8) % 50000 % 3 = 0 THEN 'team' ELSE 'pro' END AS subscription,
            {items}[1 + (hash(i) % 5)::INT] AS item,
            (100 + hash(i * 7) % 20000)::BIGINT AS tin,
            (hash(i * 13) % 100)::BIGINT AS pct,
            (hash(i * 17) % 1500)::BIGINT AS tout,
            (1 + hash(i * 19) % 20)::BIGINT AS qty
        FROM range({records}) t(i)
    """)
    con.execute("""
        CREATE TABLE recs AS SELECT time, unit_id, feature, customer, subscription, item,
            CASE WHEN item = 'pinecone/read_unit' THEN NULL ELSE tin END AS input_tokens,
            CASE WHEN item = 'pinecone/read_unit' THEN NULL ELSE tin * pct // 100 END
                AS cached_input_tokens,
            CASE WHEN item = 'pinecone/read_unit' OR item LIKE '%embedding%' THEN NULL
                 ELSE tout END AS output_tokens,
            CASE WHEN item = 'pinecone/read_unit' THEN qty END AS quantity
        FROM r
    """)
    out = {"csv": directory / "records.csv", "parquet": directory / "records.parquet"}
    con.execute(f"COPY recs TO '{out['csv']}' (HEADER)")
    con.execute(f"COPY recs TO '{out['parquet']}' (FORMAT parquet)")
    con.close()
    return out


def data_files(directory: Path, records: int) -> dict[str, Path]:
    """The CSV and Parquet files in ``directory``, generated when either is missing."""
    files = {"csv": directory / "records.csv", "parquet": directory / "records.parquet"}
    if not all(p.exists() for p in files.values()):
        files = generate(directory, records)
    return files


@dataclass
class Run:
    """One child run: wall seconds, CPU seconds (user + system), peak RSS in bytes and
    the JSON document it printed."""

    wall: float
    cpu: float
    peak: int
    doc: Any

    def figures(self) -> str:
        return f"{self.wall:6.2f} s wall, {self.cpu:6.2f} s CPU, peak {self.peak / 2**30:.2f} GiB"


@contextlib.contextmanager
def records_data(
    data: Path | None, records: int, keep: bool, prefix: str
) -> Iterator[tuple[Path, dict[str, Path]]]:
    """The bench's records in ``data`` (made if missing) or in a temporary directory
    removed afterwards unless ``keep``: what every records benchmark starts from."""
    directory = data or Path(tempfile.mkdtemp(prefix=prefix))
    try:
        started = time.perf_counter()
        files = data_files(directory, records)
        print(
            f"data: {records:,} records in {directory} "
            f"({time.perf_counter() - started:.1f} s to generate or find)"
        )
        yield directory, files
    finally:
        if not keep and data is None:
            shutil.rmtree(directory, ignore_errors=True)


def timed(args: list[str]) -> Run:
    """``python -m infercost ARGS`` in a child, measured by ``/usr/bin/time -v`` when it
    exists (else by ``resource``, which reports the largest child so far)."""
    cmd = [sys.executable, "-m", "infercost", *args]
    repo = os.environ.get("INFERCOST_BENCH_REPO") or str(REPO)
    env = dict(os.environ, PYTHONPATH=repo)
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # Run from the checkout: ``python -m`` puts the working directory first on the path.
    done = subprocess.run(
        timer + cmd, capture_output=True, text=True, env=env, cwd=repo, check=False
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{done.stderr[-2000:]}")
    peak = None
    for line in done.stderr.splitlines():
        if "Maximum resident set size" in line:
            peak = int(line.rsplit(":", 1)[1]) * 1024
    if peak is None:
        peak = after.ru_maxrss * 1024
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu, peak, json.loads(done.stdout, parse_float=Decimal))
