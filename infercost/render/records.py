"""Views of a records import: the text summary and the JSON document (SPEC §12)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from infercost.config.loader import display_path
from infercost.invisible import quoted_line
from infercost.numbers import counted
from infercost.render.documents import FORMAT_VERSION
from infercost.render.formatting import Style, count, money
from infercost.render.table import table
from infercost.usage.records.result import ImportResult


def import_document(result: ImportResult, snapshot: Path | None) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "currency": result.currency,
        "period": result.period_label,
        "usage_period": result.period,
        "source": result.source,
        "files": result.files,
        "snapshot": display_path(snapshot) if snapshot is not None else None,
        "records": result.records,
        "units": result.units,
        "cache_hit_units": result.cache_hit_units,
        "customers": result.customers,
        "skipped": [
            {"reason": reason, "records": s.records, "reported_cost": s.reported_cost}
            for reason, s in sorted(result.skipped.items())
        ],
        "costs": [
            {
                "feature": c.feature,
                "step": c.step,
                "item": c.item,
                "records": c.records,
                "input_tokens": c.sums.input_tokens,
                "cached_input_tokens": c.sums.cached_input_tokens,
                "cache_write_tokens": c.sums.cache_write_tokens,
                "output_tokens": c.sums.output_tokens,
                "quantity": c.sums.quantity,
                "actual_cost": c.actual,
                "reported_cost": c.reported,
            }
            for c in result.costs
        ],
        "billed": [
            {
                "provider": b.provider,
                "service": b.service,
                "sku": b.sku,
                "billed_cost": b.billed_cost,
                "effective_cost": b.effective_cost,
            }
            for b in result.billed
        ],
        "totals": {
            "actual_cost": result.actual if result.source != "focus" else None,
            "reported_cost": result.reported,
            "billed_cost": sum((b.billed_cost for b in result.billed), Decimal(0))
            if result.billed
            else None,
        },
    }


def import_text(result: ImportResult, snapshot: Path | None, style: Style) -> str:
    if result.source == "focus":
        return _billed_text(result, style)
    cur = result.currency
    skipped = sum(s.records for s in result.skipped.values())
    kept = result.records - skipped
    imported = (
        f"{count(kept)} of {counted(result.records, 'record')}"
        if skipped
        else counted(kept, "record")
    )
    lines = [
        style.bold(f"Imported {imported}") + f" ({result.source}: {', '.join(result.files)})",
        f"Period {quoted_line(result.period or 'n/a')}: {counted(result.units, 'unit')}, "
        f"{counted(result.customers, 'customer')}"
        + (
            f", {count(result.cache_hit_units)} answered from the cache"
            if result.cache_hit_units
            else ""
        ),
    ]
    if snapshot is not None and result.source != "focus":
        lines.append(f"Snapshot written to {display_path(snapshot)}")
    for reason, part in sorted(result.skipped.items()):
        lines.append(
            style.yellow(f"Skipped {counted(part.records, 'record')} ({reason})")
            + f", reported cost {money(part.reported_cost, cur)}"
        )
    rows = [["feature / step", "item", "records", "actual", "reported"]]
    feature = None
    for c in result.costs:
        if c.feature != feature:
            feature = c.feature
            rows.append([feature, "", "", "", ""])
        rows.append(
            [
                "  " + (c.step or "(no step)"),
                c.item,
                count(c.records),
                money(c.actual, cur),
                money(c.reported, cur) if c.reported is not None else "-",
            ]
        )
    rows.append(
        [
            "total",
            "",
            count(sum(c.records for c in result.costs)),
            money(result.actual, cur),
            money(result.reported, cur) if result.reported is not None else "-",
        ]
    )
    lines.append("")
    lines.extend(table(rows, right=(2, 3, 4)))
    return "\n".join(lines) + "\n"


def _billed_text(result: ImportResult, style: Style) -> str:
    cur = result.currency
    lines = [
        style.bold(f"Billed in period {quoted_line(result.period or 'n/a')}")
        + f" (FOCUS: {', '.join(result.files)}; {count(result.records)} rows)",
        "",
    ]
    rows = [["provider", "service", "sku", "billed", "effective"]]
    for b in result.billed:
        rows.append(
            [
                quoted_line(b.provider or "-"),
                quoted_line(b.service or "-"),
                quoted_line(b.sku or "-"),
                money(b.billed_cost, cur),
                money(b.effective_cost, cur),
            ]
        )
    total = sum((b.billed_cost for b in result.billed), Decimal(0))
    effective = sum((b.effective_cost for b in result.billed), Decimal(0))
    rows.append(["total", "", "", money(total, cur), money(effective, cur)])
    # Indented: no line starts with text from the export (a CI log reads "::" commands).
    lines.extend("  " + line for line in table(rows, right=(3, 4)))
    return "\n".join(lines) + "\n"
