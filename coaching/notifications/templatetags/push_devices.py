"""The profile's "Notifications on your devices" section: turn on push here, see and remove devices."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from coaching.notifications.models import PushSubscription
from coaching.notifications.push import configured

register = template.Library()


@register.inclusion_tag("notifications/_devices.html", takes_context=True)
def push_devices(context: dict[str, Any]) -> dict[str, Any]:
    """The person's devices (newest first), and the key a browser subscribes with when push is on."""
    request = context["request"]
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "configured": configured(),
        "public_key": settings.WEBPUSH_VAPID_PUBLIC_KEY,
        "devices": PushSubscription.objects.filter(user=request.user).order_by("-created_at", "-pk"),
    }
