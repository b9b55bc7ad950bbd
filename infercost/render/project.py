"""Views of a project run: every stack's own view, wrapped, and a table of stacks.

A project view never re-implements a stack's view: the text, Markdown, SARIF, JUnit and
GitHub views of each stack are the single-stack renderers' output, so a change to those
shows up here unchanged. What is drawn here is only the project's part: the table of
stacks (COGS before → after, margin, verdict), the totals, and the frame that holds
the stacks' bodies (folded ``<details>`` in the comment, one SARIF run and one JUnit
suite per stack).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path
from typing import Any

from infercost.app.breakdown import BreakdownRun
from infercost.app.check import CheckRun
from infercost.app.plan import PlanRun
from infercost.app.project import ProjectRun, StackOutcome, compared
from infercost.app.validate import Validation
from infercost.config.loader import display_path
from infercost.cost.breakdown import Totals
from infercost.errors import Severity
from infercost.render import (
    breakdown_text,
    check_github,
    check_junit,
    check_sarif,
    check_text,
    markdown,
    plan_text,
)
from infercost.render.check_view import headline, plural
from infercost.render.diagnostics import diagnostics_fields
from infercost.render.documents import (
    FORMAT_VERSION,
    breakdown_document,
    check_document,
    plan_document,
    totals_fields,
)
from infercost.render.formatting import Style, money, percent
from infercost.render.json_encoding import dumps
from infercost.render.table import table

# -- words shared by every view ---------------------------------------------------------


def one_line(text: str) -> str:
    """A path or message on one line: control characters shown escaped, so a directory
    name cannot start a line of its own in a CI log (``::error``) or break a table."""
    return "".join(f"\\x{ord(ch):02x}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch for ch in text)


def shown(path: Path) -> str:
    return one_line(display_path(path))


def verdict(outcome: StackOutcome) -> str:
    """One stack's outcome in a few words, for the table of stacks."""
    if outcome.failed:
        return "error"
    result = outcome.result
    if isinstance(result, Validation):
        return "valid"
    if isinstance(result, CheckRun):
        words = headline(result.result)
        if outcome.lifecycle == "delete":
            return "deleted"
        return ("created: " if outcome.lifecycle == "create" else "") + words
    plan = outcome.plan
    if plan is not None:
        if outcome.lifecycle == "create":
            return "created"
        if outcome.lifecycle == "delete":
            return "deleted"
        if not plan.has_changes:
            return "no change"
        counts = [
            f"{plan.count(a)} {word}"
            for a, word in (("create", "created"), ("update", "updated"), ("delete", "deleted"))
            if plan.count(a)
        ]
        return "changed" + (f" ({', '.join(counts)})" if counts else "")
    return ""


def mark(outcome: StackOutcome) -> str:
    if outcome.failed:
        return "⚠️"
    if outcome.blocking:
        return "❌"
    return "✅"


def _figures(outcome: StackOutcome) -> tuple[Totals | None, Totals | None, str] | None:
    """(before, after, currency) of a stack, None when it has no figures."""
    plan = outcome.plan
    if plan is not None:
        before = plan.totals_before if plan.base is not None else None
        return before, plan.totals_after, plan.currency
    b = outcome.breakdown
    if b is not None:
        return None, b.totals, b.currency
    return None


def _cogs(before: Totals | None, after: Totals | None, currency: str, compared: bool) -> str:
    shown_after = money(after.cogs, currency) if after is not None else "—"
    if not compared:
        return shown_after
    shown_before = money(before.cogs, currency) if before is not None else "—"
    return f"{shown_before} → {shown_after}"


def _margin(before: Totals | None, after: Totals | None, compared: bool) -> str:
    after_text = percent(after.margin) if after is not None else "—"
    if not compared:
        return after_text
    before_text = percent(before.margin) if before is not None else "—"
    return f"{before_text} → {after_text}"


def _compared(run: ProjectRun) -> bool:
    return compared(run.args)


def _rows(run: ProjectRun) -> list[tuple[StackOutcome, str, str, str]]:
    compared = _compared(run)
    rows = []
    for o in run.stacks:
        figures = _figures(o)
        if figures is None:
            rows.append((o, "—", "—", verdict(o)))
            continue
        before, after, currency = figures
        if o.lifecycle == "delete":
            after = None
        rows.append(
            (
                o,
                _cogs(before, after, currency, compared),
                _margin(before, after, compared),
                verdict(o),
            )
        )
    return rows


def _totals_row(run: ProjectRun) -> tuple[str, str] | None:
    t = run.totals
    if t is None:
        return None
    compared = _compared(run)
    return _cogs(t.before, t.after, t.currency, compared), _margin(t.before, t.after, compared)


def outcome_line(run: ProjectRun) -> str:
    """The project's verdict: errors first, then blocking violations, then the rest."""
    n = len(run.stacks)
    failed = [o.name for o in run.stacks if o.failed]
    if failed:
        return f"{plural(len(failed), 'stack')} of {n} failed to run: {', '.join(failed)}."
    if run.command == "check":
        blocking = [o.name for o in run.stacks if o.blocking]
        if blocking:
            return (
                f"Check failed in {plural(len(blocking), 'stack')} of {n}: {', '.join(blocking)}."
            )
        return f"Check passed in all {plural(n, 'stack')}."
    if run.command == "plan":
        changed = [o.name for o in run.stacks if o.changed or o.lifecycle]
        if not changed:
            return f"No changes in {plural(n, 'stack')}."
        return f"{plural(len(changed), 'stack')} of {n} changed: {', '.join(changed)}."
    if run.command == "validate":
        if n == 1:
            return "The stack is valid."
        return f"All {plural(n, 'stack')} are valid."
    return f"{plural(n, 'stack')} priced."


# -- text ---------------------------------------------------------------------------------


def _stack_text(o: StackOutcome, style: Style) -> str:
    r = o.result
    if r is None:
        return "Failed to run; the errors are printed below.\n"
    if isinstance(r, Validation):
        return (r.summary + "\n") if r.valid else "Invalid; the errors are printed below.\n"
    if isinstance(r, BreakdownRun):
        return breakdown_text.render(r.breakdown, style, r.stack.directory)
    if isinstance(r, PlanRun):
        return plan_text.render(r.plan, style, display_path(o.stack.path), r.priced.usage_label)
    return check_text.render(r.result, style)


def text(run: ProjectRun, style: Style) -> str:
    out = [
        style.bold(f"Project {display_path(run.project.file)}: {plural(len(run.stacks), 'stack')}"),
        "",
    ]
    for o in run.stacks:
        title = f'── stack "{o.name}" ({shown(o.stack.path)})'
        if o.lifecycle:
            title += f" [{'created' if o.lifecycle == 'create' else 'deleted'}]"
        out.append(style.bold(title + " ──"))
        out.append(_stack_text(o, style).rstrip("\n"))
        out.append("")
    if run.command != "validate":
        header = ["Stack", "COGS", "Margin", "Result"]
        if _compared(run):
            header[1], header[2] = "COGS before → after", "Margin before → after"
        rows = [header] + [[o.name, c, m, v] for o, c, m, v in _rows(run)]
        totals = _totals_row(run)
        if totals is not None:
            rows.append(["Total", totals[0], totals[1], ""])
        else:
            rows.append(["Total", "n/a (see the warning)", "", ""])
        if not any(row[3] for row in rows[1:]):  # breakdown judges nothing
            rows = [row[:3] for row in rows]
        out += table(rows)
        out.append("")
    out.append(outcome_line(run))
    return "\n".join(out) + "\n"


# -- JSON ---------------------------------------------------------------------------------


def _stack_document(o: StackOutcome) -> dict[str, Any] | None:
    r = o.result
    if r is None:
        return None
    if isinstance(r, Validation):
        errors = [d for d in r.diagnostics if d.severity == Severity.ERROR]
        return {
            "format_version": FORMAT_VERSION,
            "valid": not errors,
            "error_count": len(errors),
            "warning_count": len(r.diagnostics) - len(errors),
            "diagnostics": diagnostics_fields(r.diagnostics),
        }
    if isinstance(r, BreakdownRun):
        return breakdown_document(r.breakdown, r.diagnostics)
    if isinstance(r, PlanRun):
        return plan_document(r.plan, r.diagnostics)
    return check_document(r.result, r.diagnostics)


def _delta_fields(d: Any) -> dict[str, Any] | None:
    if d is None:
        return None
    return {"cogs": d.cogs, "cogs_pct": d.cogs_pct, "margin_points": d.margin_points}


def document(run: ProjectRun) -> dict[str, Any]:
    """The ``stacks[]`` document (infercost/schemas/project.schema.json)."""
    t = run.totals
    return {
        "format_version": FORMAT_VERSION,
        "command": run.command,
        "project": display_path(run.project.file),
        "currency": t.currency if t else None,
        "period": t.period if t else None,
        "passed": run.passed if run.command == "check" else None,
        "has_changes": run.has_changes if compared(run.args) else None,
        "totals": None
        if t is None
        else {
            "before": totals_fields(t.before) if t.before is not None else None,
            "after": totals_fields(t.after),
            "change": _delta_fields(t.change),
        },
        "stacks": [
            {
                "name": o.name,
                "path": display_path(o.stack.path),
                "lifecycle": o.lifecycle,
                "failed": o.failed,
                "blocking": o.blocking,
                "document": _stack_document(o),
                "diagnostics": diagnostics_fields(o.diagnostics),
            }
            for o in run.stacks
        ],
        "diagnostics": diagnostics_fields(run.diagnostics),
    }


def json_view(run: ProjectRun, _style: Style) -> str:
    return dumps(document(run))


# -- Markdown -----------------------------------------------------------------------------


def _body(o: StackOutcome) -> str:
    """A stack's own comment body, without its marker (the project's comment has one)."""
    r = o.result
    if isinstance(r, CheckRun):
        body = markdown.check_comment(r.result, o.diagnostics)
    elif isinstance(r, PlanRun):
        body = markdown.plan_comment(r.plan)
    else:
        lines = [
            f"- {markdown.escape(d.summary)}: {markdown.escape(d.detail)}" for d in o.diagnostics
        ]
        body = "Failed to run:\n\n" + "\n".join(lines) + "\n"
    first, _, rest = body.partition("\n")
    return (rest if first.strip() == markdown.MARKER else body).strip("\n")


def markdown_view(run: ProjectRun, _style: Style) -> str:
    esc = markdown.escape
    t = run.totals
    failed = any(o.failed for o in run.stacks)
    if run.command == "check":
        icon = "⚠️" if failed else ("✅" if run.passed else "❌")
        title = f"### {icon} infercost check: {esc(outcome_line(run))}"
    else:
        icon = "⚠️" if failed else "📊"
        title = f"### {icon} infercost {run.command}: {esc(outcome_line(run))}"
    out = [markdown.MARKER, title, ""]
    period = f" · {esc(t.currency)} per {esc(t.period)}" if t else ""
    count = plural(len(run.stacks), "stack")
    out.append(f"Project {esc(display_path(run.project.file))} · {count}{period}")
    out.append("")
    figures = "COGS before → after | Margin before → after" if _compared(run) else "COGS | Margin"
    out.append(f"| | Stack | {figures} | Verdict |")
    out.append("|---|---|---:|---:|---|")
    for o, cogs, margin_text, words in _rows(run):
        out.append(f"| {mark(o)} | {esc(o.name)} | {cogs} | {margin_text} | {esc(words)} |")
    totals = _totals_row(run)
    if totals is not None:
        out.append(f"| | **Total** | **{totals[0]}** | **{totals[1]}** | |")
    out.append("")
    if t is None:
        refused = [d for d in run.diagnostics if d.summary == "No project totals"]
        out.append(
            "> [!WARNING]\n> " + (esc(refused[0].detail) if refused else "No project totals.")
        )
        out.append("")
    for o in run.stacks:
        summary = f"{mark(o)} {esc(o.name)} ({esc(display_path(o.stack.path))}): {esc(verdict(o))}"
        out += ["<details>", f"<summary>{summary}</summary>", "", _body(o), "", "</details>", ""]
    return markdown.truncate_middle("\n".join(out).rstrip("\n") + "\n")


# -- SARIF, JUnit, GitHub -----------------------------------------------------------------


def sarif_view(run: ProjectRun, _style: Style) -> str:
    """One SARIF run per stack, each with its own category so code scanning keeps them
    apart; a stack that failed to run is a run whose invocation did not succeed."""
    from infercost import __version__
    from infercost.vcs import repository_root

    root = repository_root(run.project.directory) or run.project.root
    runs: list[Any] = []
    for o in run.stacks:
        check = o.check
        if check is not None:
            one = json.loads(check_sarif.render(check, root), parse_float=Decimal)["runs"][0]
        else:
            one = {
                "tool": {"driver": {"name": "infercost", "version": __version__, "rules": []}},
                "results": [],
                "invocations": [
                    {
                        "executionSuccessful": False,
                        "toolExecutionNotifications": [
                            {"level": "error", "message": {"text": f"{d.summary}: {d.detail}"}}
                            for d in o.diagnostics
                            if d.severity == Severity.ERROR
                        ],
                    }
                ],
            }
        one["automationDetails"] = {"id": f"infercost/{o.name}/"}
        one.setdefault("properties", {})["stack"] = o.name
        runs.append(one)
    return dumps({"$schema": check_sarif.SCHEMA, "version": "2.1.0", "runs": runs})


def junit_view(run: ProjectRun, _style: Style) -> str:
    root = ET.Element("testsuites", {"name": "infercost"})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for o in run.stacks:
        check = o.check
        if check is not None:
            parsed = ET.fromstring(check_junit.render(check).split("\n", 1)[1])
            suite = parsed.find("testsuite")
            assert suite is not None
            suite.set("name", f"{check_junit.SUITE}: {check_junit.xml_text(o.name)}")
        else:
            suite = ET.Element(
                "testsuite",
                {
                    "name": f"{check_junit.SUITE}: {check_junit.xml_text(o.name)}",
                    "tests": "1",
                    "failures": "0",
                    "errors": "1",
                    "skipped": "0",
                    "time": "0",
                },
            )
            case = ET.SubElement(
                suite, "testcase", {"classname": "infercost", "name": "run", "time": "0"}
            )
            problems = [d for d in o.diagnostics if d.severity == Severity.ERROR]
            error = ET.SubElement(
                case,
                "error",
                {"message": check_junit.xml_text(problems[0].summary if problems else "error")},
            )
            error.text = check_junit.xml_text(
                "\n".join(f"{d.summary}: {d.detail}" for d in problems) + "\n"
            )
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
        root.append(suite)
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", "0")
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def github_view(run: ProjectRun, _style: Style) -> str:
    return "".join(
        check_github.render(o.check, o.diagnostics) for o in run.stacks if o.check is not None
    )
