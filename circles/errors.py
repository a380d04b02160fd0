"""The one error the circles services raise: a rule said no, in words a person understands."""

from __future__ import annotations


class CircleRuleError(Exception):
    """A request broke a circles rule; `str(error)` is a translated sentence for the person who asked."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code
