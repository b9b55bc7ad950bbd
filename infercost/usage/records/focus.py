"""The ``focus`` source: a FinOps FOCUS 1.x billing export, for reconciliation only.

FOCUS rows carry cost per provider, service and SKU over a charge period, not per unit
of work, so they give no usage snapshot: they give what the vendors billed, to set
beside the actual cost of the records (SPEC §12, costs three ways). Rows are summed in
DuckDB per provider, service and SKU, for the period (from ``ChargePeriodStart``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from infercost.errors import InfercostError, did_you_mean
from infercost.invisible import quoted_line
from infercost.model import Stack
from infercost.usage.engine import connect
from infercost.usage.records import read
from infercost.usage.records.fields import SourceFile
from infercost.usage.records.names import refuse_twice
from infercost.usage.records.query import PERIOD_FORMATS
from infercost.usage.records.result import BilledLine, ImportResult

REQUIRED = ("ChargePeriodStart", "BilledCost", "ServiceName")
PROVIDER = ("ServiceProviderName", "ProviderName")  # FOCUS 1.2 renamed ProviderName


def read_focus(stack: Stack, files: Sequence[SourceFile], period: str | None) -> ImportResult:
    con = connect(ordered=False)
    try:
        fmt = read.file_format(files)
        typed = {"BilledCost": "decimal", "EffectiveCost": "decimal", "ChargePeriodStart": "time"}
        raw = read.tabular(con, files, fmt, ordered=False, typed=typed)
        refuse_twice(con, files, fmt, raw.columns)
        rows = con.execute(focus_query(stack, raw, files)).fetchall()
        # After the scan: the reader fills the rejects table while it reads.
        rejected = read.rejected(con)
    except InfercostError:
        raise
    except Exception as exc:
        if "Overflow" in str(exc):
            raise InfercostError.at(
                "Figure too large",
                f"{', '.join(f.shown for f in files)}: BilledCost or EffectiveCost add up past "
                "the 38 digits infercost adds exactly; check the largest costs.",
            ) from None
        raise read.read_error(files, exc) from None
    finally:
        con.close()
    if rejected:
        path, line, column, _ = rejected[0]
        shown = next((f.shown for f in files if f.path == path), path)
        raise InfercostError.at(
            "Invalid FOCUS export", f"{shown} line {line}: {column} is not a number or a time."
        )
    return focus_result(stack, files, rows, period)


def focus_query(stack: Stack, raw: read.Raw, files: Sequence[SourceFile]) -> str:
    """The sums per period, provider, service, SKU and currency, in DuckDB SQL over the
    export's rows (the Spark engine transpiles it)."""
    label = ", ".join(f.shown for f in files)
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise InfercostError.at(
            "Invalid FOCUS export",
            f'{label}: the column "{missing[0]}" is missing.'
            + did_you_mean(missing[0], raw.columns),
        )
    provider = next((c for c in PROVIDER if c in raw.columns), None)
    fmt_period = PERIOD_FORMATS.get(stack.settings.period, PERIOD_FORMATS["month"])
    effective = "EffectiveCost" if "EffectiveCost" in raw.columns else "BilledCost"
    currency = "BillingCurrency" if "BillingCurrency" in raw.columns else None
    return (
        f"SELECT strftime(CAST(ChargePeriodStart AS TIMESTAMP), '{fmt_period}') AS period, "
        f"{read.q(provider) if provider else 'NULL'} AS provider, ServiceName, "
        f"{'SkuId' if 'SkuId' in raw.columns else 'NULL'} AS sku, "
        f"{currency or 'NULL'} AS currency, "
        f"SUM(CAST(BilledCost AS DECIMAL(38, 18))), "
        f"SUM(CAST({effective} AS DECIMAL(38, 18))), COUNT(*) "
        f"FROM ({raw.sql}) GROUP BY ALL"
    )


def focus_result(
    stack: Stack, files: Sequence[SourceFile], rows: Sequence[Sequence[Any]], period: str | None
) -> ImportResult:
    """The billed lines of the chosen period (the rows of :func:`focus_query`)."""
    label = ", ".join(f.shown for f in files)
    # In the order of the group keys, empty ones last (the same whichever engine summed).
    rows = sorted(rows, key=lambda r: tuple((v is None, v or "") for v in r[:5]))
    periods = sorted({r[0] for r in rows if r[0] is not None})
    if period is None and len(periods) > 1:
        raise InfercostError.at(
            "Several usage periods",
            f"The export spans several periods ({', '.join(periods)}); choose one with --period.",
        )
    chosen = period if period is not None else (periods[0] if periods else None)
    billed = []
    records = 0
    for p, prov, service, sku, cur, cost, eff, count in rows:
        if p != chosen:
            continue
        if cur is not None and cur != stack.currency:
            raise InfercostError.at(
                "Currency mismatch",
                f"{label}: rows are billed in {cur}, the stack is in {stack.currency}.",
            )
        records += int(count)
        billed.append(BilledLine(prov, service, sku, Decimal(cost), Decimal(eff)))
    _check_bounds(billed, label)
    return ImportResult(
        source="focus",
        files=[f.shown for f in files],
        currency=stack.currency,
        period_label=stack.settings.period,
        period=chosen,
        records=records,
        units=0,
        customers=0,
        snapshot=[],
        costs=[],
        billed=billed,
    )


def _check_bounds(billed: list[BilledLine], label: str) -> None:
    """Billed amounts within the engine's bound (``limits.MAX_FIGURE``), per line and in
    total: beyond it, an error naming the line, not a figure no view can show."""
    from infercost.cost.limits import too_large, too_large_error

    for line in billed:
        amounts = (("BilledCost", line.billed_cost), ("EffectiveCost", line.effective_cost))
        for what, value in amounts:
            if too_large(value):
                names = ", ".join(
                    f"{k} {quoted_line(v)}"
                    for k, v in (("provider", line.provider), ("service", line.service),
                                 ("SKU", line.sku))
                    if v is not None
                )  # fmt: skip
                what = f"the {what} of the rows of {names or 'no service'}"
                raise too_large_error(label, what, value)
    for what, total in (
        ("BilledCost", sum((b.billed_cost for b in billed), Decimal(0))),
        ("EffectiveCost", sum((b.effective_cost for b in billed), Decimal(0))),
    ):
        if too_large(total):
            raise too_large_error(label, f"the {what} of all rows", total)
