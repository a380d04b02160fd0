"""Template tags of progress: the home page's goals, and the CSP nonce on a chart's own <style>."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

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


@register.filter
def style_nonce(svg: SafeString, nonce: object) -> SafeString:
    """A chart's SVG with the request's CSP nonce on its <style> (pygal's colours and fonts).

    The policy allows no inline style without it; the chart id in that CSS changes on every render, so a
    hash could not name it.
    """
    attribute = f' nonce="{conditional_escape(str(nonce))}"'
    return mark_safe(re.sub(r"<style(?=[\s>])", lambda _match: "<style" + attribute, svg))  # noqa: S308
