"""GitHub integration: one sticky pull-request comment per stack.

The margin gate itself is `infercost check`; this package only publishes its Markdown
report where reviewers look, the pull request conversation. It talks to the GitHub REST
API with the standard library so the CLI gains no dependency for a feature most local
runs never use.
"""

from infercost.github.comment import (
    COMMENT_LIMIT,
    MARKER,
    CommentAction,
    CommentError,
    CommentResult,
    GitHubClient,
    comment_command,
    prepare_body,
    truncate_middle,
    upsert_comment,
)

__all__ = [
    "COMMENT_LIMIT",
    "MARKER",
    "CommentAction",
    "CommentError",
    "CommentResult",
    "GitHubClient",
    "comment_command",
    "prepare_body",
    "truncate_middle",
    "upsert_comment",
]
