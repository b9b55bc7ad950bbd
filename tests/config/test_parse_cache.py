"""Identical texts are parsed once; under another name the tree is renamed, never shared.

The sides of a change (and the stacks of a project) share files under different names.
Inside ``sharing()``, a file parsed again must be exactly what a fresh parse gives: same
nodes, same positions, every range naming its own file, and errors located in the file
that has them. Outside it, nothing is kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infercost.config import parsed
from infercost.config import syntax as s
from infercost.config.hcl import parse_text
from infercost.config.parsed import sharing
from infercost.errors import InfercostError, SourceRange

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# Every kind of node the adapter builds.
EVERY_NODE = """
locals {
  a = (1 + 2) * -3
  b = "x ${var.y} z"
  c = local.t[0].name
  d = max(1, 2) > 1 ? true : null
  e = [1, "two", {k = 1, "q" = 2.5}]
  f = !false && 1 != 2
}
unit "ticket" {}
"""


def shape(node: Any, filename: str) -> Any:
    """The tree as plain data, with every range checked to name ``filename``."""
    if isinstance(node, SourceRange):
        assert node.filename == filename
        return ("range", node.start, node.end)
    if isinstance(node, s.Body):
        return (
            {name: shape(a, filename) for name, a in node.attributes.items()},
            [shape(b, filename) for b in node.blocks],
        )
    if dataclasses.is_dataclass(node):
        fields = (f.name for f in dataclasses.fields(node) if f.name != "source")
        return (type(node).__name__, tuple(shape(getattr(node, f), filename) for f in fields))
    if isinstance(node, (tuple, list)):
        return tuple(shape(item, filename) for item in node)
    return node


@pytest.fixture(autouse=True)
def shared() -> Iterator[None]:
    with sharing():
        yield


def clear_cache() -> None:
    parsed._CACHE.clear()


def test_a_renamed_copy_equals_a_fresh_parse() -> None:
    first = parse_text(EVERY_NODE, "base/main.hcl")
    again = parse_text(EVERY_NODE, "head/main.hcl")
    clear_cache()
    fresh = parse_text(EVERY_NODE, "head/main.hcl")
    assert again.path == "head/main.hcl"
    assert again.source is first.source  # the text is shared, not copied
    assert shape(again.body, "head/main.hcl") == shape(fresh.body, "head/main.hcl")
    # The first file keeps its own name: the copy did not rename it in place.
    assert shape(first.body, "base/main.hcl") == shape(fresh.body, "head/main.hcl")
    # Node texts are slices of the one source, at the same offsets.
    value = again.body.blocks[0].body.attributes["b"].expr
    assert value.text == '"x ${var.y} z"'


@pytest.mark.parametrize(
    "path", sorted(EXAMPLES.rglob("*.hcl")), ids=lambda p: str(p.relative_to(EXAMPLES))
)
def test_every_example_file_renamed_equals_a_fresh_parse(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    parse_text(text, "one.hcl")
    renamed = parse_text(text, "two.hcl")
    clear_cache()
    assert shape(renamed.body, "two.hcl") == shape(parse_text(text, "two.hcl").body, "two.hcl")


def test_the_same_name_and_text_is_parsed_once() -> None:
    first = parse_text(EVERY_NODE, "main.hcl")
    assert parse_text(EVERY_NODE, "main.hcl") is first


def test_errors_name_their_own_file_every_time() -> None:
    bad = 'unit "a" {\n  x = \n}\n'
    for name in ("base/bad.hcl", "head/bad.hcl", "base/bad.hcl"):
        with pytest.raises(InfercostError) as caught:
            parse_text(bad, name)
        (diagnostic,) = caught.value.diagnostics
        assert diagnostic.range is not None and diagnostic.range.filename == name
    dup = 'unit "a" {\n  x = 1\n  x = 2\n}\n'
    for name in ("one.hcl", "two.hcl"):
        with pytest.raises(InfercostError) as caught:
            parse_text(dup, name)
        (diagnostic,) = caught.value.diagnostics
        assert diagnostic.summary == "Duplicate argument"
        assert diagnostic.range is not None and diagnostic.range.filename == name


def test_the_cache_is_bounded_by_text_size() -> None:
    cache = parsed._ParseCache(max_chars=100)
    texts = [f"a{i} = {i}\n" + "#" * 30 + "\n" for i in range(5)]  # about 40 characters each
    for i, text in enumerate(texts):
        cache.put(parse_text(text, f"{i}.hcl"))
    assert cache.chars <= 100
    assert cache.get(texts[0], "0.hcl") is None  # the oldest went first
    assert cache.get(texts[4], "4.hcl") is not None
    cache.put(parse_text("x = 1\n" + "#" * 200, "big.hcl"))  # larger than the bound: not kept
    assert cache.chars <= 100


def test_nothing_is_kept_outside_a_sharing_block() -> None:
    with sharing():  # nested: the outer block (the fixture) still holds the files
        first = parse_text(EVERY_NODE, "main.hcl")
    assert parse_text(EVERY_NODE, "main.hcl") is first
    assert parsed._CACHE.files


def test_the_outermost_block_lets_the_trees_go() -> None:
    clear_cache()
    parsed._depth, depth = 0, parsed._depth  # as if outside every block
    try:
        first = parse_text(EVERY_NODE, "main.hcl")
        assert parse_text(EVERY_NODE, "main.hcl") is not first
        assert not parsed._CACHE.files
        with sharing():
            parse_text(EVERY_NODE, "main.hcl")
            assert parsed._CACHE.files
        assert not parsed._CACHE.files
    finally:
        parsed._depth = depth
