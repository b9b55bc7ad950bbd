"""The few GitHub REST calls the sticky comment needs.

Only the standard library is used (``urllib.request``): the CLI gains no dependency
for a feature that most local runs never touch.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any

from infercost.github.errors import CommentError

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
#: Seconds one ``infercost comment`` may spend talking to GitHub, all requests together:
#: a slow or stalling server must not hold a CI job until its own timeout.
DEADLINE = 120.0
#: Pages of comments read at most (100 a page): a server that keeps sending "next"
#: links must not keep the poster reading forever.
MAX_PAGES = 50

_LINK_RE = re.compile(r'<([^>]*)>\s*;\s*rel="([^"]*)"')


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


def shown_url(url: str) -> str:
    """A URL fit for a message: without the user and password it may carry."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


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
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        *,
        timeout: float = 30.0,
        deadline: float = DEADLINE,
        max_pages: int = MAX_PAGES,
    ) -> None:
        api_url = api_url.rstrip("/")
        parts = urllib.parse.urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise CommentError(f"invalid GitHub API URL {shown_url(api_url)!r}")
        if not token:
            raise CommentError("no GitHub token: set GITHUB_TOKEN")
        self.api_url = api_url
        self._origin = _origin(api_url)
        self._token = token
        self.timeout = timeout
        self.deadline = deadline
        self._ends_at = time.monotonic() + deadline
        self.max_pages = max_pages
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
            with self._opener.open(req, timeout=self._time_left()) as response:
                raw = self._read(response)
                response_headers = response.headers
        except urllib.error.HTTPError as exc:
            body = exc.read() if exc.fp is not None else b""
            raise CommentError(
                _http_error_message(method, path, exc.code, body), status=exc.code
            ) from exc
        except urllib.error.URLError as exc:
            self._time_left()  # past the deadline: say so rather than "timed out"
            raise CommentError(f"cannot reach {shown_url(self.api_url)}: {exc.reason}") from exc
        except (TimeoutError, OSError) as exc:
            self._time_left()
            raise CommentError(f"cannot reach {shown_url(self.api_url)}: {exc}") from exc
        if not raw.strip():
            return None, response_headers
        try:
            return json.loads(raw.decode("utf-8")), response_headers
        except ValueError as exc:
            raise CommentError(f"GitHub API {method} {path} returned invalid JSON") from exc

    def _time_left(self) -> float:
        """Seconds left before the deadline, as a socket timeout; an error once past."""
        left = self._ends_at - time.monotonic()
        if left <= 0:
            raise CommentError(
                f"gave up: the GitHub API at {shown_url(self.api_url)} did not finish "
                f"answering within {self.deadline:g} seconds"
            )
        return min(self.timeout, left)

    def _read(self, response: Any) -> bytes:
        """The body, read in pieces with the deadline checked between them, so a server
        dripping bytes cannot stretch a request past it by more than one timeout."""
        chunks = []
        while chunk := response.read1(65536):
            chunks.append(chunk)
            self._time_left()
        return b"".join(chunks)

    def paginate(self, path: str) -> Iterator[Any]:
        """Yield the items of a list endpoint, following ``Link: rel="next"``.

        Next links must stay on the API's own scheme and host: the token is never
        sent anywhere else, whatever a response says. At most ``max_pages`` pages.
        """
        url: str | None = path
        seen: set[str] = set()
        pages = 0
        while url is not None:
            pages += 1
            if pages > self.max_pages:
                raise CommentError(
                    f"GitHub API GET {path} has more than {self.max_pages} pages; gave up"
                )
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
            return str(target)
    return None
