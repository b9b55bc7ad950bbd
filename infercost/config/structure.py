"""Structural validation of a parsed file against the language's JSON Schema.

The schema (``schema.json``, Draft 2020-12) is the single statement of which blocks
exist, how many labels they take and which arguments they accept. A body is turned into
a small JSON instance — arguments as the marker ``"="``, blocks as lists of
``{labels, body}`` — validated, and each schema error is mapped back to the node that
caused it, so the user sees a located, Terraform-style diagnostic with a "did you mean".

Almost every file is valid, and a general JSON Schema validator spends most of a large
file's check resolving references and building the instance. So the verdict comes first
from :func:`conforms`: the same schema read once into a table of rules (arguments,
block types, label counts and patterns, required names) and walked over the syntax tree
directly, about ten times faster. Only a file it rejects goes to the schema validator,
whose errors become the messages; a test checks that both agree on every verdict.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from infercost.config import syntax as s
from infercost.errors import Diagnostic, InfercostError, SourceRange, did_you_mean
from infercost.invisible import quoted_line

ARG = "="


@functools.cache
def language_schema() -> dict[str, Any]:
    text = resources.files("infercost.config").joinpath("schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator(root: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = dict(language_schema())
    schema["$ref"] = f"#/$defs/{root}"
    return Draft202012Validator(schema)


def instance(body: s.Body) -> dict[str, Any]:
    out: dict[str, Any] = {name: ARG for name in body.attributes}
    for block in body.blocks:
        out.setdefault(block.type, []).append(
            {"labels": list(block.labels), "body": instance(block.body)}
        )
    return out


def check_structure(body: s.Body, root: str = "stack") -> None:
    """Raise one diagnostic per structural problem (all of them, in source order)."""
    if conforms(body, root):
        return
    validator = _validator(root)
    errors = list(validator.iter_errors(instance(body)))
    if not errors:
        return
    diagnostics = []
    for error in errors:
        diagnostics.extend(_translate(error, body, root))
    unique: dict[tuple[str, SourceRange | None], Diagnostic] = {}
    for d in diagnostics:
        key = (d.summary, d.range)
        unique.setdefault(key, d)
    ordered = sorted(
        unique.values(),
        key=lambda d: (d.range.filename, d.range.start) if d.range else ("", None),
    )
    raise InfercostError(*ordered)


def _resolve(body: s.Body, path: list[Any]) -> tuple[s.Body, s.Block | None, list[Any]]:
    """Walk a schema error path back to the innermost body and block it points into."""
    block: s.Block | None = None
    i = 0
    while i + 2 < len(path) + 0 and path[i + 2] == "body":
        block = body.blocks_of(path[i])[path[i + 1]]
        body = block.body
        i += 3
    return body, block, path[i:]


def _schema_for(root: str, block_path: list[str]) -> dict[str, Any]:
    defs = language_schema()["$defs"]
    node = defs[root]
    for type_ in block_path:
        ref = node["properties"][type_]["items"]["properties"]["body"]["$ref"]
        node = defs[ref.rsplit("/", 1)[1]]
    found: dict[str, Any] = node
    return found


def _translate(error: Any, root_body: s.Body, root: str) -> list[Diagnostic]:
    path = list(error.absolute_path)
    body, block, rest = _resolve(root_body, path)
    block_types = [p for j, p in enumerate(path[: len(path) - len(rest)]) if j % 3 == 0]
    schema = _schema_for(root, block_types)
    known = list(schema.get("properties", {}))
    context = block.header if block else None
    where = f"in {block.header}" if block else "at the top level"
    header = block.type_range if block else None

    if error.validator == "additionalProperties" and not rest:
        out = []
        allowed = set(known)
        for name in error.instance:
            if name in allowed:
                continue
            if name in body.attributes:
                attr = body.attributes[name]
                out.append(
                    Diagnostic(
                        "Unsupported argument",
                        f'An argument named "{name}" is not expected {where}.'
                        + did_you_mean(name, known),
                        attr.name_range,
                        context=context,
                    )
                )
            else:
                first = body.blocks_of(name)[0]
                out.append(
                    Diagnostic(
                        "Unsupported block type",
                        f'Blocks of type "{name}" are not expected {where}.'
                        + did_you_mean(name, known),
                        first.type_range,
                        context=context,
                    )
                )
        return out

    if error.validator == "required" and not rest:
        missing = [r for r in error.validator_value if r not in error.instance]
        return [
            Diagnostic(
                "Missing required argument",
                f'The argument "{name}" is required {where}, but no definition was found.',
                header,
                context=context,
            )
            for name in missing
        ]

    if rest and rest[0] in body.attributes and len(rest) == 1:
        attr = body.attributes[rest[0]]
        return [
            Diagnostic(
                "Unsupported argument",
                f'"{attr.name}" is a block type {where}, not an argument; '
                f'write {attr.name} "NAME" {{ ... }}.',
                attr.name_range,
                context=context,
            )
        ]
    if rest and body.blocks_of(rest[0]):
        blocks = body.blocks_of(rest[0])
        if len(rest) == 1 and error.validator in ("const", "type"):
            return [
                Diagnostic(
                    "Unsupported block type",
                    f'"{rest[0]}" is an argument {where}, not a block; write {rest[0]} = ...',
                    blocks[0].type_range,
                    context=context,
                )
            ]
        if len(rest) == 1 and error.validator == "maxItems":
            extra = blocks[error.validator_value]
            return [
                Diagnostic(
                    "Duplicate block",
                    f'Only one "{rest[0]}" block is allowed; another was declared at line '
                    f"{blocks[0].type_range.start.line}.",
                    extra.type_range,
                )
            ]
        if len(rest) >= 3 and rest[2] == "labels":
            target = blocks[rest[1]]
            return [_label_error(error, target, rest, context)]
    rng: SourceRange | None = block.range if block else None
    return [Diagnostic("Invalid structure", error.message, rng, context=context)]


def _label_error(error: Any, block: s.Block, rest: list[Any], context: str | None) -> Diagnostic:
    if error.validator == "minItems":
        count = error.validator_value
        return Diagnostic(
            "Missing name for block",
            f'A "{block.type}" block needs {count} label{"s" if count > 1 else ""}, '
            f'like {block.type} "NAME" {{ ... }}.',
            block.type_range,
            context=context,
        )
    if error.validator == "maxItems":
        allowed = error.validator_value
        extra = block.label_ranges[allowed] if len(block.label_ranges) > allowed else None
        return Diagnostic(
            "Extraneous label for block",
            f'A "{block.type}" block takes {"no labels" if allowed == 0 else "one label"}.',
            extra or block.type_range,
            context=context,
        )
    index = rest[3] if len(rest) > 3 else 0
    label = block.labels[index]
    rng = block.label_ranges[index]
    # The label is quoted escaped and cut: it is the text that failed the check, and a
    # newline in it must not start a line of its own in a CI log.
    quoted = quoted_line(label, 61)
    if error.validator == "pattern" and "/" in error.validator_value:
        detail = (
            f'"{quoted}" is not a valid {block.type} name: it must be non-empty, with no "/", '
            "control or text-direction characters."
        )
    else:
        detail = (
            f'"{quoted}" is not a valid name: names start with a letter or "_" and contain '
            'only letters, digits, "_" and "-".'
        )
    return Diagnostic("Invalid name", detail, rng, context=context)


# -- the fast verdict -----------------------------------------------------------------------


@dataclass
class _Rules:
    """What one ``$defs`` entry allows in a body."""

    #: Argument names allowed; None when any name is (``locals``, a var file).
    arguments: frozenset[str] | None
    #: Block type -> its rule.
    blocks: dict[str, _BlockRule] = field(default_factory=dict)
    required: tuple[str, ...] = ()


@dataclass
class _BlockRule:
    body: str  # the $defs entry of the block's body
    min_labels: int
    max_labels: int | None
    label_pattern: re.Pattern[str] | None
    max_blocks: int | None


# Every keyword the schema uses; the table below understands exactly these, so a schema
# that grows another fails loudly here (and in the tests) instead of being half-checked.
_KNOWN = frozenset(
    {"type", "properties", "additionalProperties", "required", "description", "items",
     "minItems", "maxItems", "$ref", "const", "pattern"}
)  # fmt: skip


def _def_name(ref: str) -> str:
    prefix = "#/$defs/"
    if not ref.startswith(prefix):  # pragma: no cover - the schema's own references only
        raise ValueError(f"unsupported reference {ref!r}")
    return ref[len(prefix) :]


def _keywords(node: dict[str, Any], *allowed: str) -> None:
    unknown = set(node) - _KNOWN
    unexpected = set(node) - set(allowed) - {"description"}
    if unknown or unexpected:  # pragma: no cover - guards schema edits
        raise ValueError(f"schema keywords not understood here: {sorted(unknown | unexpected)}")


def _is_argument(node: dict[str, Any]) -> bool:
    return set(node) - {"description"} == {"$ref"} and _def_name(node["$ref"]) == "argument"


@functools.cache
def _rules(name: str) -> _Rules:
    """The rule table of one ``$defs`` entry, read from the schema (each entry once)."""
    defs = language_schema()["$defs"]
    if defs["argument"] != {"const": ARG, "description": defs["argument"].get("description")}:
        raise ValueError("the argument marker changed")  # pragma: no cover
    node = defs[name]
    _keywords(node, "type", "properties", "additionalProperties", "required")
    if node.get("type") != "object":  # pragma: no cover
        raise ValueError(f"{name}: a body must be an object")
    extra = node.get("additionalProperties", True)
    if extra is False:
        arguments: set[str] | None = set()
    elif isinstance(extra, dict) and _is_argument(extra):
        arguments = None
    else:  # pragma: no cover
        raise ValueError(f"{name}: additionalProperties must be false or an argument")
    rules = _Rules(None, required=tuple(node.get("required", ())))
    for prop, spec in node.get("properties", {}).items():
        if _is_argument(spec):
            if arguments is not None:
                arguments.add(prop)
            continue
        rules.blocks[prop] = _block_rule(name, prop, spec)
    rules.arguments = None if arguments is None else frozenset(arguments)
    return rules


def _block_rule(owner: str, prop: str, spec: dict[str, Any]) -> _BlockRule:
    _keywords(spec, "type", "items", "maxItems")
    items = spec["items"]
    _keywords(items, "type", "properties", "required")
    if spec["type"] != "array" or items["type"] != "object":  # pragma: no cover
        raise ValueError(f"{owner}.{prop}: a block type must be an array of objects")
    if set(items["properties"]) != {"labels", "body"} or set(items["required"]) != {
        "labels",
        "body",
    }:  # pragma: no cover
        raise ValueError(f"{owner}.{prop}: a block is {{labels, body}}")
    labels = items["properties"]["labels"]
    _keywords(labels, "type", "minItems", "maxItems", "items")
    body = items["properties"]["body"]
    _keywords(body, "$ref")
    pattern = None
    if "items" in labels:
        label = labels["items"]
        _keywords(label, "$ref")
        label_def = language_schema()["$defs"][_def_name(label["$ref"])]
        _keywords(label_def, "type", "pattern")
        if label_def["type"] != "string":  # pragma: no cover
            raise ValueError(f"{owner}.{prop}: labels are strings")
        if "pattern" in label_def:
            pattern = re.compile(label_def["pattern"])
    return _BlockRule(
        body=_def_name(body["$ref"]),
        min_labels=labels.get("minItems", 0),
        max_labels=labels.get("maxItems"),
        label_pattern=pattern,
        max_blocks=spec.get("maxItems"),
    )


def conforms(body: s.Body, root: str = "stack") -> bool:
    """Whether ``body`` satisfies the schema entry ``root``: the verdict the schema
    validator would give on :func:`instance` (labels matched with ``re.search``, as it
    matches a ``pattern``), without building the instance."""
    rules = _rules(root)
    allowed = rules.arguments
    blocks = rules.blocks
    for name in body.attributes:
        if name in blocks or (allowed is not None and name not in allowed):
            return False
    counts: dict[str, int] = {}
    for block in body.blocks:
        rule = blocks.get(block.type)
        if rule is None:
            return False
        counts[block.type] = counts.get(block.type, 0) + 1
        if rule.max_blocks is not None and counts[block.type] > rule.max_blocks:
            return False
        labels = block.labels
        if len(labels) < rule.min_labels or (
            rule.max_labels is not None and len(labels) > rule.max_labels
        ):
            return False
        pattern = rule.label_pattern
        if pattern is not None and not all(pattern.search(label) for label in labels):
            return False
        if not conforms(block.body, rule.body):
            return False
    return all(name in body.attributes or name in counts for name in rules.required)
