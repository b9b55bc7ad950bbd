"""The comment body: hidden header lines, then the report, cut to GitHub's limit.

A comment posted by infercost starts with hidden lines, nothing else before them::

    <!-- infercost -->
    <!-- infercost:tag=NAME -->                       (only with a tag)
    <!-- infercost:valid_at=2026-11-29T10:00:00Z -->

Only these leading lines identify a comment, so a reviewer quoting the report in a
reply (``> <!-- infercost -->``) never turns the reply into a match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from infercost.github.errors import CommentError

#: First line of every infercost comment (and of ``infercost check -o markdown``).
MARKER = "<!-- infercost -->"
#: GitHub rejects comment bodies longer than this many characters.
COMMENT_LIMIT = 65_536

_HIDDEN_PREFIX = "<!-- infercost:"
_HIDDEN_SUFFIX = " -->"
_TAG_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]{0,99}")
# The smallest body budget that still leaves room for a readable head and tail.
_MIN_BUDGET = 256


@dataclass(frozen=True)
class _Header:
    """The hidden leading lines of a comment body."""

    is_infercost: bool
    tag: str | None
    valid_at: datetime | None


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


def parse_header(body: str) -> tuple[_Header, str]:
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


def check_tag(tag: str | None) -> str | None:
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
    return prepare(markdown, valid_at=valid_at, tag=tag, limit=limit)[0]


def prepare(markdown: str, *, valid_at: datetime, tag: str | None, limit: int) -> tuple[str, bool]:
    """:func:`prepare_body`, also saying whether the report had to be truncated."""
    tag = check_tag(tag)
    _, content = parse_header(markdown)
    header = MARKER + "\n"
    if tag is not None:
        header += f"{_HIDDEN_PREFIX}tag={tag}{_HIDDEN_SUFFIX}\n"
    header += f"{_HIDDEN_PREFIX}valid_at={format_valid_at(valid_at)}{_HIDDEN_SUFFIX}\n"
    budget = limit - len(header)
    if budget < _MIN_BUDGET:
        raise CommentError(f"comment limit {limit} is too small for a report")
    return header + truncate_middle(content, budget), len(content) > budget
