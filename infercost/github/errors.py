"""The one error of the comment poster."""

from __future__ import annotations


class CommentError(Exception):
    """A comment could not be posted; the message is meant for the user as is.

    ``status`` is the HTTP status when GitHub answered with an error, else None
    (bad input, network failure). The CLI prints ``Error: <message>`` and exits 1.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
