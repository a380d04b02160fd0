"""Template tags of live sessions: pages owned by other apps embed the sessions lists with one tag."""

from __future__ import annotations

from typing import Any

from django import template

from circles.access import is_coach_of
from circles.models import Circle
from coaching.live import logs, notices, selectors

register = template.Library()


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
    """Unread notices, upcoming sessions and open commitments for the home page."""
    user = context["request"].user
    mine, coached_overdue = logs.home_commitments(user=user)
    return {
        "notices": notices.unread_notices(user=user),
        "sessions": selectors.upcoming_sessions(user=user),
        "commitments": mine,
        "coached_overdue": coached_overdue,
    }
