"""The sticky pull-request comment, against a fake GitHub API on 127.0.0.1."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from infercost.github import (
    COMMENT_LIMIT,
    MARKER,
    CommentAction,
    CommentError,
    GitHubClient,
    comment_command,
    prepare_body,
    truncate_middle,
    upsert_comment,
)
from infercost.github.client import _SameOriginRedirect

REPO = "acme/shop"
PR = 7
TOKEN = "test-token-123"
REPORT = f"{MARKER}\n## infercost: all guardrails hold\n\n| feature | margin |\n|---|---|\n"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGitHub:
    """In-memory issue comments of one repository, served over HTTP."""

    base_url: str = ""
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    #: The fake never returns more than this per page, whatever per_page asks.
    page_cap: int = 100
    #: (status, JSON body) returned for every request while set.
    fail_with: tuple[int, dict[str, Any]] | None = None
    next_id: int = 1000
    #: What GET /user answers: None is the Actions token's 403 (it writes as the bot).
    login: str | None = None
    #: Seconds every answer is held back (a slow server).
    delay: float = 0.0
    #: Comment lists that never end: every page links to one more.
    endless: bool = False

    @property
    def author(self) -> str:
        return self.login or "github-actions[bot]"

    def add(self, pull: int, body: str, user: str = "github-actions[bot]") -> dict[str, Any]:
        self.next_id += 1
        comment = {
            "id": self.next_id,
            "body": body,
            "user": {"login": user},
            "html_url": f"https://github.com/{REPO}/pull/{pull}#issuecomment-{self.next_id}",
        }
        self.comments.setdefault(pull, []).append(comment)
        return comment

    def find(self, comment_id: int) -> dict[str, Any] | None:
        for comments in self.comments.values():
            for comment in comments:
                if comment["id"] == comment_id:
                    return comment
        return None

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method in ("POST", "PATCH")]


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
            pass

        def handle(self) -> None:
            # A client that gave up (the deadline tests) closes the socket first.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                super().handle()

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)

        def _handle(self, method: str) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            fake.requests.append(
                Recorded(method, url.path, query, dict(self.headers.items()), body)
            )
            if fake.delay:
                time.sleep(fake.delay)
            if fake.fail_with is not None:
                self._send(*fake.fail_with)
                return
            if url.path == "/user" and method == "GET":
                if fake.login is None:
                    self._send(403, {"message": "Resource not accessible by integration"})
                else:
                    self._send(200, {"login": fake.login})
                return
            parts = url.path.strip("/").split("/")
            # /repos/{o}/{r}/issues/{n}/comments
            if len(parts) == 6 and parts[3] == "issues" and parts[5] == "comments":
                if f"{parts[1]}/{parts[2]}" != REPO:
                    self._send(404, {"message": "Not Found"})
                    return
                pull = int(parts[4])
                if method == "GET":
                    self._list(url.path, query, pull)
                    return
                if method == "POST":
                    comment = fake.add(pull, body["body"], user=fake.author)
                    self._send(201, comment)
                    return
            # /repos/{o}/{r}/issues/comments/{id}
            if len(parts) == 6 and parts[3:5] == ["issues", "comments"] and method == "PATCH":
                comment = fake.find(int(parts[5]))
                if comment is None:
                    self._send(404, {"message": "Not Found"})
                    return
                comment["body"] = body["body"]
                self._send(200, comment)
                return
            self._send(404, {"message": "Not Found"})

        def _list(self, path: str, query: dict[str, list[str]], pull: int) -> None:
            per_page = min(int(query.get("per_page", ["30"])[0]), fake.page_cap)
            page = int(query.get("page", ["1"])[0])
            if fake.endless:
                nxt = urllib.parse.urlencode({"per_page": per_page, "page": page + 1})
                self._send(200, [], {"Link": f'<{fake.base_url}{path}?{nxt}>; rel="next"'})
                return
            comments = fake.comments.get(pull, [])
            chunk = comments[(page - 1) * per_page : page * per_page]
            headers = {}
            if page * per_page < len(comments):
                nxt = urllib.parse.urlencode({"per_page": per_page, "page": page + 1})
                last = urllib.parse.urlencode(
                    {"per_page": per_page, "page": -(-len(comments) // per_page)}
                )
                headers["Link"] = (
                    f'<{fake.base_url}{path}?{nxt}>; rel="next", '
                    f'<{fake.base_url}{path}?{last}>; rel="last"'
                )
            self._send(200, chunk, headers)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

    return Handler


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    # Nothing from the real environment may leak in: no proxy, no token, no event.
    for name in (
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "GITHUB_TOKEN",
        "GITHUB_API_URL",
        "GITHUB_REPOSITORY",
        "GITHUB_EVENT_PATH",
        "INFERCOST_COMMENT_AUTHOR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    fake = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _stamp(body: str) -> str | None:
    for line in body.split("\n"):
        if line.startswith("<!-- infercost:valid_at="):
            return line.removeprefix("<!-- infercost:valid_at=").removesuffix(" -->")
    return None


def _run(
    github: FakeGitHub,
    tmp_path: Path,
    report: str = REPORT,
    *,
    valid_at: str | None = "2026-11-29T10:00:00Z",
    tag: str | None = None,
    token: str | None = TOKEN,
) -> tuple[int, str]:
    body_file = tmp_path / "infercost.md"
    body_file.write_text(report, encoding="utf-8")
    err = io.StringIO()
    code = comment_command(
        body_file,
        REPO,
        PR,
        tag=tag,
        valid_at=valid_at,
        token=token,
        api_url=github.base_url,
        stderr=err,
    )
    return code, err.getvalue()


# --------------------------------------------------------------------------- upsert


def test_creates_comment_when_none_exists(github: FakeGitHub, tmp_path: Path) -> None:
    github.add(PR, "LGTM")  # someone else's comment is never touched
    code, err = _run(github, tmp_path)
    assert code == 0
    assert "Comment created: https://github.com/acme/shop/pull/7#issuecomment-" in err
    [write] = github.writes()
    assert (write.method, write.path) == ("POST", f"/repos/{REPO}/issues/{PR}/comments")
    human, ours = github.comments[PR]
    assert human["body"] == "LGTM"
    assert ours["body"] == (
        f"{MARKER}\n<!-- infercost:valid_at=2026-11-29T10:00:00Z -->\n"
        + REPORT.removeprefix(MARKER + "\n")
    )


def test_updates_comment_when_our_stamp_is_newer(github: FakeGitHub, tmp_path: Path) -> None:
    github.add(PR, "LGTM")
    old = github.add(PR, f"{MARKER}\n<!-- infercost:valid_at=2026-11-29T09:00:00Z -->\nold")
    code, err = _run(github, tmp_path, valid_at="2026-11-29T10:00:00Z")
    assert code == 0
    assert f"Comment updated: {old['html_url']}" in err
    [write] = github.writes()
    assert (write.method, write.path) == ("PATCH", f"/repos/{REPO}/issues/comments/{old['id']}")
    assert len(github.comments[PR]) == 2
    assert _stamp(old["body"]) == "2026-11-29T10:00:00Z"
    assert old["body"].endswith(REPORT.removeprefix(MARKER + "\n"))


def test_updates_comment_without_stamp(github: FakeGitHub, tmp_path: Path) -> None:
    old = github.add(PR, f"{MARKER}\nreport from an older infercost")
    code, _ = _run(github, tmp_path)
    assert code == 0
    assert _stamp(old["body"]) == "2026-11-29T10:00:00Z"


def test_skips_when_existing_comment_is_newer(github: FakeGitHub, tmp_path: Path) -> None:
    newer = f"{MARKER}\n<!-- infercost:valid_at=2026-11-29T10:05:00Z -->\nnewer report"
    comment = github.add(PR, newer)
    # Same instant written with an offset is still older than 10:05Z.
    code, err = _run(github, tmp_path, valid_at="2026-11-29T11:00:00+01:00")
    assert code == 0
    assert github.writes() == []
    assert comment["body"] == newer
    assert "left unchanged" in err
    assert "2026-11-29T10:05:00Z" in err and "2026-11-29T10:00:00Z" in err


def test_same_stamp_and_body_is_left_unchanged(github: FakeGitHub, tmp_path: Path) -> None:
    assert _run(github, tmp_path)[0] == 0
    code, err = _run(github, tmp_path)
    assert code == 0
    assert "Comment unchanged" in err
    assert [w.method for w in github.writes()] == ["POST"]


def test_same_stamp_new_body_updates(github: FakeGitHub, tmp_path: Path) -> None:
    assert _run(github, tmp_path)[0] == 0
    code, _ = _run(github, tmp_path, REPORT + "| chat | 61% |\n")
    assert code == 0
    assert [w.method for w in github.writes()] == ["POST", "PATCH"]
    assert github.comments[PR][0]["body"].endswith("| chat | 61% |\n")


def test_quoted_marker_in_a_reply_is_not_ours(github: FakeGitHub, tmp_path: Path) -> None:
    github.add(PR, f"> {MARKER}\n> quoted report\n\nwhy did chat get pricier?", user="alice")
    code, _ = _run(github, tmp_path)
    assert code == 0
    assert [w.method for w in github.writes()] == ["POST"]


def test_tagged_comments_are_kept_separate(github: FakeGitHub, tmp_path: Path) -> None:
    assert _run(github, tmp_path, "# untagged\n")[0] == 0
    assert _run(github, tmp_path, "# chat stack\n", tag="stacks/chat")[0] == 0
    assert _run(github, tmp_path, "# search stack\n", tag="search")[0] == 0
    assert [w.method for w in github.writes()] == ["POST"] * 3

    later = "2026-11-29T10:01:00Z"
    code, _ = _run(github, tmp_path, "# chat stack v2\n", tag="stacks/chat", valid_at=later)
    assert code == 0
    untagged, chat, search = (c["body"] for c in github.comments[PR])
    assert untagged.endswith("# untagged\n") and "infercost:tag=" not in untagged
    assert "<!-- infercost:tag=stacks/chat -->\n" in chat and chat.endswith("# chat stack v2\n")
    assert "<!-- infercost:tag=search -->\n" in search and search.endswith("# search stack\n")
    assert github.writes()[-1].method == "PATCH"


def test_invalid_tag_is_refused(github: FakeGitHub, tmp_path: Path) -> None:
    code, err = _run(github, tmp_path, tag="x --> <script>")
    assert code == 1
    assert err.startswith("Error: invalid comment tag")
    assert github.requests == []


def test_pagination_finds_comment_on_a_later_page(github: FakeGitHub, tmp_path: Path) -> None:
    github.page_cap = 2
    for i in range(5):
        github.add(PR, f"chatter {i}")
    ours = github.add(PR, f"{MARKER}\n<!-- infercost:valid_at=2026-11-28T00:00:00Z -->\nold")
    github.add(PR, "more chatter")
    code, _ = _run(github, tmp_path)
    assert code == 0
    lists = [r for r in github.requests if r.method == "GET" and r.path != "/user"]
    assert [r.query.get("page", ["1"])[0] for r in lists] == ["1", "2", "3", "4"]
    assert lists[0].query["per_page"] == ["100"]
    [write] = github.writes()
    assert write.method == "PATCH" and write.path.endswith(f"/comments/{ours['id']}")


def test_pagination_with_more_than_100_comments(github: FakeGitHub, tmp_path: Path) -> None:
    for i in range(150):
        github.add(PR, f"chatter {i}")
    code, _ = _run(github, tmp_path)
    assert code == 0
    assert [r.path for r in github.requests if r.method == "GET"].count("/user") == 1
    assert len([r for r in github.requests if r.method == "GET"]) == 3
    assert [w.method for w in github.writes()] == ["POST"]


def test_pagination_never_leaves_the_api_host(github: FakeGitHub) -> None:
    client = GitHubClient(TOKEN, github.base_url)
    evil = '<https://attacker.example/steal?page=2>; rel="next"'

    def fake_request(method: str, url: str, payload: Any = None) -> tuple[Any, dict[str, str]]:
        return [], {"Link": evil}

    client.request = fake_request  # type: ignore[method-assign]
    with pytest.raises(CommentError, match="outside"):
        list(client.paginate("/repos/acme/shop/issues/7/comments"))


def test_redirects_never_carry_the_token_elsewhere(github: FakeGitHub) -> None:
    client = GitHubClient(TOKEN, github.base_url)
    request = urllib.request.Request(
        f"{github.base_url}/repos/acme/shop/issues/7/comments",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    handler = _SameOriginRedirect()
    same = handler.redirect_request(
        request, None, 301, "Moved", {}, f"{github.base_url}/repositories/1/issues/7/comments"
    )
    other = handler.redirect_request(request, None, 302, "Found", {}, "https://elsewhere.test/x")
    assert same is not None and same.get_header("Authorization") == f"Bearer {TOKEN}"
    assert other is not None and other.get_header("Authorization") is None
    assert any(isinstance(h, _SameOriginRedirect) for h in client._opener.handlers)


# --------------------------------------------------------------------------- HTTP


def test_sends_auth_and_api_headers(github: FakeGitHub, tmp_path: Path) -> None:
    assert _run(github, tmp_path)[0] == 0
    assert github.requests[0].path == "/user"  # who the token writes as
    assert len(github.requests) == 3
    for request in github.requests:
        headers = {k.lower(): v for k, v in request.headers.items()}
        assert headers["authorization"] == f"Bearer {TOKEN}"
        assert headers["accept"] == "application/vnd.github+json"
        assert headers["x-github-api-version"] == "2022-11-28"
        assert headers["user-agent"].startswith("infercost")


def test_token_and_api_url_from_environment(
    github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "env-token")
    monkeypatch.setenv("GITHUB_API_URL", github.base_url + "/")
    body_file = tmp_path / "r.md"
    body_file.write_text(REPORT, encoding="utf-8")
    err = io.StringIO()
    code = comment_command(
        body_file, REPO, PR, tag=None, valid_at="2026-11-29T10:00:00Z", token=None,
        api_url=None, stderr=err,
    )  # fmt: skip
    assert code == 0, err.getvalue()
    assert github.requests[0].headers["Authorization"] == "Bearer env-token"


def test_http_403_is_a_clear_error(github: FakeGitHub, tmp_path: Path) -> None:
    github.fail_with = (403, {"message": "Resource not accessible by integration"})
    code, err = _run(github, tmp_path)
    assert code == 1
    assert err.startswith("Error: GitHub API GET /repos/acme/shop/issues/7/comments")
    assert "HTTP 403: Resource not accessible by integration" in err
    assert "pull-requests: write" in err
    assert "Traceback" not in err
    assert TOKEN not in err


def test_an_api_message_reaches_the_log_inert(github: FakeGitHub, tmp_path: Path) -> None:
    # The API's text is not infercost's: its ESC, bidi override and runner command are
    # shown as escapes, as everything the CLI prints is.
    github.fail_with = (403, {"message": "no\x1b[31m way\u202e\n::error::forged"})
    code, err = _run(github, tmp_path)
    assert code == 1
    assert "HTTP 403: no\\x1b[31m way\\u202e" in err
    assert "\x1b" not in err and "\u202e" not in err and "\n::" not in err


def test_http_422_lists_errors(github: FakeGitHub) -> None:
    github.fail_with = (
        422,
        {"message": "Validation Failed", "errors": [{"message": "body is too long"}]},
    )
    client = GitHubClient(TOKEN, github.base_url)
    with pytest.raises(CommentError) as info:
        client.request("POST", "/repos/acme/shop/issues/7/comments", {"body": "x"})
    assert info.value.status == 422
    assert "Validation Failed (body is too long)" in info.value.message


def test_unreachable_api_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    # Bind then close a port so that nothing listens on it.
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    body_file = tmp_path / "r.md"
    body_file.write_text(REPORT, encoding="utf-8")
    err = io.StringIO()
    code = comment_command(
        body_file, REPO, PR, tag=None, valid_at="2026-11-29T10:00:00Z", token=TOKEN,
        api_url=f"http://127.0.0.1:{port}", stderr=err,
    )  # fmt: skip
    assert code == 1
    assert err.getvalue().startswith(f"Error: cannot reach http://127.0.0.1:{port}")


def test_missing_token(github: FakeGitHub, tmp_path: Path) -> None:
    code, err = _run(github, tmp_path, token=None)
    assert code == 1
    assert err == "Error: no GitHub token: set GITHUB_TOKEN\n\n"
    assert github.requests == []


# --------------------------------------------------------------------------- inputs


def test_repository_and_pr_from_actions_environment(
    github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": PR, "head": {"sha": "abc1234"}}}))
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    body_file = tmp_path / "r.md"
    body_file.write_text(REPORT, encoding="utf-8")
    err = io.StringIO()
    code = comment_command(
        body_file, None, None, tag=None, valid_at="2026-11-29T10:00:00Z", token=TOKEN,
        api_url=github.base_url, stderr=err,
    )  # fmt: skip
    assert code == 0, err.getvalue()
    assert github.writes()[0].path == f"/repos/{REPO}/issues/{PR}/comments"


def test_no_pull_request_number(github: FakeGitHub, tmp_path: Path) -> None:
    body_file = tmp_path / "r.md"
    body_file.write_text(REPORT, encoding="utf-8")
    err = io.StringIO()
    code = comment_command(
        body_file, REPO, None, tag=None, valid_at=None, token=TOKEN,
        api_url=github.base_url, stderr=err,
    )  # fmt: skip
    assert code == 1
    assert err.getvalue().startswith("Error: no pull request number")


def test_valid_at_defaults_to_head_commit_time(
    github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {
        "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.com",
        "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.com",
        "GIT_COMMITTER_DATE": "2026-11-29T11:30:00+01:00",
        "GIT_AUTHOR_DATE": "2026-11-29T11:30:00+01:00",
    }  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "x"], cwd=repo, check=True)
    monkeypatch.chdir(repo)
    code, err = _run(github, tmp_path, valid_at=None)
    assert code == 0, err
    assert _stamp(github.comments[PR][0]["body"]) == "2026-11-29T10:30:00Z"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-11-29T10:00:00", "has no time zone"),
        ("yesterday", "invalid valid_at time"),
    ],
)
def test_bad_valid_at(github: FakeGitHub, tmp_path: Path, value: str, message: str) -> None:
    code, err = _run(github, tmp_path, valid_at=value)
    assert code == 1
    assert message in err
    assert github.requests == []


def test_missing_body_file(github: FakeGitHub, tmp_path: Path) -> None:
    err = io.StringIO()
    code = comment_command(
        tmp_path / "nope.md", REPO, PR, tag=None, valid_at=None, token=TOKEN,
        api_url=github.base_url, stderr=err,
    )  # fmt: skip
    assert code == 1
    assert err.getvalue().startswith("Error: cannot read body file")


def test_bad_repository(github: FakeGitHub, tmp_path: Path) -> None:
    body_file = tmp_path / "r.md"
    body_file.write_text(REPORT, encoding="utf-8")
    err = io.StringIO()
    code = comment_command(
        body_file, "not a repo", PR, tag=None, valid_at=None, token=TOKEN,
        api_url=github.base_url, stderr=err,
    )  # fmt: skip
    assert code == 1
    assert "invalid repository 'not a repo'" in err.getvalue()


# --------------------------------------------------------------------------- truncation

STAMP = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def test_truncate_keeps_short_text() -> None:
    assert truncate_middle("abc", 3) == "abc"


def test_truncate_exact_lengths_without_newlines() -> None:
    text = "a" * 600 + "b" * 600  # no line to snap to: a hard cut
    out = truncate_middle(text, 500)
    notice_max = len("\n\n**… 9999 characters truncated …**\n\n")  # 4 digits: len(text)=1200
    keep = 500 - notice_max
    head, tail = keep - keep // 4, keep // 4
    removed = 1200 - head - tail
    assert out == "a" * head + f"\n\n**… {removed} characters truncated …**\n\n" + "b" * tail
    assert len(out) <= 500


def test_truncate_snaps_to_lines() -> None:
    lines = [f"| row {i:04d} | value |\n" for i in range(1000)]
    text = "".join(lines)
    out = truncate_middle(text, 2000)
    assert len(out) <= 2000
    head, _, rest = out.partition("\n**… ")
    count, _, tail = rest.partition(" characters truncated …**\n\n")
    assert text.startswith(head) and head.endswith("|\n")
    assert text.endswith(tail) and tail.startswith("| row ")
    assert int(count) == len(text) - len(head) - len(tail)


def test_truncate_counts_characters_not_bytes() -> None:
    text = "€" * 70_000  # 3 bytes each in UTF-8
    out = truncate_middle(text, 60_000)
    assert len(out) <= 60_000
    assert len(out) > 59_900  # nothing cut for byte length
    removed = int(out.split("**… ")[1].split(" ")[0])
    assert removed == 70_000 - out.count("€")


def test_prepare_body_fits_github_limit_with_header() -> None:
    report = MARKER + "\n" + "".join(f"| feature_{i} | 42% | ✅ |\n" for i in range(5000))
    assert len(report) > COMMENT_LIMIT
    body = prepare_body(report, valid_at=STAMP, tag="stacks/chat")
    assert len(body) <= COMMENT_LIMIT
    assert len(body) > COMMENT_LIMIT - 100
    assert body.startswith(
        f"{MARKER}\n<!-- infercost:tag=stacks/chat -->\n"
        "<!-- infercost:valid_at=2026-11-29T10:00:00Z -->\n| feature_0 |"
    )
    assert body.endswith("| feature_4999 | 42% | ✅ |\n")
    assert "characters truncated" in body


def test_prepare_body_exactly_at_limit_is_not_truncated() -> None:
    header = f"{MARKER}\n<!-- infercost:valid_at=2026-11-29T10:00:00Z -->\n"
    content = "x" * (COMMENT_LIMIT - len(header))
    body = prepare_body(MARKER + "\n" + content, valid_at=STAMP)
    assert body == header + content
    assert len(body) == COMMENT_LIMIT
    over = prepare_body(MARKER + "\n" + content + "y", valid_at=STAMP)
    assert len(over) <= COMMENT_LIMIT and "characters truncated" in over


def test_prepare_body_replaces_existing_hidden_lines() -> None:
    stale = f"{MARKER}\n<!-- infercost:valid_at=2020-01-01T00:00:00Z -->\n# report\n"
    assert prepare_body(stale, valid_at=STAMP) == (
        f"{MARKER}\n<!-- infercost:valid_at=2026-11-29T10:00:00Z -->\n# report\n"
    )
    assert prepare_body("# no marker\n", valid_at=STAMP).startswith(MARKER + "\n")


def test_oversized_report_is_posted_truncated(github: FakeGitHub, tmp_path: Path) -> None:
    report = MARKER + "\n" + "".join(f"| feature_{i} | 42% |\n" for i in range(10_000))
    code, err = _run(github, tmp_path, report)
    assert code == 0
    assert "truncated" in err
    [comment] = github.comments[PR]
    assert len(comment["body"]) <= COMMENT_LIMIT


def test_upsert_result_value(github: FakeGitHub) -> None:
    client = GitHubClient(TOKEN, github.base_url)
    first = upsert_comment(client, REPO, PR, REPORT, valid_at=STAMP)
    assert first.action is CommentAction.CREATED and first.comment_id is not None
    older = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    second = upsert_comment(client, REPO, PR, REPORT + "x", valid_at=older)
    assert second.action is CommentAction.SKIPPED_STALE
    assert second.action == "skipped-stale"
    assert (second.url, second.comment_id) == (first.url, first.comment_id)
    assert second.existing_valid_at == STAMP


# --------------------------------------------------------------------------- security


def test_a_foreign_marker_comment_is_never_taken_over(github: FakeGitHub, tmp_path: Path) -> None:
    # Anyone can comment with the marker; it is not ours unless our account wrote it.
    forged = github.add(
        PR, f"{MARKER}\n<!-- infercost:valid_at=2026-11-28T00:00:00Z -->\nfake", "mallory"
    )
    code, err = _run(github, tmp_path)
    assert code == 0, err
    [write] = github.writes()
    assert write.method == "POST"
    assert forged["body"].endswith("fake")
    assert [c["user"]["login"] for c in github.comments[PR]] == ["mallory", "github-actions[bot]"]


def test_a_foreign_marker_with_a_future_stamp_does_not_freeze_the_report(
    github: FakeGitHub, tmp_path: Path
) -> None:
    github.add(PR, f"{MARKER}\n<!-- infercost:valid_at=2099-01-01T00:00:00Z -->\nfake", "mallory")
    code, err = _run(github, tmp_path)
    assert code == 0 and "Comment created" in err


def test_a_user_token_updates_only_its_own_comment(github: FakeGitHub, tmp_path: Path) -> None:
    github.login = "octo-bot"
    old = f"{MARKER}\n<!-- infercost:valid_at=2026-11-28T00:00:00Z -->\nold"
    actions = github.add(PR, old, "github-actions[bot]")
    mine = github.add(PR, old, "Octo-Bot")  # logins compare case-insensitively
    code, err = _run(github, tmp_path)
    assert code == 0, err
    [write] = github.writes()
    assert write.method == "PATCH" and write.path.endswith(f"/comments/{mine['id']}")
    assert actions["body"] == old


def test_our_own_comment_stamped_in_the_future_is_replaced(
    github: FakeGitHub, tmp_path: Path
) -> None:
    # The head commit's date is whatever its author typed: a commit dated 2099 once
    # stamped the comment, and would have frozen it for good.
    github.add(PR, f"{MARKER}\n<!-- infercost:valid_at=2099-01-01T00:00:00Z -->\nfrozen")
    code, err = _run(github, tmp_path)
    assert code == 0 and "Comment updated" in err, err


def test_a_stamp_is_never_later_than_now(github: FakeGitHub, tmp_path: Path) -> None:
    code, err = _run(github, tmp_path, valid_at="2099-01-01T00:00:00Z")
    assert code == 0, err
    [write] = github.writes()
    stamp = _stamp(write.body["body"])
    assert stamp is not None and stamp < "2099"
    assert datetime.fromisoformat(stamp) <= datetime.now(UTC)


def test_endless_next_links_stop_at_the_page_cap(github: FakeGitHub) -> None:
    github.endless = True
    client = GitHubClient(TOKEN, github.base_url, max_pages=5)
    with pytest.raises(CommentError, match="more than 5 pages; gave up"):
        upsert_comment(client, REPO, PR, REPORT, valid_at=datetime(2026, 11, 29, tzinfo=UTC))
    pages = [r for r in github.requests if r.path != "/user"]
    assert len(pages) == 5
    assert github.writes() == []


def test_a_slow_server_meets_the_overall_deadline(github: FakeGitHub) -> None:
    github.delay = 0.5
    client = GitHubClient(TOKEN, github.base_url, deadline=0.2)
    with pytest.raises(CommentError, match=r"within 0\.2 seconds"):
        upsert_comment(client, REPO, PR, REPORT, valid_at=datetime(2026, 11, 29, tzinfo=UTC))
    assert github.writes() == []


def test_the_command_gives_up_at_its_deadline(github: FakeGitHub, tmp_path: Path) -> None:
    github.delay = 0.5
    body_file = tmp_path / "r.md"
    body_file.write_text(REPORT, encoding="utf-8")
    err = io.StringIO()
    code = comment_command(
        body_file, REPO, PR, valid_at="2026-11-29T10:00:00Z", token=TOKEN,
        api_url=github.base_url, stderr=err, deadline=0.2,
    )  # fmt: skip
    assert code == 1
    assert err.getvalue().startswith("Error: gave up") and "0.2 seconds" in err.getvalue()


def test_the_token_never_appears_in_a_message(github: FakeGitHub, tmp_path: Path) -> None:
    # A server (or a proxy) echoing the request back must not print the token.
    github.fail_with = (401, {"message": f"Bad credentials: Bearer {TOKEN}"})
    code, err = _run(github, tmp_path)
    assert code == 1 and "HTTP 401" in err
    assert TOKEN not in err


def test_a_credential_in_the_api_url_never_appears(tmp_path: Path) -> None:
    body_file = tmp_path / "r.md"
    body_file.write_text(REPORT, encoding="utf-8")
    err = io.StringIO()
    code = comment_command(
        body_file, REPO, PR, valid_at="2026-11-29T10:00:00Z", token=TOKEN,
        api_url="http://user:hunter2@127.0.0.1:9", stderr=err, deadline=5,
    )  # fmt: skip
    assert code == 1
    assert (
        "hunter2" not in err.getvalue() and "cannot reach http://***@127.0.0.1:9" in err.getvalue()
    )


def test_an_app_token_names_its_bot_account(
    github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An installation token of a GitHub App is refused by GET /user like the Actions
    # token, but writes as "APP[bot]": INFERCOST_COMMENT_AUTHOR names it.
    old = f"{MARKER}\n<!-- infercost:valid_at=2026-11-28T00:00:00Z -->\nold"
    github.add(PR, old, "github-actions[bot]")
    mine = github.add(PR, old, "cost-app[bot]")
    monkeypatch.setenv("INFERCOST_COMMENT_AUTHOR", "cost-app[bot]")
    code, err = _run(github, tmp_path)
    assert code == 0, err
    [write] = github.writes()
    assert write.method == "PATCH" and write.path.endswith(f"/comments/{mine['id']}")
    assert all(r.path != "/user" for r in github.requests)
