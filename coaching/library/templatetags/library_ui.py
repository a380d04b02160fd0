"""Template tags of the library: the circle page links to it, and its chat learns how to pin, with one tag."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from chat.access import access_room
from circles.models import Circle
from coaching.lib.errors import NoAccess
from coaching.library import selectors

register = template.Library()


def _message_url(name: str, circle_id: int) -> str:
    """A per-message URL with `{id}` where the chat client puts the message's id."""
    head, _sep, tail = reverse(name, args=[circle_id, 0]).rpartition("/0/")
    return f"{head}/{{id}}/{tail}"


@register.inclusion_tag("library/_circle_library.html", takes_context=True)
def circle_library(context: template.Context, circle: Circle) -> dict[str, Any]:
    """The link to the circle's library and the chat's pin config, for people who may read the chat only."""
    try:
        room = access_room(context["request"].user, circle.pk)
    except NoAccess:
        return {}
    config = {
        "url": reverse("circle_library", args=[circle.pk]),
        "pinUrl": _message_url("circle_pin_message", circle.pk),
        "unpinUrl": _message_url("circle_unpin_message", circle.pk),
        # message id -> the pinner's id, for the messages still shown
        "pins": {str(k): v for k, v in selectors.pinned_by_message(room=room).items()},
        # The chat client's sentences for pins, translated here (chat.js merges them into its own).
        "strings": {
            "library_pin": _("Pin"),
            "library_unpin": _("Unpin"),
            "library_pinned_by": _("pinned by %(name)s"),
            "library_pinned": _("Pinned: the message is in the circle library."),
            "library_unpinned": _("The message is no longer pinned."),
        },
    }
    return {"circle": circle, "library": config}
