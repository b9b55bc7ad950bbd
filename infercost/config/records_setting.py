"""The ``records`` setting of the ``infercost`` block: production records a stack
reads by default (SPEC §12, drift in ``check``).

    infercost {
      usage   = "usage.csv"
      records = { from = "otel", files = ["records/*.jsonl"] }
    }

``files`` is a path or a list of paths, relative to the stack directory like ``usage``;
a path may hold glob wildcards (``*``, ``?``, ``[...]``), so a directory that gains a
file a day needs no edit. The paths are resolved (and confined to the repository) when
a command reads them: here they are only checked to be well formed. ``--records`` and
``--from`` on the command line take precedence.
"""

from __future__ import annotations

from infercost.config import syntax as s
from infercost.config.attributes import AttributeReader
from infercost.errors import did_you_mean
from infercost.evaluate.values import a_type, display
from infercost.model import RecordsSetting

KEYS = ("from", "files")
# calibrate and drift need request records: the sources that have them.
RECORD_SOURCES = ("records", "otel", "litellm")


def build_records_setting(reader: AttributeReader, block: s.Block) -> RecordsSetting | None:
    attr = block.body.attributes.get("records")
    if attr is None:
        return None
    value = reader.eval(attr, block)
    example = '{ from = "otel", files = ["records/*.jsonl"] }'
    if not isinstance(value, dict):
        raise reader.fail(
            "Incorrect attribute value type",
            f'"records" must be an object like {example}, but it is {a_type(value)}.',
            attr.expr.range,
            block,
        )
    items = {i.key: i for i in attr.expr.items} if isinstance(attr.expr, s.ObjectExpr) else {}
    ranges = {"records": attr.expr.range}
    for key in value:
        rng = items[key].key_range if key in items else attr.expr.range
        if key not in KEYS:
            raise reader.fail(
                "Unsupported argument",
                f"{display(key)} is not an argument of records; it takes from and files."
                + did_you_mean(key, KEYS),
                rng,
                block,
            )
        ranges[key] = items[key].value.range if key in items else attr.expr.range
    source = value.get("from", "records")
    if not isinstance(source, str) or source not in RECORD_SOURCES:
        shown = f'"{source}"' if isinstance(source, str) else f"{a_type(source)}"
        raise reader.fail(
            "Invalid records source",
            f"records.from is {shown}; drift and calibrate read request records: "
            + ", ".join(RECORD_SOURCES)
            + "."
            + (did_you_mean(source, RECORD_SOURCES) if isinstance(source, str) else ""),
            ranges.get("from", attr.expr.range),
            block,
        )
    files = value.get("files")
    if isinstance(files, str):
        files = [files]
    if (
        not isinstance(files, list)
        or not files
        or not all(isinstance(f, str) and f.strip() for f in files)
    ):
        raise reader.fail(
            "Incorrect attribute value type",
            "records.files must be a path or a non-empty list of paths (relative to the stack "
            'directory, wildcards allowed), like ["records/*.jsonl"].',
            ranges.get("files", attr.expr.range),
            block,
        )
    return RecordsSetting(range=attr.range, ranges=ranges, source=source, files=tuple(files))
