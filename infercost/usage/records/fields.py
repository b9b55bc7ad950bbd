"""The normalized request record (SPEC §12), the sources it is read from, and the
problems a record can have.

Every source is mapped onto the same typed record table; everything downstream (the
aggregation query, ``usage import``, ``calibrate``) reads only that table:

===================  ==============  ===================================================
field                type            meaning
===================  ==============  ===================================================
time                 TIMESTAMP       call start, UTC (ISO 8601 or epoch s/ms/µs/ns)
unit_id              VARCHAR         the unit of work the call served
feature              VARCHAR         a declared feature
customer             VARCHAR         optional, with subscription
subscription         VARCHAR
step                 VARCHAR         optional; else found by the item
item                 VARCHAR         ``SHEET/ITEM`` (resolved from provider + model)
input_tokens         DECIMAL(38, 9)  cached and cache-write tokens included
cached_input_tokens  DECIMAL(38, 9)
cache_write_tokens   DECIMAL(38, 9)
output_tokens        DECIMAL(38, 9)
quantity             DECIMAL(38,18)  meter quantity (default 1 on a meter item)
attempt              DECIMAL(38, 9)  1 first try, 2+ retries
call_index           DECIMAL(38, 9)  order of the call within its unit (optional)
cache_hit            BOOLEAN         the unit was answered from the response cache
reported_cost        DECIMAL(38,18)  the cost the provider or proxy reported
===================  ==============  ===================================================

Token columns are read as decimals so that a non-integer value is reported as such
instead of being rounded by a cast.
"""

from __future__ import annotations

from dataclasses import dataclass

from infercost.evaluate.functions import DISTRIBUTION_LIMIT

TEXT, TIME, COUNT, DECIMAL, BOOL = "text", "time", "count", "decimal", "bool"

FIELDS: dict[str, str] = {
    "time": TIME,
    "unit_id": TEXT,
    "feature": TEXT,
    "customer": TEXT,
    "subscription": TEXT,
    "step": TEXT,
    "item": TEXT,
    "provider": TEXT,
    "model": TEXT,
    "input_tokens": COUNT,
    "cached_input_tokens": COUNT,
    "cache_write_tokens": COUNT,
    "output_tokens": COUNT,
    "quantity": DECIMAL,
    "attempt": COUNT,
    "call_index": COUNT,
    "cache_hit": BOOL,
    "reported_cost": DECIMAL,
}
TOKENS = ("input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens")
#: The most tokens one record may count: the bound of token counts in a stack (±1e15),
#: so what ``calibrate`` observes can be written back as a what-if that ``plan`` reads.
#: A quadrillion tokens is no call.
MAX_TOKENS = int(DISTRIBUTION_LIMIT)
SQL_TYPES = {
    TEXT: "VARCHAR",
    TIME: "TIMESTAMP",
    COUNT: "DECIMAL(38, 9)",
    DECIMAL: "DECIMAL(38, 18)",
    BOOL: "BOOLEAN",
}

SOURCES = ("records", "otel", "litellm", "aggregated", "focus")
# File formats by extension, for the tabular sources.
FILE_FORMATS = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}

# Where each source keeps each field when the stack's mapping says nothing. A list is
# tried in order (the first non-empty value wins).
DEFAULT_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "records": {name: (name,) for name in FIELDS},
    "litellm": {
        "time": ("startTime",),
        "unit_id": ("session_id",),
        "customer": ("end_user",),
        "provider": ("custom_llm_provider",),
        "model": ("model",),
        "input_tokens": ("prompt_tokens",),
        "cached_input_tokens": (
            "metadata.usage_object.prompt_tokens_details.cached_tokens",
            "metadata.usage_object.cache_read_input_tokens",
        ),
        "cache_write_tokens": ("metadata.usage_object.cache_creation_input_tokens",),
        "output_tokens": ("completion_tokens",),
        "cache_hit": ("cache_hit",),
        "reported_cost": ("spend",),
    },
    "otel": {
        "time": ("startTimeUnixNano",),
        "unit_id": ("traceId",),
        "provider": ("gen_ai.provider.name", "gen_ai.system"),
        "model": ("gen_ai.response.model", "gen_ai.request.model"),
        "input_tokens": ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
        "cached_input_tokens": (
            "gen_ai.usage.cache_read.input_tokens",
            "gen_ai.usage.cache_read_input_tokens",
        ),
        "cache_write_tokens": (
            "gen_ai.usage.cache_creation.input_tokens",
            "gen_ai.usage.cache_creation_input_tokens",
        ),
        "output_tokens": ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
    },
}

# Why a record cannot be used. The mapping's ``skip`` may name any of them; the others
# (and every problem not named) are errors that name the file and record.
PROBLEMS: dict[str, str] = {
    "invalid_value": "a value is not of its field's type",
    "missing_unit_id": "the record has no unit id",
    "missing_feature": "the record has no feature",
    "unknown_feature": "the feature is not declared",
    "unknown_item": "the item is not a declared price item",
    "invalid_tokens": (
        "tokens, attempt or call index are negative or not whole numbers, or tokens exceed 1e15"
    ),
    "invalid_quantity": "the quantity is negative",
    "invalid_cost": "the reported cost is negative",
    "cached_exceeds_input": "cached and cache-write tokens exceed the input tokens",
    "field_not_for_item": (
        "tokens on a meter item, a quantity on a model item, or either on a record with no item"
    ),
    "unknown_step": "the step is not a step of the feature's workflow",
    "ambiguous_step": "two steps of the feature's workflow use the item; the record needs a step",
    "subscription_without_customer": "a subscription is given without a customer",
}
SKIPPABLE = tuple(PROBLEMS)


@dataclass(frozen=True)
class SourceFile:
    """A file to read, as the user named it and as it is opened."""

    path: str  # absolute path for the engine
    shown: str  # as messages name it
