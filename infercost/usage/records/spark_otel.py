"""OpenTelemetry spans (OTLP/JSON lines) flattened by Spark into the relation that
``otel.py`` builds in DuckDB: one row per billed span, with the span's fields and the
value of every mapped attribute (the span's own, else its nearest ancestor's in the
trace, else the resource's).

Spark parses each line with ``from_json`` against the OTLP schema (an attribute value is
kept as its JSON text, so ``intValue`` and ``doubleValue`` stay exact), explodes
resource spans, scope spans and spans, and walks up the parent links one level per
join, as the recursive query does in DuckDB. A line that is not an OTLP document, or a
trace deeper than :data:`MAX_DEPTH`, makes :func:`otel_view` return False: the embedded
engine then reads the files, and names the line, or walks the deep trace itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from infercost.model import RecordMapping
from infercost.usage.records.fields import COUNT, DECIMAL, FIELDS, TOKENS, SourceFile
from infercost.usage.records.otel import SPAN_FIELDS
from infercost.usage.records.read import field_sources, q

# Levels of parent links Spark follows (a join each); real traces are a few deep.
MAX_DEPTH = 64

_VALUE = "struct<stringValue: string, intValue: string, doubleValue: string, boolValue: string>"
_ATTRS = f"array<struct<key: string, value: {_VALUE}>>"
SCHEMA = (
    f"struct<resourceSpans: array<struct<resource: struct<attributes: {_ATTRS}>, "
    "scopeSpans: array<struct<spans: array<struct<traceId: string, spanId: string, "
    f"parentSpanId: string, name: string, startTimeUnixNano: string, attributes: {_ATTRS}>>>>>>>"
)


def _attributes(column: str) -> str:
    """A list of OTLP attributes as a map from key to the value's text."""
    return (
        f"map_from_entries(transform(filter(coalesce({column}, array()), a -> a.key IS NOT NULL), "
        "a -> struct(a.key AS k, coalesce(a.value.stringValue, a.value.intValue, "
        "a.value.doubleValue, a.value.boolValue) AS v)))"
    )


def _keys_twice(column: str) -> str:
    """Spark SQL: a list of OTLP attributes names one key twice, or holds a value of more
    than one kind (OTLP gives one; the embedded engine names both)."""
    keys = f"filter(transform(coalesce({column}, array()), a -> a.key), k -> k IS NOT NULL)"
    kinds = " + ".join(
        f"CASE WHEN a.value.{kind} IS NOT NULL THEN 1 ELSE 0 END"
        for kind in ("stringValue", "intValue", "doubleValue", "boolValue")
    )
    return (
        f"size(array_distinct({keys})) <> size({keys}) "
        f"OR exists(coalesce({column}, array()), a -> {kinds} > 1)"
    )


def _s(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def keys_of(mapping: RecordMapping | None) -> tuple[list[str], list[str]]:
    """(every attribute the mapping reads, the ones that make a span a billed call)."""
    sources = field_sources(mapping, "otel")
    keys = sorted({p for paths in sources.values() for p in paths if p not in SPAN_FIELDS})
    billed = [
        p
        for name in (*TOKENS, "quantity", "cache_hit")
        for p in sources.get(name, ())
        if p not in SPAN_FIELDS
    ]
    return keys, billed


def attribute_exprs(mapping: RecordMapping | None) -> dict[str, list[tuple[str, str]]]:
    """The record fields over the flattened relation, as ``otel.py`` gives them."""
    return {
        name: [(q(SPAN_FIELDS[p]) if p in SPAN_FIELDS else q("k:" + p), "VARCHAR") for p in paths]
        for name, paths in field_sources(mapping, "otel").items()
    }


def otel_view(
    spark: Any, files: Sequence[SourceFile], mapping: RecordMapping | None, name: str
) -> bool:
    """Register the billed spans as the temporary view ``name``; False when the embedded
    engine must read these files instead (see the module doc)."""
    from pyspark.sql import functions as F

    lines = (
        spark.read.text([f.path for f in files])
        .where(F.trim(F.col("value")) != "")
        .select(
            F.input_file_name().alias("_file"),
            F.from_json(F.col("value"), SCHEMA).alias("doc"),
            # Spark's struct reading keeps one of two values of a key written twice;
            # its variant parser refuses them (NULL here), at every depth.
            F.expr("try_parse_json(value) IS NULL").alias("keys_twice"),
        )
    )
    lines.createOrReplaceTempView("infercost_otel_lines")
    if spark.sql(
        "SELECT 1 FROM infercost_otel_lines "
        "WHERE doc IS NULL OR doc.resourceSpans IS NULL OR keys_twice LIMIT 1"
    ).collect():
        return False
    exploded = (
        "FROM infercost_otel_lines "
        "LATERAL VIEW explode(doc.resourceSpans) r AS rs "
        "LATERAL VIEW explode(coalesce(rs.scopeSpans, array())) s AS ss "
        "LATERAL VIEW explode(coalesce(ss.spans, array())) p AS sp"
    )
    # An attribute written twice fails Spark's map as an internal error; the embedded
    # engine names the line and the attribute.
    twice = f"{_keys_twice('sp.attributes')} OR {_keys_twice('rs.resource.attributes')}"
    if spark.sql(f"SELECT 1 {exploded} WHERE {twice} LIMIT 1").collect():
        return False
    spark.sql(
        "SELECT _file, sp.traceId AS trace_id, sp.spanId AS span_id, "
        "nullif(sp.parentSpanId, '') AS parent_id, sp.name AS span_name, "
        f"sp.startTimeUnixNano AS start_ns, {_attributes('sp.attributes')} AS attrs, "
        f"{_attributes('rs.resource.attributes')} AS rattrs {exploded}"
    ).cache().createOrReplaceTempView("infercost_otel_spans")
    keys, billed_keys = keys_of(mapping)
    numbers = [
        p
        for name, paths in field_sources(mapping, "otel").items()
        if FIELDS[name] in (COUNT, DECIMAL)
        for p in paths
        if p not in SPAN_FIELDS
    ]
    if numbers:
        # A number's attribute there with no value: the embedded engine names the record
        # (reading it as absent would count 0 tokens).
        empty = " OR ".join(
            f"(map_contains_key(attrs, {_s(k)}) AND coalesce(attrs[{_s(k)}], '') = '')"
            for k in numbers
        )
        if spark.sql(f"SELECT 1 FROM infercost_otel_spans WHERE {empty} LIMIT 1").collect():
            return False
    if keys and not _ancestors(spark):
        return False
    inherited = ""
    if keys:
        picks = ", ".join(
            f"min_by(a.attrs[{_s(k)}], c.depth) FILTER (WHERE a.attrs[{_s(k)}] IS NOT NULL) "
            f"AS `i:{k.replace('`', '``')}`"
            for k in keys
        )
        inherited = (
            f"LEFT JOIN (SELECT c.trace_id, c.span_id, {picks} FROM infercost_otel_chain c "
            "JOIN infercost_otel_spans a ON a.trace_id = c.trace_id "
            "AND a.span_id = c.ancestor_id GROUP BY c.trace_id, c.span_id) i "
            "ON i.trace_id <=> s.trace_id AND i.span_id <=> s.span_id "
        )
    columns = "".join(
        f", coalesce(s.attrs[{_s(k)}], i.`i:{k.replace('`', '``')}`, s.rattrs[{_s(k)}]) "
        f"AS `k:{k.replace('`', '``')}`"
        for k in keys
    )
    billed = " OR ".join(f"s.attrs[{_s(k)}] IS NOT NULL" for k in billed_keys) or "false"
    spark.sql(
        "SELECT s._file, s.trace_id, s.span_id, s.span_name, s.start_ns"
        + columns
        + f" FROM infercost_otel_spans s {inherited}WHERE {billed}"
    ).createOrReplaceTempView(name)
    return True


def _ancestors(spark: Any) -> bool:
    """(trace, span, ancestor, depth) for every ancestor of every span, as the view
    ``infercost_otel_chain``: one join per level. False past :data:`MAX_DEPTH` levels."""
    level = spark.sql(
        "SELECT trace_id, span_id, parent_id AS ancestor_id, 1 AS depth "
        "FROM infercost_otel_spans WHERE parent_id IS NOT NULL"
    )
    chain = level
    for depth in range(2, MAX_DEPTH + 2):
        level.createOrReplaceTempView("infercost_otel_level")
        level = spark.sql(
            f"SELECT c.trace_id, c.span_id, s.parent_id AS ancestor_id, {depth} AS depth "
            "FROM infercost_otel_level c JOIN infercost_otel_spans s "
            "ON s.trace_id = c.trace_id AND s.span_id = c.ancestor_id "
            "WHERE s.parent_id IS NOT NULL"
        ).localCheckpoint()
        if level.isEmpty():
            chain.createOrReplaceTempView("infercost_otel_chain")
            return True
        if depth > MAX_DEPTH:
            return False
        chain = chain.unionByName(level)
    return False  # pragma: no cover - the loop returns
