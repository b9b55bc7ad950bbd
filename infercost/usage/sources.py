"""SQL for each snapshot format: a relation of rows with the five columns as text.

Every format becomes the same relation, ``(problem, feature, units, customer,
subscription, period)``, all VARCHAR, an empty or absent cell as NULL, so that one set of
validation and aggregation queries serves CSV, JSON arrays and JSON lines. ``problem`` is
a code for what only the format can know (a JSON row that is not an object, a duplicate
key, a value of the wrong JSON type); the codes are turned into messages in
:mod:`infercost.usage.messages`.

Numbers stay text here: a JSON number is taken from the record's own characters, never
through a binary float, and is cast to an exact DECIMAL only once its scale is known.
"""

from __future__ import annotations

from dataclasses import dataclass

from infercost.usage.engine import string

COLUMNS = ("feature", "units", "customer", "subscription", "period")
TEXT_COLUMNS = ("feature", "customer", "subscription", "period")

#: The most decimals units may have (SPEC §5 lets them be fractional): 10^-18 is the
#: finest part infercost keeps of anything (SPEC §18). Below 10^18 as well, units have
#: at most 36 digits, which the engine's 38-digit DECIMAL adds exactly; 1e-30 units, or
#: 0.5e-400, are no count of work (and would make a cost per unit of 10^30 or more).
MAX_UNIT_DECIMALS = 18
# A units value: ASCII digits only (no "1_000", no other scripts' digits), an optional
# sign, point and exponent, surrounding whitespace allowed as in a hand-written cell.
NUMBER = r"^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$"
# The raw characters of a JSON number right after a key (the JSON is valid by then).
_JSON_NUMBER = r"\s*:\s*(-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?)"
_JSON_NUMBER_TYPES = "('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT')"


@dataclass(frozen=True)
class Source:
    """How to scan one snapshot: ``rows`` is a SQL relation in file order."""

    format: str  # csv | json | jsonl
    rows: str  # FROM-able SQL of (problem, feature, units, customer, subscription, period)
    numbered: str  # the same after ``rn`` (data row from 1), ``line`` and ``raw`` (or NULL)


def csv_source(device: str, header: list[str]) -> Source:
    """``header`` is the checked header (names in file order)."""
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
    scan = (
        f"read_csv({string(device)}, columns={{{columns}}}, header=true, auto_detect=false, "
        "delim=',', quote='\"', escape='\"', strict_mode=true, null_padding=false, "
        "encoding='utf-8')"
    )
    cells = []
    for column in COLUMNS:
        if column in header:
            cells.append(f"nullif(c{header.index(column)}, '') AS {column}")
        else:
            cells.append(f"NULL::VARCHAR AS {column}")
    select = "NULL::VARCHAR AS problem, " + ", ".join(cells)
    rows = f"(SELECT {select} FROM {scan})"
    numbered = (
        f"(SELECT row_number() OVER () AS rn, NULL::BIGINT AS line, NULL::VARCHAR AS raw, * FROM "
        f"(SELECT {select} FROM {scan}))"
    )
    return Source("csv", rows, numbered)


def json_records_sql(device: str, fmt: str) -> str:
    """A table of ``(rn, line, j)``: each record's own JSON text, in file order."""
    if fmt == "json":
        return (
            "SELECT row_number() OVER () AS rn, NULL::BIGINT AS line, json::VARCHAR AS j "
            f"FROM read_json_objects({string(device)}, format='array')"
        )
    # JSON lines are split here rather than by the JSON reader, so that every line keeps
    # its number and a bad line is one bad row, not the end of the file.
    return (
        "SELECT row_number() OVER (ORDER BY line) AS rn, line, j FROM ("
        "SELECT unnest(lines) AS j, generate_subscripts(lines, 1) AS line FROM ("
        f"SELECT string_split(content, chr(10)) AS lines FROM read_text({string(device)})))"
        " WHERE trim(j, ' ' || chr(9) || chr(13)) <> ''"
    )


def json_source(table: str, fmt: str) -> Source:
    """Rows from a table of records made by :func:`json_records_sql`.

    Each record is parsed a handful of times, not once per question: its keys, and the
    JSON type and string value of every column, come back as lists from one call each.
    """
    valid = "json_valid(j)" if fmt == "jsonl" else "true"
    paths = "[" + ", ".join(f"'$.{c}'" for c in COLUMNS) + "]"
    numeric = ("customer", "period", "units")
    raws = ", ".join(
        f"CASE WHEN {_type_of(c)} IN {_JSON_NUMBER_TYPES} THEN {_raw_number(c)} END AS raw_{c}"
        for c in numeric
    )
    parsed = (
        f"SELECT *, {raws} FROM ("
        "SELECT rn, line, j, ok, CASE WHEN ok THEN json_keys(j) END AS keys, "
        f"CASE WHEN ok THEN json_type(j, {paths}) END AS types, "
        f"CASE WHEN ok THEN json_extract_string(j, {paths}) END AS strs "
        f"FROM (SELECT rn, line, j, {valid} AS ok FROM {table}))"
    )
    # Strings blanked out, so that what is left is structure: a trailing comma (which the
    # engine's parser accepts and JSON does not) is found there and never inside a string.
    bare = r"""regexp_replace(j, '"(?:[^"\\]|\\.)*"', '""', 'g')"""
    comma = r"',\s*[\]}]'"
    allowed = "[" + ", ".join(string(c) for c in COLUMNS) + "]"
    checks = [
        "WHEN NOT ok THEN 'json'",
        f"WHEN regexp_matches(j, {comma}) AND regexp_matches({bare}, {comma}) THEN 'json_comma'",
        "WHEN left(ltrim(j, ' ' || chr(9) || chr(10) || chr(13)), 1) <> '{' THEN 'not_object'",
        "WHEN len(keys) <> len(list_distinct(keys)) THEN 'duplicate_key'",
        f"WHEN len(list_filter(keys, lambda k: NOT list_contains({allowed}, k))) > 0 "
        "THEN 'unknown_key'",
    ]
    for column in TEXT_COLUMNS:
        kind = _type_of(column)
        allowed_types = "('VARCHAR', 'NULL')"
        if column in ("customer", "period"):  # an id or a period may be written as a number
            checks.append(
                f"WHEN {kind} IN {_JSON_NUMBER_TYPES} AND raw_{column} = '' "
                f"THEN 'text_type:{column}'"
            )
            allowed_types = "('VARCHAR', 'NULL', 'BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT')"
        checks.append(f"WHEN {kind} NOT IN {allowed_types} THEN 'text_type:{column}'")
    units_kind = _type_of("units")
    checks.append(
        f"WHEN {units_kind} IN {_JSON_NUMBER_TYPES} AND raw_units = '' "
        "THEN 'units_type'"  # NaN or Infinity: the engine's parser reads them, JSON has none
    )
    checks.append(
        f"WHEN {units_kind} NOT IN ('VARCHAR', 'NULL', {_JSON_NUMBER_TYPES[1:-1]}) "
        "THEN 'units_type'"
    )
    problem = "CASE " + " ".join(checks) + " END"

    def text(column: str) -> str:
        kind, value = _type_of(column), f"strs[{COLUMNS.index(column) + 1}]"
        if column in numeric:
            value = f"CASE WHEN {kind} = 'VARCHAR' THEN {value} ELSE raw_{column} END"
        return f"nullif({value}, '')"

    inner = (
        "SELECT rn, line, j, types, strs, raw_customer, raw_period, raw_units, "
        f"{problem} AS problem FROM ({parsed})"
    )
    numbered = (
        "(SELECT rn, line, j AS raw, problem, "
        + ", ".join(f"CASE WHEN problem IS NULL THEN {text(c)} END AS {c}" for c in COLUMNS)
        + f" FROM ({inner}))"
    )
    rows = f"(SELECT problem, {', '.join(COLUMNS)} FROM {numbered})"
    return Source(fmt, rows, numbered)


def _type_of(column: str) -> str:
    return f"types[{COLUMNS.index(column) + 1}]"


def _raw_number(column: str) -> str:
    return f"""regexp_extract(j, '"{column}"{_JSON_NUMBER}', 1)"""
