"""DuckDB SQL of the record mapping, transpiled to Spark SQL by sqlglot.

The mapping (one expression per record field, ``read.mapped_records``) is written once,
in DuckDB's dialect. sqlglot transpiles most of it; a few DuckDB functions have no Spark
function of the same meaning, so they are rewritten on the parsed tree first, into
expressions sqlglot writes for Spark (4.0 and later: its ``VARIANT`` parser stands in
for DuckDB's JSON validation):

==========================================  ====================================================
DuckDB                                      Spark
==========================================  ====================================================
``json_valid(x)``                           ``try_parse_json(x) IS NOT NULL``
``json_type(x)``                            the head of ``schema_of_variant(try_parse_json(x))``
``CAST(json_extract_string(x, '$[*]')       ``from_json(x, 'ARRAY<STRING>')`` (a JSON list of
AS VARCHAR[])``                             text: LiteLLM's ``request_tags``)
``list_extract(list, n)``                   ``try_element_at(list, n)`` (null past the end)
==========================================  ====================================================

Everything else (JSON paths, lambdas, epoch times, regular expressions, casts) sqlglot
transpiles as it is. Pure text in, text out: no Spark is needed to build the query.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp


def _fn(name: str, *args: exp.Expression) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _inner(x: exp.Expression) -> exp.Expression:
    """A replaced node's argument, rewritten too (a transform does not descend into the
    nodes it put in place)."""
    return x.copy().transform(_rewrite)


def _variant(x: exp.Expression) -> exp.Expression:
    return _fn("TRY_PARSE_JSON", _inner(x))


def _json_type(x: exp.Expression) -> exp.Expression:
    """DuckDB's JSON type names (``ARRAY``, ``OBJECT``, ``VARCHAR``...) as far as the
    mapping compares them: a list or an object, from the variant's schema."""
    schema = _fn("SCHEMA_OF_VARIANT", _variant(x))
    case = exp.Case()
    for name in ("ARRAY", "OBJECT"):
        case = case.when(
            exp.func("STARTSWITH", schema.copy(), exp.Literal.string(name)),
            exp.Literal.string(name),
        )
    return case.else_(schema)


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Anonymous):
        name = str(node.this).upper()
        args = node.expressions
        if name == "JSON_VALID" and len(args) == 1:
            return exp.paren(exp.not_(exp.Is(this=_variant(args[0]), expression=exp.Null())))
        if name == "LIST_EXTRACT" and len(args) == 2:
            return _fn("TRY_ELEMENT_AT", _inner(args[0]), _inner(args[1]))
    if isinstance(node, exp.JSONType) and not node.expression:
        return _json_type(node.this)
    if (
        isinstance(node, exp.Cast)
        and node.to.is_type(exp.DataType.Type.ARRAY)
        and isinstance(node.this, exp.JSONExtractScalar)
        and node.this.expression.sql("duckdb") == "'$[*]'"
    ):
        return _fn("FROM_JSON", _inner(node.this.this), exp.Literal.string("ARRAY<STRING>"))
    return node


def to_spark(duckdb_sql: str) -> str:
    """One DuckDB statement as Spark SQL."""
    tree = sqlglot.parse_one(duckdb_sql, read="duckdb")
    return tree.transform(_rewrite).sql("spark")
