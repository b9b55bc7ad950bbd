"""The cached parser is lark's parser: same trees, same errors, and a bad cache is rebuilt.

``infercost.config.hcl`` pickles the whole ready parser (lark's ``Lark`` object and the
fast loop's tables) instead of using lark's own grammar cache. These tests compare a
parser that went through that pickle with one lark builds from python-hcl2's grammar and
post-lexer, and check that a truncated, garbage, stale or foreign cache file is never
trusted.
"""

from __future__ import annotations

import io
import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lark import Lark

from infercost.config import hcl
from tests.config.test_lalr_driver import FILES, TRICKY, same

INVALID = [
    "a = \n",
    "a = 1 +\n",
    'b "l" {\n',
    "}\n",
    "a = [1, 2\n",
    'a = "unterminated\n',
    "a = 1 = 2\n",
    "= 1\n",
    "a = x ? 1\n",
    "a = @\n",
]


@pytest.fixture(scope="module")
def fresh() -> Lark:
    """lark's own parser of python-hcl2's grammar, with python-hcl2's post-lexer."""
    from hcl2.postlexer import PostLexer

    return Lark(hcl._source().grammar, parser="lalr", postlex=PostLexer())


@pytest.fixture(scope="module")
def cached() -> tuple[Lark, Any]:
    buffer = io.BytesIO()
    hcl._dump(hcl._build(), buffer)
    parser, driver = pickle.loads(buffer.getvalue())
    return parser, driver


def outcome(parser: Any, text: str) -> Any:
    try:
        return parser.parse(text)
    except Exception as exc:
        # lark lists the expected tokens from a set, in hash order: compare them sorted.
        message = str(exc).partition("\nExpected")[0]
        expected = sorted(getattr(exc, "expected", None) or ())
        where = (getattr(exc, "line", None), getattr(exc, "column", None))
        return (type(exc), message, where, expected)


@pytest.mark.parametrize(
    "text",
    [*(p.read_text(encoding="utf-8") + "\n" for p in FILES), *(t + "\n" for t in TRICKY)],
)
def test_the_cached_parser_gives_lark_s_trees(fresh: Lark, cached: Any, text: str) -> None:
    parser, driver = cached
    expected = fresh.parse(text)
    assert same(parser.parse(text), expected)
    assert same(driver.parse(text), expected)


@pytest.mark.parametrize("text", INVALID)
def test_the_cached_parser_gives_lark_s_errors(fresh: Lark, cached: Any, text: str) -> None:
    mine, theirs = outcome(cached[0], text), outcome(fresh, text)
    assert isinstance(theirs, tuple)  # each of these texts is invalid
    assert mine == theirs


def test_lark_s_actions_keep_their_identity(cached: Any) -> None:
    from lark.parsers.lalr_analysis import Reduce, Shift

    table = cached[0].parser.parser.parser.parse_table
    actions = {id(action) for row in table.states.values() for action, _ in row.values()}
    assert actions == {id(Shift), id(Reduce)}


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("INFERCOST_CACHE_DIR", str(tmp_path / "cache"))
    hcl._loaded.cache_clear()
    yield tmp_path / "cache"
    hcl._loaded.cache_clear()


def parses_and_caches(cache_dir: Path) -> None:
    hcl._loaded.cache_clear()
    assert hcl.parse_text('a = 1\nb "x" {\n  c = [2]\n}\n', "f.hcl") is not None
    path = hcl._cache_file()
    assert isinstance(path, str) and Path(path).parent == cache_dir
    assert hcl._load(path) is not None  # rewritten whole


def test_a_missing_cache_is_written(cache_dir: Path) -> None:
    parses_and_caches(cache_dir)
    (written,) = cache_dir.iterdir()
    assert written.name == hcl._source().tag
    assert written.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "spoil",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: b"",
        lambda data: b"garbage, not a pickle",
        lambda data: pickle.dumps(("another tag", None, None)),  # stale
        lambda data: pickle.dumps({"not": "a parser"}),
    ],
    ids=["truncated", "empty", "garbage", "stale", "foreign"],
)
def test_a_bad_cache_is_ignored_and_rebuilt(cache_dir: Path, spoil: Any) -> None:
    parses_and_caches(cache_dir)
    path = Path(str(hcl._cache_file()))
    path.write_bytes(spoil(path.read_bytes()))
    assert hcl._load(str(path)) is None
    parses_and_caches(cache_dir)


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners")
def test_a_cache_others_could_write_is_not_unpickled(cache_dir: Path) -> None:
    parses_and_caches(cache_dir)
    path = str(hcl._cache_file())
    os.chmod(path, 0o666)
    assert hcl._load(path) is None
