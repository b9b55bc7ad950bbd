"""A table-driven LALR(1) parser with a contextual tokenizer, run from plain data.

:mod:`infercost.config.hcl` derives the tables once from lark's parser of
python-hcl2's grammar (the parse table, each state's tokenizer, the tree-shaping rules)
and caches them as plain dicts, tuples and strings. Parsing a file then needs neither
lark nor its lexers: importing lark (and the ``regex`` module it pulls in) and
compiling its per-state scanners cost more than parsing a small stack, and lark's
per-token machinery (a ``str`` subclass per token, a generator per lexer, a Python
``__hash__`` per reduction) dominates a large one.

The result is lark's tree, node for node, in lighter clothes: :class:`Node` is a
``(data, children)`` tuple and :class:`Tok` an 8-tuple with lark's token fields. How
each choice is made, so that the two always agree (tests compare them on every file
and on generated text):

* Tokens. lark's contextual lexer gives, in each parser state, the first terminal of
  that state's list (lark's global order: priority, width, length, name) whose pattern
  matches. Here one master pattern holds every terminal in that same global order, so
  its first match is the state's answer whenever that terminal is allowed in the state;
  otherwise (rare) the state's own list is tried terminal by terminal. lark's
  "unless" rule (a ``NAME`` that spells a keyword the state allows becomes that
  keyword) and its line counting (only terminals whose pattern can hold a newline
  count lines) are applied as lark applies them.
* python-hcl2's post-lexer: a newline followed by a binary operator or ``?`` is merged
  into that operator's token.
* Trees: a reduction keeps the children lark keeps, splices the children of ``_rule``
  nodes into their parent and returns a ``?rule``'s only child in its place, naming the
  node by the rule's alias or name.

Anything the tables do not allow raises :class:`Reject`; the caller then lets lark
parse the text to produce lark's own error, so every syntax message stays lark's.
"""

from __future__ import annotations

import re
from operator import itemgetter
from typing import TYPE_CHECKING, Any

__all__ = ["FORMAT", "Node", "Parser", "Reject", "Tok"]

# Bumped whenever the layout of the tables changes: a cache in another layout is rebuilt.
FORMAT = "lalr-tables-3"

_new = tuple.__new__
_NEWLINE = 1  # the terminal may hold a newline: count lines
_IGNORE = 2  # the terminal is skipped (blanks)


class Tok(tuple):  # type: ignore[type-arg]
    """A token: lark's fields, in a tuple (built at C speed, read through properties)."""

    __slots__ = ()

    if TYPE_CHECKING:
        type: str
        value: str
        start_pos: int
        line: int
        column: int
        end_line: int
        end_column: int
        end_pos: int

        def __new__(cls, fields: tuple[str, str, int, int, int, int, int, int]) -> Tok: ...

    else:
        type = property(itemgetter(0))
        value = property(itemgetter(1))
        start_pos = property(itemgetter(2))
        line = property(itemgetter(3))
        column = property(itemgetter(4))
        end_line = property(itemgetter(5))
        end_column = property(itemgetter(6))
        end_pos = property(itemgetter(7))

    def __repr__(self) -> str:
        return f"Tok({self.type!r}, {self.value!r}, line {self.line}, column {self.column})"


class Node(tuple):  # type: ignore[type-arg]
    """A tree node: its rule's name (or alias) and its children, nodes and tokens."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: str
        children: list[Node | Tok]

        def __new__(cls, fields: tuple[str, list[Node | Tok]]) -> Node: ...

    else:
        data = property(itemgetter(0))
        children = property(itemgetter(1))

    def __repr__(self) -> str:
        return f"Node({self.data!r}, {self.children!r})"


class Reject(Exception):
    """The text is not in the language (or not as these tables see it): ask lark."""


class Parser:
    """Parses text with the tables :mod:`infercost.config.hcl` derives from lark.

    ``tables`` is a plain dict:

    ``start``, ``end``
        the start state and the state reached once ``start`` is reduced;
    ``actions``
        ``{state: {symbol: action}}``: an ``int`` shifts (or, for a rule name after a
        reduction, goes) to that state; a reduction is ``(size, origin, data, expand1,
        include)``, ``include`` being ``None`` (keep every child) or lark's
        ``(index, splice)`` pairs, and ``size`` -1 for a reduction that hands its one
        child up unchanged (a ``?rule`` of one symbol: three in five reductions, the
        precedence ladder), where only the state on top of the stack changes;
    ``terminals``
        ``[(name, regexp, priority)]`` in lark's global order;
    ``lexers``, ``state_lexer``
        per distinct tokenizer ``(names in order, {terminal: {text: keyword}})``,
        and the tokenizer of each state;
    ``ignore``, ``newline``, ``operators``
        the terminals skipped, those that may hold a newline, and those a preceding
        newline merges into.
    """

    def __init__(self, tables: dict[str, Any]) -> None:
        self.start: int = tables["start"]
        self.end: int = tables["end"]
        self.actions: dict[int, dict[str, Any]] = tables["actions"]
        terminals: list[tuple[str, str, int]] = tables["terminals"]
        self.patterns = {name: rx for name, rx, _ in terminals}
        self.compiled: dict[str, re.Pattern[str]] = {}
        self.chains: dict[tuple[int, int, str], int] = {}
        self.operators: frozenset[str] = frozenset(tables["operators"])
        # One master pattern per context: the tokenizers that allow the same terminals
        # of raised priority (inside a string, or not) share the union of their terminals,
        # in the global order; a high-priority catch-all like STRING_CHARS would
        # otherwise win everywhere and send every token down the slow path.
        raised = {name for name, _, priority in terminals if priority}
        contexts: dict[frozenset[str], set[str]] = {}
        for names, _ in tables["lexers"]:
            contexts.setdefault(frozenset(raised.intersection(names)), set()).update(names)
        masters = {
            key: re.compile(
                "|".join(f"(?P<{name}>{rx})" for name, rx, _ in terminals if name in members)
            ).match
            for key, members in contexts.items()
        }
        ignore, newline = frozenset(tables["ignore"]), frozenset(tables["newline"])
        lexers = []
        for names, unless in tables["lexers"]:
            # What each allowed terminal needs beyond becoming a token: 0 nothing, flags
            # for counting lines and for being skipped, or the keywords it may spell.
            allowed: dict[str, Any] = {}
            for name in names:
                flags = (_NEWLINE if name in newline else 0) | (_IGNORE if name in ignore else 0)
                if name in unless:
                    if flags:
                        raise ValueError(f"{name}: keywords of a skipped or multi-line token")
                    allowed[name] = dict(unless[name])
                else:
                    allowed[name] = flags
            key = frozenset(raised.intersection(names))
            lexers.append((allowed, tuple(names), masters[key]))
        self.state_lexer: dict[int, tuple[Any, ...]] = {
            state: lexers[index] for state, index in tables["state_lexer"].items()
        }

    def _chain(self, below: int, origin: str, kind: str) -> int:
        """The state a run of hand-up reductions ends in, over ``below``, before ``kind``."""
        actions = self.actions
        state: int = actions[below][origin]
        while not (kind == "$END" and state == self.end):
            action = actions[state].get(kind)
            if action is None or action.__class__ is int or action[0] >= 0:
                break
            state = actions[below][action[1]]
        return state

    def _slow_match(self, names: tuple[str, ...], text: str, pos: int) -> tuple[str, str]:
        """The state's own first match, terminal by terminal (the master pattern's first
        match is a terminal this state does not allow)."""
        for name in names:
            pattern = self.compiled.get(name)
            if pattern is None:
                pattern = self.compiled[name] = re.compile(self.patterns[name])
            m = pattern.match(text, pos)
            if m is not None:
                return name, m.group()
        raise Reject(pos)

    def parse(self, text: str) -> Node:
        """The tree of ``text`` (which, like lark's input here, ends in a newline)."""
        actions, state_lexer = self.actions, self.state_lexer
        slow_match = self._slow_match
        chains = self.chains
        operators = self.operators
        states: list[int] = [self.start]
        values: list[Any] = []
        end_state = self.end
        size_of_text = len(text)
        pos = 0
        line = 1
        line_start = 0
        pending: Tok | None = None  # a newline that may belong to the next operator
        last: Tok | None = None
        while True:
            # -- the next significant token, in the tokenizer of the current state --
            if pos < size_of_text:
                allowed, names, master_match = state_lexer[states[-1]]
                while True:
                    m = master_match(text, pos)
                    if m is not None and (special := allowed.get(m.lastgroup)) is not None:
                        kind: str = m.lastgroup
                        value: str = m.group()
                    else:
                        kind, value = slow_match(names, text, pos)
                        special = allowed[kind]
                    start = pos
                    start_line = line
                    column = pos - line_start + 1
                    pos += len(value)
                    if special:  # most tokens are plain (0)
                        if special.__class__ is dict:  # a name that may spell a keyword
                            kind = special.get(value, kind)
                        else:
                            if special & _NEWLINE:
                                count = value.count("\n")
                                if count:
                                    line += count
                                    line_start = start + value.rindex("\n") + 1
                            if special & _IGNORE:
                                if pos < size_of_text:
                                    continue
                                token = None
                                break
                    token = _new(
                        Tok,
                        (kind, value, start, start_line, column, line, pos - line_start + 1, pos),
                    )
                    break
            else:
                token = None
            # -- python-hcl2's post-lexer: a newline may join the operator after it --
            if token is not None:
                last = token
                if token[0] == "NL_OR_COMMENT":
                    if pending is None:
                        pending = token
                        continue
                    todo: tuple[Tok, ...] = (pending,)
                    pending = token
                elif pending is not None:
                    if token[0] in operators:
                        todo = (_new(Tok, (token[0], pending[1] + token[1], *token[2:])),)
                    else:
                        todo = (pending, token)
                    pending = None
                else:
                    todo = (token,)
            else:
                if last is not None:
                    end = _new(Tok, ("$END", "", *last[2:]))
                else:
                    end = _new(Tok, ("$END", "", 0, 1, 1, 1, 1, 0))
                todo = (end,) if pending is None else (pending, end)
            # -- the LALR loop: reduce while the table says so, then shift --
            for item in todo:
                kind = item[0]
                while True:
                    action = actions[states[-1]].get(kind)
                    if action is None:
                        raise Reject(item)
                    if action.__class__ is int:
                        states.append(action)
                        values.append(item)
                        break
                    size, origin, data, expand1, include = action
                    if size < 0:  # the child stays; only the state changes
                        # A run of these (the precedence ladder: eight for each operand)
                        # depends only on the state below, the state on top and the
                        # lookahead: walked once, then remembered.
                        key = (states[-2], states[-1], kind)
                        state = chains.get(key, -1)
                        if state < 0:
                            state = chains[key] = self._chain(states[-2], origin, kind)
                        states[-1] = state
                        if kind == "$END" and state == end_state:
                            return values[-1]  # type: ignore[no-any-return]
                        continue
                    if size:
                        children = values[-size:]
                        del states[-size:]
                        del values[-size:]
                    else:
                        children = []
                    if include is not None:
                        filtered: list[Any] = []
                        for index, splice in include:
                            if splice:
                                if filtered:
                                    filtered += children[index][1]
                                else:  # lark's own shortcut: reuse the left list
                                    filtered = children[index][1]
                            else:
                                filtered.append(children[index])
                        children = filtered
                    if expand1 and len(children) == 1:
                        node = children[0]
                    else:
                        node = _new(Node, (data, children))
                    state = actions[states[-1]][origin]
                    states.append(state)
                    values.append(node)
                    if kind == "$END" and state == end_state:
                        return node  # type: ignore[no-any-return]
            if todo[-1][0] == "$END":  # the end was shifted, not reduced to the start
                raise Reject(pos)
