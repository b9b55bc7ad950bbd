"""What-if files merged onto a stack the way Terraform merges override files (SPEC §11).

A block whose type and labels match one in the stack replaces that block's attributes
one by one; nested ``step``/``model``/``meter``/``region``/``batch`` blocks merge the same
way or are added (``long_context`` tiers by their threshold). ``locals`` merge name by
name and ``infercost`` attribute by attribute. A block that matches nothing is added —
but only when it is complete: an incomplete one is almost always a misspelt name, and
silently adding it would hide the typo.
"""

from __future__ import annotations

import dataclasses

from infercost.config import syntax as s
from infercost.config.structure import language_schema
from infercost.errors import Diagnostic, InfercostError, did_you_mean

NESTED_DEFS = {
    "step": "step",
    "model": "model",
    "meter": "meter",
    "region": "region",
    "batch": "batch",
    "long_context": "long_context",
}
TOP_DEFS = {
    "variable": "variable",
    "price_sheet": "price_sheet",
    "unit": "unit",
    "workflow": "workflow",
    "feature": "feature",
    "subscription": "subscription",
    "guardrail": "guardrail",
    "waiver": "waiver",
    "infercost": "settings",
    "locals": "locals",
}


def apply_what_ifs(files: list[s.File], what_ifs: list[s.File]) -> list[s.File]:
    """The stack's files with every what-if applied in order (inputs are not mutated)."""
    merged = [_copy_file(f) for f in files]
    for what_if in what_ifs:
        added: list[s.Block] = []
        for block in what_if.body.blocks:
            leftover = _merge_top(merged, block)
            if leftover is not None:
                added.append(leftover)
        # Top-level attributes are invalid in a stack file; keeping them lets the
        # structure check report them at their place instead of dropping them silently.
        if added or what_if.body.attributes:
            body = s.Body(dict(what_if.body.attributes), added)
            merged.append(s.File(what_if.path, what_if.source, body))
    return merged


def _merge_top(files: list[s.File], block: s.Block) -> s.Block | None:
    """Merge one what-if block into the stack; return what is left to add as a new block."""
    if block.type == "locals":
        return _merge_locals(files, block)
    for f in files:
        for target in f.body.blocks:
            if target.type == block.type and target.labels == block.labels:
                _merge_block(target, block)
                return None
    if block.type != "infercost":
        candidates = [b.name for f in files for b in f.body.blocks if b.type == block.type]
        _require_complete(block, TOP_DEFS.get(block.type, block.type), candidates)
    return _copy_block(block)


def _merge_locals(files: list[s.File], block: s.Block) -> s.Block | None:
    """Replace locals the stack defines; the new ones are left to add as a block."""
    remaining = dict(block.body.attributes)
    for f in files:
        for target in f.body.blocks_of("locals"):
            for name in list(remaining):
                if name in target.body.attributes:
                    target.body.attributes[name] = remaining.pop(name)
    if not remaining:
        return None
    return dataclasses.replace(block, body=s.Body(remaining, []))


def _merge_block(target: s.Block, override: s.Block) -> None:
    target.body.attributes.update(override.body.attributes)
    for nested in override.body.blocks:
        match = next((b for b in target.body.blocks if _same_block(b, nested)), None)
        if match is not None:
            _merge_block(match, nested)
            continue
        candidates = [b.name for b in target.body.blocks if b.type == nested.type]
        _require_complete(
            nested, NESTED_DEFS.get(nested.type, nested.type), candidates, context=target.header
        )
        target.body.blocks.append(_copy_block(nested))


def _same_block(a: s.Block, b: s.Block) -> bool:
    """Nested blocks match by type and labels; long-context tiers, which have no label,
    by their threshold as written."""
    if a.type != b.type or a.labels != b.labels:
        return False
    if a.type == "long_context":
        left = a.body.attributes.get("above_input_tokens")
        right = b.body.attributes.get("above_input_tokens")
        return left is not None and right is not None and left.expr.text == right.expr.text
    return True


def _require_complete(
    block: s.Block, definition: str, candidates: list[str], context: str | None = None
) -> None:
    lack = _incomplete(block, definition)
    if lack:
        raise InfercostError(
            Diagnostic(
                "What-if block matches nothing",
                f"{block.header} is not in the stack, and it cannot be added as a new block "
                f"because {lack}." + did_you_mean(block.name, candidates),
                block.label_ranges[0] if block.label_ranges else block.type_range,
                context=context,
            )
        )


def _incomplete(block: s.Block, definition: str, owner: str = "it") -> str | None:
    """Why a new block cannot stand alone (a required attribute missing, in it or in a
    nested block it brings along), or None when it is complete."""
    schema = language_schema()["$defs"].get(definition, {})
    missing = [r for r in schema.get("required", []) if r not in block.body.attributes]
    if missing:
        return f'{owner} lacks "{missing[0]}"'
    for nested in block.body.blocks:
        lack = _incomplete(nested, NESTED_DEFS.get(nested.type, nested.type), nested.header)
        if lack:
            return lack if owner != "it" else f"its {lack}"
    return None


def _copy_block(block: s.Block) -> s.Block:
    return dataclasses.replace(block, body=_copy_body(block.body))


def _copy_body(body: s.Body) -> s.Body:
    return s.Body(dict(body.attributes), [_copy_block(b) for b in body.blocks])


def _copy_file(f: s.File) -> s.File:
    return s.File(f.path, f.source, _copy_body(f.body))
