"""The observed shape as a what-if file (HCL text), so ``plan --what-if`` prices the stack
as production behaves.

Every attribute of an observed step is written (a what-if replaces attributes one by
one, so a declared expression left in place would mix declared and observed values);
``calls`` is the observed histogram as ``empirical([values], [units])``, which carries
E[C] and E[C·(C−1)] exactly. A feature whose workflow another feature with a different
observed shape shares gets its own copy of the workflow. Steps no record matched keep
their declared values and are named in a comment.
"""

from __future__ import annotations

from decimal import Decimal

from infercost.arithmetic import plain
from infercost.calibrate.shape import ObservedFeature, ObservedStep
from infercost.evaluate.values import Distribution
from infercost.model import Stack, Step
from infercost.numbers import counted


def _num(value: Decimal) -> str:
    """A decimal as HCL reads it back exactly (at most 28 significant digits)."""
    text = plain(value)
    return text


def _value(value: Decimal | Distribution) -> str:
    if isinstance(value, Distribution):
        if value.kind == "empirical":
            return (
                "empirical(["
                + ", ".join(_num(v) for v in value.params)
                + "], ["
                + ", ".join(_num(w) for w in value.weights)
                + "])"
            )
        return f"{value.kind}(" + ", ".join(_num(p) for p in value.params) + ")"
    return _num(value)


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("${", "$${") + '"'


def _comment(text: str) -> str:
    """One comment line; control characters (a newline from a record value) dropped."""
    return "# " + "".join(ch if ch.isprintable() else " " for ch in text)


def _step_lines(step: Step, observed: ObservedStep | None, indent: str) -> list[str]:
    lines = []
    if observed is None:
        lines.append(indent + _comment("not observed: no record matched; declared values kept"))
    else:
        lines.append(
            indent
            + _comment(
                f"observed: {counted(observed.units, 'unit')}, "
                f"{counted(observed.records, 'record')}, "
                f"calls mean {plain(round(observed.calls_mean, 4).normalize())}, "
                f"P50 {observed.calls_p50}, P95 {observed.calls_p95}"
            )
        )
        for note in observed.notes:
            lines.append(indent + _comment(note))
    lines.append(f"{indent}step {_string(step.name)} {{")
    pad = indent + "  "
    attrs: list[tuple[str, str]] = [
        ("uses", _string(step.uses)),
        ("calls", _value(step.calls)),
        ("share", _value(step.share)),
        ("retry_rate", _value(step.retry_rate)),
        ("cacheable", "true" if step.cacheable else "false"),
    ]
    if step.kind in ("model", "gpu"):
        attrs += [
            ("input_tokens", _value(step.input_tokens)),
            ("output_tokens", _value(step.output_tokens)),
            ("cached_share", _value(step.cached_share)),
            ("cache_write_share", _value(step.cache_write_share)),
            ("context_growth", _value(step.context_growth)),
        ]
        if step.kind == "gpu":
            # GPU time has no cache-write price: a write is prefilled like any input token.
            attrs = [a for a in attrs if a[0] != "cache_write_share"]
    else:
        attrs.append(("quantity", _value(step.quantity)))
    width = max(len(k) for k, _ in attrs)
    lines += [f"{pad}{k.ljust(width)} = {v}" for k, v in attrs]
    lines.append(f"{indent}}}")
    return lines


def _body(stack: Stack, feature: ObservedFeature, complete: bool) -> list[str]:
    """The lines inside a workflow block for one feature's observed shape."""
    workflow = stack.workflows[feature.workflow]
    by_name = {o.name: o for o in feature.steps}
    # Only observed features (with units, so with a rate) are written.
    assert feature.cache_hit_rate is not None
    lines = [f"  cache_hit_rate = {_num(feature.cache_hit_rate)}"]
    for step in workflow.steps:
        observed = by_name.get(step.name)
        if observed is None and not complete:
            lines += [
                "",
                "  " + _comment(f'step "{step.name}": not observed, declared values kept'),
            ]
            continue
        shown = observed.as_step(stack, workflow) if observed else step
        lines += ["", *_step_lines(shown, observed, "  ")]
    for o in feature.steps:
        if o.declared is None:
            note = (
                f"undeclared step: records of {feature.name} use {o.item}, "
                "which the workflow does not"
            )
            lines += ["", "  " + _comment(note)]
            lines += _step_lines(o.as_step(stack, workflow), o, "  ")
    return lines


def write_what_if(stack: Stack, features: list[ObservedFeature], header: list[str]) -> str:
    """The what-if text for every observed feature (one without records keeps its
    declared shape: it is not written)."""
    out = [_comment(line) for line in header]
    by_workflow: dict[str, list[ObservedFeature]] = {}
    for f in (f for f in features if f.units):
        by_workflow.setdefault(f.workflow, []).append(f)
    for name, group in by_workflow.items():
        bodies = [_body(stack, f, complete=False) for f in group]
        sharing = [n for n, feat in stack.features.items() if feat.workflow == name]
        if (len(group) == 1 and len(sharing) == 1) or (
            all(b == bodies[0] for b in bodies[1:]) and (len(group) == len(sharing))
        ):
            out += ["", f"workflow {_string(name)} {{", *bodies[0], "}"]
            continue
        # Features that share this workflow behave differently: one copy each.
        for f in group:
            copy = _copy_name(stack, name, f.name)
            out += [
                "",
                _comment(
                    f'feature "{f.name}" shares workflow "{name}" with '
                    + ", ".join(f'"{n}"' for n in sharing if n != f.name)
                    + " but behaves differently: it gets its own copy."
                ),
                f"workflow {_string(copy)} {{",
                *_body(stack, f, complete=True),
                "}",
                "",
                f"feature {_string(f.name)} {{",
                f"  workflow = workflow.{copy}",
                "}",
            ]
    return "\n".join(out) + "\n"


def _copy_name(stack: Stack, workflow: str, feature: str) -> str:
    base = f"{workflow}_{feature}"
    name, n = base, 2
    while name in stack.workflows:
        name, n = f"{base}_{n}", n + 1
    return name
