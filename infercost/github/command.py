"""``infercost comment``: post a Markdown report as the sticky pull-request comment.

Reads the report and, when not given, the repository, pull request, token and stamp
from the GitHub Actions environment; then calls :func:`~infercost.github.comment.upsert_comment`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from infercost.github.body import COMMENT_LIMIT, format_valid_at, parse_header, parse_valid_at
from infercost.github.client import DEFAULT_API_URL, GitHubClient
from infercost.github.comment import CommentAction, check_repository, upsert_comment
from infercost.github.errors import CommentError


def _read_body(body_file: Path) -> str:
    """Read the Markdown report; ``-`` reads standard input."""
    try:
        if str(body_file) == "-":
            text = sys.stdin.read()
        else:
            # utf-8-sig: a BOM written by some editors must not hide the marker line.
            text = Path(body_file).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CommentError(f"cannot read body file {body_file}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise CommentError(f"body file {body_file} is not UTF-8 text") from exc
    if not parse_header(text)[1].strip():
        raise CommentError(f"body file {body_file} is empty")
    return text


def _load_event(env: Mapping[str, str]) -> dict[str, Any]:
    """The GitHub Actions event payload, or {} outside Actions."""
    event_path = env.get("GITHUB_EVENT_PATH")
    if not event_path:
        return {}
    try:
        data = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommentError(f"cannot read the event payload GITHUB_EVENT_PATH={event_path}") from exc
    return data if isinstance(data, dict) else {}


def _event_pull_request(event: Mapping[str, Any]) -> int | None:
    """The pull request number of a ``pull_request`` (or PR ``issue_comment``) event."""
    pull = event.get("pull_request")
    if isinstance(pull, dict) and isinstance(pull.get("number"), int):
        return int(pull["number"])
    issue = event.get("issue")
    if (
        isinstance(issue, dict)
        and issue.get("pull_request")
        and isinstance(issue.get("number"), int)
    ):
        return int(issue["number"])
    return None


def _head_commit_time(event: Mapping[str, Any], stderr: TextIO) -> datetime:
    """Commit time of the pull request head (else ``HEAD``), read with git.

    Falls back to the current time, with a warning: without git the stamp can only
    say when the run happened.
    """
    pull = event.get("pull_request")
    head = pull.get("head") if isinstance(pull, dict) else None
    sha = head.get("sha") if isinstance(head, dict) else None
    revision = sha if isinstance(sha, str) and re.fullmatch(r"[0-9a-fA-F]{7,64}", sha) else "HEAD"
    try:
        completed = subprocess.run(
            ["git", "log", "-1", "--format=%cI", revision, "--"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return parse_valid_at(completed.stdout.strip())
    except (OSError, subprocess.SubprocessError, CommentError):
        print(
            f"Warning: cannot read the commit time of {revision} with git; "
            "stamping the comment with the current time",
            file=stderr,
        )
        return datetime.now(UTC).replace(microsecond=0)


def comment_command(
    body_file: Path,
    repository: str | None = None,
    pull_request: int | None = None,
    *,
    tag: str | None = None,
    valid_at: str | None = None,
    token: str | None = None,
    api_url: str | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Post ``body_file`` as the sticky infercost comment; return the exit code.

    What is not given comes from the GitHub Actions environment:

    - ``repository``: ``GITHUB_REPOSITORY`` (``OWNER/NAME``);
    - ``pull_request``: ``pull_request.number`` of the event payload at
      ``GITHUB_EVENT_PATH`` (or ``issue.number`` of a comment on a pull request);
    - ``token``: ``GITHUB_TOKEN``; ``api_url``: ``GITHUB_API_URL``, else
      https://api.github.com (GitHub Enterprise Server sets it for you);
    - ``valid_at``: the commit time of the pull request head (``pull_request.head.sha``
      of the payload, else ``HEAD``) read with git.

    Exit codes: 0 when the comment was created, updated, already current, or left
    alone because it shows a newer run; 1 on any error, printed as ``Error: ...``.
    Progress messages also go to ``stderr``; standard output stays empty.
    """
    err = stderr if stderr is not None else sys.stderr
    env = os.environ
    try:
        markdown = _read_body(body_file)
        event: dict[str, Any] | None = None

        def payload() -> dict[str, Any]:
            nonlocal event
            if event is None:
                event = _load_event(env)
            return event

        repo = repository or env.get("GITHUB_REPOSITORY") or ""
        if not repo:
            raise CommentError("no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY")
        check_repository(repo)
        number = pull_request if pull_request is not None else _event_pull_request(payload())
        if number is None:
            raise CommentError(
                "no pull request number: pass --pr N, or run on a pull_request event"
            )
        if number <= 0:
            raise CommentError(f"invalid pull request number {number}")
        stamp = parse_valid_at(valid_at) if valid_at else _head_commit_time(payload(), err)
        client = GitHubClient(
            token or env.get("GITHUB_TOKEN") or "",
            api_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL,
        )
        result = upsert_comment(client, repo, number, markdown, valid_at=stamp, tag=tag)
    except CommentError as exc:
        print(f"Error: {exc.message}", file=err)
        return 1

    where = result.url or f"{repo}#{number}"
    if result.truncated:
        print(f"Warning: the report was truncated to fit {COMMENT_LIMIT} characters", file=err)
    if result.action is CommentAction.SKIPPED_STALE:
        newer = format_valid_at(result.existing_valid_at) if result.existing_valid_at else "?"
        print(
            f"Comment left unchanged: it shows a newer run (valid at {newer}; this run is "
            f"valid at {format_valid_at(stamp)}): {where}",
            file=err,
        )
    else:
        print(f"Comment {result.action.value}: {where}", file=err)
    return 0
