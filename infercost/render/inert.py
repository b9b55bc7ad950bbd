"""Output a CI runner reads as data, never as a command, and that never leaks a secret.

A GitHub Actions runner scans every line of a job's log: a line that starts (after
blanks) with ``::`` is a workflow command (``::stop-commands::TOKEN`` turns off every
later annotation, ``::error`` forges one, ``::add-mask::`` hides text) and ``##[`` or
``##vso[`` a legacy one. Anything from a stack, usage file or message may be written
by whoever opened the pull request, so the CLI's streams pass through :func:`inert`:

- control characters (other than newline and tab), line separators and bidirectional
  overrides are shown as ``\\xNN`` / ``\\uNNNN`` escapes, so no text can start a line
  the reader does not see (a bare CR is a line end for the runner) or reorder one;
  an ESC is one too, even in a colour sequence: the only colour kept is the colour
  infercost writes itself (:func:`sgr`, marked by a key of this process that no
  input can know);
- a line that would start a runner command gets a backslash before it
  (``\\::stop-commands::x``), and a legacy ``##[`` command anywhere in a line one
  before its bracket (``##\\[warning]``), visible and inert;
- GitHub tokens, ``Authorization`` values and the password of a URL become ``***``.

The ``github`` output format is the one writer of real commands: its renderer escapes
every value it puts in one, and it bypasses the line rule (not the redaction, nor the
backslash before a legacy command's bracket).
"""

from __future__ import annotations

import os
import re
from typing import Any, NamedTuple, TextIO

from infercost.invisible import C0_BUT_LAYOUT, HIDDEN

_CONTROL = re.compile(f"[{C0_BUT_LAYOUT}{HIDDEN}]")
# infercost's own colour codes are written as _MARK + CODE + "m" and become real SGR
# sequences (ESC [ CODE m) only when they leave through a coloured stream. The key is
# drawn when the process starts, so no stack, usage file or argument can hold one: an
# ESC [31m from any of them is always shown as the escape it is.
_MARK = f"\x00{os.urandom(8).hex()}["  # (os, not secrets: no hashlib at start-up)
_SGR = re.compile(re.escape(_MARK) + r"([0-9;]*)m")
_COMMAND = re.compile(r"^([\s\u200b\ufeff]*)::", re.MULTILINE)
# The legacy commands are found anywhere in a line (the runner looks for "##[" with
# IndexOf, Azure Pipelines for "##vso["), so their bracket is escaped wherever it is.
_LEGACY = re.compile(r"(?i)##(vso)?\[")
# Each pattern starts with literal text, so a document of megabytes is scanned fast.
_TOKENS = re.compile(r"gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}")
# (never past a quote or comma: a JSON document stays JSON)
_AUTHORIZATION = re.compile(r"(?i)\b(authorization:\s*)(?:(bearer|token|basic)\s+)?[^\s\"',;]+")
# userinfo of a URL: https://user:secret@host, https://x-access-token:...@host
_USERINFO = re.compile(r"://[^/\s@\"'<>,]+@")
_TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN", "INFERCOST_GITHUB_TOKEN", "ACTIONS_RUNTIME_TOKEN")
# Formats whose text is JSON: control characters are already escaped by the encoder,
# and re-escaping them would not be JSON.
_JSON_FORMATS = {"json", "sarif"}


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def sgr(code: str) -> str:
    """infercost's own colour sequence ``ESC [ code m``, as the views write it: marked,
    so that :func:`escape_controls` keeps it (with ``keep_colour``) and nothing else."""
    return f"{_MARK}{code}m"


def strip_colour(text: str) -> str:
    """``text`` without infercost's own colour sequences."""
    return _SGR.sub("", text) if _MARK in text else text


def escape_controls(text: str, keep_colour: bool = False) -> str:
    """Control, line-separator and bidi characters as visible escapes (newline and tab
    kept). The colour infercost wrote itself (:func:`sgr`) becomes real SGR sequences
    with ``keep_colour`` and is dropped without; any other ESC, a colour sequence from
    a stack, usage file or argument included, is shown as an escape."""
    if _MARK not in text:
        return _CONTROL.sub(lambda m: _escape(m.group()), text)
    if not keep_colour:
        return _CONTROL.sub(lambda m: _escape(m.group()), _SGR.sub("", text))
    out = []
    position = 0
    for match in _SGR.finditer(text):
        out.append(_CONTROL.sub(lambda m: _escape(m.group()), text[position : match.start()]))
        out.append(f"\x1b[{match.group(1)}m")
        position = match.end()
    out.append(_CONTROL.sub(lambda m: _escape(m.group()), text[position:]))
    return "".join(out)


def redact(text: str) -> str:
    """Tokens, authorization values and URL passwords replaced by ``***``.

    GitHub tokens (personal, fine-grained, OAuth, user-to-server, server-to-server as
    the Actions ``GITHUB_TOKEN``, refresh), the value after ``Authorization:``, the user
    and password of a URL, and the value of every token variable of the environment.
    """
    text = _TOKENS.sub("***", text)
    if "uthorization" in text or "UTHORIZATION" in text:
        text = _AUTHORIZATION.sub(r"\1\2 ***", text)
    if "@" in text:
        text = _USERINFO.sub("://***@", text)
    for name in _TOKEN_VARIABLES:
        value = os.environ.get(name, "")
        if len(value) >= 8:
            text = text.replace(value, "***")
    return text


def neutralize_legacy(text: str, syntax: str = "text") -> str:
    """A backslash (in JSON ``\\u005b``, in HTML a character reference) before the
    bracket of every legacy ``##[`` or ``##vso[`` command, wherever it is in a line."""
    # "#" first: a one-character search is a fast scan, and most documents have none.
    if "#" in text and "##" in text:
        bracket = {"json": "\\u005b", "html": "&#91;"}.get(syntax, "\\[")
        text = _LEGACY.sub(lambda m: m.group()[:-1] + bracket, text)
    return text


def neutralize_commands(text: str, syntax: str = "text") -> str:
    """A backslash before every ``::`` that starts a line, and before the bracket of
    every ``##[``; in JSON the bracket is ``\\u005b`` (a backslash would be an
    escape there), in HTML both are character references."""
    text = neutralize_legacy(text, syntax)
    if "::" in text:
        colon = "&#58;:" if syntax == "html" else "\\::"
        text = _COMMAND.sub(lambda m: m.group(1) + colon, text)
    return text


def inert(text: str, keep_colour: bool = False) -> str:
    """Text safe to print in a CI log: see the module's docstring."""
    return neutralize_commands(escape_controls(redact(text), keep_colour))


class Treated(NamedTuple):
    """A document its renderer has already passed through :func:`for_format` for
    ``format`` (a renderer that knows which parts of a large document can hold text
    from a stack or usage file filters those parts only, see
    :func:`infercost.render.customers_json.breakdown_json_inert`)."""

    text: str
    format: str


def token_variables_set() -> bool:
    """Whether a token variable of the environment has a value :func:`redact` replaces:
    such a value may be any text, so only a scan of the whole document finds it."""
    return any(len(os.environ.get(name, "")) >= 8 for name in _TOKEN_VARIABLES)


def needs_filter(text: str) -> bool:
    """Whether :func:`for_format` could change ``text`` (or text around it) in a JSON
    document: every pattern of :func:`redact` and :func:`neutralize_commands` needs a
    ``:``, ``#`` or ``@`` or is a token itself. ``text`` without any of them, put in a
    JSON document between a space or bracket and a bracket, comma or newline, changes
    nothing there (token variables aside: see :func:`token_variables_set`)."""
    return ":" in text or "#" in text or "@" in text or _TOKENS.search(text) is not None


def for_format(format_name: str, text: str | Treated) -> str:
    """A rendered document made inert as its format allows: real commands stay in the
    ``github`` format (its control characters escaped), JSON keeps its own escapes."""
    if isinstance(text, Treated):
        if text.format == format_name:
            return text.text
        text = text.text
    text = redact(text)
    if format_name == "github":
        # Its commands stay; a message's ESC or text-direction character does not reach
        # the log raw (infercost writes no colour in annotations), nor does a legacy
        # "##[error]" inside an annotation's text.
        return neutralize_legacy(escape_controls(text))
    if format_name in _JSON_FORMATS:
        return neutralize_commands(text, "json")
    if format_name == "html":
        return neutralize_commands(escape_controls(text), "html")
    return neutralize_commands(escape_controls(text, keep_colour=True))


class InertStream:
    """A text stream that writes whole lines through :func:`inert`.

    Partial lines are held until their newline (or :meth:`flush`), so a command cannot
    be assembled from two writes. :meth:`write_document` is for documents that
    :func:`for_format` has already treated.
    """

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw
        self._pending = ""

    def write(self, text: str) -> int:
        data = self._pending + text
        head, newline, self._pending = data.rpartition("\n")
        if newline:
            self.raw.write(inert(head + newline, keep_colour=True))
        return len(text)

    def write_document(self, text: str) -> None:
        """A rendered document already made safe by :func:`for_format` (JSON keeps its
        own escapes; the ``github`` format its commands)."""
        self.flush()
        self.raw.write(text)

    def flush(self) -> None:
        if self._pending:
            self.raw.write(inert(self._pending, keep_colour=True))
            self._pending = ""
        flush = getattr(self.raw, "flush", None)
        if flush is not None:
            flush()

    def isatty(self) -> bool:
        isatty = getattr(self.raw, "isatty", None)
        return bool(isatty and isatty())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)
