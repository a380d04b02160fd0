"""Template tags of progress: the home page shows this week's goals with one tag."""

from __future__ import annotations

from typing import Any

from django import template

from circles.models import Membership
from coaching.progress import selectors

register = template.Library()


@register.inclusion_tag("progress/_home_goals.html", takes_context=True)
def home_goals(context: template.Context) -> dict[str, Any]:
    """This week's check-in state of each open goal, and links to the circles' dashboards for a coach."""
    user = context["request"].user
    circles = context.get("circles") or []  # the home page's summaries: no query of our own for them
    return {
        "goals": selectors.goals_this_week(member=user),
        "is_member": any(s.role == Membership.Role.MEMBER for s in circles),
        "coached": [s.circle for s in circles if s.role == Membership.Role.COACH],
    }
