"""The profile's notification preferences: per kind email and push, the daily digest, quiet hours."""

from __future__ import annotations

from typing import Any

from django import template

from coaching.notifications.preferences import PreferencesForm

register = template.Library()


@register.inclusion_tag("notifications/_preferences.html", takes_context=True)
def notification_preferences(context: dict[str, Any]) -> dict[str, Any]:
    """The signed-in person's notification choices as a form posting to notification_preferences."""
    request = context["request"]
    return {
        "form": PreferencesForm.of(request.user),
        "zone": request.user.timezone,
        "csrf_token": context.get("csrf_token"),
        # Where saving leads when the page is not the profile (the first run's step).
        "next": context.get("preferences_next", ""),
    }
