"""The bell in the navigation: the signed-in person's unread count."""

from __future__ import annotations

from typing import Any

from django import template

from coaching.notifications.services import unread_count

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notifications_bell(context: dict[str, Any]) -> dict[str, Any]:
    """The bell link with its unread count (updated live by static/js/notifications.js)."""
    user = context["request"].user
    return {"unread": unread_count(user=user), "active": context["request"].resolver_match}
