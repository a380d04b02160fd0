"""The error live-session services raise: a rule said no, in a sentence for the person who asked."""

from __future__ import annotations


class SessionRuleError(Exception):
    """A request broke a live-session rule; `str(error)` is translated, `code` is machine-readable."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code
