"""From a stack directory (or file texts read elsewhere, e.g. from git) to parsed files.

A stack is every ``*.hcl`` directly in one directory, read together; file order never
matters, so files are sorted by name for stable diagnostics. Structural problems in all
files are collected before failing, so ``validate`` reports everything at once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from infercost.config import syntax as s
from infercost.config.hcl import parse_text
from infercost.config.project import stack_files
from infercost.config.structure import check_structure
from infercost.errors import Diagnostic, InfercostError


def display_path(path: Path | str) -> str:
    """Paths in messages are relative to the working directory when that is shorter."""
    text = str(path)
    try:
        rel = os.path.relpath(text)
    except ValueError:  # pragma: no cover - other drive on Windows
        return text
    return rel if len(rel) < len(text) or not os.path.isabs(text) else text


def read_stack_dir(directory: Path) -> dict[str, str]:
    """Display name -> text of every ``*.hcl`` file of a stack directory."""
    if not directory.exists():
        raise InfercostError.at(
            "Stack not found", f"The directory {display_path(directory)} does not exist."
        )
    if not directory.is_dir():
        raise InfercostError.at("Stack not found", f"{display_path(directory)} is not a directory.")
    texts: dict[str, str] = {}
    for path in stack_files(directory):  # never the project file
        if path.is_symlink():
            # A link from a pull request must not make the runner print another file
            # (its first line shows in any syntax error): the rule for usage paths.
            from infercost.files import confine, stack_roots

            confine(path, stack_roots(directory), "configuration file")
        texts[display_path(path)] = read_text(path)
    if not texts:
        raise InfercostError.at(
            "Empty stack", f"No .hcl files were found in {display_path(directory)}."
        )
    return texts


def read_text(path: Path) -> str:
    """A user's file as UTF-8 text: regular files only, never a pipe or /proc (files.py)."""
    from infercost.files import read_text as read_user_text

    return read_user_text(path, "configuration file")


def parse_files(texts: Mapping[str, str], root: str | None = "stack") -> list[s.File]:
    """Parse (and unless ``root`` is None, structurally check) every file; raise with all
    diagnostics found."""
    files: list[s.File] = []
    diagnostics: list[Diagnostic] = []
    for name, text in texts.items():
        try:
            parsed = parse_text(text, name)
            if root is not None:
                check_structure(parsed.body, root)
        except InfercostError as exc:
            diagnostics.extend(exc.diagnostics)
            continue
        files.append(parsed)
    if diagnostics:
        raise InfercostError(*diagnostics)
    return files


def check_files(files: list[s.File], root: str = "stack") -> None:
    diagnostics: list[Diagnostic] = []
    for parsed in files:
        try:
            check_structure(parsed.body, root)
        except InfercostError as exc:
            diagnostics.extend(exc.diagnostics)
    if diagnostics:
        raise InfercostError(*diagnostics)
