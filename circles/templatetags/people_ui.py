"""A person's face on a page: their photo's URL, or their initials when they have none."""

from __future__ import annotations

from pathlib import PurePosixPath

from django import template
from django.urls import reverse

from coaching.accounts.models import User

register = template.Library()


@register.filter
def initials(person: User) -> str:
    """Up to two capitals from the name people see, e.g. "Grace Wanjiru" → "GW"."""
    words = [word for word in person.name.split() if word[:1].isalnum()]
    return "".join(word[0] for word in words[:2]).upper() or "?"


@register.filter
def photo_url(person: User) -> str:
    """The access-checked URL of the person's photo ("" without one); it changes with every new photo."""
    if not person.photo:
        return ""
    return f"{reverse('person_photo', args=[person.pk])}?v={PurePosixPath(str(person.photo.name)).stem[:12]}"
