"""The profile's push_devices section (being built: renders nothing yet)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def push_devices(context: dict[str, Any]) -> str:
    """Nothing yet."""
    return ""
