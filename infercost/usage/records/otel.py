"""OpenTelemetry GenAI spans (OTLP/JSON lines, as the Collector's file exporter writes
them) as request records, flattened in SQL.

Each line is one ``{"resourceSpans": [...]}`` document. A span is a billed call when it
carries a mapped token, quantity or cache-hit attribute (``gen_ai.usage.*`` by
default); other spans are the structure of the trace. A mapped attribute is read from
the span itself, else from its nearest ancestor in the trace that has it (applications
set feature and customer once, on the root span), else from the resource. The trace id
is the default unit id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from infercost.errors import InfercostError, SourceRange
from infercost.model import RecordMapping, Stack
from infercost.usage.records.fields import TOKENS, SourceFile
from infercost.usage.records.read import (
    Raw,
    field_sources,
    lit,
    mapped_records,
    q,
    read_error,
)

# Span fields that are not attributes.
SPAN_FIELDS = {
    "traceId": "trace_id",
    "spanId": "span_id",
    "name": "span_name",
    "startTimeUnixNano": "start_ns",
}
_VALUE = (
    "coalesce(a->'value'->>'stringValue', a->'value'->>'intValue', "
    "a->'value'->>'doubleValue', a->'value'->>'boolValue')"
)


def _attributes(json_expr: str) -> str:
    return (
        f"map_from_entries(list_transform(CAST(coalesce({json_expr}, '[]') AS JSON[]), "
        f"lambda a: {{'k': a->>'key', 'v': {_VALUE}}}))"
    )


def otel_records(
    con: Any,
    stack: Stack,
    files: Sequence[SourceFile],
    mapping: RecordMapping | None,
    ordered: bool,
) -> str:
    paths = "[" + ", ".join(lit(f.path) for f in files) + "]"
    lines = (
        "SELECT _file, _line, l FROM (SELECT filename AS _file, "
        "unnest(string_split(content, chr(10))) AS l, "
        "generate_subscripts(string_split(content, chr(10)), 1) AS _line "
        f"FROM read_text({paths})) WHERE trim(l) <> ''"
    )
    try:
        bad = con.execute(
            f"SELECT _file, _line, json_valid(l) FROM ({lines}) "
            "WHERE NOT json_valid(l) OR json_type(l, '$.resourceSpans') IS DISTINCT FROM 'ARRAY' "
            f"ORDER BY list_position({paths}, _file), _line LIMIT 1"
        ).fetchone()
    except Exception as exc:  # duckdb's own error type: a file it cannot read as text
        raise read_error(files, exc) from None
    if bad is not None:
        shown = next((f.shown for f in files if f.path == bad[0]), bad[0])
        what = "not valid JSON" if not bad[2] else 'not an OTLP document ("resourceSpans" list)'
        raise InfercostError.at(
            "Malformed OTLP line",
            f"line {bad[1]}: {what}; the file exporter writes one resourceSpans document per line.",
            SourceRange.point(shown, int(bad[1]), 1),
        )
    sources = field_sources(mapping, "otel")
    keys = sorted({p for paths_ in sources.values() for p in paths_ if p not in SPAN_FIELDS})
    span_attrs = _attributes("sp->'attributes'")
    spans = (
        f"WITH lines AS ({lines}), "
        "rs AS (SELECT _file, _line, unnest(CAST(json_extract(l, '$.resourceSpans') AS JSON[])) "
        "AS rs FROM lines), "
        "ss AS (SELECT _file, _line, json_extract(rs, '$.resource.attributes') AS rattrs, "
        "unnest(CAST(coalesce(json_extract(rs, '$.scopeSpans'), '[]') AS JSON[])) AS ss FROM rs), "
        "sp AS (SELECT _file, _line, rattrs, "
        "unnest(CAST(coalesce(json_extract(ss, '$.spans'), '[]') AS JSON[])) AS sp FROM ss), "
        "spans AS (SELECT _file, _line, sp->>'traceId' AS trace_id, sp->>'spanId' AS span_id, "
        "NULLIF(sp->>'parentSpanId', '') AS parent_id, sp->>'name' AS span_name, "
        f"sp->>'startTimeUnixNano' AS start_ns, {span_attrs}"
        f" AS attrs, {_attributes('rattrs')} AS rattrs FROM sp), "
        "chain AS (SELECT * FROM (WITH RECURSIVE c(trace_id, span_id, ancestor_id, depth) AS ("
        "SELECT trace_id, span_id, parent_id, 1 FROM spans WHERE parent_id IS NOT NULL "
        "UNION ALL SELECT c.trace_id, c.span_id, s.parent_id, c.depth + 1 FROM c JOIN spans s "
        "ON s.trace_id = c.trace_id AND s.span_id = c.ancestor_id "
        "WHERE s.parent_id IS NOT NULL AND c.depth < 1000) SELECT * FROM c)), "
        "inherited AS (SELECT c.trace_id, c.span_id"
        + "".join(
            f", arg_min(a.attrs[{lit(k)}], c.depth) FILTER (WHERE a.attrs[{lit(k)}] IS NOT NULL)"
            f" AS {q('i:' + k)}"
            for k in keys
        )
        + " FROM chain c JOIN spans a ON a.trace_id = c.trace_id AND a.span_id = c.ancestor_id "
        "GROUP BY c.trace_id, c.span_id) "
    )
    billed_keys = [
        p
        for name in (*TOKENS, "quantity", "cache_hit")
        for p in sources.get(name, ())
        if p not in SPAN_FIELDS
    ]
    billed = " OR ".join(f"s.attrs[{lit(k)}] IS NOT NULL" for k in billed_keys) or "false"
    columns = ", ".join(
        f"COALESCE(s.attrs[{lit(k)}], i.{q('i:' + k)}, s.rattrs[{lit(k)}]) AS {q('k:' + k)}"
        for k in keys
    )
    row = ", s._line AS _row" if ordered else ""
    sql = (
        spans
        + f"SELECT s._file{row}, s.trace_id, s.span_id, s.span_name, s.start_ns"
        + (", " + columns if columns else "")
        + " FROM spans s LEFT JOIN inherited i ON i.trace_id = s.trace_id "
        f"AND i.span_id = s.span_id WHERE {billed}"
    )
    exprs: dict[str, list[tuple[str, str]]] = {}
    for name, paths_ in sources.items():
        exprs[name] = [
            (q(SPAN_FIELDS[p]) if p in SPAN_FIELDS else q("k:" + p), "VARCHAR") for p in paths_
        ]
    raw = Raw(sql, {})
    label = ", ".join(f.shown for f in files)
    return mapped_records(stack, raw, "otel", mapping, label, attribute_exprs=exprs).sql
