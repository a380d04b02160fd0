"""What text we accept: one rule for every way text comes in (forms, socket frames, query strings, CSV cells).

PostgreSQL cannot store NUL, email headers and iCalendar lines break on newlines, and control characters
are invisible on every page. So at the edge:

- a line (names, titles, subjects, short notes, reasons, search queries, emoji) refuses every control
  character (C0, DEL, C1: NUL and newlines included), the Unicode line and paragraph separators and
  lone surrogates (which cannot be encoded as UTF-8);
- a text (messages, agendas, charters, concerns) refuses the same except newlines and tabs; a \\r\\n or a
  lone \\r becomes \\n, so what is stored has one kind of line break.

Each refusal is a ValidationError with a translated sentence (codes `control_characters`, `one_line`).
Forms use LineField and TextField; other edges call clean_line/clean_text and turn the error into their
own (e.g. a chat `invalid_frame`). Renderers still escape what they emit: this rule keeps new data clean,
it does not make older rows safe.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")  # what str.splitlines() splits on
TEXT_ALLOWED = frozenset("\n\t")


def _problem(value: str, *, allowed: frozenset[str]) -> ValidationError | None:
    for char in value:
        if char in allowed:
            continue
        if char in LINE_BREAKS and not allowed:
            return ValidationError(_("This text must be one line."), code="one_line")
        if unicodedata.category(char) in ("Cc", "Cs") or char in LINE_BREAKS:
            return ValidationError(
                _("This text cannot contain control characters."), code="control_characters"
            )
    return None


def check_line(value: str) -> None:
    """ValidationError unless `value` is one line of text without control characters."""
    problem = _problem(value, allowed=frozenset())
    if problem is not None:
        raise problem


def check_text(value: str) -> None:
    """ValidationError unless `value` is text whose only control characters are newlines and tabs."""
    problem = _problem(value, allowed=TEXT_ALLOWED)
    if problem is not None:
        raise problem


def clean_line(value: str) -> str:
    """The line as given, or ValidationError (see check_line)."""
    check_line(value)
    return value


def clean_text(value: str) -> str:
    """The text with its line breaks made \\n, or ValidationError (see check_text)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    check_text(value)
    return value


class LineField(forms.CharField):
    """A form's one-line text input: the line rule, on top of CharField's length and NUL checks."""

    default_validators = [check_line]


class TextField(forms.CharField):
    """A form's multi-line text (a textarea by default): line breaks kept as \\n, the text rule."""

    widget = forms.Textarea
    default_validators = [check_text]

    def to_python(self, value: Any) -> str | None:
        text = super().to_python(value)
        return text.replace("\r\n", "\n").replace("\r", "\n") if text else text
