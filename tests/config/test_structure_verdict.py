"""The fast structural verdict agrees with the JSON Schema validator on every body.

:func:`infercost.config.structure.conforms` decides from a table read out of
``schema.json``; only a body it rejects is explained by the schema validator. If the two
ever disagreed, a valid file would be rejected without a message, or (worse) an invalid
one accepted. Hypothesis builds bodies from every name the schema knows, some it does
not, good and bad labels, and compares the verdicts for every root.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.config import syntax as s
from infercost.config.hcl import parse_text
from infercost.config.structure import _validator, conforms, instance, language_schema
from infercost.errors import Pos, SourceRange

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FAST = settings(max_examples=400, deadline=None)

DEFS = language_schema()["$defs"]
# Every definition of a body: the roots the loader uses (stack, policy, var_file,
# project) and every block's body.
ROOTS = sorted(name for name, d in DEFS.items() if d.get("type") == "object")
# Every property name of the schema (arguments and block types alike), plus strangers.
NAMES = sorted({p for d in DEFS.values() for p in d.get("properties", {})} | {"nope", "Step"})
LABELS = ["a", "claude-3.5-sonnet", "eu", "x_1", "", "1abc", "a/b", "tab\there", "ok\n", "é"]

HERE = SourceRange("t.hcl", Pos(1, 1), Pos(1, 1))
VALUE = s.Number(HERE, "1", 0, 1)


def _body(attrs: list[str], blocks: list[s.Block]) -> s.Body:
    body = s.Body()
    for name in attrs:
        body.attributes[name] = s.Attribute(name, VALUE, HERE, HERE)
    # The HCL adapter never lets an argument and a block share a name: neither do we.
    body.blocks = [b for b in blocks if b.type not in body.attributes]
    return body


def _block(type_: str, labels: list[str], body: s.Body) -> s.Block:
    return s.Block(type_, tuple(labels), body, HERE, HERE, tuple(HERE for _ in labels))


leaf = st.builds(_body, st.lists(st.sampled_from(NAMES), max_size=4), st.just([]))


def _extend(children: st.SearchStrategy[s.Body]) -> st.SearchStrategy[s.Body]:
    block = st.builds(
        _block,
        st.sampled_from(NAMES),
        st.lists(st.sampled_from(LABELS), max_size=2),
        children,
    )
    return st.builds(
        _body, st.lists(st.sampled_from(NAMES), max_size=4), st.lists(block, max_size=4)
    )


bodies = st.recursive(leaf, _extend, max_leaves=12)


def schema_verdict(body: s.Body, root: str) -> bool:
    return bool(_validator(root).is_valid(instance(body)))


@FAST
@given(bodies, st.sampled_from(ROOTS))
def test_conforms_agrees_with_the_schema(body: s.Body, root: str) -> None:
    assert conforms(body, root) == schema_verdict(body, root)


@FAST
@given(st.sampled_from(ROOTS), st.data())
def test_agreement_on_bodies_shaped_like_each_definition(root: str, data: st.DataObject) -> None:
    """Random bodies rarely pass deep rules; these use the names each definition allows,
    so valid bodies (and near misses: one label too many, a required name left out) are
    common."""
    body = data.draw(_shaped(root, 3))
    assert conforms(body, root) == schema_verdict(body, root)


def _shaped(root: str, depth: int) -> st.SearchStrategy[s.Body]:
    node = DEFS[root]
    props = node.get("properties", {})
    arguments = [p for p, v in props.items() if "$ref" in v] or ["a", "b"]
    block_types = [p for p, v in props.items() if "$ref" not in v]
    names = st.lists(st.sampled_from([*arguments, *node.get("required", ()), "nope"]), max_size=5)
    if depth == 0 or not block_types:
        return st.builds(_body, names, st.just([]))

    @st.composite
    def block(draw: st.DrawFn) -> s.Block:
        type_ = draw(st.sampled_from(block_types))
        ref = props[type_]["items"]["properties"]["body"]["$ref"].rsplit("/", 1)[1]
        want = props[type_]["items"]["properties"]["labels"].get("maxItems", 1)
        count = draw(st.sampled_from([want, want, want, want + 1, max(want - 1, 0)]))
        labels = draw(st.lists(st.sampled_from(LABELS), min_size=count, max_size=count))
        return _block(type_, labels, draw(_shaped(ref, depth - 1)))

    return st.builds(_body, names, st.lists(block(), max_size=3))


@pytest.mark.parametrize(
    "path", sorted(EXAMPLES.rglob("*.hcl")), ids=lambda p: str(p.relative_to(EXAMPLES))
)
def test_agreement_on_every_example_file(path: Path) -> None:
    body = parse_text(path.read_text(encoding="utf-8"), path.name).body
    root = "project" if path.name == "infercost.project.hcl" else "stack"
    assert conforms(body, root) == schema_verdict(body, root)
