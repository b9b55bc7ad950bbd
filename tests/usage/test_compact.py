"""The import's priced sums grouped by what the records write (``compact.py``) give
exactly the table of the plain query (``calls_select`` with the checks): same columns,
same types, same rows, for every source format and for random records that exercise
what it resolves on groups instead of records (item as written, step, long-context
tier, meter quantity default, absent fields, records that break rules)."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infercost.model import Stack
from infercost.usage.engine import connect
from infercost.usage.records import compact
from infercost.usage.records.query import calls_select
from infercost.usage.records.read import open_sources
from infercost.usage.records.run import Source
from infercost.workspace import Options, load_stack
from tests.helpers import write_files

# The per-record checks and calibrate's sum, as the plain query would compute them.
CHECKS = ("bool_or(_bad) AS any_bad", "max(abs(quantity)) AS max_quantity")
FIRST_INPUT = (
    "coalesce(sum(input_tokens) FILTER (WHERE coalesce(attempt, 1) = 1), 0) AS first_input"
)
REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "support-assistant"


def tables(stack: Stack, paths: list[Path], source: str) -> dict[str, Any]:
    """(types, sorted rows) of the priced sums, both ways, on one connection."""
    src = Source(stack, open_sources(paths), source, stack.records.get(source))
    con = connect(ordered=False)
    try:
        con.execute(f"CREATE TEMP VIEW records AS {src.mapped(con, ordered=False)}")
        observed = calls_select(
            stack, extra_keys=("cache_hit",), extra_aggregates=[*CHECKS, FIRST_INPUT]
        )
        plain = {
            "calls": calls_select(stack, extra_aggregates=CHECKS).sql("duckdb"),
            "observed calls": observed.sql("duckdb"),
        }
        con.execute(f"CREATE TEMP TABLE written_calls AS {compact.scan_sql(stack, src.given)}")
        scan = compact.scan_sql(stack, src.given, observed=True)
        con.execute(f"CREATE TEMP TABLE observed_calls AS {scan}")
        grouped = {
            "calls": compact.calls_sql(stack, src.mapping, src.given),
            "observed calls": compact.calls_sql(
                stack, src.mapping, src.given, "observed_calls", observed=True
            ),
        }
        out = {}
        for way, queries in (("plain", plain), ("compact", grouped)):
            for name, query in queries.items():
                cursor = con.execute(query)
                rows = cursor.fetchall()
                kinds = [str(r[1]) for r in con.execute(f"DESCRIBE {query}").fetchall()]
                out[f"{way} {name}"] = (kinds, sorted(rows, key=repr))
        return out
    finally:
        con.close()


def assert_same(out: dict[str, Any]) -> None:
    assert out["compact calls"] == out["plain calls"]
    # calibrate's sums: keyed by the cache hit too, with the first attempts' input tokens
    assert out["compact observed calls"] == out["plain observed calls"]


@pytest.fixture(scope="module")
def example() -> Stack:
    return load_stack(Options(stack=EXAMPLE))


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("records", "records.csv"),
        ("records", "records.jsonl"),
        ("records", "records.parquet"),
        ("litellm", "litellm.jsonl"),
        ("otel", "otel.jsonl"),
    ],
)
def test_each_source_gives_the_plain_tables(example: Stack, source: str, name: str) -> None:
    out = tables(example, [EXAMPLE / "records" / name], source)
    assert out["plain calls"][1], "the example has priced records"
    assert_same(out)


# A stack with what the scan resolves on groups: tiers (one threshold with decimals, one
# shared by two items), a meter, a step two workflow steps could be (ambiguous), bare item
# names and a provider + model mapping.
STACK_FILES = {
    "infercost.hcl": 'infercost {\n  currency = "USD"\n  period   = "month"\n}\n',
    "prices.hcl": """
        price_sheet "vendor" {
          model "long" {
            input_per_mtok  = 1.25
            output_per_mtok = 10
            long_context {
              above_input_tokens = 1000
              input_per_mtok     = 2.50
            }
            long_context {
              above_input_tokens = 2000.5
              input_per_mtok     = 4
            }
          }
          model "short" {
            input_per_mtok  = 1
            output_per_mtok = 2
            long_context {
              above_input_tokens = 1000
              input_per_mtok     = 2
            }
          }
          meter "reads" {
            price = 0.002
          }
        }
    """,
    "workflows.hcl": """
        unit "task" {}

        workflow "work" {
          step "chat" {
            uses          = "vendor/long"
            input_tokens  = 1500
            output_tokens = 50
          }
          step "again" {
            uses          = "vendor/long"
            input_tokens  = 1500
            output_tokens = 50
          }
          step "tag" {
            uses          = "vendor/short"
            input_tokens  = 800
            output_tokens = 5
          }
          step "fetch" {
            uses     = "vendor/reads"
            quantity = 2
          }
        }

        feature "assist" {
          unit     = unit.task
          workflow = workflow.work
        }
        feature "other" {
          unit     = unit.task
          workflow = workflow.work
        }
    """,
}
OPTIONAL = ("step", "cached_input_tokens", "output_tokens", "quantity", "attempt",
            "cache_hit", "reported_cost")  # fmt: skip

record = st.fixed_dictionaries(
    {
        "time": st.sampled_from(["2026-11-03T09:00:00Z", "2026-11-30 23:59:59", "2026-12-01"]),
        "unit_id": st.sampled_from(["u1", "u2", "u3", ""]),
        "feature": st.sampled_from(["assist", "other", "nope", ""]),
        "customer": st.sampled_from(["c1", "c2", ""]),
        "subscription": st.sampled_from(["pro", ""]),
        "step": st.sampled_from(["", "chat", "again", "tag", "fetch", "wrong"]),
        "item": st.sampled_from(
            ["vendor/long", "long", "vendor/short", "short", "vendor/reads", "reads", "x", ""]
        ),
        "input_tokens": st.one_of(
            st.just(""),
            st.integers(0, 3000).map(str),
            st.sampled_from(["999", "1000", "1001", "2000", "2001", "-1", "5.5"]),
        ),
        "cached_input_tokens": st.one_of(st.just(""), st.integers(0, 1200).map(str)),
        "output_tokens": st.one_of(st.just(""), st.integers(0, 100).map(str)),
        "quantity": st.sampled_from(["", "0", "1", "2.5", "-1"]),
        "attempt": st.sampled_from(["", "1", "2"]),
        "cache_hit": st.sampled_from(["", "true", "false"]),
        "reported_cost": st.sampled_from(["", "0.001", "1.5"]),
    }
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    return load_stack(Options(stack=write_files(tmp_path_factory.mktemp("c"), STACK_FILES)))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(record, min_size=1, max_size=25),
    st.sets(st.sampled_from(OPTIONAL)),
    st.sampled_from(["csv", "jsonl"]),
)
def test_random_records_give_the_plain_tables(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory, rows, absent, fmt: str
) -> None:
    columns = [c for c in rows[0] if c not in absent]
    path = tmp_path_factory.mktemp("r") / f"r.{fmt}"
    if fmt == "csv":
        with open(path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows({c: r[c] for c in columns} for r in rows)
    else:
        import json

        lines = []
        for r in rows:
            doc: dict[str, Any] = {}
            for c in columns:
                if r[c] == "":
                    continue
                if c == "cache_hit":
                    doc[c] = r[c] == "true"
                elif c in ("time", "unit_id", "feature", "customer", "subscription", "step",
                           "item"):  # fmt: skip
                    doc[c] = r[c]
                else:
                    doc[c] = Decimal(r[c])
            lines.append(json.dumps(doc, default=lambda d: float(d)) + "\n")
        path.write_text("".join(lines))
    assert_same(tables(stack, [path], "records"))


def test_provider_and_model_are_resolved_on_groups(stack: Stack, tmp_path: Path) -> None:
    """A LiteLLM-style source names the item by provider and model."""
    path = tmp_path / "r.csv"
    path.write_text(
        "startTime,session_id,end_user,custom_llm_provider,model,prompt_tokens,"
        "completion_tokens,spend\n"
        "2026-11-03T09:00:00Z,s1,c1,vendor,long,1500,10,0.01\n"
        "2026-11-03T09:00:01Z,s1,c1,vendor,long,2500,10,0.02\n"
        "2026-11-03T09:00:02Z,s2,c2,other,short,900,3,\n"
        "2026-11-03T09:00:03Z,s2,c2,,nothing,900,3,\n"
    )
    out = tables(stack, [path], "litellm")
    assert {r[3] for r in out["plain calls"][1]} == {"vendor/long", "vendor/short", "?nothing"}
    assert_same(out)
