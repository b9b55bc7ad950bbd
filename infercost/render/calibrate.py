"""Views of ``calibrate``: one document (JSON), drawn as text and Markdown.

Declared vs observed per attribute, cost per unit declared vs observed with each step's
contribution to the difference (largest first), and the three costs side by side
(modelled = declared shape × observed units; actual = records priced exactly; reported =
the source's own cost), with the records behind each gap.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from infercost.arithmetic import PRECISION, ZERO, exact, plain
from infercost.calibrate.shape import ObservedFeature, ObservedStep
from infercost.evaluate.values import Distribution, mean_of
from infercost.invisible import quoted_line
from infercost.model import Stack, Step
from infercost.numbers import counted
from infercost.render.code_span import code
from infercost.render.documents import FORMAT_VERSION
from infercost.render.formatting import Style, money, pct
from infercost.render.markdown import truncate_middle
from infercost.render.table import table

ATTRIBUTES = (
    "share",
    "calls_mean",
    "calls_p50",
    "calls_p95",
    "input_tokens",
    "context_growth",
    "cached_share",
    "cache_write_share",
    "output_tokens",
    "quantity",
    "retry_rate",
)


def _declared(step: Step | None, name: str) -> Any:
    if step is None:
        return None
    model = step.kind != "meter"
    value: Any = {
        "share": step.share,
        "calls_mean": mean_of(step.calls),
        "calls_p50": None,
        "calls_p95": None,
        "input_tokens": mean_of(step.input_tokens) if model else None,
        "context_growth": mean_of(step.context_growth) if model else None,
        "cached_share": step.cached_share if model else None,
        "cache_write_share": step.cache_write_share if model else None,
        "output_tokens": mean_of(step.output_tokens) if model else None,
        "quantity": None if model else mean_of(step.quantity),
        "retry_rate": step.retry_rate,
    }[name]
    return value


def _observed(o: ObservedStep, name: str) -> Any:
    model = o.kind != "meter"
    if (
        name
        in ("input_tokens", "context_growth", "cached_share", "cache_write_share", "output_tokens")
        and not model
    ):
        return None
    if name == "quantity" and model:
        return None
    return getattr(o, name)


def step_document(o: ObservedStep, declared_cpu: Decimal | None) -> dict[str, Any]:
    with exact():
        contribution = o.actual_cost_per_unit - (declared_cpu or ZERO)
    return {
        "step": o.name,
        "item": o.item,
        "kind": o.kind,
        "status": "observed" if o.declared is not None else "undeclared",
        "units": o.units,
        "records": o.records,
        "first_attempts": o.first_attempts,
        "calls": _value(o.calls),
        "attributes": [
            {"name": a, "declared": _declared(o.declared, a), "observed": _observed(o, a)}
            for a in ATTRIBUTES
        ],
        "declared_cost_per_unit": declared_cpu,
        "modelled_cost_per_unit": o.modelled_cost_per_unit,
        "actual_cost_per_unit": o.actual_cost_per_unit,
        "contribution": contribution,
        "actual_cost": o.actual,
        "reported_cost": o.reported,
        "cache_hit_units": o.hit_units,
        "cache_hit_records": o.hit_records,
        "notes": list(o.notes),
    }


def _value(value: Decimal | Distribution | None) -> str | None:
    if value is None:
        return None
    return value.text if isinstance(value, Distribution) else plain(value)


def feature_document(stack: Stack, f: ObservedFeature) -> dict[str, Any]:
    workflow = stack.workflows[f.workflow]
    steps = [
        step_document(o, f.declared_steps.get(o.name) if o.declared else None) for o in f.steps
    ]
    for s in f.not_observed:
        steps.append(
            {
                "step": s.name,
                "item": s.uses,
                "kind": s.kind,
                "status": "not observed",
                "units": 0,
                "records": 0,
                "first_attempts": 0,
                "calls": None,
                "attributes": [
                    {"name": a, "declared": _declared(s, a), "observed": None} for a in ATTRIBUTES
                ],
                "declared_cost_per_unit": f.declared_steps[s.name],
                "modelled_cost_per_unit": None,
                "actual_cost_per_unit": None,
                "contribution": None,
                "actual_cost": None,
                "reported_cost": None,
                "cache_hit_units": 0,
                "cache_hit_records": 0,
                "notes": ["not observed: no record matched this step"],
            }
        )
    with exact():
        modelled_total = f.declared_cost_per_unit * f.units
        residual = (
            _difference(f.modelled_cost_per_unit, f.actual_cost_per_unit)
            if f.actual_cost_per_unit is not None
            else None
        )
        residual_pct = (
            residual / f.actual_cost_per_unit * 100
            if residual is not None and f.actual_cost_per_unit
            else None
        )
    order = sorted(
        (s for s in steps if s["contribution"] is not None),
        key=lambda s: (-abs(s["contribution"]), s["step"]),
    )
    reasons = [n for o in f.steps for n in o.notes]
    if f.not_observed and f.units:
        reasons.append(
            "declared steps not observed keep their declared values in the what-if "
            "(priced at the observed cache hit rate): " + ", ".join(s.name for s in f.not_observed)
        )
    return {
        "feature": f.name,
        "workflow": workflow.name,
        "status": "observed" if f.units else "not observed",
        "units": f.units,
        "cache_hit_units": f.hit_units,
        "cache_hit_rate": {"declared": workflow.cache_hit_rate, "observed": f.cache_hit_rate},
        "cost_per_unit": {
            "declared": f.declared_cost_per_unit,
            "observed": f.actual_cost_per_unit,
            "what_if": f.modelled_cost_per_unit,
            "drift_pct": f.drift_pct,
        },
        "what_if_residual": {"cost_per_unit": residual, "pct": residual_pct, "reasons": reasons},
        "costs": {"modelled": modelled_total, "actual": f.actual, "reported": f.reported},
        "steps": steps,
        "contributions": [{"step": s["step"], "contribution": s["contribution"]} for s in order],
    }


def _difference(a: Decimal, b: Decimal) -> Decimal:
    """``a - b``, or 0 when the two agree to the last digits of the engine's precision.

    Both are quotients rounded to 28 significant digits (a total over 3 units), each by
    its own path: a difference in the last two digits is that rounding, not a cost, and
    was shown as a residual of -$0.00000000000000000000000001 per unit."""
    difference = a - b
    largest = max(abs(a), abs(b))
    if difference and largest and abs(difference) < largest.scaleb(2 - PRECISION):
        return ZERO
    return difference


def document(stack: Stack, run: Any) -> dict[str, Any]:
    r = run.result
    features = [feature_document(stack, f) for f in run.features]
    with exact():
        modelled = sum((f["costs"]["modelled"] for f in features), ZERO)
        actual = sum((f.actual for f in run.features), ZERO)
    return {
        "format_version": FORMAT_VERSION,
        "currency": r.currency,
        "usage_period": r.period,
        "source": r.source,
        "files": r.files,
        "records": r.records,
        "units": r.units,
        "features": features,
        "costs": {"modelled": modelled, "actual": actual, "reported": r.reported},
        "gaps": [
            {"reason": reason, "records": s.records, "reported_cost": s.reported_cost}
            for reason, s in sorted(r.skipped.items())
        ],
        "unknown_features": [
            {"feature": k, "records": v} for k, v in sorted(run.unknown_features.items())
        ],
    }


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return plain(round(value, 4).normalize()) if value != value.to_integral() else plain(value)
    return str(value)


def _period(period: str | None, md: bool) -> str:
    """The period as the records spell it: one line in text, a code span in Markdown."""
    if period is None:
        return "n/a"
    return code(period, table=False) if md else quoted_line(period)


def _lines(doc: dict[str, Any], style: Style, md: bool) -> list[str]:
    cur = doc["currency"]

    def name(value: str) -> str:
        """A name from the records or the command line: in Markdown a code span (a
        feature called "[x](https://…)" or "@team" must not become a link or a mention
        in a pull-request comment), in text quoted with its control characters shown."""
        return code(value, table=False) if md else f'"{quoted_line(value)}"'

    def label(value: str) -> str:
        """A name from the stack in a table cell or heading: the stack comes with the pull
        request, so in Markdown it is a code span too (``|`` escaped for the table)."""
        return code(value) if md else value

    def item(line: str) -> str:
        """One line of a list. Markdown joins consecutive lines into one paragraph, so each
        is a list item there; a blank line must already separate it from a table, or GFM
        reads it as one more row of the table."""
        return f"- {line}" if md else line

    files = ", ".join(code(x, table=False) if md else quoted_line(x, 300) for x in doc["files"])
    head = (
        f"Calibrated against {counted(doc['records'], 'record')} "
        f"({doc['source']}: {files}), "
        f"period {_period(doc['usage_period'], md)}"
    )
    out = ["## " + head if md else style.bold(head), ""]

    def tab(rows: list[list[str]], right: tuple[int, ...]) -> list[str]:
        if md:
            # Every cell that can hold a name is already a code span with its | escaped.
            lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
            lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
            return [*lines, ""]
        return [*table(rows, right=right), ""]

    rows = [["costs", "modelled", "actual", "reported"]]
    for f in doc["features"]:
        c = f["costs"]
        rows.append(
            [
                label(f["feature"]),
                money(c["modelled"], cur),
                money(c["actual"], cur),
                money(c["reported"], cur) if c["reported"] is not None else "-",
            ]
        )
    c = doc["costs"]
    rows.append(
        [
            "total",
            money(c["modelled"], cur),
            money(c["actual"], cur),
            money(c["reported"], cur) if c["reported"] is not None else "-",
        ]
    )
    out += tab(rows, (1, 2, 3))
    for g in doc["gaps"]:
        out.append(
            item(
                f"Gap: {counted(g['records'], 'record')} skipped ({g['reason']}), "
                f"reported cost {money(g['reported_cost'], cur)}"
            )
        )
    for u in doc["unknown_features"]:
        out.append(
            item(
                f"Records of a feature the stack does not declare: "
                f"{name(u['feature'])}, {counted(u['records'], 'record')}"
            )
        )
    if doc["gaps"] or doc["unknown_features"]:
        out.append("")
    for f in doc["features"]:
        cpu = f["cost_per_unit"]
        if f["status"] == "not observed":
            out += [
                ("### " if md else "") + f"{label(f['feature'])} (workflow "
                f"{label(f['workflow'])}): not observed, no record of it in the period",
                f"Cost per unit: declared {money(cpu['declared'], cur)}; the what-if keeps "
                "the declared shape",
                "",
            ]
            continue
        out += [
            ("### " if md else "") + f"{label(f['feature'])} (workflow {label(f['workflow'])}): "
            f"{counted(f['units'], 'unit')}, cache hit rate declared "
            f"{_fmt(f['cache_hit_rate']['declared'])}, observed "
            f"{_fmt(f['cache_hit_rate']['observed'])}",
            f"Cost per unit: declared {money(cpu['declared'], cur)}, observed "
            f"{money(cpu['observed'], cur)} (drift {pct(cpu['drift_pct'], signed=True)}); "
            f"what-if {money(cpu['what_if'], cur)}",
            "",
        ]
        rows = [["step", "attribute", "declared", "observed"]]
        for s in f["steps"]:
            rows.append(
                [
                    label(s["step"]) + ("" if s["status"] == "observed" else f" ({s['status']})"),
                    "cost per unit",
                    money(s["declared_cost_per_unit"], cur)
                    if s["declared_cost_per_unit"] is not None
                    else "-",
                    money(s["actual_cost_per_unit"], cur)
                    if s["actual_cost_per_unit"] is not None
                    else "not observed",
                ]
            )
            for a in s["attributes"]:
                if a["declared"] is None and a["observed"] is None:
                    continue
                rows.append(["", a["name"], _fmt(a["declared"]), _fmt(a["observed"])])
        out += tab(rows, (2, 3))
        if f["contributions"]:
            out.append("Contributions to the difference, largest first:")
            for c in f["contributions"]:
                shown = f"{label(c['step'])}: {money(c['contribution'], cur, signed=True)}"
                out.append(f"- {shown}" if md else f"  {shown}")
            out.append("")
        res = f["what_if_residual"]
        if res["reasons"]:
            out.append(
                f"What-if residual {money(res['cost_per_unit'], cur, signed=True)} per unit"
                f" ({pct(res['pct'], signed=True, digits=3)}):"
            )
            # A reason can quote a step or item name the records spell: code in Markdown.
            for r in res["reasons"]:
                out.append(f"- {code(r, table=False)}" if md else "  " + quoted_line(r, 300))
            out.append("")
    while out and not out[-1]:
        out.pop()
    return out


def calibrate_text(doc: dict[str, Any], style: Style) -> str:
    return "\n".join(_lines(doc, style, md=False)) + "\n"


def calibrate_markdown(doc: dict[str, Any], style: Style) -> str:
    """For a pull-request comment: kept under GitHub's limit like every Markdown view
    (records can name thousands of undeclared features, each a line)."""
    return truncate_middle("\n".join(_lines(doc, style, md=True)) + "\n")
