"""SARIF 2.1.0 for code scanning: one rule per guardrail, one result per violation.

Only violations are results (``fail``, ``existing`` and ``waived``): a pass or a skip is
not a finding. Levels follow the gate, not the guardrail's severity alone: ``error``
when the result blocks, ``warning`` for a failure that does not, ``note`` for an
existing or waived violation; a waived one also carries an external suppression with
the waiver's reason. With a base, ``baselineState`` is ``unchanged`` for an existing
violation and ``new`` otherwise.

Paths are relative to the repository root under ``%SRCROOT%``, as code scanning expects;
a file outside the repository (a policy pack installed with infercost) keeps an
absolute ``file:`` URI. ``partialFingerprints`` hash the guardrail and the target only,
so an alert survives edits that move its line.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import quote

from infercost import __version__
from infercost.errors import SourceRange
from infercost.guard.results import CheckResult, GuardResult
from infercost.render.check_view import message, note, values_text
from infercost.render.json_encoding import dumps

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/infercost/infercost"
HELP_URI = "https://github.com/infercost/infercost/blob/main/docs/ci.md"
SRCROOT = "%SRCROOT%"
FINGERPRINT = "infercostGuardrailTarget/v1"
REPORTED = ("fail", "existing", "waived")
IMPLICIT = "target_margin"


def render(result: CheckResult, repo_root: Path | None) -> str:
    root = (repo_root if repo_root is not None else Path.cwd()).resolve()
    cwd = Path.cwd()
    rules: dict[str, dict[str, Any]] = {}
    for r in result.results:
        if r.guardrail not in rules:
            rules[r.guardrail] = _rule(r)
    index = {name: i for i, name in enumerate(rules)}
    reported = [r for r in result.results if r.status in REPORTED]
    kept, omitted = _cap(reported)
    results = [_result(r, index[r.guardrail], result, root, cwd) for r in kept]
    document: dict[str, Any] = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "infercost",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": list(rules.values()),
                    }
                },
                "originalUriBaseIds": {
                    SRCROOT: {
                        "uri": root.as_uri().rstrip("/") + "/",
                        "description": {"text": "The root of the repository."},
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": {
                    "currency": result.currency,
                    "period": result.period,
                    "usage_period": result.usage_period,
                    "base": result.base_label,
                    "strict": result.strict,
                    "passed": result.passed,
                    "summary": result.summary,
                },
            }
        ],
    }
    if omitted:
        run: dict[str, Any] = document["runs"][0]
        run["properties"]["omitted_results"] = _omitted(omitted)
        run["invocations"] = [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {
                        "level": "note",
                        "message": {
                            "text": f"{len(omitted)} of {len(reported)} results are left out: "
                            f"code scanning accepts at most {MAX_RESULTS} per run. Blocking "
                            "violations come first; run properties count the rest by "
                            "guardrail and status, and check -o json lists every result."
                        },
                    }
                ],
            }
        ]
    return dumps(document)


# GitHub code scanning rejects a run with more results than this.
MAX_RESULTS = 25_000


def _cap(reported: list[GuardResult]) -> tuple[list[GuardResult], list[GuardResult]]:
    """At most MAX_RESULTS results, the most important kept: blocking first, then new
    violations, existing ones, waived ones; the kept ones stay in their order."""
    if len(reported) <= MAX_RESULTS:
        return reported, []
    rank = {"fail": 0, "existing": 1, "waived": 2}
    order = sorted(
        range(len(reported)),
        key=lambda i: (not reported[i].blocking, rank.get(reported[i].status, 3), i),
    )
    keep = set(order[:MAX_RESULTS])
    kept = [r for i, r in enumerate(reported) if i in keep]
    omitted = [r for i, r in enumerate(reported) if i not in keep]
    return kept, omitted


def _omitted(omitted: list[GuardResult]) -> dict[str, Any]:
    by_rule: dict[str, dict[str, int]] = {}
    for r in omitted:
        counts = by_rule.setdefault(r.guardrail, {})
        counts[r.status] = counts.get(r.status, 0) + 1
    return {
        "count": len(omitted),
        "limit": MAX_RESULTS,
        "blocking": sum(1 for r in omitted if r.blocking),
        "by_guardrail": dict(sorted(by_rule.items())),
    }


def _rule(r: GuardResult) -> dict[str, Any]:
    short = r.description or r.condition or f"Guardrail {r.guardrail}"
    condition = r.condition
    if r.guardrail == IMPLICIT:
        # One rule for every feature's own target: its text must not name one feature.
        short = "Every feature with a target_margin keeps a gross margin at or above it"
        condition = "self.margin >= self.target_margin"
    lines = [short, ""]
    if condition:
        lines.append(f"Condition: {condition}")
    lines.append(f"Scope: {r.scope}. Severity: {r.severity}. Defined in: {r.source}.")
    lines += [
        "",
        "An error-severity violation blocks the change unless it already held on the base "
        "and did not get worse; a warning never blocks. A waiver in the stack may accept "
        "a violation until a date.",
    ]
    rule: dict[str, Any] = {
        "id": r.guardrail,
        "name": r.guardrail,
        "shortDescription": {"text": short},
        "fullDescription": {
            "text": f"{short} ({condition})" if condition and short != condition else short
        },
        "helpUri": HELP_URI,
        "help": {"text": "\n".join(lines)},
        "defaultConfiguration": {"level": "error" if r.severity == "error" else "warning"},
        "properties": {
            "tags": ["infercost", "cost", r.scope],
            "scope": r.scope,
            "source": r.source,
        },
    }
    return rule


def _level(r: GuardResult) -> str:
    if r.blocking:
        return "error"
    if r.status in ("existing", "waived"):  # known and accepted: not a new finding
        return "note"
    return "warning"


def fingerprint(r: GuardResult) -> str:
    """Stable across runs and line moves: the identity of a violation, hashed."""
    return hashlib.sha256(f"{r.guardrail}\0{r.target}".encode()).hexdigest()


def _result(
    r: GuardResult, rule_index: int, check: CheckResult, root: Path, cwd: Path
) -> dict[str, Any]:
    text = message(r) or f"{r.target} violates {r.guardrail}"
    extra = note(r)
    values = values_text(r, check.currency)
    if values:
        text += f" (values: {values})"
    if extra:
        text += f". {extra[0].upper()}{extra[1:]}"
        text += "" if text.endswith((".", "!", "?")) else "."
    out: dict[str, Any] = {
        "ruleId": r.guardrail,
        "ruleIndex": rule_index,
        "level": _level(r),
        "message": {"text": text},
    }
    primary = r.location or r.guardrail_location
    if primary is not None:
        out["locations"] = [_location(primary, root, cwd, r.target)]
    if r.guardrail_location is not None and r.location is not None:
        related = _location(r.guardrail_location, root, cwd, None)
        related["id"] = 1
        related["message"] = {"text": f"guardrail {r.guardrail} is defined here"}
        out["relatedLocations"] = [related]
    out["partialFingerprints"] = {FINGERPRINT: fingerprint(r)}
    if check.base_label is not None:
        out["baselineState"] = "unchanged" if r.status == "existing" else "new"
    if r.status == "waived" and r.waiver is not None:
        out["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": r.waiver.reason,
                "location": _location(r.waiver.location, root, cwd, None),
                "properties": {
                    "waiver": r.waiver.name,
                    "until": r.waiver.until.isoformat(),
                },
            }
        ]
    properties: dict[str, Any] = {
        "target": r.target,
        "status": r.status,
        "severity": r.severity,
        "blocking": r.blocking,
        "values": dict(r.values),
    }
    if r.base_values is not None:
        properties["base_values"] = dict(r.base_values)
    if r.worse:
        properties["worse"] = r.worse
    if r.waiver is not None:
        properties["waiver"] = {
            "name": r.waiver.name,
            "reason": r.waiver.reason,
            "until": r.waiver.until.isoformat(),
            "expired": r.waiver.expired,
        }
        if r.waiver.max_shortfall is not None:
            properties["waiver"]["max_shortfall"] = r.waiver.max_shortfall
            properties["waiver"]["exceeded"] = r.waiver.exceeded
    out["properties"] = properties
    return out


def artifact_uri(filename: str, root: Path, cwd: Path) -> tuple[str, str | None]:
    """(uri, uriBaseId): relative to the repository root when the file is inside it."""
    path = (cwd / filename).resolve()
    try:
        relative = path.relative_to(root)
    except ValueError:
        return path.as_uri(), None
    return quote(relative.as_posix(), safe="/"), SRCROOT


def _location(rng: SourceRange, root: Path, cwd: Path, target: str | None) -> dict[str, Any]:
    uri, base = artifact_uri(rng.filename, root, cwd)
    artifact: dict[str, Any] = {"uri": uri}
    if base is not None:
        artifact["uriBaseId"] = base
    region: dict[str, Any] = {"startLine": max(rng.start.line, 1)}
    if rng.start.column >= 1:
        region["startColumn"] = rng.start.column
    if (rng.end.line, rng.end.column) > (rng.start.line, rng.start.column):
        region["endLine"] = rng.end.line
        if rng.end.column >= 1:
            region["endColumn"] = rng.end.column
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": artifact, "region": region}
    }
    if target is not None:
        location["logicalLocations"] = [{"fullyQualifiedName": target, "kind": "object"}]
    return location
