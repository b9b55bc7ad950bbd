"""JUnit XML for CI test reports: every (guardrail, target) is a test case.

``classname`` is the guardrail and ``name`` the target, so CI systems group the cases
by rule. A ``fail`` is a failure (whether or not it blocks: the failure's ``type`` says
``blocking`` or ``not-blocking``), and so is an ``existing`` violation that blocks under
``--strict``. A skipped result is skipped with its reason. An existing or waived
violation that does not block passes, with a ``system-out`` saying so, so the report's
pass/fail agrees with the gate.

The XML is built with ElementTree, which escapes markup; characters XML 1.0 cannot hold
at all (most control characters) are written as visible escapes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from infercost.guard.results import CheckResult, GuardResult
from infercost.render.check_view import headline, message, note, values_text, verdict, where

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SUITE = "infercost check"


def xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _failure_kind(r: GuardResult) -> str | None:
    if r.status == "fail" or (r.status == "existing" and r.blocking):
        return "failure"
    if r.status == "skipped":
        return "skipped"
    return None


def render(result: CheckResult) -> str:
    tests = len(result.results)
    failures = sum(1 for r in result.results if _failure_kind(r) == "failure")
    skipped = sum(1 for r in result.results if _failure_kind(r) == "skipped")
    counts = {
        "tests": str(tests),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
        "time": "0",
    }
    root = ET.Element("testsuites", {"name": "infercost", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": SUITE, **counts})
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("currency", result.currency),
        ("period", result.period),
        ("usage_period", result.usage_period or ""),
        ("base", result.base_label or ""),
        ("strict", "true" if result.strict else "false"),
        ("passed", "true" if result.passed else "false"),
        ("verdict", verdict(result)),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": xml_text(value)})
    for r in result.results:
        suite.append(_case(r, result.currency))
    ET.SubElement(suite, "system-out").text = xml_text(f"{verdict(result)}\n{headline(result)}\n")
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _case(r: GuardResult, currency: str) -> ET.Element:
    attributes = {"classname": xml_text(r.guardrail), "name": xml_text(r.target), "time": "0"}
    location = r.location or r.guardrail_location
    if location is not None:
        attributes["file"] = xml_text(location.filename)
        attributes["line"] = str(location.start.line)
    case = ET.Element("testcase", attributes)
    details = _details(r, currency)
    kind = _failure_kind(r)
    if kind == "failure":
        failure = ET.SubElement(
            case,
            "failure",
            {
                "message": xml_text(message(r)),
                "type": "blocking" if r.blocking else "not-blocking",
            },
        )
        failure.text = xml_text(details)
    elif kind == "skipped":
        ET.SubElement(case, "skipped", {"message": xml_text(message(r))})
    elif r.status in ("existing", "waived"):
        label = "existing violation" if r.status == "existing" else "waived violation"
        ET.SubElement(case, "system-out").text = xml_text(
            f"{label} (not blocking): {message(r)}\n{details}"
        )
    return case


def _details(r: GuardResult, currency: str) -> str:
    lines = [
        f"guardrail: {r.guardrail} ({r.scope}, severity {r.severity}, from {r.source})",
        f"target: {r.target}",
        f"status: {r.status}{' (blocking)' if r.blocking else ''}",
    ]
    if r.condition:
        lines.append(f"condition: {r.condition}")
    values = values_text(r, currency)
    if values:
        lines.append(f"values: {values}")
    extra = note(r)
    if extra:
        lines.append(extra)
    at = where(r.location or r.guardrail_location)
    if at:
        lines.append(f"at: {at}")
    return "\n".join(lines) + "\n"
