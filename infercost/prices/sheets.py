"""Price records written as ``price_sheet`` HCL, laid out the way ``infercost fmt`` would.

The text names its source and date in a comment, carries ``source`` on every model so
``prices outdated`` and ``prices update`` find the record again, and lists in comments
every price the data has that the language cannot express, so nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from infercost.prices.record import PRICE_ATTRIBUTES, PriceRecord, Prices, one_line


def hcl_string(text: str) -> str:
    """A quoted HCL string that reads back as ``text``: quotes, backslashes and control
    characters escaped, and ``${`` / ``%{`` doubled so a name cannot become a template."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    quoted = "".join(out).replace("${", "$${").replace("%{", "%%{")
    return f'"{quoted}"'


def price_text(value: Decimal) -> str:
    """A price as a reader expects it: 2.50, 10.00, 0.075 (at least two decimals)."""
    text = format(value.normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _aligned(pairs: list[tuple[str, str]], indent: str) -> list[str]:
    width = max((len(name) for name, _ in pairs), default=0)
    return [f"{indent}{name.ljust(width)} = {value}" for name, value in pairs]


def _price_pairs(prices: Prices) -> list[tuple[str, str]]:
    pairs = []
    for name in PRICE_ATTRIBUTES:
        value = getattr(prices, name)
        if value is not None:
            pairs.append((name, price_text(value)))
    return pairs


def _tier_lines(prices: Prices, indent: str) -> list[str]:
    lines: list[str] = []
    for tier in prices.tiers:
        pairs = [("above_input_tokens", str(tier.above))]
        pairs += [
            (name, price_text(getattr(tier, name)))
            for name in PRICE_ATTRIBUTES
            if getattr(tier, name) is not None
        ]
        lines += ["", f"{indent}long_context {{", *_aligned(pairs, indent + "  "), f"{indent}}}"]
    return lines


def model_block(record: PriceRecord, indent: str = "  ") -> list[str]:
    inner = indent + "  "
    lines = [f"{indent}# not imported: {one_line(item)}" for item in record.not_imported]
    lines.append(f"{indent}model {hcl_string(record.item_label)} {{")
    pairs = [("source", hcl_string(record.reference)), *_price_pairs(record.prices)]
    if record.per_call is not None:
        pairs.append(("per_call", price_text(record.per_call)))
    lines += _aligned(pairs, inner)
    lines += _tier_lines(record.prices, inner)
    if record.batch is not None:
        lines += ["", f"{inner}batch {{", *_aligned(_price_pairs(record.batch), inner + "  ")]
        lines += _tier_lines(record.batch, inner + "  ")
        lines.append(f"{inner}}}")
    lines.append(f"{indent}}}")
    return lines


def render(records: Iterable[PriceRecord], source: str, at: date, sheet: str | None = None) -> str:
    """HCL for the records: one sheet per provider, or all in ``sheet``."""
    groups: dict[str, list[PriceRecord]] = {}
    for record in records:
        groups.setdefault(sheet or record.provider, []).append(record)
    out = [
        f"# Imported with `infercost prices import` from {source}, prices as of {at.isoformat()}.",
        "# Review before committing; `infercost prices outdated` compares with newer data.",
    ]
    for name, items in groups.items():
        currency = items[0].currency
        out += ["", f"price_sheet {hcl_string(name)} {{"]
        out += _aligned(
            [("currency", hcl_string(currency)), ("effective", f'"{at.isoformat()}"')], "  "
        )
        for record in items:
            out.append("")
            out += model_block(record)
        out.append("}")
    return "\n".join(out) + "\n"
