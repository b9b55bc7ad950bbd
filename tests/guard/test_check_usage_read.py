"""``check --usage FILE`` reads the snapshot while the stacks are parsed, as breakdown
does; errors still come in the order they would without it: a bad stack first."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from infercost.errors import InfercostError
from tests.guard.support import GUARD_STACK, run_check

WriteStack = Callable[..., Path]


def test_a_bad_stack_is_reported_before_a_bad_usage_file(write_stack: WriteStack) -> None:
    stack = write_stack({**GUARD_STACK, "broken.hcl": 'feature "x" {\n'})
    Path("bad.csv").write_text("feature,units\nchat,lots\n", encoding="utf-8")
    with pytest.raises(InfercostError) as caught:
        run_check(stack, usage=Path("bad.csv"))
    first = caught.value.diagnostics[0]
    assert first.range is not None and first.range.filename.endswith("broken.hcl")


def test_a_bad_usage_file_is_located(write_stack: WriteStack) -> None:
    stack = write_stack(GUARD_STACK)
    write_stack(GUARD_STACK, "base")
    Path("bad.csv").write_text("feature,units\nchat,lots\n", encoding="utf-8")
    with pytest.raises(InfercostError) as caught:
        run_check(stack, base_dir=Path("base"), usage=Path("bad.csv"))
    first = caught.value.diagnostics[0]
    assert first.range is not None
    assert (first.range.filename, first.range.start.line) == ("bad.csv", 2)


def test_the_usage_read_early_is_the_one_priced(write_stack: WriteStack) -> None:
    stack = write_stack(GUARD_STACK)
    write_stack(GUARD_STACK, "base")
    Path("plain.csv").write_text("feature,units\nchat,500\n", encoding="utf-8")
    check = run_check(stack, base_dir=Path("base"), usage=Path("plain.csv"))
    # 500 chats, not the stack's own usage.csv (3100): both sides priced on the file given.
    assert check.plan.head.features["chat"].units == Decimal(500)
    assert check.plan.base.features["chat"].units == Decimal(500)
