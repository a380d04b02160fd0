"""Template tags of live sessions: pages owned by other apps embed the sessions lists with one tag."""

from __future__ import annotations

from typing import Any

from django import template

from circles.access import is_coach_of
from circles.models import Circle
from coaching.live import logs, selectors
from coaching.notifications import selectors as notifications
from coaching.notifications.texts import describe

register = template.Library()
HOME_NOTIFICATIONS = 5


@register.inclusion_tag("live/_circle_sessions.html", takes_context=True)
def circle_sessions(context: template.Context, circle: Circle) -> dict[str, Any]:
    """The circle's upcoming sessions; for its coach also the schedule link and the latest sessions' logs."""
    user = context["request"].user
    is_coach = is_coach_of(user=user, circle_id=circle.pk)
    return {
        "circle": circle,
        "is_coach": is_coach,
        "sessions": selectors.circle_upcoming_sessions(circle=circle),
        "recent": selectors.circle_recent_sessions(circle=circle) if is_coach else [],
    }


@register.inclusion_tag("live/_home.html", takes_context=True)
def home_sessions(context: template.Context) -> dict[str, Any]:
    """The newest unread notifications, upcoming sessions and open commitments for the home page."""
    user = context["request"].user
    mine, coached_overdue = logs.home_commitments(user=user)
    # A glance only: the few newest, of which the unread; the notifications page has the rest.
    newest = notifications.recent(user=user, limit=HOME_NOTIFICATIONS)
    return {
        "notifications": [(n, describe(n, zone=user.zone)) for n in newest if n.read_at is None],
        "sessions": selectors.upcoming_sessions(user=user),
        "commitments": mine,
        "coached_overdue": coached_overdue,
    }
