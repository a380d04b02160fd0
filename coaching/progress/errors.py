"""The error progress services raise: a rule said no, in a sentence for the person who asked."""

from __future__ import annotations


class ProgressRuleError(Exception):
    """A request broke a progress rule; `str(error)` is translated, `code` is machine-readable."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code
