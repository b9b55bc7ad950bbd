"""``prices outdated``: every declared model item against the price data, attribute by
attribute, with the same dotted addresses plan's changes[] uses.

An item is matched through its ``source`` (``genai-prices:PROVIDER/MODEL``), else by the
sheet's name as the provider and the item's label as the model. Only prices the data
has are compared: a price the stack adds (a per-call fee the data does not know) is the
stack's business. A sheet in another currency than the data's is skipped with a note,
never compared across currencies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from infercost.arithmetic import exact
from infercost.errors import Diagnostic, InfercostError, Severity
from infercost.model import LongContext, ModelPrice, PriceSheet, Stack, TokenPrices
from infercost.prices.data import PriceData
from infercost.prices.record import PriceRecord


@dataclass(frozen=True)
class Difference:
    sheet: str
    item: str
    attribute: str
    declared: Decimal | None  # None: the item does not state it (no batch block, no tier)
    current: Decimal
    source: str

    @property
    def address(self) -> str:
        return f"{self.sheet}/{self.item}"

    @property
    def change_pct(self) -> Decimal | None:
        if self.declared is None or self.declared == 0:
            return None
        with exact():
            return (self.current - self.declared) / self.declared * 100


@dataclass(frozen=True)
class Match:
    sheet: PriceSheet
    item: ModelPrice
    record: PriceRecord


@dataclass(frozen=True)
class Outdated:
    data: str
    at: str
    matches: tuple[Match, ...]
    differences: tuple[Difference, ...]
    unmatched: tuple[str, ...]
    notes: tuple[Diagnostic, ...]

    @property
    def has_differences(self) -> bool:
        return bool(self.differences)


def declared_prices(item: ModelPrice) -> dict[str, Decimal]:
    out = dict(item.flat())
    out["per_call"] = item.per_call
    if item.batch is not None:
        out |= item.batch.flat("batch.")
    return out


def written(item: ModelPrice, attribute: str) -> bool:
    """Whether the item states ``attribute`` (dotted) itself rather than by default."""
    *path, name = attribute.split(".")
    node: TokenPrices | LongContext | None = item
    for segment in path:
        if node is None or isinstance(node, LongContext):
            return False
        if segment == "batch":
            node = node.batch if isinstance(node, ModelPrice) else None
        else:
            threshold = Decimal(segment.removeprefix("long_context[").removesuffix("]"))
            node = next((t for t in node.long_context if t.above_input_tokens == threshold), None)
    return node is not None and name in node.ranges


def _record_for(
    sheet: PriceSheet, item: ModelPrice, data: PriceData, notes: list[Diagnostic]
) -> PriceRecord | None:
    if item.source is not None:
        origin, _, reference = item.source.partition(":")
        provider, _, model = reference.partition("/")
        if origin != data.kind:
            notes.append(
                Diagnostic(
                    "Item skipped",
                    f"{item.address} comes from {origin}, but the data read is {data.kind}.",
                    item.at("source"),
                    Severity.WARNING,
                )
            )
            return None
        try:
            return data.find(provider, model)
        except LookupError as exc:
            raise InfercostError(
                Diagnostic("Unknown model", str(exc), item.at("source"), context=None)
            ) from None
    try:
        return data.find(sheet.name, item.name)
    except LookupError:
        return None


def outdated(stack: Stack, data: PriceData, only: Iterable[str] = ()) -> Outdated:
    """Compare the stack's model items (all, or the SHEET/ITEM addresses in ``only``)."""
    wanted = set(only)
    known = {f"{s}/{i}" for s, sheet in stack.price_sheets.items() for i in sheet.items}
    for address in sorted(wanted - known):
        from infercost.errors import did_you_mean

        raise InfercostError.at(
            "Unknown price item",
            f'No price item "{address}" is declared in the stack.' + did_you_mean(address, known),
        )
    notes: list[Diagnostic] = []
    errors: list[Diagnostic] = []
    matches: list[Match] = []
    differences: list[Difference] = []
    unmatched: list[str] = []
    for sheet in stack.price_sheets.values():
        for item in sheet.items.values():
            if not isinstance(item, ModelPrice) or (wanted and item.address not in wanted):
                continue
            try:
                record = _record_for(sheet, item, data, notes)
            except InfercostError as exc:
                errors.extend(exc.diagnostics)
                continue
            if record is None:
                if item.source is None:
                    unmatched.append(item.address)
                continue
            if record.currency != sheet.currency:
                notes.append(
                    Diagnostic(
                        "Sheet skipped",
                        f'price_sheet "{sheet.name}" is in {sheet.currency} and the data in '
                        f"{record.currency}; prices are never compared across currencies.",
                        sheet.at("currency"),
                        Severity.WARNING,
                    )
                )
                continue
            matches.append(Match(sheet, item, record))
            declared = declared_prices(item)
            stated = record.stated()
            for attribute, current in record.flat().items():
                before = declared.get(attribute)
                if attribute not in stated and not written(item, attribute):
                    continue  # a default on both sides: it follows the stated prices
                if before is None or before != current:
                    differences.append(
                        Difference(
                            sheet.name, item.name, attribute, before, current, record.reference
                        )
                    )
    if errors:
        raise InfercostError(*errors)
    return Outdated(
        data=data.describe(),
        at=data.at.isoformat(),
        matches=tuple(matches),
        differences=tuple(differences),
        unmatched=tuple(unmatched),
        notes=tuple(notes),
    )
