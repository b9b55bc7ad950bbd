"""Create or update the one sticky infercost comment on a pull request.

Why a single, edited comment: a cost report posted on every push buries the
conversation, and reviewers only care about the current state. So the poster finds
its earlier comment by a hidden marker (:mod:`infercost.github.body`) and edits it in
place.

Why a stamp: CI runs of one pull request finish in any order. Each comment carries a
hidden ``valid_at`` stamp (when the data it reports was valid: the head commit time),
and a run never overwrites a comment stamped later than its own data. A slow run for
an old commit therefore cannot replace the report of a newer one.

Why only our own comments: anyone can comment on a pull request, marker included. A
comment counts as the sticky one only when the account the token writes as wrote it
(the token's user, or ``github-actions[bot]`` for the Actions token), so a stranger's
comment can neither be taken over nor, with a stamp in the future, freeze the report.
And since the head commit's date is whatever its author typed, no stamp is ever later
than now: a commit dated 2099 cannot freeze the report either.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from infercost.github.body import COMMENT_LIMIT, check_tag, parse_header, prepare
from infercost.github.client import GitHubClient
from infercost.github.errors import CommentError

_REPO_RE = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_PAGE_SIZE = 100
#: Who writes with the GITHUB_TOKEN of GitHub Actions (an installation token has no user).
ACTIONS_BOT = "github-actions[bot]"
#: Clock skew tolerated between a runner and GitHub before a stamp counts as forged.
_SKEW = timedelta(minutes=5)


class CommentAction(StrEnum):
    """What happened to the sticky comment."""

    CREATED = "created"
    UPDATED = "updated"
    #: The comment already says exactly this; editing it would only add noise.
    UNCHANGED = "unchanged"
    #: The comment reports newer data than this run: left alone on purpose.
    SKIPPED_STALE = "skipped-stale"


@dataclass(frozen=True)
class CommentResult:
    """Outcome of :func:`upsert_comment`, small enough to print or assert on."""

    action: CommentAction
    url: str | None
    comment_id: int | None
    #: True when the body was cut in the middle to fit GitHub's limit.
    truncated: bool = False
    #: The ``valid_at`` stamp of the comment that was found, if it had one.
    existing_valid_at: datetime | None = None


def token_login(client: GitHubClient) -> str:
    """The login the token writes comments as.

    ``GET /user`` names a user token's account; the Actions ``GITHUB_TOKEN`` (an
    installation token) is refused there with 403 and writes as ``github-actions[bot]``.
    """
    try:
        data, _ = client.request("GET", "/user")
    except CommentError as exc:
        if exc.status == 403:
            return ACTIONS_BOT
        raise
    login = data.get("login") if isinstance(data, dict) else None
    if not isinstance(login, str) or not login:
        raise CommentError("GitHub API GET /user returned no login")
    return login


def _author(comment: dict[str, Any]) -> str:
    user = comment.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    return login.lower() if isinstance(login, str) else ""


def _find_comment(
    client: GitHubClient, repository: str, pull_request: int, tag: str | None, author: str
) -> dict[str, Any] | None:
    """Return our comment on the pull request (the newest one if there are several):
    a marker comment written by ``author``; everyone else's are ignored."""
    owner, name = (urllib.parse.quote(part, safe="") for part in repository.split("/", 1))
    path = f"/repos/{owner}/{name}/issues/{pull_request}/comments?per_page={_PAGE_SIZE}"
    found: dict[str, Any] | None = None
    for comment in client.paginate(path):
        if not isinstance(comment, dict) or _author(comment) != author.lower():
            continue
        header, _ = parse_header(str(comment.get("body") or ""))
        if header.is_infercost and header.tag == tag:
            found = comment
    return found


def upsert_comment(
    client: GitHubClient,
    repository: str,
    pull_request: int,
    markdown: str,
    *,
    valid_at: datetime,
    tag: str | None = None,
    limit: int = COMMENT_LIMIT,
    author: str | None = None,
    now: datetime | None = None,
) -> CommentResult:
    """Create the sticky comment, or update it unless it already shows newer data.

    An existing comment whose stamp is later than ``valid_at`` is left alone
    (``skipped-stale``); one stamped at the same time, earlier, or not at all is
    replaced. Comments of other tags, and comments not written by ``author`` (by
    default the token's own account), are never touched. Stamps are never later than
    ``now``: ``valid_at`` is capped there, and a comment stamped in the future counts
    as unstamped.
    """
    check_repository(repository)
    tag = check_tag(tag)
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    valid_at = min(valid_at.astimezone(UTC), now)
    body, truncated = prepare(markdown, valid_at=valid_at, tag=tag, limit=limit)
    owner, name = (urllib.parse.quote(part, safe="") for part in repository.split("/", 1))

    author = author or token_login(client)
    existing = _find_comment(client, repository, pull_request, tag, author)
    if existing is None:
        created, _ = client.request(
            "POST", f"/repos/{owner}/{name}/issues/{pull_request}/comments", {"body": body}
        )
        return CommentResult(
            CommentAction.CREATED, _get(created, "html_url"), _get(created, "id"), truncated
        )

    comment_id = existing.get("id")
    url = existing.get("html_url")
    header, _ = parse_header(str(existing.get("body") or ""))
    trusted = header.valid_at is not None and header.valid_at <= now + _SKEW
    if trusted and header.valid_at is not None and header.valid_at > valid_at:
        return CommentResult(
            CommentAction.SKIPPED_STALE, url, comment_id, truncated, header.valid_at
        )
    if existing.get("body") == body:
        return CommentResult(CommentAction.UNCHANGED, url, comment_id, truncated, header.valid_at)
    if not isinstance(comment_id, int):
        raise CommentError("GitHub API returned a comment without an id")
    updated, _ = client.request(
        "PATCH", f"/repos/{owner}/{name}/issues/comments/{comment_id}", {"body": body}
    )
    return CommentResult(
        CommentAction.UPDATED,
        _get(updated, "html_url") or url,
        comment_id,
        truncated,
        header.valid_at,
    )


def _get(data: Any, key: str) -> Any:
    return data.get(key) if isinstance(data, dict) else None


def check_repository(repository: str) -> None:
    if not _REPO_RE.fullmatch(repository):
        raise CommentError(f"invalid repository {repository!r}: expected OWNER/NAME")
