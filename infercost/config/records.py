"""The ``records`` block: how one source's fields become request record fields.

```hcl
records "litellm" {
  fields   = { feature = "metadata.feature", unit_id = ["session_id", "request_id"] }
  defaults = { subscription = "pro" }
  items    = { "gpt-4o-mini-2024-07-18" = "openai/gpt-4o-mini" }
  skip     = ["unknown_item"]
}
```

The label is the source (``--from``). Every name in the block is checked when the stack
loads, with a "did you mean", so a typo in a mapping fails review, not the import.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from infercost.config import syntax as s
from infercost.config.attributes import AttributeReader
from infercost.errors import did_you_mean
from infercost.evaluate.values import a_type, display
from infercost.model import Feature, PriceSheet, RecordMapping
from infercost.usage.records.fields import FIELDS, SKIPPABLE, SOURCES, TEXT, TIME

MAPPED_SOURCES = ("records", "otel", "litellm")


class RecordsBuilder(AttributeReader):
    sheets: dict[str, PriceSheet]
    features: dict[str, Feature]

    def _records(self, block: s.Block) -> RecordMapping:
        if block.name not in MAPPED_SOURCES:
            fixed = block.name in SOURCES
            raise self.fail(
                "Unknown records source",
                (
                    f'The "{block.name}" source has fixed columns and takes no mapping.'
                    if fixed
                    else f'"{block.name}" is not a source; records blocks are for '
                    + ", ".join(MAPPED_SOURCES)
                    + "."
                    + did_you_mean(block.name, MAPPED_SOURCES)
                ),
                block.label_ranges[0],
                block,
            )
        fields = {
            name: tuple(paths) if isinstance(paths, list) else (paths,)
            for name, paths in self._object(block, "fields", self._paths).items()
        }
        defaults = self._object(block, "defaults", self._default)
        items = self._object(block, "items", self._item, any_key=True)
        skip = self.value(block, "skip", [])
        attr = block.body.attributes.get("skip")
        if not isinstance(skip, list) or not all(isinstance(v, str) for v in skip):
            raise self.fail(
                "Incorrect attribute value type",
                '"skip" must be a list of problem names, like ["unknown_item"].',
                attr.expr.range if attr else block.range,
                block,
            )
        for reason in skip:
            if reason not in SKIPPABLE:
                assert attr is not None
                raise self.fail(
                    "Unknown problem",
                    f'"{reason}" is not a problem a record can have; one of: '
                    + ", ".join(SKIPPABLE)
                    + "."
                    + did_you_mean(reason, SKIPPABLE),
                    attr.expr.range,
                    block,
                )
        return RecordMapping(
            range=block.range,
            ranges=self.ranges(block),
            source=block.name,
            fields=fields,
            defaults=defaults,
            items=items,
            skip=tuple(skip),
            input_includes_cache=self.boolean(block, "input_includes_cache", True),
            description=self.string(block, "description"),
        )

    def _object(
        self, block: s.Block, name: str, check: Any, any_key: bool = False
    ) -> dict[str, Any]:
        attr = block.body.attributes.get(name)
        if attr is None:
            return {}
        value = self.eval(attr, block)
        if not isinstance(value, dict):
            raise self.fail(
                "Incorrect attribute value type",
                f'"{name}" must be an object like {{ feature = "..." }}.',
                attr.expr.range,
                block,
            )
        ranges = (
            {i.key: (i.key_range, i.value.range) for i in attr.expr.items}
            if isinstance(attr.expr, s.ObjectExpr)
            else {}
        )
        out = {}
        for key, item in value.items():
            key_range, value_range = ranges.get(key, (attr.expr.range, attr.expr.range))
            if not any_key and key not in FIELDS:
                raise self.fail(
                    "Unknown record field",
                    f"{display(key)} is not a record field." + did_you_mean(key, FIELDS),
                    key_range,
                    block,
                )
            out[key] = check(block, name, key, item, value_range)
        return out

    def _paths(self, block: s.Block, name: str, key: str, value: Any, rng: Any) -> Any:
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str) and v for v in values):
            raise self.fail(
                "Incorrect attribute value type",
                f"{name}.{key} must name a source field, or a list of them tried in order.",
                rng,
                block,
            )
        return value

    def _default(self, block: s.Block, name: str, key: str, value: Any, rng: Any) -> Any:
        kind = FIELDS[key]
        ok = (
            isinstance(value, str)
            if kind in (TEXT, TIME)
            else isinstance(value, bool)
            if kind == "bool"
            else isinstance(value, Decimal) and not isinstance(value, bool)
        )
        if not ok:
            raise self.fail(
                "Incorrect attribute value type",
                f"defaults.{key} must be a {'string' if kind in (TEXT, TIME) else kind}, "
                f"but it is {a_type(value)} ({display(value)}).",
                rng,
                block,
            )
        if key == "feature" and value not in self.features:
            raise self.fail(
                "Reference to undeclared feature",
                f"No feature {display(value)} is declared." + did_you_mean(value, self.features),
                rng,
                block,
            )
        return value

    def _item(self, block: s.Block, name: str, key: str, value: Any, rng: Any) -> Any:
        declared = [i.address for sheet in self.sheets.values() for i in sheet.items.values()]
        if not isinstance(value, str) or value not in declared:
            raise self.fail(
                "Reference to undeclared price item",
                f'items["{key}"] must name a declared price item SHEET/ITEM, not '
                f"{display(value)}." + did_you_mean(str(value), declared),
                rng,
                block,
            )
        return value
