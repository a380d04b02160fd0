"""Zones and languages in the reader's words: `zone|zone_name` → "Bogotá (Colombia)", `code|language_name`."""

from __future__ import annotations

import datetime as dt

from django import template

from coaching.accounts.zones import language_name as cldr_language_name
from coaching.accounts.zones import time_zone_label

register = template.Library()


@register.filter
def zone_name(zone: str | dt.tzinfo | None) -> str:
    """The zone's city and country in the reader's language (coaching.accounts.zones.time_zone_label)."""
    return time_zone_label(zone) if zone else ""


@register.filter
def language_name(code: str | None) -> str:
    """The language's name in the reader's language, e.g. "Swahili" or "Suajili" (CLDR, through Babel)."""
    return cldr_language_name(code) if code else ""


@register.filter
def language_names(codes: list[str] | None) -> str:
    """Languages by name in the reader's language, comma-separated: ["en", "sw"] → "English, Swahili"."""
    return ", ".join(cldr_language_name(code) for code in codes or ())
