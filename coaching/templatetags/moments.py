"""How long ago something happened, in words and in the reader's language: `{{ when|ago }}`."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext

register = template.Library()

JUST_NOW = dt.timedelta(minutes=1)


@register.filter
def ago(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """ "just now" under a minute (never "0 minutes ago"), else "3 hours, 5 minutes ago" with plurals."""
    if value is None:
        return ""
    now = now or timezone.now()
    if now - value < JUST_NOW:
        return gettext("just now")
    return gettext("%(time)s ago") % {"time": timesince(value, now)}
