"""Write the example's small records files, one per source format, from one list of calls.

Run from this directory: ``python generate.py``. Every file describes the same calls,
so each imports into the same snapshot and the same actual cost.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (unit, feature, customer, subscription, minute, item, input, cached, output, quantity)
CALLS = [
    (
        "t-1001",
        "support_assistant",
        "cus-0001",
        "pro",
        0,
        "openai/omni-moderation",
        500,
        0,
        0,
        None,
    ),
    (
        "t-1001",
        "support_assistant",
        "cus-0001",
        "pro",
        0,
        "openai/text-embedding-3-small",
        80,
        0,
        0,
        None,
    ),
    ("t-1001", "support_assistant", "cus-0001", "pro", 1, "pinecone/read_unit", 0, 0, 0, 10),
    ("t-1001", "support_assistant", "cus-0001", "pro", 1, "pinecone/read_unit", 0, 0, 0, 10),
    (
        "t-1001",
        "support_assistant",
        "cus-0001",
        "pro",
        2,
        "openai/gpt-4o-mini",
        4050,
        1400,
        450,
        None,
    ),
    (
        "t-1001",
        "support_assistant",
        "cus-0001",
        "pro",
        3,
        "openai/gpt-4o-mini",
        4650,
        1600,
        430,
        None,
    ),
    (
        "t-1002",
        "support_assistant",
        "cus-0002",
        "team",
        5,
        "openai/omni-moderation",
        480,
        0,
        0,
        None,
    ),
    (
        "t-1002",
        "support_assistant",
        "cus-0002",
        "team",
        5,
        "openai/text-embedding-3-small",
        75,
        0,
        0,
        None,
    ),
    ("t-1002", "support_assistant", "cus-0002", "team", 6, "pinecone/read_unit", 0, 0, 0, 10),
    (
        "t-1002",
        "support_assistant",
        "cus-0002",
        "team",
        7,
        "openai/gpt-4o-mini",
        4100,
        0,
        470,
        None,
    ),
    ("t-1002", "support_assistant", "cus-0002", "team", 8, "openai/gpt-4o", 10050, 0, 1000, None),
    (
        "s-2001",
        "semantic_search",
        "cus-0002",
        "team",
        9,
        "openai/text-embedding-3-small",
        40,
        0,
        0,
        None,
    ),
    ("s-2001", "semantic_search", "cus-0002", "team", 9, "pinecone/read_unit", 0, 0, 0, 10),
    (
        "s-2001",
        "semantic_search",
        "cus-0002",
        "team",
        10,
        "anthropic/claude-haiku-4-5",
        2100,
        0,
        200,
        None,
    ),
    (
        "s-2002",
        "semantic_search",
        "cus-0001",
        "pro",
        12,
        "openai/text-embedding-3-small",
        38,
        0,
        0,
        None,
    ),
]


def rows() -> list[dict[str, object]]:
    out = []
    for unit, feature, customer, sub, minute, item, tin, cached, tout, qty in CALLS:
        out.append(
            {
                "time": f"2026-11-03T09:{minute:02d}:00Z",
                "unit_id": unit,
                "feature": feature,
                "customer": customer,
                "subscription": sub,
                "item": item,
                "input_tokens": tin if qty is None else None,
                "cached_input_tokens": cached if qty is None else None,
                "output_tokens": tout if qty is None else None,
                "quantity": qty,
            }
        )
    return out


def write_records() -> None:
    data = rows()
    with open(HERE / "records.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(data[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in data)
    with open(HERE / "records.jsonl", "w") as handle:
        for r in data:
            handle.write(json.dumps({k: v for k, v in r.items() if v is not None}) + "\n")
    try:
        import duckdb
    except ImportError:  # pragma: no cover - Parquet needs DuckDB
        return
    duckdb.sql(
        f"COPY (SELECT * REPLACE (CAST(input_tokens AS BIGINT) AS input_tokens, "
        f"CAST(cached_input_tokens AS BIGINT) AS cached_input_tokens, "
        f"CAST(output_tokens AS BIGINT) AS output_tokens, "
        f"CAST(quantity AS DECIMAL(18, 6)) AS quantity) "
        f"FROM read_csv('{HERE / 'records.csv'}', header = true, all_varchar = true)) "
        f"TO '{HERE / 'records.parquet'}' (FORMAT parquet)"
    )


# List prices per million tokens (input, cached input, output), as the proxy prices them.
PRICES = {
    "openai/omni-moderation": ("0", "0", "0"),
    "openai/text-embedding-3-small": ("0.02", "0.02", "0"),
    "openai/gpt-4o-mini": ("0.15", "0.075", "0.60"),
    "openai/gpt-4o": ("2.50", "1.25", "10.00"),
    "anthropic/claude-haiku-4-5": ("1.00", "0.10", "5.00"),
}


def spend(r: dict[str, object]) -> Decimal:
    """What the proxy reports: list price, without the stack's EU region surcharge."""
    p_in, p_cached, p_out = (Decimal(p) for p in PRICES[str(r["item"])])
    tin, cached, tout = (
        int(r[k] or 0) for k in ("input_tokens", "cached_input_tokens", "output_tokens")
    )
    return ((tin - cached) * p_in + cached * p_cached + tout * p_out) / 1_000_000


def write_litellm() -> None:
    """LiteLLM spend logs (JSON lines): model calls only; the vector reads are not LLM calls."""
    with open(HERE / "litellm.jsonl", "w") as handle:
        for n, r in enumerate(rows(), start=1):
            if r["quantity"] is not None:
                continue
            provider, _, model = str(r["item"]).partition("/")
            handle.write(
                json.dumps(
                    {
                        "request_id": f"req-{n:04d}",
                        "startTime": r["time"],
                        "model": model,
                        "custom_llm_provider": provider,
                        "prompt_tokens": r["input_tokens"],
                        "completion_tokens": r["output_tokens"],
                        "spend": float(spend(r)),
                        "end_user": r["customer"],
                        "session_id": r["unit_id"],
                        "request_tags": [f"feature:{r['feature']}"],
                        "metadata": {
                            "plan": r["subscription"],
                            "usage_object": {
                                "prompt_tokens_details": {"cached_tokens": r["cached_input_tokens"]}
                            },
                        },
                    }
                )
                + "\n"
            )


def _attr(key: str, value: object) -> dict[str, object]:
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": str(value)}}


def write_otel() -> None:
    """One trace per unit: a root span with feature and customer, a child span per call."""
    units: dict[str, list[dict[str, object]]] = {}
    for r in rows():
        units.setdefault(str(r["unit_id"]), []).append(r)
    with open(HERE / "otel.jsonl", "w") as handle:
        for t, calls in enumerate(units.values(), start=1):
            trace = f"{t:032x}"
            root = {
                "traceId": trace,
                "spanId": f"{t:08x}00000000",
                "name": "handle_request",
                "startTimeUnixNano": "1793696400000000000",
                "attributes": [
                    _attr("app.feature", calls[0]["feature"]),
                    _attr("enduser.id", calls[0]["customer"]),
                    _attr("app.plan", calls[0]["subscription"]),
                ],
            }
            spans = [root]
            for n, r in enumerate(calls, start=1):
                provider, _, model = str(r["item"]).partition("/")
                attrs = [
                    _attr("gen_ai.provider.name", provider),
                    _attr("gen_ai.request.model", model),
                ]
                if r["quantity"] is not None:
                    attrs.append(_attr("db.vector.read_units", r["quantity"]))
                else:
                    attrs += [
                        _attr("gen_ai.usage.input_tokens", r["input_tokens"]),
                        _attr("gen_ai.usage.output_tokens", r["output_tokens"]),
                        _attr("gen_ai.usage.cache_read.input_tokens", r["cached_input_tokens"]),
                    ]
                spans.append(
                    {
                        "traceId": trace,
                        "spanId": f"{t:08x}{n:08x}",
                        "parentSpanId": root["spanId"],
                        "name": "chat",
                        "startTimeUnixNano": f"{1793696400 + 60 * n}000000000",
                        "attributes": attrs,
                    }
                )
            doc = {
                "resourceSpans": [
                    {
                        "resource": {"attributes": [_attr("service.name", "support-api")]},
                        "scopeSpans": [{"scope": {"name": "app"}, "spans": spans}],
                    }
                ]
            }
            handle.write(json.dumps(doc) + "\n")


def write_focus() -> None:
    """A FOCUS 1.x export of the same month: what the vendors billed, per service."""
    with open(HERE / "focus.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            [
                "BillingPeriodStart",
                "ChargePeriodStart",
                "ProviderName",
                "ServiceName",
                "SkuId",
                "BilledCost",
                "EffectiveCost",
                "BillingCurrency",
            ]
        )
        writer.writerow(
            [
                "2026-11-01T00:00:00Z",
                "2026-11-03T00:00:00Z",
                "OpenAI",
                "API",
                "gpt-4o-mini",
                "0.0027",
                "0.0027",
                "USD",
            ]
        )
        writer.writerow(
            [
                "2026-11-01T00:00:00Z",
                "2026-11-03T00:00:00Z",
                "OpenAI",
                "API",
                "gpt-4o",
                "0.035125",
                "0.035125",
                "USD",
            ]
        )
        writer.writerow(
            [
                "2026-11-01T00:00:00Z",
                "2026-11-03T00:00:00Z",
                "Pinecone",
                "Serverless",
                "read_unit",
                "0.00064",
                "0.00064",
                "USD",
            ]
        )


if __name__ == "__main__":
    write_records()
    write_litellm()
    write_otel()
    write_focus()
