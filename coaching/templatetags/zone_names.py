"""A time zone as a person reads it, in their language: `{{ zone|zone_name }}` → "Bogotá (Colombia)"."""

from __future__ import annotations

import datetime as dt

from django import template

from coaching.accounts.zones import time_zone_label

register = template.Library()


@register.filter
def zone_name(zone: str | dt.tzinfo | None) -> str:
    """The zone's city and country in the reader's language (coaching.accounts.zones.time_zone_label)."""
    return time_zone_label(zone) if zone else ""
