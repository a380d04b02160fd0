"""Template tags of the chat UI: pages owned by other apps embed a room's conversation with one tag."""

from __future__ import annotations

from typing import Any

from django import template

from chat import page_views
from circles.models import Circle

register = template.Library()


@register.inclusion_tag("chat/room.html", takes_context=True)
def circle_conversation(context: template.Context, circle: Circle) -> dict[str, Any]:
    """The circle's conversation for the person reading the page (nothing when they may not read it)."""
    return page_views.circle_room_ui(context["request"], circle=circle)
