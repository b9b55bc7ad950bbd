"""The stack's ``records`` setting resolved to files: wildcards expanded in the stack
directory, every match confined to the repository (a stack from a pull request must
not make a runner read files elsewhere), and a pattern that matches nothing an error
at the setting."""

from __future__ import annotations

import glob
from pathlib import Path

from infercost.errors import InfercostError
from infercost.files import confine, stack_roots
from infercost.model import Stack

WILDCARDS = frozenset("*?[")


def setting_records(stack: Stack) -> tuple[tuple[Path, ...], str] | None:
    """(files, source) of the stack's ``records`` setting, or None without one."""
    setting = stack.settings.records
    if setting is None:
        return None
    directory = Path(stack.directory)
    roots = stack_roots(directory)
    at = setting.at("files")
    out: list[Path] = []
    for pattern in setting.files:
        if WILDCARDS & set(pattern):
            matches = [Path(m) for m in sorted(glob.glob(str(directory / pattern)))]
        else:
            matches = [directory / pattern]
        for path in matches:
            confine(path, roots, "records file named in the stack's settings", at)
        if not matches or not all(p.exists() for p in matches):
            raise InfercostError.at(
                "Records file not found",
                f'records.files: "{pattern}" matches no file (paths are relative to the stack '
                "directory).",
                at,
                context="infercost",
            )
        out.extend(p for p in matches if p not in out)
    return tuple(out), setting.source


def read_setting_records(stack: Stack, period: str | None = None) -> str | None:
    """Read the files of the stack's ``records`` setting as ``check`` does for drift (the
    same calibration, so the same errors), for ``validate``; words for its summary, or
    None without the setting."""
    found = setting_records(stack)
    if found is None:
        return None
    from infercost.app.calibrate import calibrate

    files, source = found
    run = calibrate(stack, files, source, period)
    return f"records: {run.result.records} in the {source} format"
