"""Benchmark of ``usage import``: millions of request records, CSV and Parquet, against
genai-prices' ``calc_price`` applied record by record.

    python bench/records.py                     # 10,000,000 records in a temp dir
    python bench/records.py --records 1000000 --data /tmp/recbench --keep

Prints, for each format: wall time, records/s, peak memory (``/usr/bin/time -v`` when
present, else ``resource``), the ratio to ``calc_price``'s records/s measured in the
same run, and whether the import's actual cost equals the record-by-record total to
the last digit. Targets: ratio >= 100, peak <= 2 GiB, equal cost. Exits 0.

The record-by-record total is computed per record in exact integer arithmetic (prices
scaled to whole numbers) by a separate query; ``calc_price`` is checked to give the
same price as that formula on every sampled record, so equality holds against
genai-prices too.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

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


def record_by_record(path: Path) -> Fraction:
    """The exact total, each record priced on its own (integers: prices x 1000, x 1.1 as
    x 11 / 10 for the EU region of the openai sheet)."""
    import duckdb

    cases_in = " ".join(f"WHEN '{i}' THEN {int(Decimal(p[0]) * SCALE)}" for i, _, p in MODELS)
    cases_c = " ".join(f"WHEN '{i}' THEN {int(Decimal(p[1]) * SCALE)}" for i, _, p in MODELS)
    cases_o = " ".join(f"WHEN '{i}' THEN {int(Decimal(p[2]) * SCALE)}" for i, _, p in MODELS)
    row = (
        "CASE WHEN item = 'pinecone/read_unit' THEN CAST(quantity AS HUGEINT) * 16 * 1000 * 10 "
        f"ELSE ((CAST(input_tokens AS HUGEINT) - coalesce(cached_input_tokens, 0)) * "
        f"(CASE item {cases_in} END) + coalesce(cached_input_tokens, 0) * (CASE item {cases_c} END)"
        f" + coalesce(output_tokens, 0) * (CASE item {cases_o} END)) * "
        "(CASE WHEN feature = 'semantic_search' AND item LIKE 'openai/%' THEN 11 ELSE 10 END) END"
    )
    total = duckdb.sql(f"SELECT SUM({row}) FROM read_parquet('{path}')").fetchall()[0][0]
    return Fraction(int(total), 1_000_000 * SCALE * 10)


def calc_price_rate(path: Path, sample: int) -> tuple[float, bool]:
    """genai-prices, one record at a time, on the first ``sample`` model records: records/s,
    and whether every price equals the exact formula the import uses."""
    import duckdb
    from genai_prices import Usage, calc_price

    rows = duckdb.sql(
        f"SELECT feature, item, input_tokens, coalesce(cached_input_tokens, 0), "
        f"coalesce(output_tokens, 0) FROM read_parquet('{path}') "
        f"WHERE item <> 'pinecone/read_unit' LIMIT {sample}"
    ).fetchall()
    refs = {i: ref for i, ref, _ in MODELS}
    prices = {i: tuple(Decimal(x) for x in p) for i, _, p in MODELS}
    started = time.perf_counter()
    results = []
    for _feature, item, tin, cached, tout in rows:
        provider, model = refs[item]
        price = calc_price(
            Usage(input_tokens=tin, cache_read_tokens=cached, output_tokens=tout),
            model_ref=model,
            provider_id=provider,
        )
        results.append(price.total_price)
    elapsed = time.perf_counter() - started
    same = True
    for (_feature, item, tin, cached, tout), got in zip(rows, results, strict=True):
        p_in, p_c, p_out = prices[item]
        mine = ((tin - cached) * p_in + cached * p_c + tout * p_out) / Decimal(1_000_000)
        same = same and Fraction(mine) == Fraction(got)
    return len(rows) / elapsed, same


def run_import(path: Path, out: Path) -> tuple[float, int | None, dict]:
    cmd = [
        sys.executable,
        "-m",
        "infercost",
        "usage",
        "import",
        str(STACK),
        str(path),
        "--from",
        "records",
        "--out",
        str(out),
        "-o",
        "json",
    ]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    started = time.perf_counter()
    done = subprocess.run(timer + cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"import failed:\n{done.stderr[-2000:]}")
    peak = None
    for line in done.stderr.splitlines():
        if "Maximum resident set size" in line:
            peak = int(line.rsplit(":", 1)[1]) * 1024
    if peak is None:
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return wall, peak, json.loads(done.stdout, parse_float=Decimal)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--formats", default="csv,parquet")
    args = parser.parse_args()
    directory = args.data or Path(tempfile.mkdtemp(prefix="infercost-records-"))
    try:
        started = time.perf_counter()
        files = {
            "csv": directory / "records.csv",
            "parquet": directory / "records.parquet",
        }
        if not all(p.exists() for p in files.values()):
            files = generate(directory, args.records)
        print(
            f"data: {args.records:,} records in {directory} "
            f"({time.perf_counter() - started:.1f} s to generate or find)"
        )
        exact = record_by_record(files["parquet"])
        rate, same = calc_price_rate(files["parquet"], args.sample)
        print(
            f"genai-prices calc_price, record by record: {rate:,.0f} records/s "
            f"(sample of {args.sample:,}; same prices as the import's formula: {same})"
        )
        for fmt in args.formats.split(","):
            wall, peak, doc = run_import(files[fmt], directory / f"usage-{fmt}.csv")
            per_s = doc["records"] / wall
            equal = Fraction(doc["totals"]["actual_cost"]) == exact
            print(
                f"usage import {fmt:8s}: {wall:6.2f} s, {per_s:,.0f} records/s, "
                f"ratio {per_s / rate:,.0f}x (target >= 100x), peak "
                f"{(peak or 0) / 2**30:.2f} GiB (target <= 2), actual cost "
                f"{doc['totals']['actual_cost']} equals record-by-record: {equal}"
            )
    finally:
        if not args.keep and args.data is None:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
