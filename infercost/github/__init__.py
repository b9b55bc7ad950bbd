"""GitHub integration: one sticky pull-request comment per stack.

The margin gate itself is `infercost check`; this package only publishes its Markdown
report where reviewers look, the pull request conversation. It talks to the GitHub REST
API with the standard library so the CLI gains no dependency for a feature most local
runs never use.

Modules: ``body`` (the hidden header and the cut to GitHub's limit), ``client``
(the REST calls), ``comment`` (find and create or update the sticky comment) and
``command`` (``infercost comment``: inputs from the Actions environment).
"""

from infercost.github.body import COMMENT_LIMIT, MARKER, prepare_body, truncate_middle
from infercost.github.client import GitHubClient
from infercost.github.command import comment_command
from infercost.github.comment import CommentAction, CommentResult, upsert_comment
from infercost.github.errors import CommentError

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
