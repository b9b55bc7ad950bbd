"""The HCL shown in the documentation parses, and its block reference matches the schema."""

from __future__ import annotations

import re

import pytest

from infercost.config.hcl import parse_text
from infercost.config.structure import language_schema
from tests.helpers import REPO

DOCS = [
    "README.md",
    "docs/language.md",
    "docs/ci.md",
    "docs/projects.md",
    "infercost/policies/README.md",
]
FENCE = re.compile(r"```hcl\n(.*?)```", re.S)


def hcl_blocks() -> list[tuple[str, int, str]]:
    out = []
    for name in DOCS:
        text = (REPO / name).read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 2
            out.append((name, line, match.group(1)))
    return out


@pytest.mark.parametrize(("doc", "line", "source"), hcl_blocks(), ids=lambda v: str(v)[:30])
def test_documented_hcl_parses(doc: str, line: int, source: str) -> None:
    parse_text(source, f"{doc}:{line}")


def test_every_top_level_block_is_documented() -> None:
    reference = (REPO / "docs/language.md").read_text(encoding="utf-8")
    blocks = language_schema()["$defs"]["stack"]["properties"]
    for block in blocks:
        assert f"### `{block}`" in reference, block
