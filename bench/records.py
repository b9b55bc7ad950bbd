"""Benchmark of ``usage import``: millions of request records, CSV and Parquet, against
genai-prices' ``calc_price`` applied record by record.

    python bench/records.py                     # 10,000,000 records in a temp dir
    python bench/records.py --records 1000000 --data /tmp/recbench --keep

Prints, for each format: wall and CPU time (user + system), records/s, peak memory
(``/usr/bin/time -v`` when present, else ``resource``), the ratio to ``calc_price``'s
records/s measured in the same run, and whether the import's actual cost equals the
record-by-record total to the last digit. Targets: ratio >= 100, peak <= 2 GiB, equal cost. Exits 0.

The record-by-record total is computed per record in exact integer arithmetic (prices
scaled to whole numbers) by a separate query; ``calc_price`` is checked to give the
same price as that formula on every sampled record, so equality holds against
genai-prices too.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostspeed
from recordbench import MODELS, SCALE, STACK, records_data, timed


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--formats", default="csv,parquet")
    args = parser.parse_args()
    print(hostspeed.line(), flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="infercost-out-") as scratch,
        records_data(args.data, args.records, args.keep, "infercost-records-") as (
            _directory,
            files,
        ),
    ):
        exact = record_by_record(files["parquet"])
        rate, same = calc_price_rate(files["parquet"], args.sample)
        print(
            f"genai-prices calc_price, record by record: {rate:,.0f} records/s "
            f"(sample of {args.sample:,}; same prices as the import's formula: {same})"
        )
        for fmt in args.formats.split(","):
            out = Path(scratch) / f"usage-{fmt}.csv"
            run = timed(
                ["usage", "import", str(STACK), str(files[fmt]), "--from", "records",
                 "--out", str(out), "-o", "json"]
            )  # fmt: skip
            per_s = run.doc["records"] / run.wall
            equal = Fraction(run.doc["totals"]["actual_cost"]) == exact
            print(
                f"usage import {fmt:8s}: {run.figures()}, {per_s:,.0f} records/s, "
                f"ratio {per_s / rate:,.0f}x (target >= 100x, peak <= 2 GiB), actual cost "
                f"{run.doc['totals']['actual_cost']} equals record-by-record: {equal}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
