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
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, cast

from infercost.app.exit import ExitCode
from infercost.cli.context import Console
from infercost.cli.diagnostics import Outcome, report
from infercost.diagnostics import Diagnostics
from infercost.errors import Diagnostic, InfercostError, Severity
from infercost.github.body import COMMENT_LIMIT, format_valid_at, parse_header, parse_valid_at
from infercost.github.client import DEADLINE, DEFAULT_API_URL, GitHubClient
from infercost.github.comment import (
    CommentAction,
    CommentResult,
    check_repository,
    upsert_comment,
)
from infercost.github.errors import CommentError
from infercost.render.inert import InertStream, redact


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


def _head_commit_time(event: Mapping[str, Any], diagnostics: Diagnostics) -> datetime:
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
        diagnostics.append(
            Diagnostic(
                f"cannot read the commit time of {revision} with git; "
                "stamping the comment with the current time",
                severity=Severity.WARNING,
            )
        )
        return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Posted:
    """A comment posted (or left alone), with what the run has to say about it."""

    result: CommentResult
    #: The comment's URL, else ``OWNER/NAME#N``.
    where: str
    stamp: datetime
    diagnostics: tuple[Diagnostic, ...]

    @property
    def message(self) -> str:
        """One line of progress for stderr: what happened to the comment."""
        if self.result.action is CommentAction.SKIPPED_STALE:
            existing = self.result.existing_valid_at
            newer = format_valid_at(existing) if existing else "?"
            return (
                f"Comment left unchanged: it shows a newer run (valid at {newer}; this run "
                f"is valid at {format_valid_at(self.stamp)}): {self.where}"
            )
        return f"Comment {self.result.action.value}: {self.where}"


def _within(seconds: float, work: Callable[[], CommentResult]) -> CommentResult:
    """Run ``work`` but give up after ``seconds`` (plus a second for a clean error from
    the client itself): socket timeouts bound each read, not a server that drips."""
    outcome: list[CommentResult | BaseException] = []

    def target() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # handed to the caller's thread as is
            outcome.append(exc)

    worker = threading.Thread(target=target, name="infercost-comment", daemon=True)
    worker.start()
    worker.join(seconds + 1)
    if not outcome:
        raise CommentError(f"gave up: the GitHub API did not answer within {seconds:g} seconds")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def post_comment(
    body_file: Path,
    repository: str | None = None,
    pull_request: int | None = None,
    *,
    tag: str | None = None,
    valid_at: str | None = None,
    token: str | None = None,
    api_url: str | None = None,
    env: Mapping[str, str] | None = None,
    deadline: float = DEADLINE,
) -> Posted:
    """Post ``body_file`` as the sticky infercost comment.

    What is not given comes from the GitHub Actions environment:

    - ``repository``: ``GITHUB_REPOSITORY`` (``OWNER/NAME``);
    - ``pull_request``: ``pull_request.number`` of the event payload at
      ``GITHUB_EVENT_PATH`` (or ``issue.number`` of a comment on a pull request);
    - ``token``: ``GITHUB_TOKEN``; ``api_url``: ``GITHUB_API_URL``, else
      https://api.github.com (GitHub Enterprise Server sets it for you);
    - ``valid_at``: the commit time of the pull request head (``pull_request.head.sha``
      of the payload, else ``HEAD``) read with git.
    - the account whose comment is the sticky one: ``INFERCOST_COMMENT_AUTHOR``, else
      the token's own (``GET /user``, or ``github-actions[bot]`` for an Actions token).

    Any failure is an :class:`~infercost.errors.InfercostError` (with the warnings
    found before it), printed by the CLI's one diagnostics handler like every error.
    Talking to GitHub takes at most ``deadline`` seconds in all; the token never
    appears in a message.
    """
    env = os.environ if env is None else env
    secret = token or env.get("GITHUB_TOKEN") or ""
    # A GitHub App's installation token writes as "APP[bot]", which GitHub does not tell
    # the token itself: name it (the Actions token's github-actions[bot] is found alone).
    author = env.get("INFERCOST_COMMENT_AUTHOR") or None
    diagnostics = Diagnostics()
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
        stamp = parse_valid_at(valid_at) if valid_at else _head_commit_time(payload(), diagnostics)
        client = GitHubClient(
            secret, api_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL, deadline=deadline
        )
        result = _within(
            deadline,
            lambda: upsert_comment(
                client, repo, number, markdown, valid_at=stamp, tag=tag, author=author
            ),
        )
    except CommentError as exc:
        message = redact(exc.message)
        if len(secret) >= 4:
            message = message.replace(secret, "***")
        diagnostics.append(Diagnostic(message))
        raise diagnostics.error() from None
    if result.truncated:
        diagnostics.append(
            Diagnostic(
                f"the report was truncated to fit {COMMENT_LIMIT} characters",
                severity=Severity.WARNING,
            )
        )
    where = result.url or f"{repo}#{number}"
    return Posted(result, where, stamp, diagnostics.freeze())


def run_comment(
    body_file: Path,
    repository: str | None = None,
    pull_request: int | None = None,
    *,
    tag: str | None = None,
    valid_at: str | None = None,
    token: str | None = None,
    api_url: str | None = None,
    console: Console,
    deadline: float = DEADLINE,
) -> Outcome:
    """``infercost comment``: post, say what happened on stderr (standard output stays
    empty), and hand the diagnostics to the one handler."""
    posted = post_comment(
        body_file, repository, pull_request, tag=tag, valid_at=valid_at, token=token,
        api_url=api_url, deadline=deadline,
    )  # fmt: skip
    console.stderr.write(posted.message + "\n")
    return Outcome(ExitCode.SUCCESS, posted.diagnostics)


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
    deadline: float = DEADLINE,
) -> int:
    """:func:`run_comment` with its own handler, for callers outside the CLI: the same
    printer and exit codes (0 when the comment was created, updated, already current or
    left alone because it shows a newer run; 1 on any error). Its streams are inert,
    as the CLI's are: a message from the API or a file name cannot write a control
    character or a runner command to the log."""
    out = InertStream(sys.stdout)
    err = InertStream(stderr if stderr is not None else sys.stderr)
    console = Console(cast(TextIO, out), cast(TextIO, err))
    try:
        outcome = run_comment(
            body_file, repository, pull_request, tag=tag, valid_at=valid_at, token=token,
            api_url=api_url, console=console, deadline=deadline,
        )  # fmt: skip
    except InfercostError as exc:
        outcome = Outcome(ExitCode.ERROR, tuple(exc.diagnostics))
    code = report(outcome, console)
    out.flush()
    err.flush()
    return code
