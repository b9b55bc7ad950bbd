"""The one module that knows python-hcl2 (and lark beneath it).

It parses HCL text into python-hcl2's concrete syntax tree and converts that into the
neutral nodes of :mod:`infercost.config.syntax`, keeping file, line and column for every
block, attribute and expression. It also rejects what python-hcl2 silently accepts:
duplicate attributes (last wins there), two blocks with the same type and labels, and an
attribute that shadows a block of the same name.

Valid text never touches lark. Its parser of python-hcl2's grammar is built once, and
its parse table, per-state tokenizers and tree-shaping rules are kept as plain data that
:mod:`infercost.config.lalr` runs: importing lark, unpickling its parser and compiling
its per-state scanners cost more than parsing a small stack. lark itself is loaded only
for text those tables reject, and parses it again so that every syntax error is lark's
own, with its message and location.

Two measured pitfalls are handled here. python-hcl2 ships no grammar cache and tries to
write one into site-packages on first use; we keep our own cache in the user's cache
directory (falling back to the temp directory): the tables, followed by the whole ready
lark parser (read only on a syntax error), so a normal run never builds the grammar.
And CPython's cyclic GC makes large parses superlinear, so it is paused while a file is
parsed (the parse allocates no cycles that outlive it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infercost.config import parsed
from infercost.config import syntax as s
from infercost.config.lalr import FORMAT, Node, Parser, Reject, Tok
from infercost.config.lexer import check_line_ends
from infercost.errors import Diagnostic, InfercostError, Pos, SourceRange

if TYPE_CHECKING:
    from lark import Lark
    from lark.exceptions import UnexpectedInput

__all__ = ["parse_text", "warm_up"]

# How deep blocks and expressions may nest: parentheses, calls, conditionals, lists,
# objects, blocks. A chain of operators (``a + b + c``) is one level however long it is:
# it is not nesting. The parser is iterative, but the conversion and the evaluator
# recurse; a fixed bound turns a hostile file into a located error far from Python's
# recursion limit. Real configurations nest a handful of levels.
MAX_DEPTH = 64
# How many operators a chain may hold, counted with the chains around it. A chain is a
# left-leaning tree (``(a + b) + c``) that every walker of expressions descends one
# operator at a time, so its length is bounded too, below Python's recursion limit and
# far above what a real sum of costs holds.
MAX_CHAIN = 256

_OPERATORS = {
    "DOUBLE_EQ": "==",
    "NEQ": "!=",
    "LT": "<",
    "GT": ">",
    "LEQ": "<=",
    "GEQ": ">=",
    "MINUS": "-",
    "ASTERISK": "*",
    "SLASH": "/",
    "PERCENT": "%",
    "DOUBLE_AMP": "&&",
    "DOUBLE_PIPE": "||",
    "PLUS": "+",
    "NOT": "!",
}

_READABLE_TERMINALS = {
    "RBRACE": '"}"',
    "LBRACE": '"{"',
    "RSQB": '"]"',
    "LSQB": '"["',
    "RPAR": '")"',
    "LPAR": '"("',
    "EQ": '"="',
    "COMMA": '","',
    "NAME": "a name",
    "DBLQUOTE": "a string",
    "INT_LITERAL": "a number",
    "FLOAT_LITERAL": "a number",
    "NL_OR_COMMENT": "a new line",
    "COLON": '":"',
    "QMARK": '"?"',
    "DOT": '"."',
}


def _cache_file() -> str | bool:
    """Where the ready parser is cached: a user-writable place, never site-packages.

    The cache is a pickle, and loading a pickle runs code: a directory or file another
    user could have written (a pre-created ``/tmp/infercost-UID``) is never read. Without
    a safe place the parser is built in memory, which is only slower."""
    tag = _source().tag
    uid = getattr(os, "getuid", lambda: None)()
    candidates = []
    if env := os.environ.get("INFERCOST_CACHE_DIR"):
        candidates.append(Path(env))
    xdg = os.environ.get("XDG_CACHE_HOME")
    candidates.append(Path(xdg) / "infercost" if xdg else Path.home() / ".cache" / "infercost")
    candidates.append(Path(tempfile.gettempdir()) / f"infercost-{uid if uid is not None else 'u'}")
    for directory in candidates:
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if _owned(directory, uid) and _owned(directory / tag, uid, missing_ok=True):
                return str(directory / tag)
        except OSError:
            continue
    return False


def _owned(path: Path, uid: int | None, *, missing_ok: bool = False) -> bool:
    """Ours alone: owned by this user and writable by no one else (no symlink)."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return missing_ok
    if stat.S_ISLNK(st.st_mode):
        return False
    if uid is None:  # no POSIX owners (Windows): the user's own cache directory
        return True
    return st.st_uid == uid and not st.st_mode & 0o022


@dataclasses.dataclass(frozen=True)
class _Source:
    """python-hcl2's grammar and the cache tag that names everything the parser is
    built from: python-hcl2's version, grammar and post-lexer, lark's version, Python's."""

    directory: Path
    grammar: str
    tag: str


# python-hcl2's number literals may begin with "-" and a digit, so "3-12" is lexed as
# the literals 3 and -12 (a syntax error) while "1-2" is a subtraction; Terraform reads
# both as subtractions. Without the sign, a negative number is the grammar's unary
# minus applied to a literal: the same value, and "a-12" is "a - 12" as in Terraform.
_SIGNED = (
    ("INT_LITERAL: NEGATIVE_DECIMAL? DECIMAL+", "INT_LITERAL: DECIMAL+"),
    ("(NEGATIVE_DECIMAL? DECIMAL+ | NEGATIVE_DECIMAL+)", "DECIMAL+"),
)


def _without_signed_literals(grammar: str) -> str:
    for signed, unsigned in _SIGNED:
        if signed not in grammar:
            raise ImportError(f"python-hcl2's grammar no longer has {signed!r}")
        grammar = grammar.replace(signed, unsigned)
    return grammar


@functools.cache
def _source() -> _Source:
    # Found without importing the packages: python-hcl2's ``__init__`` imports its whole
    # API (builder, reconstructor, formatter...), a tenth of a small stack's run, and
    # only the grammar file and the post-lexer are used here; lark is needed only to
    # build the tables and on a syntax error. lark's version is in its ``__init__``.
    import hashlib
    import sys
    from importlib.util import find_spec

    spec = find_spec("hcl2")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("python-hcl2 is not installed")
    lark_spec = find_spec("lark")
    if lark_spec is None or lark_spec.origin is None:
        raise ImportError("lark is not installed")
    directory = Path(next(iter(spec.submodule_search_locations)))
    grammar = _without_signed_literals((directory / "hcl2.lark").read_text(encoding="utf-8"))
    digest = hashlib.sha256(grammar.encode())
    for path in (directory / "postlexer.py", directory / "version.py", Path(lark_spec.origin)):
        try:
            digest.update(b"\0" + path.read_bytes())
        except OSError:
            digest.update(b"\0-")
    python = "".join(map(str, sys.version_info[:2]))
    tag = f"hcl2-{digest.hexdigest()[:20]}-py{python}.parser"
    return _Source(directory, grammar, tag)


@functools.cache
def _postlexer_module() -> Any:
    """python-hcl2's post-lexer module, loaded from its file without the package's
    ``__init__`` (it imports only lark); the package import if that fails."""
    from importlib.util import module_from_spec, spec_from_file_location

    try:
        path = _source().directory / "postlexer.py"
        spec = spec_from_file_location("infercost.config._hcl2_postlexer", path)
        if spec is None or spec.loader is None:
            raise ImportError(str(path))
        module = module_from_spec(spec)
        spec.loader.exec_module(module)
        module.PostLexer  # noqa: B018 (the class this module needs)
        return module
    except Exception:
        import hcl2.postlexer

        return hcl2.postlexer


def _new_postlexer() -> Any:
    """A post-lexer, for the cached parser (it has no state)."""
    return _postlexer_module().PostLexer()


def _lalr_action(name: str) -> Any:
    """lark's ``Shift`` or ``Reduce``: singletons lark compares by identity."""
    from lark.parsers import lalr_analysis

    return getattr(lalr_analysis, name)


def _dump(value: Any, file: Any) -> None:
    """Pickle lark's parser (its modules, actions and post-lexer by reference)."""
    import importlib
    import pickle
    import types

    from lark.parsers.lalr_analysis import Action

    postlexer = _postlexer_module().PostLexer

    class Pickler(pickle.Pickler):
        def reducer_override(self, obj: Any) -> Any:
            if isinstance(obj, types.ModuleType):  # lark keeps its ``re`` module
                return importlib.import_module, (obj.__name__,)
            if isinstance(obj, Action):
                return _lalr_action, (obj.name,)
            if isinstance(obj, postlexer):
                return _new_postlexer, ()
            return NotImplemented

    Pickler(file, protocol=pickle.HIGHEST_PROTOCOL).dump(value)


def _build() -> Lark:
    from lark import Lark

    return Lark(
        _source().grammar,
        parser="lalr",
        # No propagate_positions: it doubles lark's parse time, computing every tree's
        # span; the converter finds the edge tokens of the few trees it locates.
        propagate_positions=False,
        postlex=_new_postlexer(),
    )


def _tables(lark: Lark) -> dict[str, Any] | None:
    """The plain-data tables :class:`infercost.config.lalr.Parser` runs, read from lark's
    parser; None (lark parses every text) if this lark's internals are not the ones
    this was written against, or the grammar uses a feature the tables do not carry."""
    try:
        return _tables_or_fail(lark)
    except Exception:
        return None


def _tables_or_fail(lark: Lark) -> dict[str, Any]:
    from lark.lexer import PatternStr, UnlessCallback
    from lark.parsers.lalr_analysis import Shift

    frontend: Any = lark.parser
    inner = frontend.parser.parser
    parse_table = inner.parse_table
    if any(isinstance(key, str) for key in inner.callbacks):
        raise ValueError("terminal callbacks")
    if lark.options.lexer_callbacks or lark.options.transformer or lark.options.tree_class:
        raise ValueError("lexer callbacks, or trees other than lark's")
    contextual = frontend.lexer.lexer
    root = contextual.root_lexer

    # Each rule's reduction, as lark's ParseTreeBuilder shapes it (no placeholders).
    reductions: dict[Any, tuple[Any, ...]] = {}
    for rule in lark.rules:
        options = rule.options
        if options.empty_indices and any(options.empty_indices):
            raise ValueError("placeholders")
        if options.template_source is not None:
            raise ValueError("templates")
        include = tuple(
            (i, not sym.is_term and sym.name.startswith("_"))
            for i, sym in enumerate(rule.expansion)
            if options.keep_all_tokens or not (sym.is_term and sym.filter_out)  # type: ignore[attr-defined]
        )
        whole = len(include) == len(rule.expansion) and not any(x for _, x in include)
        unit = len(rule.expansion) == 1 and whole and options.expand1 and not rule.alias
        reductions[rule] = (
            -1 if unit else len(rule.expansion),
            str(rule.origin.name),
            str(rule.alias or rule.origin.name),
            bool(options.expand1 and not rule.alias),
            None if whole else include,
        )

    actions: dict[int, dict[str, Any]] = {}
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}  # equal rows stored once
    for state, row in parse_table.states.items():
        plain = {
            str(symbol): arg if action is Shift else reductions[arg]
            for symbol, (action, arg) in row.items()
        }
        actions[state] = rows.setdefault(tuple(sorted(plain.items(), key=str)), plain)

    order = [t.name for t in root.terminals]  # lark's global order
    rank = {name: i for i, name in enumerate(order)}
    lexers: list[tuple[tuple[str, ...], dict[str, dict[str, str]]]] = []
    index_of: dict[int, int] = {}
    state_lexer: dict[int, int] = {}
    for state, lexer in contextual.lexers.items():
        if id(lexer) not in index_of:
            scanner = lexer.scanner  # built now: its terminals, keywords embedded
            names = tuple(t.name for t in scanner.terminals)
            if [rank[n] for n in names] != sorted(rank[n] for n in names):
                raise ValueError("a state's terminals are not in the global order")
            unless: dict[str, dict[str, str]] = {}
            for kind, callback in lexer.callback.items():
                if type(callback) is not UnlessCallback:
                    raise ValueError("a lexer callback")
                words = callback.scanner.terminals
                if any(type(t.pattern) is not PatternStr or t.pattern.flags for t in words):
                    raise ValueError("a keyword with flags")
                unless[kind] = {t.pattern.value: t.name for t in words}
                if len(unless[kind]) != len(words):
                    raise ValueError("two keywords of one spelling")
            index_of[id(lexer)] = len(lexers)
            lexers.append((names, unless))
        state_lexer[state] = index_of[id(lexer)]
    if set(state_lexer) != set(actions):
        raise ValueError("states without a lexer")
    return {
        "start": parse_table.start_states["start"],
        "end": parse_table.end_states["start"],
        "actions": actions,
        "terminals": [(t.name, t.pattern.to_regexp(), t.priority) for t in root.terminals],
        "lexers": lexers,
        "state_lexer": state_lexer,
        "ignore": sorted(root.ignore_types),
        "newline": sorted(root.newline_types),
        "operators": sorted(_postlexer_module().OPERATOR_TYPES),
    }


def _open_own(path: str) -> Any:
    """The cache file opened for reading, or None when missing or not ours alone (checked
    on the open file: a file replaced since _cache_file() looked is never unpickled)."""
    uid = getattr(os, "getuid", lambda: None)()
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    st = os.fstat(fd)
    if uid is not None and (st.st_uid != uid or st.st_mode & 0o022):
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


def _pickles(path: str, count: int) -> list[Any] | None:
    """The file's first ``count`` pickles, or None when it is missing, not ours alone,
    truncated, garbage or written by another version."""
    import pickle

    file = _open_own(path)
    if file is None:
        return None
    with file:
        try:
            return [pickle.load(file) for _ in range(count)]
        except Exception:
            return None


def _load(path: str) -> dict[str, Any] | None:
    """The cached tables (the file's first pickle), or None when missing, unreadable,
    stale or not ours alone."""
    found = _pickles(path, 1)
    if found is None:
        return None
    (loaded,) = found
    if (
        isinstance(loaded, tuple)
        and len(loaded) == 3
        and loaded[0] == _source().tag
        and loaded[1] == FORMAT
        and (loaded[2] is None or isinstance(loaded[2], dict))
    ):
        return {} if loaded[2] is None else loaded[2]
    return None


def _load_lark(path: str) -> Lark | None:
    """The cached lark parser (the file's second pickle), or None."""
    from lark import Lark

    found = _pickles(path, 2)
    if found is None:
        return None
    head, loaded = found
    if not (isinstance(head, tuple) and head and head[0] == _source().tag):
        return None
    ok = isinstance(loaded, tuple) and len(loaded) == 2 and loaded[0] == _source().tag
    return loaded[1] if ok and isinstance(loaded[1], Lark) else None


def _save(path: str, tables: dict[str, Any] | None, parser: Lark) -> None:
    """Write the cache next to its final name and rename it there (never half a file);
    a failure only leaves the next run as slow as this one."""
    import pickle

    directory = os.path.dirname(path)
    try:
        fd, temp = tempfile.mkstemp(prefix=".infercost-", suffix=".tmp", dir=directory)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as file:
            pickle.dump((_source().tag, FORMAT, tables), file, protocol=pickle.HIGHEST_PROTOCOL)
            _dump((_source().tag, parser), file)
        os.replace(temp, path)
    except Exception:
        with contextlib.suppress(OSError):
            os.unlink(temp)


_BUILT: list[Lark] = []  # lark's parser when this process built it (reused on an error)


def _build_and_save(path: str | bool) -> dict[str, Any] | None:
    parser = _build()
    _BUILT.append(parser)
    tables = _tables(parser)
    if isinstance(path, str):
        _save(path, tables, parser)
    return tables


@functools.cache
def _fast() -> Parser | None:
    """The parser of valid text, from the cached tables (built and cached when missing);
    None when the tables cannot be had (lark then parses every text)."""
    path = _cache_file()
    tables = _load(path) if isinstance(path, str) else None
    if tables is not None:
        with contextlib.suppress(Exception):
            return Parser(tables) if tables else None
    tables = _build_and_save(path)
    try:
        return Parser(tables) if tables else None
    except Exception:
        return None


@functools.cache
def _parser() -> Lark:
    """lark's own parser: for the text the tables reject, to raise lark's error."""
    if _BUILT:
        return _BUILT[0]
    path = _cache_file()
    if isinstance(path, str):
        loaded = _load_lark(path)
        if loaded is not None:
            return loaded
    _build_and_save(path)
    return _BUILT[0]


def _lalr_parse(text: str, filename: str) -> Node:
    fast = _fast()
    if fast is not None:
        try:
            return fast.parse(text)
        except (Reject, KeyError, IndexError):
            pass  # lark parses again: its own error, with its own message
    from lark.exceptions import UnexpectedInput

    try:
        theirs = _parser().parse(text)
    except UnexpectedInput as exc:
        raise InfercostError(_syntax_diagnostic(exc, filename)) from None
    tree: Node = _from_lark(theirs)  # only if the tables rejected what lark accepts
    return tree


def _from_lark(item: Any) -> Any:
    """lark's tree as :class:`Node` and :class:`Tok` tuples."""
    from lark import Token

    if isinstance(item, Token):
        return Tok(
            (
                str(item.type),
                str(item.value),
                item.start_pos,
                item.line,
                item.column,
                item.end_line,
                item.end_column,
                item.end_pos,
            )  # type: ignore[arg-type]
        )
    return Node((str(item.data), [_from_lark(child) for child in item.children]))


def warm_up() -> None:
    """Build (or load) the tables now; used by benchmarks to separate start-up costs."""
    _fast()


def parse_text(text: str, filename: str) -> s.File:
    """Parse one file's text into the neutral tree, or raise a located InfercostError.

    Inside :func:`infercost.config.parsed.sharing`, identical texts are parsed once (the
    sides of a change share most files, a project's stacks often share some). The tree
    returned may then be shared, so callers never modify it (``plan.overrides`` copies
    before merging).
    """
    # A UTF-8 byte-order mark starts the files some Windows editors save; it is no
    # character of the file (Terraform skips it too). Anywhere else it is an error.
    text = text.removeprefix("\ufeff")
    cached = parsed.lookup(text, filename)
    if cached is not None:
        return cached
    check_line_ends(text, filename)
    result = _parse(text, filename)
    parsed.keep(result)
    return result


def _parse(text: str, filename: str) -> s.File:
    # The cyclic GC is paused over the parse and the conversion: both allocate millions
    # of objects that hold no cycles, and every collection meanwhile would walk the young
    # tree again (measured: the conversion of a 14,000-line file takes twice as long
    # with the GC running).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        tree = _lalr_parse(text + "\n", filename)
        root = tree.children[0]
        assert isinstance(root, Node)  # the grammar's start rule always wraps a body
        try:
            return s.File(filename, text, _Converter(filename, text).body(root))
        except RecursionError:  # a safety net: _Converter bounds nesting below the limit
            raise InfercostError.at(
                "Too deeply nested",
                f"Blocks or expressions in this file nest more than {MAX_DEPTH} levels deep.",
                SourceRange.point(filename, 1),
            ) from None
    finally:
        if gc_was_enabled:
            gc.enable()


def _syntax_diagnostic(exc: UnexpectedInput, filename: str) -> Diagnostic:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    line = getattr(exc, "line", 1) or 1
    column = getattr(exc, "column", 1) or 1
    if isinstance(exc, UnexpectedEOF):
        detail = "The file ended before a block or expression was closed."
    elif isinstance(exc, UnexpectedToken):
        detail = f"Unexpected {_found(str(exc.token.value))}.{_expected(exc.expected)}"
    elif isinstance(exc, UnexpectedCharacters):
        detail = f"Unexpected character {exc.char!r}.{_expected(exc.allowed)}"
    else:  # pragma: no cover - lark has no other subclasses today
        detail = str(exc).splitlines()[0]
    return Diagnostic("Invalid syntax", detail, SourceRange.point(filename, line, column))


def _found(value: str) -> str:
    """The unexpected token as a user would name it (newline tokens carry the next lines)."""
    if not value:
        return "end of file"
    # Only the blanks HCL knows are stripped: a form feed or vertical tab (blank to
    # Python's strip) is the character to name, not "new line".
    first = value.split("\n", 1)[0].strip(" \t\r")
    if not first:
        return "new line"
    if first.startswith(("#", "//", "/*")):
        return "comment"
    if len(first) > 40:  # a diagnostic echoes no more than a short piece of the file
        return repr(first[:40]) + "…"
    return repr(first)


def _expected(names: set[str] | None) -> str:
    readable = sorted({_READABLE_TERMINALS[n] for n in names or () if n in _READABLE_TERMINALS})
    if not readable or len(readable) > 6:
        return ""
    return " Expected " + " or ".join(readable) + "."


class _Converter:
    """python-hcl2 concrete tree -> infercost.config.syntax, with ranges and source text."""

    def __init__(self, filename: str, source: str) -> None:
        self.filename = filename
        self.source = source + "\n"
        self.depth = 0
        self.links = 0  # operators of the chains around the expression being converted

    def _descend(self, node: Node | Tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._error(
                "Too deeply nested",
                f"Blocks and expressions may nest at most {MAX_DEPTH} levels deep.",
                self._range(node),
            )

    # -- locations ---------------------------------------------------------------------
    def _range(self, first: Node | Tok, last: Node | Tok | None = None) -> SourceRange:
        start = first
        while start.__class__ is Node:  # nearly always: the first child, down to a token
            children = start[1]
            start = children[0] if children else _edge_token(first, last=False)
        end = last = first if last is None else last
        while end.__class__ is Node:
            children = end[1]
            end = children[-1] if children else _edge_token(last, last=True)
        return SourceRange(
            self.filename,
            Pos(start[3] or 1, start[4] or 1),  # line, column
            Pos(end[5] or 1, end[6] or 1),  # end line, end column
        )

    def _span(self, start: SourceRange, end: SourceRange) -> SourceRange:
        return SourceRange(self.filename, start.start, end.end)

    @staticmethod
    def _offsets(first: Node | Tok, last: Node | Tok | None = None) -> tuple[int, int]:
        """Character offsets of a node in the source, straight from the lexer: a node's
        text is a slice, found in constant time (no re-splitting of the file per node)."""
        start = first
        while start.__class__ is Node:
            children = start[1]
            start = children[0] if children else _edge_token(first, last=False)
        end = last = first if last is None else last
        while end.__class__ is Node:
            children = end[1]
            end = children[-1] if children else _edge_token(last, last=True)
        assert start[2] is not None and end[7] is not None  # set by the lexer
        return start[2], end[7]  # start_pos, end_pos

    def _error(self, summary: str, detail: str, rng: SourceRange) -> InfercostError:
        return InfercostError(Diagnostic(summary, detail, rng))

    # -- structure -----------------------------------------------------------------------
    def body(self, tree: Node) -> s.Body:
        self._descend(tree)
        try:
            return self._body(tree)
        finally:
            self.depth -= 1

    def _body(self, tree: Node) -> s.Body:
        body = s.Body()
        seen_blocks: dict[tuple[str, ...], s.Block] = {}
        previous: s.Attribute | s.Block | None = None
        for child in _significant(tree.children):
            if child.data == "attribute":
                attr = self.attribute(child)
                self._newline_before(previous, attr.name_range, f'the argument "{attr.name}"')
                previous = attr
                if attr.name in body.attributes:
                    first = body.attributes[attr.name].name_range.start.line
                    raise self._error(
                        "Duplicate argument",
                        f'The argument "{attr.name}" was already set at line {first}. '
                        "Each argument may be set only once.",
                        attr.name_range,
                    )
                clash = next((b for b in body.blocks if b.type == attr.name), None)
                if clash is not None:
                    raise self._shadow_error(attr, clash)
                body.attributes[attr.name] = attr
            else:
                block = self.block(child)
                self._newline_before(previous, block.type_range, f"the block {block.header}")
                previous = block
                if block.type in body.attributes:
                    raise self._shadow_error(body.attributes[block.type], block)
                key = (block.type, *block.labels)
                if block.labels and key in seen_blocks:
                    first = seen_blocks[key].type_range.start.line
                    raise self._error(
                        "Duplicate block",
                        f"{block.header} was already declared at line {first}.",
                        block.type_range if not block.label_ranges else block.label_ranges[0],
                    )
                seen_blocks[key] = block
                body.blocks.append(block)
        return body

    def _newline_before(
        self, previous: s.Attribute | s.Block | None, start: SourceRange, what: str
    ) -> None:
        """Each argument and block ends its line, as in Terraform: ``a = 1 b = 2`` on one
        line reads as two arguments to the grammar, but a reader (and ``fmt``) sees one,
        and a block closed and another opened on one line hides the second."""
        if previous is None or previous.range.end.line != start.start.line:
            return
        if isinstance(previous, s.Attribute):
            summary, ended = "Missing newline after argument", f'the argument "{previous.name}"'
        else:
            summary = "Missing newline after block definition"
            ended = f"the block {previous.header}"
        raise self._error(
            summary,
            f"{what[0].upper()}{what[1:]} starts on the line where {ended} ends; each argument "
            "and each block must end with a newline.",
            start,
        )

    def _shadow_error(self, attr: s.Attribute, block: s.Block) -> InfercostError:
        return self._error(
            "Attribute shadows a block",
            f'"{attr.name}" is set as an argument and also declared as a block at line '
            f"{block.type_range.start.line}; use one or the other.",
            attr.name_range,
        )

    def attribute(self, tree: Node) -> s.Attribute:
        name_node, _eq, value = _significant(tree.children)
        name = _word(name_node)
        expr = self.expr(value)
        name_range = self._range(name_node)
        return s.Attribute(name, expr, self._span(name_range, expr.range), name_range)

    def block(self, tree: Node) -> s.Block:
        parts = _significant(tree.children)
        lbrace = next(i for i, p in enumerate(parts) if p.__class__ is Tok and p.type == "LBRACE")
        head, body_tree, rbrace = parts[:lbrace], parts[lbrace + 1], parts[lbrace + 2]
        labels: list[str] = []
        label_ranges: list[SourceRange] = []
        for label in head[1:]:
            rng = self._range(label)
            if label.data == "string":
                pieces = self.template_parts(label)
                if any(not isinstance(p, str) for p in pieces):
                    raise self._error(
                        "Invalid block label", "Block labels cannot contain interpolations.", rng
                    )
                labels.append("".join(pieces))  # type: ignore[arg-type]
            else:
                labels.append(_word(label))
            label_ranges.append(rng)
        return s.Block(
            type=_word(head[0]),
            labels=tuple(labels),
            body=self.body(body_tree),
            range=self._range(head[0], rbrace),
            type_range=self._range(head[0]),
            label_ranges=tuple(label_ranges),
        )

    # -- expressions -----------------------------------------------------------------------
    def expr(self, node: Node | Tok) -> s.Expr:
        if node.__class__ is not Node:  # pragma: no cover - the grammar wraps every token
            raise self._error("Unsupported expression", "Unexpected token.", self._range(node))
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self._error(
                    "Too deeply nested",
                    f"Blocks and expressions may nest at most {MAX_DEPTH} levels deep.",
                    self._range(node),
                )
            handler = _HANDLERS.get(node[0])  # by the node's rule
            if handler is None:
                raise self._error(
                    "Unsupported expression",
                    f"{_UNSUPPORTED.get(str(node[0]), 'This kind of expression')} is not "
                    "supported in infercost files.",
                    self._range(node),
                )
            expr: s.Expr = handler(self, node)
            return expr
        finally:
            self.depth -= 1

    def _node(
        self, cls: type[s.Expr], rng: SourceRange, span: tuple[int, int], **fields: Any
    ) -> s.Expr:
        return cls(range=rng, source=self.source, start=span[0], end=span[1], **fields)

    def _x_expr_term(self, node: Node) -> s.Expr:
        children = node[1]
        if len(children) == 1 and children[0][0] not in _FILLER:  # nearly always
            return self.expr(children[0])
        children = _significant(children)
        if len(children) == 3 and isinstance(children[0], Tok) and children[0].type == "LPAR":
            inner = self.expr(children[1])
            rng = self._range(children[0], children[2])
            # Parentheses only group: the same node, its range and text widened to them.
            return _regroup(inner, rng, self._offsets(children[0], children[2]))
        return self.expr(children[0])

    def _token_range(self, token: Tok) -> SourceRange:
        """Where one token stands (lark counts from 1; a position it lacks is 1)."""
        return SourceRange(
            self.filename, Pos(token[3] or 1, token[4] or 1), Pos(token[5] or 1, token[6] or 1)
        )

    def _x_int_lit(self, node: Node) -> s.Expr:
        token = node[1][0]  # the literal, alone
        if token.__class__ is not Tok:  # pragma: no cover - the grammar's int_lit: INT_LITERAL
            return self._node(s.Number, self._range(node), self._offsets(node))
        return s.Number(
            range=self._token_range(token),
            source=self.source,
            start=token[2],
            end=token[7],
        )

    _x_float_lit = _x_int_lit

    def _x_literal_value(self, node: Node) -> s.Expr:
        word = _word(node)
        value = {"true": True, "false": False, "null": None}[word]
        return self._node(s.Literal, self._range(node), self._offsets(node), value=value)

    def _x_identifier(self, node: Node) -> s.Expr:
        token = node[1][0]  # the name, alone
        if token.__class__ is not Tok:  # pragma: no cover - the grammar's identifier: NAME
            return self._node(s.Name, self._range(node), self._offsets(node), name=_word(node))
        return s.Name(
            range=self._token_range(token),
            source=self.source,
            start=token[2],
            end=token[7],
            name=token[1],
        )

    def _x_string(self, node: Node) -> s.Expr:
        return self._node(
            s.Template, self._range(node), self._offsets(node), parts=self.template_parts(node)
        )

    def template_parts(self, node: Node) -> tuple[str | s.Expr, ...]:
        parts: list[str | s.Expr] = []
        for part in node.children:
            if isinstance(part, Tok):
                continue  # the quotes
            (piece,) = part.children
            if isinstance(piece, Tok):
                if piece.type == "STRING_CHARS":
                    text = _unescape(piece.value, self._range(piece), self)
                elif piece.type == "ESCAPED_INTERPOLATION" or piece.type == "ESCAPED_DIRECTIVE":
                    text = piece.value[1:]
                else:  # pragma: no cover
                    text = piece.value
                if parts and isinstance(parts[-1], str):
                    parts[-1] += text
                else:
                    parts.append(text)
            elif piece.data == "interpolation":
                inner = _significant(piece.children)[1]
                parts.append(self.expr(inner))
            else:
                raise self._error(
                    "Unsupported expression",
                    "Template directives (%{ ... }) are not supported in infercost files.",
                    self._range(piece),
                )
        return tuple(parts)

    def _x_binary_op(self, node: Node) -> s.Expr:
        """A chain ``a + b - c``: the parser leans it left (``(a + b) - c``); it is walked
        down that spine in a loop and counts one level of nesting, whatever its length."""
        links: list[tuple[str, Node]] = []
        current = node
        while current.__class__ is Node and current.data == "binary_op":
            left_node, term = _significant(current.children)[:2]
            operator_node, right_node = _significant(term.children)
            links.append((_OPERATORS[operator_node.children[0].type], right_node))
            current = left_node
        self.links += len(links)
        try:
            if self.links > MAX_CHAIN:
                raise self._error(
                    "Expression too long",
                    f"An expression may chain at most {MAX_CHAIN} operators (a + b + c "
                    "chains two), counting those of the expressions around it; add up "
                    "parts in locals.",
                    self._range(node),
                )
            left = self.expr(current)
            for op, right_node in reversed(links):
                right = self.expr(right_node)
                rng = self._span(left.range, right.range)
                span = (left.start, right.end)
                left = self._node(s.Binary, rng, span, op=op, left=left, right=right)
            return left
        finally:
            self.links -= len(links)

    def _x_unary_op(self, node: Node) -> s.Expr:
        token, operand_node = _significant(node.children)
        operand = self.expr(operand_node)
        rng = self._span(self._range(token), operand.range)
        span = (token.start_pos, operand.end)
        return self._node(s.Unary, rng, span, op=_OPERATORS[token.type], operand=operand)

    def _x_conditional(self, node: Node) -> s.Expr:
        exprs = [c for c in _significant(node.children) if isinstance(c, Node)]
        condition, then, otherwise = (self.expr(e) for e in exprs)
        rng = self._span(condition.range, otherwise.range)
        return self._node(
            s.Conditional,
            rng,
            (condition.start, otherwise.end),
            condition=condition,
            then=then,
            otherwise=otherwise,
        )

    def _x_function_call(self, node: Node) -> s.Expr:
        children = _significant(node.children)
        if any(isinstance(c, Tok) and c.type == "COLONS" for c in children):
            raise self._error(
                "Unsupported expression",
                "Provider-namespaced functions are not supported.",
                self._range(node),
            )
        name = children[0].children[0].value
        args: list[s.Expr] = []
        for child in children:
            if isinstance(child, Node) and child.data == "arguments":
                for arg in _significant(child.children):
                    if isinstance(arg, Tok):
                        if arg.type == "ELLIPSIS":
                            raise self._error(
                                "Unsupported expression",
                                "Argument expansion (...) is not supported.",
                                self._range(arg),
                            )
                        continue
                    args.append(self.expr(arg))
        rng = self._range(children[0], children[-1])
        span = self._offsets(children[0], children[-1])
        return self._node(s.Call, rng, span, name=name, args=tuple(args))

    def _x_get_attr_expr_term(self, node: Node) -> s.Expr:
        target_node, get_attr = _significant(node.children)
        target = self.expr(target_node)
        name_node = _significant(get_attr.children)[1]
        rng = self._span(target.range, self._range(name_node))
        span = (target.start, self._offsets(name_node)[1])
        return self._node(s.GetAttr, rng, span, target=target, name=_word(name_node))

    def _x_index_expr_term(self, node: Node) -> s.Expr:
        target_node, index = _significant(node.children)
        target = self.expr(target_node)
        parts = _significant(index.children)
        if index.data == "short_index":
            token = parts[1]
            key: s.Expr = self._node(s.Number, self._range(token), self._offsets(token))
        else:
            key = self.expr(parts[1])
        rng = self._span(target.range, self._range(parts[-1]))
        span = (target.start, self._offsets(parts[-1])[1])
        return self._node(s.Index, rng, span, target=target, key=key)

    def _x_tuple(self, node: Node) -> s.Expr:
        items = tuple(self.expr(c) for c in _significant(node.children) if isinstance(c, Node))
        return self._node(s.TupleExpr, self._range(node), self._offsets(node), items=items)

    def _x_object(self, node: Node) -> s.Expr:
        items: list[s.ObjectItem] = []
        seen: dict[str, s.ObjectItem] = {}
        for elem in _significant(node.children):
            if not isinstance(elem, Node):
                continue
            key_node, _sep, value_node = _significant(elem.children)
            key_inner = _significant(key_node.children)[0]
            key_range = self._range(key_node)
            key = self._object_key(key_inner, key_range)
            if key in seen:
                raise self._error(
                    "Duplicate object key",
                    f'The key "{key}" was already set at line '
                    f"{seen[key].key_range.start.line} of this object.",
                    key_range,
                )
            item = s.ObjectItem(key, key_range, self.expr(value_node))
            seen[key] = item
            items.append(item)
        return self._node(s.ObjectExpr, self._range(node), self._offsets(node), items=tuple(items))

    def _object_key(self, node: Node | Tok, rng: SourceRange) -> str:
        if isinstance(node, Node) and node.data == "keyword":
            return _word(node)
        expr = self.expr(node)
        if isinstance(expr, s.Name):
            return expr.name
        if isinstance(expr, s.Template) and all(isinstance(p, str) for p in expr.parts):
            return "".join(expr.parts)  # type: ignore[arg-type]
        if isinstance(expr, s.Number):
            return expr.text
        raise self._error(
            "Invalid object key", "Object keys must be names or literal strings.", rng
        )


# The converter of each kind of expression node, by rule name (a dict: no attribute lookup
# and no name formatting per node).
_HANDLERS: dict[str, Any] = {
    name[3:]: method for name, method in vars(_Converter).items() if name.startswith("_x_")
}

_UNSUPPORTED = {
    "heredoc_template": "A heredoc string",
    "heredoc_template_trim": "A heredoc string",
    "template_string": "An escaped template string",
    "attr_splat_expr_term": "A splat expression",
    "full_splat_expr_term": "A splat expression",
    "for_tuple_expr": "A for expression",
    "for_object_expr": "A for expression",
}

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_HEX = frozenset("0123456789abcdefABCDEF")


def _unescape(raw: str, rng: SourceRange, conv: _Converter) -> str:
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = raw[i + 1] if i + 1 < len(raw) else ""
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt in ("u", "U"):
            width = 4 if nxt == "u" else 8
            digits = raw[i + 2 : i + 2 + width]
            if len(digits) != width or not all(c in _HEX for c in digits):
                raise conv._error(
                    "Invalid escape sequence", f"\\{nxt} needs {width} hex digits.", rng
                )
            code = int(digits, 16)
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise conv._error(
                    "Invalid escape sequence",
                    f"\\{nxt}{digits} is not a Unicode character (beyond U+10FFFF, or a "
                    "surrogate, which UTF-8 cannot hold).",
                    rng,
                )
            out.append(chr(code))
            i += 2 + width
        else:
            raise conv._error(
                "Invalid escape sequence",
                f"The escape \\{nxt} is not valid in a string; use \\\\ for a backslash.",
                rng,
            )
    return "".join(out)


_NO_TOKEN = Tok(("EMPTY", "", None, None, None, None, None, None))  # type: ignore[arg-type]


def _edge_token(node: Node | Tok, *, last: bool) -> Tok:
    """The first (or last) token under a node, as lark's propagate_positions would take
    it: depth first, skipping subtrees that hold no token."""
    # Nearly always the edge child's edge child, down to a token: follow that path, and
    # search the whole subtree only when it meets an empty tree.
    item: Any = node
    while item.__class__ is Node and item.children:
        item = item.children[-1 if last else 0]
    if isinstance(item, Tok):
        return item
    stack: list[Node | Tok] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Tok):
            return item
        children = item.children
        # Push so that the edge child is popped first.
        stack.extend(reversed(children) if not last else children)
    return _NO_TOKEN


def _significant(children: list[Any]) -> list[Any]:
    """Children without the newline/comment filler that the grammar keeps for round-trips."""
    # A node's or token's first field is its rule's or terminal's name.
    return [c for c in children if c[0] not in _FILLER]


_FILLER = frozenset({"new_line_or_comment", "NL_OR_COMMENT"})


def _word(node: Node) -> str:
    return node.children[0].value  # type: ignore[union-attr]


def _regroup(inner: s.Expr, rng: SourceRange, span: tuple[int, int]) -> s.Expr:
    """A parenthesised expression: same node, range and text widened to the parentheses."""
    if isinstance(inner, s.Number):  # a number's text is its literal, read as a Decimal
        return dataclasses.replace(inner, range=rng)
    return dataclasses.replace(inner, range=rng, start=span[0], end=span[1])
