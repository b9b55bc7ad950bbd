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

import json
from collections.abc import Sequence
from typing import Any

from infercost.errors import InfercostError, SourceRange
from infercost.invisible import quoted_line
from infercost.model import RecordMapping, Stack
from infercost.usage.records.fields import COUNT, DECIMAL, FIELDS, TOKENS, SourceFile
from infercost.usage.records.names import key_twice
from infercost.usage.records.read import (
    Raw,
    field_sources,
    json_lines,
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
RESOURCE_ATTRIBUTES, SPAN_ATTRIBUTES = "rs->'resource'->'attributes'", "sp->'attributes'"
# The value kinds infercost reads from an attribute (OTLP's AnyValue holds one).
KINDS = "'stringValue', 'intValue', 'doubleValue', 'boolValue'"
_VALUE = (
    "coalesce(a->'value'->>'stringValue', a->'value'->>'intValue', "
    "a->'value'->>'doubleValue', a->'value'->>'boolValue')"
)


def _paths(files: Sequence[SourceFile]) -> str:
    return "[" + ", ".join(lit(f.path) for f in files) + "]"


def _lines(paths: str) -> str:
    """SQL: every line of the files that holds something, with its file and number.
    Lines end at "\n"; a line of spaces, tabs or "\r" is blank, and a byte order mark
    before the first is no part of it (as the other JSON lines readers take them)."""
    text = "ltrim(content, chr(65279))"
    return (
        "SELECT _file, _line, l FROM (SELECT filename AS _file, "
        f"unnest(string_split({text}, chr(10))) AS l, "
        f"generate_subscripts(string_split({text}, chr(10)), 1) AS _line "
        f"FROM read_text({paths})) WHERE trim(l, ' ' || chr(9) || chr(13)) <> ''"
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
    paths = _paths(files)
    lines = _lines(paths)
    kind = (
        "CASE WHEN NOT json_valid(l) THEN 'json' "
        "WHEN json_type(l, '$.resourceSpans') IS DISTINCT FROM 'ARRAY' THEN 'otlp' "
        f"WHEN {_twice('json_keys(l)')} THEN 'twice' END"
    )
    try:
        bad = con.execute(
            f"SELECT _file, _line, kind FROM (SELECT _file, _line, {kind} AS kind FROM ({lines})) "
            f"WHERE kind IS NOT NULL ORDER BY list_position({paths}, _file), _line LIMIT 1"
        ).fetchone()
    except Exception as exc:  # duckdb's own error type: a file it cannot read as text
        raise read_error(files, exc) from None
    if bad is not None and bad[2] == "twice":
        raise _twice_error(files, bad[0], int(bad[1]))
    if bad is not None:
        shown = next((f.shown for f in files if f.path == bad[0]), bad[0])
        what = (
            "not valid JSON" if bad[2] == "json" else 'not an OTLP document ("resourceSpans" list)'
        )
        raise InfercostError.at(
            "Malformed OTLP line",
            f"line {bad[1]}: {what}; the file exporter writes one resourceSpans document per line.",
            SourceRange.point(shown, int(bad[1]), 1),
        )
    refuse_malformed(con, files)
    sources = field_sources(mapping, "otel")
    keys = sorted({p for paths_ in sources.values() for p in paths_ if p not in SPAN_FIELDS})
    span_attrs = _attributes(SPAN_ATTRIBUTES)
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
    # A number read from an attribute that the span has with no value ({} or an empty
    # text) is no record without the number: reading it as absent would count 0 tokens.
    empty = {
        name: [(q("e:" + p), p) for p in paths_ if p not in SPAN_FIELDS]
        for name, paths_ in sources.items()
        if FIELDS[name] in (COUNT, DECIMAL)
    }
    flagged = dict.fromkeys(p for pairs in empty.values() for _, p in pairs)  # each once
    empties = "".join(
        f", (map_contains(s.attrs, {lit(p)}) AND coalesce(s.attrs[{lit(p)}], '') = '') "
        f"AS {q('e:' + p)}"
        for p in flagged
    )
    row = ", s._line AS _row" if ordered else ""
    sql = (
        spans
        + f"SELECT s._file{row}, s.trace_id, s.span_id, s.span_name, s.start_ns"
        + (", " + columns if columns else "")
        + empties
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
    return mapped_records(
        stack, raw, "otel", mapping, label, attribute_exprs=exprs, attribute_empty=empty
    ).sql


def _twice(keys: str) -> str:
    """SQL: the list of keys ``keys`` names one key twice."""
    return f"coalesce(len({keys}) <> len(list_distinct({keys})), false)"


def _list(json_expr: str) -> str:
    """SQL: the elements of a JSON list (none when it is absent, null or no list)."""
    return (
        f"CAST(CASE WHEN json_type({json_expr}) = 'ARRAY' THEN {json_expr} ELSE '[]' END AS JSON[])"
    )


def _no_list(json_expr: str) -> str:
    """SQL: a value that is there, but no list."""
    return f"coalesce(json_type({json_expr}) NOT IN ('ARRAY', 'NULL'), false)"


def _attribute_problem(json_expr: str) -> str:
    """SQL: what is wrong with an OTLP attribute list ('list', 'key', 'twice'), or NULL."""
    entries = _list(json_expr)
    keys = f"list_transform({entries}, lambda a: a->>'key')"
    entry_twice = _twice("json_keys(a)") + " OR " + _twice("json_keys(a->'value')")
    return (
        f"CASE WHEN {_no_list(json_expr)} THEN 'list:attributes' "
        f"WHEN coalesce(list_bool_or(list_transform({entries}, lambda a: "
        "json_type(a->'key') IS DISTINCT FROM 'VARCHAR')), false) THEN 'key' "
        f"WHEN {_twice(keys)} OR coalesce(list_bool_or(list_transform({entries}, lambda a: "
        f"{entry_twice})), false) THEN 'twice' "
        f"WHEN coalesce(list_bool_or(list_transform({entries}, lambda a: "
        f"array_length(list_filter(json_keys(a->'value'), lambda k: k IN ({KINDS}))) > 1)), "
        "false) THEN 'kinds' END"
    )


def refuse_malformed(con: Any, files: Sequence[SourceFile]) -> None:
    """Stop at the first line where an object the reader reads has a key twice, a
    resource or span has an attribute twice, an attribute has no key, or a list is
    none. JSON leaves which of two values of a key counts to each reader (DuckDB keeps
    the first, others the last), so a span could be billed as one tool reads it and
    reviewed as another does: neither value is guessed. The others failed inside the
    engine without a line. A pass of its own: inside the spans' query the same test
    keeps the engine to one thread (measured in the commit that made this pass)."""
    paths = _paths(files)
    lines = _lines(paths)
    scope_spans, resource, spans = "rs->'scopeSpans'", "rs->'resource'", "ss->'spans'"
    documents = "CAST(json_extract(l, '$.resourceSpans') AS JSON[])"
    levels = (
        f"WITH lines AS ({lines}), "
        f"rs AS (SELECT _file, _line, unnest({documents}) AS rs FROM lines), "
        f"ss AS (SELECT _file, _line, unnest({_list(scope_spans)}) AS ss FROM rs), "
        f"sp AS (SELECT _file, _line, unnest({_list(spans)}) AS sp FROM ss) "
        f"SELECT _file, _line, CASE WHEN {_no_list(scope_spans)} THEN 'list:scopeSpans' "
        f"WHEN {_twice('json_keys(rs)')} OR {_twice(f'json_keys({resource})')} THEN 'twice' "
        f"ELSE {_attribute_problem(RESOURCE_ATTRIBUTES)} END AS what FROM rs "
        f"UNION ALL SELECT _file, _line, CASE WHEN {_no_list(spans)} THEN 'list:spans' "
        f"WHEN {_twice('json_keys(ss)')} THEN 'twice' END FROM ss "
        f"UNION ALL SELECT _file, _line, CASE WHEN {_twice('json_keys(sp)')} THEN 'twice' "
        f"ELSE {_attribute_problem(SPAN_ATTRIBUTES)} END FROM sp"
    )
    try:
        found = con.execute(
            f"SELECT _file, _line, what FROM ({levels}) WHERE what IS NOT NULL "
            f"ORDER BY list_position({paths}, _file), _line LIMIT 1"
        ).fetchone()
    except Exception as exc:  # duckdb's own error type: the spans' query fails alike
        raise read_error(files, exc) from None
    if found is None:
        return
    path, line, what = found[0], int(found[1]), str(found[2])
    if what == "twice":
        raise _twice_error(files, path, line)
    if what == "key":
        detail = 'an attribute has no "key" text; each is {"key": ..., "value": {...}}.'
    elif what == "kinds":
        detail = (
            "an attribute's value holds more than one of stringValue, intValue, doubleValue "
            "and boolValue (OTLP gives one); readers differ on which counts, so none is taken."
        )
    else:
        detail = f'"{what.partition(":")[2]}" is not a list.'
    shown = next((f.shown for f in files if f.path == path), path)
    raise InfercostError.at(
        "Malformed OTLP line", f"line {line}: {detail}", SourceRange.point(shown, line, 1)
    )


def _twice_error(files: Sequence[SourceFile], path: str, line: int) -> InfercostError:
    shown = next((f.shown for f in files if f.path == path), path)
    return InfercostError.at(
        "Malformed OTLP line",
        f"line {line}: {_what_is_twice(path, line)}; readers differ on which of the two "
        "counts, so neither is taken.",
        SourceRange.point(shown, line, 1),
    )


def _what_is_twice(path: str, number: int) -> str:
    """Which key, in words, on the line the query found (read on the error path only)."""
    try:
        text = next((line for n, line in json_lines(path) if n == number), "")
        document = json.loads(text)
    except (OSError, ValueError):
        return "a key is written twice"
    found = key_twice(text)
    if found is not None:
        return f'the key "{quoted_line(found[0])}" is written twice in one object'
    for resource_spans in document.get("resourceSpans") or []:
        resource = (resource_spans.get("resource") or {}).get("attributes")
        named = _attribute_twice(resource)
        if named is not None:
            return f'the resource attribute "{quoted_line(named)}" is written twice'
        for scope_spans in resource_spans.get("scopeSpans") or []:
            for span in scope_spans.get("spans") or []:
                named = _attribute_twice(span.get("attributes"))
                if named is not None:
                    return f'the span attribute "{quoted_line(named)}" is written twice'
    return "a key is written twice"


def _attribute_twice(attributes: Any) -> str | None:
    seen: set[str] = set()
    for entry in attributes if isinstance(attributes, list) else []:
        key = entry.get("key") if isinstance(entry, dict) else None
        if isinstance(key, str):
            if key in seen:
                return key
            seen.add(key)
    return None
