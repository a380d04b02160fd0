"""What a person may say about themselves: one rule per value, shared by the profile page, the model and
the CSV import, so every way in refuses the same value with the same translated sentence.

Each returns the cleaned value (or nothing) and raises ValidationError with that sentence. Time zones
and languages live in zones.py, beside the names they check.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

from coaching.lib.text import check_line

MAX_DISPLAY_NAME = 120  # User.display_name
MAX_EMAIL = 254  # User.email (Django's AbstractUser)
MAX_SHOWN = 40

_email = EmailValidator()


def shown(value: str, limit: int = MAX_SHOWN) -> str:
    """A value quoted back in a message, cut so a pasted paragraph does not swamp the sentence."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def display_name(value: str) -> str:
    """The name with its runs of spaces collapsed; refused when blank or not one line an account can hold."""
    check_line(value)  # a name goes into email subjects: no newline, no control character
    name = " ".join(value.split())
    if not name:
        raise ValidationError(_("Enter a name: it cannot be empty or only spaces."), code="name_missing")
    if len(name) > MAX_DISPLAY_NAME:
        raise ValidationError(
            _("The name is too long (%(length)d characters; at most %(max)d)."),
            code="name_too_long",
            params={"length": len(name), "max": MAX_DISPLAY_NAME},
        )
    return name


def email_address(value: str) -> str:
    """The address without surrounding spaces; refused unless it is one an account's email can hold."""
    email = value.strip()
    try:
        _email(email)
        if len(email) > MAX_EMAIL:
            raise ValidationError("too long")
    except ValidationError:
        raise ValidationError(
            _("“%(value)s” is not a valid email address."),
            code="invalid_email",
            params={"value": shown(email)},
        ) from None
    return email


def availability_window(*, starts_at: dt.time, ends_at: dt.time) -> None:
    """A weekly window runs forwards within one day."""
    if ends_at <= starts_at:
        raise ValidationError(_("A window must end after it starts."), code="window_ends_before_start")
