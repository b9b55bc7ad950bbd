"""Reading files a user names: regular files only, bounded, and where they may lie.

A stack, a policy, a what-if or a usage file may be written by an attacker (a pull
request is input). So a name is never trusted to be a file: a FIFO would block a run
forever, a device (``/dev/zero``) would never end, and ``/proc`` or ``/sys`` hold
pseudo-files (``/proc/self/environ`` is the process's secrets) whose size says 0. Every
user file is opened without blocking, checked to be a regular file on the open
descriptor (no race with a rename), refused under the kernel's pseudo file systems,
and read up to a size limit. Paths named inside a stack must also stay inside the
stack's repository (or the stack directory, outside git): only the command line may
point elsewhere.

Within a command (:func:`remembering_inputs`), every file read is remembered, so that no
output of the same run replaces one (``-o json=usage.csv``, ``--out records.jsonl``): a
mistyped output name must never destroy the data it was computed from.
"""

from __future__ import annotations

import codecs
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path
from typing import NamedTuple

from infercost.errors import InfercostError, SourceRange

MAX_BYTES = 256 * 1024 * 1024  # far above any real configuration, below a memory blow-up
PSEUDO_ROOTS = ("/proc", "/sys", "/dev")


# The real paths of the files read by the running command (None: not remembering).
_INPUTS: ContextVar[set[str] | None] = ContextVar("infercost_inputs", default=None)


@contextmanager
def remembering_inputs() -> Iterator[None]:
    """Remember the files read within, for :func:`check_target`; one command's worth."""
    token = _INPUTS.set(set())
    try:
        yield
    finally:
        _INPUTS.reset(token)


def note_input(path: Path | str) -> None:
    """Remember ``path`` as read by this command (by its real path: a link or ``..``
    in an output's name still finds it)."""
    inputs = _INPUTS.get()
    if inputs is not None:
        inputs.add(os.path.realpath(path))


def _shown(path: Path) -> str:
    from infercost.config.loader import display_path

    return display_path(path)


def is_pseudo(path: Path) -> bool:
    real = os.path.realpath(path)
    return any(real == root or real.startswith(root + os.sep) for root in PSEUDO_ROOTS)


def refuse_special(path: Path, what: str = "file") -> None:
    """Raise if ``path`` is a pipe, device or socket, or lies under /proc, /sys or /dev.
    Used before a path is handed to a reader that opens it itself (which reports a
    missing file or a directory in its own words)."""
    if is_pseudo(path):
        raise InfercostError.at(
            "Not a regular file",
            f"{_shown(path)} is a system pseudo-file; infercost reads a {what} only from "
            "regular files.",
        )
    note_input(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return  # the reader reports a missing file in its own words
    except OSError as exc:
        raise InfercostError.at("Unreadable file", f"{_shown(path)}: {exc.strerror}.") from None
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):  # readers name a directory
        raise InfercostError.at(
            "Not a regular file",
            f"{_shown(path)} is {_kind(mode)}; a {what} must be a regular file.",
        )


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bytes(path: Path, what: str = "file", limit: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file, or a located-at-the-file error; never blocks."""
    if is_pseudo(path):
        refuse_special(path, what)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InfercostError.at("File not found", f"{_shown(path)} does not exist.") from None
    except OSError as exc:
        raise InfercostError.at("Unreadable file", f"{_shown(path)}: {exc.strerror}.") from None
    note_input(path)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InfercostError.at(
                "Not a regular file",
                f"{_shown(path)} is {_kind(mode)}; a {what} must be a regular file.",
            )
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > limit:
                raise InfercostError.at(
                    "File too large",
                    f"{_shown(path)} is larger than {limit // (1024 * 1024)} MiB.",
                )
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise InfercostError.at("Unreadable file", f"{_shown(path)}: {exc.strerror}.") from None
    finally:
        os.close(fd)


def read_text(path: Path, what: str = "file", limit: int = MAX_BYTES) -> str:
    """A regular file as UTF-8 text, or an error naming the first bad byte's line."""
    data = read_bytes(path, what, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InfercostError.at(
            "Unreadable file",
            f"{_shown(path)} is not UTF-8 text (byte {exc.start + 1}, line {line}).",
            range=SourceRange.point(_shown(path), line),
        ) from None


def confine(path: Path, roots: Iterable[Path], what: str, at: SourceRange | None = None) -> None:
    """Raise unless ``path`` (symlinks resolved) lies inside one of ``roots``.

    For paths named inside a stack (its ``policies`` or ``usage`` settings): a
    configuration from a pull request must not make the runner read files elsewhere on
    the machine. The command line is trusted and never confined.
    """
    real = Path(os.path.realpath(path))
    allowed = [Path(os.path.realpath(r)) for r in roots]
    if any(real == r or r in real.parents for r in allowed):
        return
    where = " or ".join(_root(r) for r in allowed) or "the stack"
    # A symbolic link is named as given, with where it leads.
    leads = "" if Path(os.path.abspath(path)) == real else f" (it resolves to {real})"
    raise InfercostError.at(
        "Path outside the repository",
        f"The {what} {_shown(path)}{leads} lies outside {where}. A stack may only name files "
        "inside its repository (or its own directory); give other files on the command line.",
        at,
    )


def _root(root: Path) -> str:
    """A confining root as a message names it: a work tree as the repository at its full
    path, a directory relative to the working directory, but never as a bare "." or
    "..", which would name the working directory instead of the root."""
    if os.path.lexists(root / ".git"):
        return f"the repository at {root}"
    shown = _shown(root)
    return str(root) if not shown.replace(os.sep, "").strip(".") else shown


def stack_roots(stack_dir: Path) -> list[Path]:
    """Where a stack's own settings may point: its git work tree, else its directory.

    The work tree is the nearest directory holding ``.git`` (a directory, or a file in
    a linked worktree or submodule), found by looking, not by loading git: a plain
    ``validate`` should not pay for importing it."""
    start = Path(os.path.realpath(stack_dir))
    for directory in (start, *start.parents):
        if os.path.lexists(directory / ".git"):
            return [directory]
    return [Path(stack_dir)]


def new_file(directory: Path, prefix: str, suffix: str) -> tuple[int, Path]:
    """A new file of an unused name in ``directory``, open for writing, with the mode
    the user's umask gives any file they create (``tempfile.mkstemp`` gives 0600: right
    for a secret, wrong for a file that is then renamed into place as an output)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    while True:
        name = directory / f"{prefix}{secrets.token_hex(8)}{suffix}"
        try:
            return os.open(name, flags, 0o666), name
        except FileExistsError:
            continue


def replace_atomically(path: Path, text: str, newline: str | None = None) -> None:
    """Write ``text`` to a new file beside ``path``, then rename it over ``path``: a
    reader never sees half a file, and a failed write leaves the old one whole.

    The new file gets the mode of the file it replaces (a snapshot others may read stays
    readable), or for a new file the mode the user's umask gives any file they create;
    a temporary file's private mode never becomes the output's. Raises ``OSError``."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, temporary = new_file(directory, ".infercost-", path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            handle.write(text)
        with suppress(FileNotFoundError):
            os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


def check_target(path: Path) -> None:
    """Raise unless ``path`` can be written as an output file: its directory must exist
    (a typo in a path never creates a tree of directories, as with Terraform and most
    tools), be writable, and the path itself must be neither a directory nor a file
    this command has read. Checked for every output before any is written, so one bad
    target leaves no other file half done."""
    parent = path.parent if str(path.parent) else Path(".")
    problem = None
    if not parent.exists():
        problem = f"the directory {parent} does not exist; create it first"
    elif not parent.is_dir():
        problem = f"{parent} is not a directory"
    elif path.is_dir():
        problem = "it is a directory"
    elif not os.access(path if path.exists() else parent, os.W_OK):
        problem = "permission denied"
    elif os.path.realpath(path) in (_INPUTS.get() or ()):
        problem = "it is an input of this run, and writing it would replace what was read"
    if problem is not None:
        raise InfercostError.at("Cannot write output", f"{path}: {problem}.")


class BadByte(NamedTuple):
    """Where a file stops being UTF-8: the byte and its line (both from 1), and why."""

    byte: int
    line: int
    reason: str


def first_bad_utf8(path: Path | str) -> BadByte | None:
    """The first byte of a file that is not UTF-8 (a file ending inside a character: that
    character's first byte), read in chunks, so a file of gigabytes costs no more memory
    than a megabyte. For error paths: readers call it when the engine refused a file."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    consumed = newlines = 0
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(1 << 20)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                pending = len(exc.object) - len(chunk)  # a character begun before
                line = newlines + exc.object[: exc.start].count(b"\n") + 1
                return BadByte(consumed - pending + exc.start + 1, line, exc.reason)
            if not chunk:
                return None
            consumed += len(chunk)
            newlines += chunk.count(b"\n")
