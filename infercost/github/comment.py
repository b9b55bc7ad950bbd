"""Create or update the one sticky infercost comment on a pull request.

Why a single, edited comment: a cost report posted on every push buries the
conversation, and reviewers only care about the current state. So the poster finds
its earlier comment by a hidden marker and edits it in place.

Why a stamp: CI runs of one pull request finish in any order. Each comment carries a
hidden ``valid_at`` stamp (when the data it reports was valid: the head commit time),
and a run never overwrites a comment stamped later than its own data. A slow run for
an old commit therefore cannot replace the report of a newer one.

A comment posted by this module starts with hidden lines, nothing else before them::

    <!-- infercost -->
    <!-- infercost:tag=NAME -->                       (only with a tag)
    <!-- infercost:valid_at=2026-11-29T10:00:00Z -->

Only these leading lines identify a comment, so a reviewer quoting the report in a
reply (``> <!-- infercost -->``) never turns the reply into a match.

Only the standard library is used (``urllib.request``): the CLI gains no dependency
for a feature that most local runs never touch.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

#: First line of every infercost comment (and of ``infercost check -o markdown``).
MARKER = "<!-- infercost -->"
#: GitHub rejects comment bodies longer than this many characters.
COMMENT_LIMIT = 65_536
DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"

_HIDDEN_PREFIX = "<!-- infercost:"
_HIDDEN_SUFFIX = " -->"
_TAG_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]{0,99}")
_REPO_RE = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_LINK_RE = re.compile(r'<([^>]*)>\s*;\s*rel="([^"]*)"')
_PAGE_SIZE = 100
# The smallest body budget that still leaves room for a readable head and tail.
_MIN_BUDGET = 256


class CommentError(Exception):
    """A comment could not be posted; the message is meant for the user as is.

    ``status`` is the HTTP status when GitHub answered with an error, else None
    (bad input, network failure). The CLI prints ``Error: <message>`` and exits 1.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


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


@dataclass(frozen=True)
class _Header:
    """The hidden leading lines of a comment body."""

    is_infercost: bool
    tag: str | None
    valid_at: datetime | None


# --------------------------------------------------------------------------- body


def parse_valid_at(value: str) -> datetime:
    """Read an ISO 8601 time with a UTC offset (``Z`` included) as an aware datetime.

    A time without offset is refused rather than guessed: comparing stamps written
    in different time zones is the whole point of the stamp.
    """
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommentError(
            f"invalid valid_at time {value!r}: expected ISO 8601 such as 2026-11-29T10:00:00Z"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CommentError(
            f"valid_at time {value!r} has no time zone: add Z or an offset such as +01:00"
        )
    return moment.astimezone(UTC)


def format_valid_at(moment: datetime) -> str:
    """Write a stamp in UTC with a ``Z`` suffix, so stamps compare at a glance."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_header(body: str) -> tuple[_Header, str]:
    """Split a body into its hidden infercost lines and the visible rest.

    Unknown ``<!-- infercost:KEY=VALUE -->`` lines are skipped, so a later version
    can add keys without older posters losing track of their comment.
    """
    lines = body.split("\n")
    marker = False
    tag: str | None = None
    valid_at: datetime | None = None
    index = 0
    while index < len(lines):
        line = lines[index].rstrip("\r")
        if line == MARKER:
            marker = True
        elif line.startswith(_HIDDEN_PREFIX) and line.endswith(_HIDDEN_SUFFIX):
            key, _, value = line[len(_HIDDEN_PREFIX) : -len(_HIDDEN_SUFFIX)].partition("=")
            if key == "tag":
                tag = value
            elif key == "valid_at":
                try:
                    valid_at = parse_valid_at(value)
                except CommentError:
                    valid_at = None  # unreadable: treated as absent, so it gets replaced
        else:
            break
        index += 1
    return _Header(marker, tag, valid_at), "\n".join(lines[index:])


def _check_tag(tag: str | None) -> str | None:
    """Refuse tags that could break out of the HTML comment or look alike."""
    if tag is None or tag == "":
        return None
    if not _TAG_RE.fullmatch(tag) or "--" in tag:
        raise CommentError(
            f"invalid comment tag {tag!r}: use 1-100 letters, digits, '_', '.', '/' or "
            "single '-', starting with a letter or digit"
        )
    return tag


def _notice(removed: int, after_newline: bool = False) -> str:
    # A blank line before and after: directly below a table row, GitHub would render a
    # plain line as one more row of the table.
    lead = "\n" if after_newline else "\n\n"
    return f"{lead}**… {removed} characters truncated …**\n\n"


def truncate_middle(text: str, limit: int) -> str:
    """The report's shared middle cut (:func:`infercost.render.markdown.truncate_middle`)
    with a bold notice; a limit too small to hold the notice is a :class:`CommentError`."""
    from infercost.render.markdown import truncate_middle as cut_middle

    try:
        return cut_middle(text, limit, _notice)
    except ValueError as exc:
        raise CommentError(str(exc)) from None


def prepare_body(
    markdown: str,
    *,
    valid_at: datetime,
    tag: str | None = None,
    limit: int = COMMENT_LIMIT,
) -> str:
    """Return the comment body: hidden marker, tag and stamp lines, then the report.

    Any infercost hidden lines already at the top of ``markdown`` (the renderer's
    marker, or a stamp from a re-posted body) are replaced, so the result always has
    exactly one header. The whole result, header included, is at most ``limit``.
    """
    return _prepare(markdown, valid_at=valid_at, tag=tag, limit=limit)[0]


def _prepare(markdown: str, *, valid_at: datetime, tag: str | None, limit: int) -> tuple[str, bool]:
    """:func:`prepare_body`, also saying whether the report had to be truncated."""
    tag = _check_tag(tag)
    _, content = _parse_header(markdown)
    header = MARKER + "\n"
    if tag is not None:
        header += f"{_HIDDEN_PREFIX}tag={tag}{_HIDDEN_SUFFIX}\n"
    header += f"{_HIDDEN_PREFIX}valid_at={format_valid_at(valid_at)}{_HIDDEN_SUFFIX}\n"
    budget = limit - len(header)
    if budget < _MIN_BUDGET:
        raise CommentError(f"comment limit {limit} is too small for a report")
    return header + truncate_middle(content, budget), len(content) > budget


# --------------------------------------------------------------------------- HTTP


def _user_agent() -> str:
    try:
        from importlib.metadata import version

        return f"infercost/{version('infercost')}"
    except Exception:  # not installed (running from a checkout): any UA will do
        return "infercost"


def _http_error_message(method: str, path: str, status: int, raw: bytes) -> str:
    """Turn an error response into one sentence naming the status and GitHub's reason."""
    reason = ""
    try:
        data = json.loads(raw.decode("utf-8", "replace"))
    except ValueError:
        data = None
    if isinstance(data, dict):
        reason = str(data.get("message") or "")
        errors = data.get("errors")
        if isinstance(errors, list):
            details = [
                str(e.get("message") or e.get("code") or e) if isinstance(e, dict) else str(e)
                for e in errors
            ]
            if details:
                reason += f" ({'; '.join(details)})"
    if not reason:
        reason = raw.decode("utf-8", "replace").strip()[:200] or "no message"
    hint = {
        401: "check that the token is valid",
        403: "the token needs 'pull-requests: write'; on pull requests from forks "
        "GITHUB_TOKEN is read-only",
        404: "check the repository and pull request number, and that the token can see them",
    }.get(status)
    if "rate limit" in reason.lower():
        hint = "GitHub's rate limit: retry later"
    message = f"GitHub API {method} {path} failed with HTTP {status}: {reason}"
    return f"{message} ({hint})" if hint else message


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class _SameOriginRedirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but never carry the token to another scheme, host or port.

    GitHub redirects requests for renamed repositories within the API host; urllib
    would otherwise copy the ``Authorization`` header to wherever a redirect points.
    """

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _origin(newurl) != _origin(req.full_url):
            new.remove_header("Authorization")
        return new


class GitHubClient:
    """The few GitHub REST calls the comment needs, over ``urllib.request``."""

    def __init__(
        self, token: str, api_url: str = DEFAULT_API_URL, *, timeout: float = 30.0
    ) -> None:
        api_url = api_url.rstrip("/")
        parts = urllib.parse.urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise CommentError(f"invalid GitHub API URL {api_url!r}")
        if not token:
            raise CommentError("no GitHub token: set GITHUB_TOKEN")
        self.api_url = api_url
        self._origin = _origin(api_url)
        self._token = token
        self.timeout = timeout
        self._user_agent = _user_agent()
        self._opener = urllib.request.build_opener(_SameOriginRedirect())

    def request(self, method: str, url: str, payload: Any = None) -> tuple[Any, Mapping[str, str]]:
        """Send one request; return the decoded JSON and the response headers.

        ``url`` is a path below the API base or an absolute URL from a ``Link``
        header. Every failure becomes a :class:`CommentError`.
        """
        if url.startswith("/"):
            url = self.api_url + url
        path = urllib.parse.urlsplit(url).path
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": self._user_agent,
        }
        if data is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self._opener.open(req, timeout=self.timeout) as response:
                raw = response.read()
                response_headers = response.headers
        except urllib.error.HTTPError as exc:
            body = exc.read() if exc.fp is not None else b""
            raise CommentError(
                _http_error_message(method, path, exc.code, body), status=exc.code
            ) from exc
        except urllib.error.URLError as exc:
            raise CommentError(f"cannot reach {self.api_url}: {exc.reason}") from exc
        except (TimeoutError, OSError) as exc:
            raise CommentError(f"cannot reach {self.api_url}: {exc}") from exc
        if not raw.strip():
            return None, response_headers
        try:
            return json.loads(raw.decode("utf-8")), response_headers
        except ValueError as exc:
            raise CommentError(f"GitHub API {method} {path} returned invalid JSON") from exc

    def paginate(self, path: str) -> Iterator[Any]:
        """Yield the items of a list endpoint, following ``Link: rel="next"``.

        Next links must stay on the API's own scheme and host: the token is never
        sent anywhere else, whatever a response says.
        """
        url: str | None = path
        seen: set[str] = set()
        while url is not None:
            data, headers = self.request("GET", url)
            if not isinstance(data, list):
                raise CommentError(f"GitHub API GET {path} did not return a list")
            yield from data
            url = _next_link(headers.get("Link"))
            if url is None:
                break
            if _origin(url) != self._origin:
                raise CommentError(f"GitHub API pagination points outside {self.api_url}")
            if url in seen:
                raise CommentError(f"GitHub API pagination of {path} loops")
            seen.add(url)


def _next_link(header: str | None) -> str | None:
    """Return the ``rel="next"`` URL of an RFC 8288 ``Link`` header, if any."""
    if not header:
        return None
    for target, rels in _LINK_RE.findall(header):
        if "next" in rels.split():
            return target
    return None


# --------------------------------------------------------------------------- upsert


def _find_comment(
    client: GitHubClient, repository: str, pull_request: int, tag: str | None
) -> dict[str, Any] | None:
    """Return our comment on the pull request (the newest one if there are several)."""
    owner, name = (urllib.parse.quote(part, safe="") for part in repository.split("/", 1))
    path = f"/repos/{owner}/{name}/issues/{pull_request}/comments?per_page={_PAGE_SIZE}"
    found: dict[str, Any] | None = None
    for comment in client.paginate(path):
        if not isinstance(comment, dict):
            continue
        header, _ = _parse_header(str(comment.get("body") or ""))
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
) -> CommentResult:
    """Create the sticky comment, or update it unless it already shows newer data.

    An existing comment whose stamp is later than ``valid_at`` is left alone
    (``skipped-stale``); one stamped at the same time, earlier, or not at all is
    replaced. Comments of other tags are never touched.
    """
    _check_repository(repository)
    tag = _check_tag(tag)
    body, truncated = _prepare(markdown, valid_at=valid_at, tag=tag, limit=limit)
    owner, name = (urllib.parse.quote(part, safe="") for part in repository.split("/", 1))

    existing = _find_comment(client, repository, pull_request, tag)
    if existing is None:
        created, _ = client.request(
            "POST", f"/repos/{owner}/{name}/issues/{pull_request}/comments", {"body": body}
        )
        return CommentResult(
            CommentAction.CREATED, _get(created, "html_url"), _get(created, "id"), truncated
        )

    comment_id = existing.get("id")
    url = existing.get("html_url")
    header, _ = _parse_header(str(existing.get("body") or ""))
    if header.valid_at is not None and header.valid_at > valid_at.astimezone(UTC):
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


def _check_repository(repository: str) -> None:
    if not _REPO_RE.fullmatch(repository):
        raise CommentError(f"invalid repository {repository!r}: expected OWNER/NAME")


# --------------------------------------------------------------------------- command


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
    if not _parse_header(text)[1].strip():
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
        return pull["number"]
    issue = event.get("issue")
    if (
        isinstance(issue, dict)
        and issue.get("pull_request")
        and isinstance(issue.get("number"), int)
    ):
        return issue["number"]
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
        _check_repository(repo)
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
