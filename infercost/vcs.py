"""The one module that knows git: read a stack as committed at a ref.

Files are read straight from the object database (no checkout, no stash, the working
tree untouched). A stack directory that did not exist at the ref is an empty base, not
an error: everything in the head is then "create".

``A...B`` names the merge base of A and B, as GitHub diffs a pull request: comparing
with the tip of a base branch that moved on since the branch was cut would show the
changes merged there since, reversed, as if the pull request undid them. A missing
side is ``HEAD`` (``main...`` is ``main...HEAD``), as in git.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from infercost.errors import InfercostError, SourceRange


@dataclass
class RefStack:
    """The ``*.hcl`` texts of a stack directory at a ref, keyed by display name."""

    ref: str
    texts: dict[str, str] = field(default_factory=dict)
    exists: bool = True
    repo_root: Path | None = None
    commit: str = ""


def _open_repo(path: Path):  # type: ignore[no-untyped-def]
    import git

    from infercost.config.loader import display_path

    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise InfercostError.at(
            "Not a git repository",
            "--base needs the stack to be inside a git repository, and "
            f"{display_path(path)} is not.",
        ) from None


def read_stack_at(stack_dir: Path, ref: str) -> RefStack:
    """Read every ``*.hcl`` directly in ``stack_dir`` as committed at ``ref``."""

    stack_dir = Path(stack_dir).resolve()
    repo = _open_repo(stack_dir if stack_dir.exists() else stack_dir.parent)
    root = Path(repo.working_tree_dir or repo.git_dir).resolve()
    try:
        commit = _commit(repo, ref)
        tree = commit.tree  # a shallow clone can name a parent whose object is missing
    except _ref_errors():
        hint = ""
        if os.path.exists(os.path.join(repo.git_dir, "shallow")):
            hint = (
                " This is a shallow clone, so the base may not have been fetched: check out "
                "with full history (actions/checkout with fetch-depth: 0) or fetch the base ref."
            )
        what = "does not name a commit"
        if "..." in ref:
            what = "does not name a merge base (two commits with a common ancestor)"
        raise InfercostError.at("Unknown git ref", f'"{ref}" {what} in {root}.{hint}') from None
    relative = stack_dir.relative_to(root).as_posix() if stack_dir != root else ""
    result = RefStack(ref, repo_root=root, commit=commit.hexsha)
    if relative:
        try:
            tree = tree / relative
        except KeyError:
            result.exists = False
            return result
        if tree.type == "submodule":
            from infercost.config.loader import display_path

            raise InfercostError.at(
                "Not a directory at the base",
                f"{display_path(stack_dir)} is a git submodule (a gitlink) at {ref}; its files "
                "are not in this repository, so there is no base stack to read.",
            )
        if tree.type != "tree":
            result.exists = False
            return result
    from infercost.config.loader import display_path
    from infercost.config.project import PROJECT_FILE

    for blob in sorted(tree.blobs, key=lambda b: b.name):
        if blob.name.endswith(".hcl") and blob.name != PROJECT_FILE:
            name = f"{display_path(stack_dir / blob.name)}@{ref}"
            result.texts[name] = _decode(blob.data_stream.read(), name)
    if not result.texts:
        result.exists = False
    return result


def read_hcl_at(path: Path, ref: str) -> dict[str, str] | None:
    """A ``.hcl`` file, or the ``*.hcl`` files of a folder, as committed at ``ref``.

    None when ``path`` lies outside the repository (the caller reads it from disk);
    an empty dict when it did not exist at ``ref``.
    """

    from infercost.config.loader import display_path

    path = Path(path).resolve()
    repo = _open_repo(path if path.is_dir() else path.parent)
    root = Path(repo.working_tree_dir or repo.git_dir).resolve()
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        return None
    try:
        tree = _commit(repo, ref).tree
        node = tree / relative if relative else tree
    except _ref_errors():
        return {}
    if node.type == "blob":
        blobs = [node]
    elif node.type == "tree":
        blobs = [b for b in node.blobs if b.name.endswith(".hcl")]
    else:  # a gitlink (submodule): no file content at this ref
        raise InfercostError.at(
            "Not a file at the base",
            f"{display_path(path)} is a git submodule at {ref}, not a policy file or folder.",
        )
    out = {}
    for b in sorted(blobs, key=lambda b: b.path):
        name = f"{display_path(root / b.path)}@{ref}"
        out[name] = _decode(b.data_stream.read(), name)
    return out


# What GitPython raises for a ref it cannot resolve: "HEAD:../x" (a path that walks out
# of the tree) raises KeyError, "@{-1}" without a previous branch IndexError, a tree or
# blob where a commit is expected ValueError. All mean "not a commit here".
def _ref_errors() -> tuple[type[BaseException], ...]:
    import git

    return (
        git.BadName,
        git.BadObject,
        git.GitError,
        ValueError,
        LookupError,
        TypeError,
        AttributeError,
        NotImplementedError,
    )


def _commit(repo, ref: str):  # type: ignore[no-untyped-def]
    """The commit a ref names; for ``A...B``, their merge base. A ref that names a path
    or a tree is not a commit, and no side is ever an option for git."""
    import git

    if "..." in ref:
        left, right = (side or "HEAD" for side in ref.split("...", 1))
        bases = repo.merge_base(_commit(repo, left), _commit(repo, right))
        if not bases:
            raise ValueError(ref)
        return bases[0]
    if ":" in ref or ref.startswith("-") or "\0" in ref:
        raise ValueError(ref)
    commit = repo.commit(ref)
    if not isinstance(commit, git.Commit):  # pragma: no cover - GitPython raises first
        raise ValueError(ref)
    return commit


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InfercostError.at(
            "Unreadable file",
            f"{name} is not UTF-8 text (byte {exc.start + 1}, line {line}).",
            range=SourceRange.point(name, line),
        ) from None


def repository_root(path: Path) -> Path | None:
    """The top of the git work tree holding ``path``, or None outside a repository."""
    import git

    try:
        repo = git.Repo(Path(path).resolve(), search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    return Path(repo.working_tree_dir).resolve() if repo.working_tree_dir else None


def read_file_at(path: Path, ref: str) -> bytes | None:
    """One file as committed at ``ref``; None when it did not exist there (or lies
    outside the repository)."""
    import git

    path = Path(path).resolve()
    repo = _open_repo(path.parent if path.parent.exists() else Path.cwd())
    root = Path(repo.working_tree_dir or repo.git_dir).resolve()
    try:
        relative = path.relative_to(root).as_posix()
        node = _commit(repo, ref).tree / relative
    except (ValueError, KeyError, git.BadName, git.BadObject, git.GitCommandError):
        return None
    if node.type != "blob":
        return None
    data: bytes = node.data_stream.read()
    return data


def read_committed(path: Path, ref: str, within: Path) -> tuple[str, bytes] | None:
    """One file as committed at ``ref`` in the repository holding ``within`` (the stack
    directory): its display name (``FILE@REF``) and bytes.

    None when ``path`` lies outside that repository, or did not exist (or was not a
    regular file) at ``ref``: the caller then has no committed version to use.
    """
    import git

    from infercost.config.loader import display_path

    path = Path(path).resolve()
    within = Path(within).resolve()
    repo = _open_repo(within if within.exists() else within.parent)
    root = Path(repo.working_tree_dir or repo.git_dir).resolve()
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        return None
    try:
        node = repo.commit(ref).tree / relative
    except (KeyError, git.BadName, git.BadObject, ValueError):
        return None
    if node.type != "blob":
        return None
    data: bytes = node.data_stream.read()
    return f"{display_path(path)}@{ref}", data


@dataclass(frozen=True)
class Revision:
    """One first-parent commit and the stack's ``*.hcl`` files as committed there.

    ``files`` maps the name a file has today (display name) to (blob id, text): a file
    renamed or moved into the stack since keeps today's name in older commits."""

    commit: str
    date: str  # ISO 8601 commit date
    author: str
    summary: str
    files: dict[str, tuple[str, str]]


def stack_revisions(stack_dir: Path, ref: str = "HEAD") -> list[Revision]:
    """The stack's files at every first-parent commit of ``ref``, newest first, read
    from git objects (no checkout). Renames of the stack's files, or of the directory,
    are followed; a blob is read once however many commits share it.

    Three git processes do all the reading, whatever the length of the history: one log
    of the first-parent diffs (with rename detection), one of the commits' dates,
    authors and subjects, and one batch read of the distinct blobs."""
    import git

    from infercost.config.loader import display_path

    stack_dir = Path(stack_dir).resolve()
    repo = _open_repo(stack_dir if stack_dir.exists() else stack_dir.parent)
    root = Path(repo.working_tree_dir or repo.git_dir).resolve()
    try:
        head = repo.commit(ref)
    except (git.BadName, git.BadObject, ValueError):
        raise InfercostError.at("Unknown git ref", f'"{ref}" does not name a commit.') from None
    relative = stack_dir.relative_to(root).as_posix() if stack_dir != root else ""
    prefix = f"{relative}/" if relative else ""
    # path in the commit being read -> (today's display name, blob id)
    tracked: dict[str, tuple[str, str]] = {}
    try:
        node = head.tree / relative if relative else head.tree
        blobs = node.blobs if node.type == "tree" else []
    except KeyError:
        blobs = []
    from infercost.config.project import PROJECT_FILE

    for blob in blobs:
        if blob.name.endswith(".hcl") and blob.name != PROJECT_FILE:
            tracked[blob.path] = (display_path(root / blob.path), blob.hexsha)
    metadata = _commit_metadata(repo, head.hexsha)
    states: list[tuple[str, dict[str, tuple[str, str]]]] = []
    for commit, entries in _first_parent_diffs(repo, head.hexsha):
        states.append((commit, dict(tracked)))
        tracked = _parent_state(tracked, entries, prefix, root)
    texts = _read_blobs(root, {blob for _, state in states for _, blob in state.values()})
    out = []
    for commit, state in states:
        date, author, summary = metadata.get(commit, ("", "", ""))
        files = {name: (blob, texts[blob]) for name, blob in state.values() if blob in texts}
        out.append(Revision(commit, date, author, summary, files))
    return out


def _commit_metadata(repo, head: str) -> dict[str, tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """Commit -> (date, author, subject): four NUL-separated fields per commit (none of
    them can hold a NUL), so no text in a message can shift the fields."""
    output = repo.git.log("--first-parent", "-z", "--format=%H%x00%cI%x00%an%x00%s", head)
    fields = output.split("\0")
    out = {}
    for i in range(0, len(fields) - 3, 4):
        out[fields[i].strip()] = (fields[i + 1], fields[i + 2], fields[i + 3])
    return out


def _first_parent_diffs(repo, head: str) -> list[tuple[str, list[tuple[str, ...]]]]:  # type: ignore[no-untyped-def]
    """Newest first: each first-parent commit and its raw diff against its first parent,
    as (status, old blob, new blob, path[, new path]) entries."""
    output = repo.git.log(
        "--first-parent",
        "--diff-merges=first-parent",
        "--raw",
        "--no-abbrev",
        "-M",
        "-z",
        "--format=%x01%H",
        head,
    )
    tokens = output.split("\0")
    out: list[tuple[str, list[tuple[str, ...]]]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i].lstrip("\n")
        i += 1
        if token.startswith("\x01"):
            out.append((token[1:].strip(), []))
        elif token.startswith(":") and out:
            meta = token[1:].split()
            status = meta[4]
            paths = 2 if status[0] in "RC" else 1
            out[-1][1].append((status[0], meta[2], meta[3], *tokens[i : i + paths]))
            i += paths
    return out


def _parent_state(
    tracked: dict[str, tuple[str, str]],
    entries: list[tuple[str, ...]],
    prefix: str,
    root: Path,
) -> dict[str, tuple[str, str]]:
    """The tracked files as they were before a commit, from that commit's diff."""
    from infercost.config.loader import display_path
    from infercost.config.project import PROJECT_FILE

    state = dict(tracked)
    directories = {path.rsplit("/", 1)[0] + "/" if "/" in path else "" for path in tracked}
    directories.add(prefix)
    for entry in entries:
        status, old_blob, _new_blob, path = entry[:4]
        if status in "RC":
            old_path, new_path = path, entry[4]
            if new_path in state:
                name, _ = state.pop(new_path) if status == "R" else state[new_path]
                state[old_path] = (name, old_blob)
            continue
        if status == "A":
            state.pop(path, None)
        elif status in "MT" and path in state:
            state[path] = (state[path][0], old_blob)
        elif status == "D" and path.endswith(".hcl") and not path.endswith(PROJECT_FILE):
            # A file deleted by this commit existed before it: part of the stack if it
            # lay in a directory the stack's files were in.
            directory = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
            if directory in directories:
                state[path] = (display_path(root / path), old_blob)
    return state


def _read_blobs(root: Path, blobs: set[str]) -> dict[str, str]:
    """Every blob's text in one ``git cat-file --batch``."""
    import subprocess

    if not blobs:
        return {}
    order = sorted(blobs)
    done = subprocess.run(
        ["git", "-C", str(root), "cat-file", "--batch"],
        input=("\n".join(order) + "\n").encode(),
        capture_output=True,
        check=True,
    )
    data = done.stdout
    out: dict[str, str] = {}
    position = 0
    for blob in order:
        end = data.index(b"\n", position)
        header = data[position:end].split()
        position = end + 1
        if len(header) < 3 or header[1] == b"missing":
            continue
        size = int(header[2])
        out[blob] = data[position : position + size].decode("utf-8", errors="replace")
        position += size + 1
    return out
