"""Names people may choose from: IANA time zones and ISO 639-1 language codes."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django.conf.locale import LANG_INFO
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@cache
def time_zone_names() -> frozenset[str]:
    """Every IANA time zone name this machine's zone database knows."""
    return frozenset(zoneinfo.available_timezones())


@cache
def language_names() -> dict[str, str]:
    """Two-letter language codes mapped to their English names, e.g. {"es": "Spanish"}."""
    return {code: info["name"] for code, info in LANG_INFO.items() if len(code) == 2 and "name" in info}


def validate_time_zone(value: str) -> None:
    """Accept only a real IANA zone name such as Europe/Madrid."""
    if value not in time_zone_names():
        raise ValidationError(
            _("“%(value)s” is not a time zone we know. Use a name like Europe/Madrid or America/Bogota."),
            code="unknown_time_zone",
            params={"value": value},
        )


def validate_languages(value: object) -> None:
    """Accept only a list of known two-letter language codes."""
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValidationError(_("Languages must be a list of language codes."), code="invalid_languages")
    unknown = [code for code in value if code not in language_names()]
    if unknown:
        raise ValidationError(
            _("Unknown language code: %(codes)s. Use two-letter codes such as es, en or sw."),
            code="unknown_language",
            params={"codes": ", ".join(unknown)},
        )
