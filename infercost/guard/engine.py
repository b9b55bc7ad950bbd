"""Evaluate guardrails over the head (and the base), apply the ratchet and waivers.

The head's guardrail definitions judge both sides (SPEC §11): a violation that already
held on the base and did not get worse is ``existing`` and does not block, so a feature
already under target on main never fails an unrelated pull request, while a change that
makes it worse does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from infercost.arithmetic import ZERO, exact, plain
from infercost.config import syntax as s
from infercost.cost.breakdown import Breakdown
from infercost.errors import Diagnostic, InfercostError, Severity, SourceRange, excerpt
from infercost.evaluate.compiled import CompiledCondition
from infercost.evaluate.evaluator import Evaluator, MarginWithoutRevenue, NullRead, Scope
from infercost.evaluate.values import Missing, NoRevenue, a_type, display
from infercost.guard.results import CheckResult, GuardResult, Status, WaiverUse
from infercost.guard.targets import Target, targets
from infercost.model import Guardrail, Stack
from infercost.numbers import miss, money, named, number, pct, percent, points
from infercost.usage.snapshot import Snapshot

IMPLICIT = "target_margin"
CHANGE_ATTRIBUTES = ("cogs_change", "cogs_change_pct", "margin_change", "cost_per_unit_change_pct")
EMPTY_SCOPE = {
    "customer": "the usage snapshot has no customer rows",
    "subscription": "the stack declares no subscriptions",
    "feature": "the stack declares no features",
    "workflow": "the stack declares no workflows",
    "step": "the stack declares no steps",
}


@dataclass(frozen=True)
class Side:
    """One configuration with its figures, as the guardrails see it."""

    stack: Stack
    figures: Breakdown
    snapshot: Snapshot | None
    base_figures: Breakdown | None = None
    observed: Any = None  # observed and drift attributes (check --records)


@dataclass(slots=True)
class Verdict:
    """A guardrail's outcome on one target of one side (never changed once made; not
    frozen, which costs at every one of a large stack's many thousands)."""

    status: Status  # PASS, FAIL or SKIPPED
    message: str
    values: dict[str, Any]
    amounts: tuple[Decimal, ...] | None = None  # how far each comparison misses
    # The ``self`` attribute each comparison measures ("" when none): how to show a miss.
    kinds: tuple[str, ...] = ()
    # A failing verdict whose message and misses are not made yet (a base-side verdict
    # that may never be shown): :meth:`_Judge.complete` makes them.
    pending: bool = False

    @property
    def shortfall(self) -> tuple[Decimal, str] | None:
        """The largest miss and what it measures, or None when it cannot be measured."""
        amounts = self.amounts
        if not amounts:
            return None
        if len(amounts) == 1:
            return amounts[0], (self.kinds[0] if self.kinds else "")
        i = max(range(len(amounts)), key=amounts.__getitem__)
        return amounts[i], (self.kinds[i] if i < len(self.kinds) else "")


def check(
    head: Side,
    base: Side | None,
    guardrails: Mapping[str, Guardrail],
    *,
    strict: bool = False,
    today: date | None = None,
    base_label: str | None = None,
    plan: Any = None,
) -> CheckResult:
    today = today or date.today()
    results: list[GuardResult] = []
    currency = head.figures.currency
    with exact():
        results += _implicit(head, base, strict, _causes(plan, currency))
        for guardrail in guardrails.values():
            results += _declared(guardrail, head, base, strict)
    results, warnings = _apply_waivers(results, head.stack, today, currency)
    results.sort(key=lambda r: (r.guardrail, r.target))
    return CheckResult(
        currency=head.figures.currency,
        period=head.figures.period,
        usage_period=head.figures.usage_period,
        base_label=base_label if base is not None else None,
        strict=strict,
        results=tuple(results),
        warnings=tuple(warnings),
        plan=plan,
        records_period=head.observed.period if head.observed is not None else None,
    )


def all_guardrails(stack: Stack, policies: Iterable[Guardrail]) -> dict[str, Guardrail]:
    """The stack's own guardrails plus the policy packs'; one name, one rule."""
    out = dict(stack.guardrails)
    for guardrail in policies:
        if guardrail.name in out:
            first = out[guardrail.name]
            raise InfercostError(
                Diagnostic(
                    "Duplicate guardrail",
                    f'guardrail "{guardrail.name}" from {guardrail.source} is already declared '
                    f"in {first.range.filename} line {first.range.start.line}.",
                    guardrail.range,
                )
            )
        out[guardrail.name] = guardrail
    return out


# -- the implicit target-margin guardrail ---------------------------------------------------
def _causes(plan: Any, currency: str) -> dict[str, str]:
    """Feature name -> the change that moved its COGS most, in words, from the plan."""
    out: dict[str, str] = {}
    for feature in getattr(plan, "features", ()):
        # The configuration's part only: a usage refresh in the same change is not a cause.
        movers = [a for a in feature.attribution if a.configuration_effect and a.causes]
        if not movers:
            continue
        top = movers[0]
        # The step's COGS change comes from all of its causes together: name every one,
        # grouped by address, rather than pin the whole amount on the first.
        grouped: dict[str, list[str]] = {}
        for change in top.causes:
            grouped.setdefault(change.address, []).append(
                f"{change.action}d"
                if change.attribute is None
                else f"{change.attribute} {display(change.before)} → {display(change.after)}"
            )
        what = " and ".join(f"{address} {', '.join(parts)}" for address, parts in grouped.items())
        amount = money(top.configuration_effect, currency, signed=True)
        out[feature.name] = f"mostly from {what} ({amount} COGS per period)"
    return out


def _implicit(
    head: Side, base: Side | None, strict: bool, causes: dict[str, str]
) -> list[GuardResult]:
    out = []
    for name, feature in head.stack.features.items():
        target = feature.target_margin
        if target is None:
            continue
        now = head.figures.features[name]
        currency = head.figures.currency
        verdict = _margin_verdict(now.margin, now.cogs, target, currency)
        before = None
        if base is not None and name in base.figures.features:
            was = base.figures.features[name]
            before = _margin_verdict(was.margin, was.cogs, target, currency)
        status, blocking, worse = _ratchet(
            verdict, before, "error", strict, base is not None, currency
        )
        message = verdict.message.replace("{name}", name)
        if status == Status.FAIL and name in causes:
            message += f"; {causes[name]}"
        values = {
            "margin": now.margin,
            "target_margin": target,
            "cogs": now.cogs,
            "revenue": now.revenue,
        }
        out.append(
            GuardResult(
                guardrail=IMPLICIT,
                target=f"feature.{name}",
                severity="error",
                status=status,
                blocking=blocking,
                message=message,
                location=feature.at("target_margin"),
                scope="feature",
                description=f"feature {name} keeps a gross margin of at least {percent(target)}",
                condition=f"self.margin >= {plain(target)}",
                source="stack",
                guardrail_location=feature.at("target_margin"),
                values=values,
                base_values=before.values if before else None,
                worse=worse,
                shortfall=verdict.shortfall,
            )
        )
    return out


def _margin_verdict(
    margin: Decimal | None, cogs: Decimal, target: Decimal, currency: str
) -> Verdict:
    values = {"margin": margin, "target_margin": target}
    kinds = ("margin",)
    if margin is None:
        if cogs > ZERO:
            return Verdict(
                Status.FAIL,
                "{name}: no revenue against COGS of "
                + money(cogs, currency)
                + f"; target margin {percent(target)}",
                values,
                (Decimal("Infinity"),),
                kinds,
            )
        return Verdict(
            Status.SKIPPED, "{name}: no revenue and no COGS; margin is undefined", values
        )
    if margin >= target:
        return Verdict(
            Status.PASS,
            f"{{name}}: margin {percent(margin)} meets target {percent(target)}",
            values,
            (ZERO,),
            kinds,
        )
    return Verdict(
        Status.FAIL,
        f"{{name}}: margin {percent(margin)} is below target {percent(target)} "
        f"(short by {points(target - margin).removeprefix('+')})",
        values,
        (target - margin,),
        kinds,
    )


# -- declared guardrails --------------------------------------------------------------------
def _declared(g: Guardrail, head: Side, base: Side | None, strict: bool) -> list[GuardResult]:
    currency = head.figures.currency
    now_targets = targets(
        g.scope, head.stack, head.figures, head.snapshot, head.base_figures, head.observed
    )
    if not now_targets:
        return [
            _result(
                g,
                g.scope,
                stack_location(head.stack),
                Verdict(
                    Status.SKIPPED,
                    f"no {g.scope} to check: {EMPTY_SCOPE.get(g.scope, 'nothing in scope')}",
                    {},
                ),
                Status.SKIPPED,
                False,
                None,
                None,
            )
        ]
    before: dict[str, Verdict] = {}
    base_targets: dict[str, Target] = {}
    base_judge = None
    if base is not None:
        base_judge = _Judge(g, base.stack, currency)
        for t in targets(g.scope, base.stack, base.figures, base.snapshot, None, base.observed):
            # A base verdict is read for its status and values; its message is never
            # shown, and its misses only when the head fails too: both wait until asked.
            before[t.address] = base_judge.verdict(t, complete=False)
            base_targets[t.address] = t
    # A verdict depends only on the condition, its scope and the target's attributes: a
    # target the change left identical (most customers of a large stack) keeps the
    # base's verdict instead of being judged again.
    reuse = base is not None and _same_scope(g, base.stack, head.stack)
    judge = _Judge(g, head.stack, currency)
    out = []
    for t in now_targets:
        was = before.get(t.address)
        if was is not None and was.pending:
            assert base_judge is not None
            if reuse and _same_attributes(base_targets[t.address].attributes, t.attributes):
                # Same condition, scope and attributes: the base's verdict, completed here
                # as the head's (the same message and misses it would be judged to have).
                verdict = was = judge.complete(was, t)
            else:
                verdict = judge.verdict(t)
                if verdict.status == Status.FAIL:  # the ratchet compares the misses
                    was = base_judge.with_amounts(was, base_targets[t.address])
        elif (
            reuse
            and was is not None
            and _same_attributes(base_targets[t.address].attributes, t.attributes)
        ):
            verdict = was
        else:
            verdict = judge.verdict(t)
        status, blocking, worse = _ratchet(
            verdict, was, g.severity, strict, base is not None, currency
        )
        out.append(_result(g, t.address, t.location, verdict, status, blocking, was, worse))
    return out


def _same_scope(g: Guardrail, base: Stack, head: Stack) -> bool:
    """Whether the guardrail's condition and message see the same names on both sides."""
    if g.source != "stack":  # policy packs read no variables or locals
        return True
    base_vars = {n: v.value for n, v in base.variables.items()}
    head_vars = {n: v.value for n, v in head.variables.items()}
    return _identical(base_vars, head_vars) and _identical(dict(base.locals), dict(head.locals))


def _same_attributes(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """:func:`_identical` for a target's attributes, the common numbers compared inline
    (it runs once per target: 50,000 times for the customers of a large stack)."""
    if a.keys() != b.keys():
        return False
    for key, x in a.items():
        y = b[key]
        kind = type(x)
        if kind is not type(y):
            return False
        if kind is Decimal:
            if x.compare_total(y):
                return False
        elif kind is str or kind is bool:
            if x != y:
                return False
        elif not _identical(x, y):
            return False
    return True


def _identical(a: Any, b: Any) -> bool:
    """Equal and spelled alike (``1.0`` and ``1.00`` are equal numbers shown differently);
    a value of any other kind is never taken as identical."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Decimal):
        return not a.compare_total(b)  # zero only when sign, digits and exponent match
    if a is None or isinstance(a, (str, bool, int)):
        return bool(a == b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_identical(v, b[k]) for k, v in a.items())
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(_identical, a, b))
    return False


def stack_location(stack: Stack) -> SourceRange:
    """Where a result about the whole stack points: its ``infercost`` block, or the start
    of its first file; never a policy pack, which is not part of the change under review."""
    return stack.settings.range


def _result(
    g: Guardrail,
    address: str,
    location: SourceRange | None,
    verdict: Verdict,
    status: Status,
    blocking: bool,
    was: Verdict | None,
    worse: str | None,
) -> GuardResult:
    return GuardResult(
        guardrail=g.name,
        target=address,
        severity=g.severity,
        status=status,
        blocking=blocking,
        message=verdict.message,
        location=location or g.range,
        scope=g.scope,
        description=g.description,
        condition=g.condition.text if g.condition else "",
        source=g.source,
        guardrail_location=g.range,
        values=verdict.values,
        base_values=was.values if was else None,
        worse=worse,
        shortfall=verdict.shortfall,
    )


def _scope(stack: Stack, g: Guardrail, attributes: dict[str, Any] | None) -> Scope:
    if g.source != "stack":  # policy packs know nothing of a stack's variables
        return Scope(allow_blocks=False, self_value=attributes)
    return Scope(
        variables={n: v.value for n, v in stack.variables.items()},
        local_values=dict(stack.locals),
        allow_blocks=False,
        self_value=attributes,
    )


class _Judge:
    """One guardrail on one side, compiled once and run against each of its targets
    (a large stack has tens of thousands of customers), inside the engine's context
    that :func:`check` holds around them all."""

    def __init__(self, g: Guardrail, stack: Stack, currency: str = "USD") -> None:
        assert g.condition is not None
        self.g = g
        self.stack = stack
        self.currency = currency
        self.condition = CompiledCondition(g.condition, _scope(stack, g, None))
        comparisons = _comparisons(g.condition)
        self.leaves = [
            (leaf, CompiledCondition(leaf.left, _scope(stack, g, None)),
             CompiledCondition(leaf.right, _scope(stack, g, None)))
            for leaf in comparisons or ()
        ]  # fmt: skip
        self.has_leaves = comparisons is not None
        # Each comparison's operator and sides: the name of a ``self`` attribute, or the
        # side compiled (what :meth:`amounts` reads of a failing target).
        self.sides = [
            (leaf.op, _self_name(leaf.left) or left, _self_name(leaf.right) or right)
            for leaf, left, right in self.leaves
        ]
        self.no_misses = tuple(ZERO for _ in self.leaves) if self.has_leaves else None
        # The self attribute each comparison measures: how its miss reads ("6.9 pts").
        self.kinds = tuple(
            _self_name(leaf.left) or _self_name(leaf.right) for leaf in comparisons or ()
        )
        # The message, compiled once like the condition, with numbers shown as views do.
        self.compiled_message = None
        if g.message is not None:
            scope = _scope(stack, g, None)
            self.compiled_message = CompiledCondition(
                g.message, scope, _MessageEvaluator(scope, number)
            )

    def verdict(self, t: Target, complete: bool = True) -> Verdict:
        """The verdict on one target; without ``complete``, a failing one is left
        :attr:`~Verdict.pending` (its message and misses made only if asked for)."""
        g = self.g
        assert g.condition is not None
        try:
            value, reads = self.condition.run_in_context(t.attributes)
        except MarginWithoutRevenue as exc:
            return Verdict(
                Status.FAIL,
                f"{g.name}: {t.address} has no revenue against COGS of "
                f"{money(exc.cogs, self.currency)}, so "
                f"its {exc.attribute.replace('_', ' ')} is below any floor",
                _visible(self.condition.evaluator.self_reads),
                (Decimal("Infinity"),),
                (exc.attribute,),
            )
        except NullRead as exc:
            reason = f"self.{exc.attribute} is null"
            if exc.attribute in CHANGE_ATTRIBUTES:
                reason += " (it needs a base: run with --base, --base-dir or --what-if)"
            elif t.unobserved is not None and (
                exc.attribute.startswith("observed_") or exc.attribute == "drift_pct"
            ):
                reason += f" (not observed: {t.unobserved})"
            elif exc.attribute in t.attributes and t.attributes[exc.attribute] is None:
                reason += " for this target"
            return Verdict(
                Status.SKIPPED,
                f"{g.name}: skipped for {t.address}: {reason}",
                _visible(self.condition.evaluator.self_reads),
            )
        if isinstance(value, Missing):
            value = None
        if not isinstance(value, bool):
            raise InfercostError(
                Diagnostic(
                    "Guardrail condition is not a bool",
                    f'The condition of guardrail "{g.name}" gave {a_type(value)} '
                    f"({excerpt(display(value))}) for {t.address}; it must be true or false.",
                    g.condition.range,
                    context=f'guardrail "{g.name}"',
                )
            )
        values = _visible(reads)
        if value:
            # Every comparison of a holding && chain holds: each misses by nothing. (Only a
            # failing verdict's amounts are read, by the ratchet; no need to run the leaves.)
            return Verdict(
                Status.PASS, f"{g.name}: holds for {t.address}", values, self.no_misses, self.kinds
            )
        if not complete:
            return Verdict(Status.FAIL, "", values, None, self.kinds, pending=True)
        return Verdict(Status.FAIL, self.message(t, values), values, self.amounts(t), self.kinds)

    def complete(self, verdict: Verdict, t: Target) -> Verdict:
        """A pending failing verdict with its message and misses, as :meth:`verdict`
        would have made them for ``t``."""
        if not verdict.pending:
            return verdict
        values = verdict.values
        return Verdict(Status.FAIL, self.message(t, values), values, self.amounts(t), self.kinds)

    def with_amounts(self, verdict: Verdict, t: Target) -> Verdict:
        """A pending failing verdict with its misses (all the ratchet reads of it)."""
        v = verdict
        return Verdict(v.status, v.message, v.values, self.amounts(t), v.kinds, v.pending)

    def message(self, t: Target, values: dict[str, Any]) -> str:
        g = self.g
        if self.compiled_message is not None:
            try:
                text, _ = self.compiled_message.run_in_context(t.attributes)
                if isinstance(text, str):
                    return text
            except InfercostError:
                pass  # a message that cannot be built must not hide the violation
        read = ", ".join(f"{k} = {named(k, v, self.currency)}" for k, v in values.items())
        return (
            f"{g.name}: {g.condition.text if g.condition else ''} does not hold for {t.address}"
            + (f" ({read})" if read else "")
        )

    def amounts(self, t: Target) -> tuple[Decimal, ...] | None:
        """How far each comparison of an ``&&`` chain misses; None when the shape is other."""
        if not self.has_leaves:
            return None
        out = []
        attributes = t.attributes
        for op, left, right in self.sides:
            # A side that is ``self.NAME`` is read straight from the attributes: a null,
            # a margin without revenue or an unknown name is not a number either way.
            try:
                a = _side(left, attributes)
                b = _side(right, attributes)
            except InfercostError:
                return None
            if type(a) is not Decimal or type(b) is not Decimal:
                return None
            miss = b - a if op in (">", ">=") else a - b  # in check's exact context
            out.append(max(miss, ZERO))
        return tuple(out)


class _MessageEvaluator(Evaluator):
    """Evaluates a guardrail's ``message``: numbers read as every view shows them, and a
    percentage read straight from ``self`` (``${self.cogs_change_pct}%``) with the one
    decimal every percentage has."""

    def _stringify(self, value: Any, expr: s.Expr) -> str:
        if isinstance(value, Decimal) and _self_name(expr).endswith("_pct"):
            return pct(value).removesuffix("%")
        return str(super()._stringify(value, expr))


def _side(side: str | CompiledCondition, attributes: dict[str, Any]) -> Any:
    """A comparison side's value: ``self.NAME`` read from the attributes, else run."""
    if type(side) is str:
        return attributes.get(side)
    assert isinstance(side, CompiledCondition)
    return side.run_in_context(attributes)[0]


def _visible(reads: dict[str, Any]) -> dict[str, Any]:
    hidden = Missing | NoRevenue
    for v in reads.values():
        if isinstance(v, hidden):
            return {k: (None if isinstance(v, hidden) else v) for k, v in reads.items()}
    return reads  # the common case: every value read is shown as it is


def _self_name(expr: s.Expr) -> str:
    """``margin`` for ``self.margin`` (on either side of a comparison), else ""."""
    if (
        isinstance(expr, s.GetAttr)
        and isinstance(expr.target, s.Name)
        and expr.target.name == "self"
    ):
        return expr.name
    return ""


def _comparisons(condition: s.Expr | None) -> list[s.Binary] | None:
    """The comparisons of an ``&&`` chain of comparisons, or None for any other shape."""
    leaves: list[s.Binary] = []

    def walk(expr: s.Expr) -> bool:
        if isinstance(expr, s.Binary) and expr.op == "&&":
            return walk(expr.left) and walk(expr.right)
        if isinstance(expr, s.Binary) and expr.op in ("<", ">", "<=", ">="):
            leaves.append(expr)
            return True
        return False

    if condition is None or not walk(condition):
        return None
    return leaves


# -- ratchet and waivers --------------------------------------------------------------------
def _ratchet(
    now: Verdict,
    was: Verdict | None,
    severity: str,
    strict: bool,
    has_base: bool,
    currency: str = "USD",
) -> tuple[Status, bool, str | None]:
    """(status, blocking, why worse) for one result."""
    if now.status != "fail":
        return now.status, False, None
    can_block = severity == "error"
    if not has_base or was is None or was.status != "fail":
        return Status.FAIL, can_block, None
    worse = _worse(now, was, currency)
    if worse:
        return Status.FAIL, can_block, worse
    return Status.EXISTING, can_block and strict, None


def _worse(now: Verdict, was: Verdict, currency: str = "USD") -> str | None:
    if now.amounts is not None and was.amounts is not None and len(now.amounts) == len(was.amounts):
        grew = [i for i, (a, b) in enumerate(zip(now.amounts, was.amounts, strict=True)) if a > b]
        if grew:

            def kind(i: int) -> str:
                return now.kinds[i] if i < len(now.kinds) else ""

            return "the violation grew: it now misses by " + ", ".join(
                f"{miss(now.amounts[i], kind(i), currency)} "
                f"(was {miss(was.amounts[i], kind(i), currency)})"
                for i in grew
            )
        return None
    changed = [k for k in now.values if now.values.get(k) != was.values.get(k)]
    if changed:
        return "values it reads changed: " + ", ".join(
            f"{k} {named(k, was.values.get(k), currency)} → {named(k, now.values.get(k), currency)}"
            for k in changed
        )
    return None


def _apply_waivers(
    results: list[GuardResult], stack: Stack, today: date, currency: str = "USD"
) -> tuple[list[GuardResult], list[Diagnostic]]:
    warnings: list[Diagnostic] = []
    by_key = {(w.guardrail, w.target): w for w in stack.waivers.values()}
    used: set[str] = set()
    out = []
    for r in results:
        w = by_key.get((r.guardrail, r.target))
        if w is None:
            out.append(r)
            continue
        used.add(w.name)
        expired = today > w.until
        if expired:
            warnings.append(
                Diagnostic(
                    "Waiver expired",
                    f'waiver "{w.name}" for {w.guardrail} on {w.target} expired on '
                    f"{w.until.isoformat()}; the rule applies again.",
                    w.range,
                    Severity.WARNING,
                )
            )
        if not r.violated:
            out.append(r)  # nothing to excuse; an expired waiver is still reported above
            continue
        exceeded = None if expired else _past_the_line(r, w.max_shortfall, currency)
        if exceeded is not None:
            warnings.append(
                Diagnostic(
                    "Waiver no longer holds",
                    f'waiver "{w.name}" for {w.guardrail} on {w.target}: {exceeded}; '
                    "the rule applies again.",
                    w.at("max_shortfall"),
                    Severity.WARNING,
                )
            )
        use = WaiverUse(
            w.name,
            w.reason,
            w.until,
            expired,
            w.range,
            max_shortfall=w.max_shortfall,
            max_shortfall_text=None
            if w.max_shortfall is None
            else miss(w.max_shortfall, r.shortfall[1] if r.shortfall else "", currency),
            exceeded=exceeded,
            max_shortfall_location=w.at("max_shortfall") if w.max_shortfall is not None else None,
        )
        if expired or exceeded is not None:
            # As if there were no waiver: a new or worse violation blocks, an existing one
            # stays existing; every view says the waiver's line was crossed.
            out.append(replace(r, waiver=use))
        else:
            out.append(replace(r, status=Status.WAIVED, blocking=False, waiver=use))
    for w in stack.waivers.values():
        if w.name not in used:
            warnings.append(
                Diagnostic(
                    "Waiver matches nothing",
                    f'waiver "{w.name}" names guardrail "{w.guardrail}" and target "{w.target}", '
                    "but no check result has that pair; remove it or fix the names.",
                    w.range,
                    Severity.WARNING,
                )
            )
    return out, warnings


def _past_the_line(r: GuardResult, limit: Decimal | None, currency: str) -> str | None:
    """Why a waiver with ``max_shortfall`` no longer excuses ``r``, or None while it does."""
    if limit is None:
        return None
    if r.shortfall is None:
        return (
            "its max_shortfall cannot be measured for this condition (only comparisons "
            "joined by && have a shortfall), so it does not excuse the violation"
        )
    amount, kind = r.shortfall
    if amount <= limit:
        return None
    return (
        f"the violation now misses by {miss(amount, kind, currency)}, more than the "
        f"{miss(limit, kind, currency)} the waiver allows (max_shortfall)"
    )
