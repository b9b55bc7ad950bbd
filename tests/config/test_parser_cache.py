"""The cached parser is lark's parser: same trees, same errors, and a bad cache is rebuilt.

``infercost.config.hcl`` caches, in one file, the plain tables that parse valid text
and, after them, the whole ready lark parser (read only on a syntax error) instead of
using lark's own grammar cache. These tests compare parsers that went through that
pickle with one lark builds from python-hcl2's grammar and post-lexer, and check that a
truncated, garbage, stale or foreign cache file is never trusted.
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
from infercost.config.lalr import Parser
from infercost.errors import InfercostError
from tests.config.test_lalr_tables import FILES, TRICKY, same

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
def cached() -> tuple[Lark, Parser]:
    parser = hcl._build()
    tables = hcl._tables(parser)
    assert tables is not None
    buffer = io.BytesIO()
    hcl._dump(parser, buffer)
    return pickle.loads(buffer.getvalue()), Parser(pickle.loads(pickle.dumps(tables)))


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
    parser, tables = cached
    expected = fresh.parse(text)
    assert repr(parser.parse(text)) == repr(expected)
    assert same(tables.parse(text), expected)


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


@pytest.fixture(scope="module")
def built() -> bytes:
    """lark's parser built once from the grammar (2 s), as the cache stores it."""
    buffer = io.BytesIO()
    hcl._dump(hcl._build(), buffer)
    return buffer.getvalue()


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built: bytes) -> Iterator[Path]:
    monkeypatch.setenv("INFERCOST_CACHE_DIR", str(tmp_path / "cache"))
    # Every build here is a fresh copy of one built parser: what these tests check is when
    # the cache is built, written and trusted, not lark's build itself (tested above).
    monkeypatch.setattr(hcl, "_build", lambda: pickle.loads(built))
    forget()
    yield tmp_path / "cache"
    forget()


def forget() -> None:
    """A new process, as far as the parsers go."""
    hcl._fast.cache_clear()
    hcl._parser.cache_clear()
    hcl._BUILT.clear()


def parses_and_caches(cache_dir: Path) -> None:
    forget()
    assert hcl.parse_text('a = 1\nb "x" {\n  c = [2]\n}\n', "f.hcl") is not None
    path = hcl._cache_file()
    assert isinstance(path, str) and Path(path).parent == cache_dir
    assert hcl._load(path)  # rewritten whole: the tables...
    assert hcl._load_lark(path) is not None  # ...and lark's parser after them


def test_a_syntax_error_reads_lark_s_parser_from_the_cache(cache_dir: Path) -> None:
    parses_and_caches(cache_dir)
    forget()
    with pytest.raises(InfercostError) as caught:
        hcl.parse_text("a = = 1\n", "f.hcl")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.summary == "Invalid syntax"
    assert diagnostic.range is not None and diagnostic.range.start.column == 5
    assert hcl._BUILT == []  # loaded, not built again


def test_a_spoiled_lark_part_is_rebuilt_on_a_syntax_error(cache_dir: Path) -> None:
    parses_and_caches(cache_dir)
    path = str(hcl._cache_file())
    data = Path(path).read_bytes()
    first = len(pickle.dumps(pickle.loads(data), protocol=pickle.HIGHEST_PROTOCOL))
    Path(path).write_bytes(data[:first] + b"garbage")
    assert hcl._load(path) and hcl._load_lark(path) is None
    forget()
    with pytest.raises(InfercostError):
        hcl.parse_text("a = = 1\n", "f.hcl")
    assert hcl._load_lark(path) is not None  # written again, whole


def test_a_missing_cache_is_written(cache_dir: Path) -> None:
    parses_and_caches(cache_dir)
    (written,) = cache_dir.iterdir()
    assert written.name == hcl._source().tag
    assert written.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "spoil",
    [
        lambda data: data[:1000],  # truncated within the tables
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
