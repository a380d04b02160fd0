"""Names people may choose from: IANA time zones and ISO 639-1 language codes, and how a reader sees them.

The codes are the values stored and validated; what a person reads (language names, a zone's city and
country) comes from CLDR through Babel, in the language the reader's page is in.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import get_timezone_location
from django.conf.locale import LANG_INFO
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from coaching.accounts.validators import shown

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@cache
def time_zone_names() -> frozenset[str]:
    """Every IANA time zone name this machine's zone database knows."""
    return frozenset(zoneinfo.available_timezones())


@cache
def language_names() -> dict[str, str]:
    """Two-letter language codes mapped to their English names, e.g. {"es": "Spanish"}."""
    return {code: info["name"] for code, info in LANG_INFO.items() if len(code) == 2 and "name" in info}


def _reader_locale() -> Locale:
    """The CLDR locale of the language the current page is in (English when none or unknown)."""
    return _locale(get_language() or "en")


@cache
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale("en")


def sort_key(text: str) -> str:
    """A key that sorts names as a reader expects: case and accents ignored ("Árabe" beside "Armenio")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _capitalised(name: str) -> str:
    # CLDR writes Spanish language names in lower case, as in running text; a list item starts with a capital.
    return name[:1].upper() + name[1:]


def language_name(code: str) -> str:
    """The language's name in the reader's language, e.g. "Swahili" or "Suajili" (the code if unknown)."""
    return _capitalised(_reader_locale().languages.get(code) or language_names().get(code, code))


def language_choices(*, first: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Every known language as (code, name in the reader's language): the `first` codes in their order, then
    the rest alphabetically in the reader's language."""
    leading = [code for code in dict.fromkeys(first) if code in language_names()]
    rest = sorted(
        (code for code in language_names() if code not in leading), key=lambda c: sort_key(language_name(c))
    )
    return [(code, language_name(code)) for code in [*leading, *rest]]


def _territory(zone: str) -> str | None:
    """The CLDR country code of a zone (aliases such as US/Eastern through their canonical zone), if any."""
    canonical = get_global("zone_aliases").get(zone, zone)
    territory = get_global("zone_territories").get(canonical)
    return territory if territory and territory != "001" else None


def _country(zone: str, locale: Locale) -> str | None:
    territory = _territory(zone)
    return locale.territories.get(territory) if territory else None


def time_zone_label(zone: str | dt.tzinfo) -> str:
    """Where a zone is, in the reader's language: its city and country, e.g. "Bogotá (Colombia)".

    The one way a person reads a zone (pages use it through the `zone_name` filter); `zone` is an IANA id
    or a ZoneInfo, and an id this machine does not know comes back as it is.
    """
    zone = getattr(zone, "key", None) or str(zone)
    if zone == "UTC":
        return _("Coordinated Universal Time (UTC)")
    if zone not in time_zone_names():
        return zone
    locale = _reader_locale()
    city = get_timezone_location(zone, locale=locale, return_city=True)
    country = _country(zone, locale)
    return f"{city} ({country})" if country and country != city else city


ZoneGroups = list[tuple[str, list[tuple[str, str]]]]


@cache
def _zone_groups(language: str) -> ZoneGroups:
    locale = _locale(language)
    groups: dict[str, list[tuple[str, str]]] = {}
    for zone in get_global("zone_territories"):
        country = _country(zone, locale)
        if country and zone in time_zone_names():
            groups.setdefault(country, []).append((zone, time_zone_label(zone)))
    return [
        (country, sorted(groups[country], key=lambda choice: sort_key(choice[1])))
        for country in sorted(groups, key=sort_key)
    ]


def time_zone_choices(*, current: str = "") -> ZoneGroups:
    """The zones people choose from, grouped by country in the reader's language (countries and cities in
    alphabetical order, UTC last): [(country, [(IANA id, "City (Country)"), …]), …].

    Only CLDR's canonical zones of a country are offered (no aliases such as US/Eastern); `current` is kept
    when it is another valid zone, so saving a profile never changes a zone silently.
    """
    groups = _zone_groups(get_language() or "en")
    offered = {zone for _country, choices in groups for zone, _label in choices}
    other = [("UTC", time_zone_label("UTC"))]
    if current in time_zone_names() and current not in offered and current != "UTC":
        other.insert(0, (current, time_zone_label(current)))
    return [*groups, (str(_("Other")), other)]


def _unknown_time_zone(value: str) -> ValidationError:
    return ValidationError(
        _("“%(value)s” is not a time zone we know. Use a name like Europe/Madrid or America/Bogota."),
        code="unknown_time_zone",
        params={"value": shown(value)},
    )


def validate_time_zone(value: str) -> None:
    """Accept only a real IANA zone name such as Europe/Madrid, spelled exactly."""
    if value not in time_zone_names():
        raise _unknown_time_zone(value)


@cache
def _time_zones_by_lower() -> dict[str, str]:
    return {name.lower(): name for name in time_zone_names()}


def time_zone(value: str) -> str:
    """The IANA zone a person means (outer spaces and letter case ignored), e.g. "europe/madrid"."""
    zone = _time_zones_by_lower().get(value.strip().lower())
    if zone is None:
        raise _unknown_time_zone(value.strip())
    return zone


def _unknown_languages(codes: list[str]) -> ValidationError:
    return ValidationError(
        _("Unknown language code: %(codes)s. Use two-letter codes such as es, en or sw."),
        code="unknown_language",
        params={"codes": shown(", ".join(codes))},
    )


def validate_languages(value: object) -> None:
    """Accept only a list of known two-letter language codes."""
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValidationError(_("Languages must be a list of language codes."), code="invalid_languages")
    unknown = [code for code in value if code not in language_names()]
    if unknown:
        raise _unknown_languages(unknown)


def language_codes(values: Iterable[str]) -> list[str]:
    """The codes a person gave, lower-cased and without repeats, in their order; unknown ones refused."""
    codes = list(dict.fromkeys(code.strip().lower() for code in values if code.strip()))
    unknown = [code for code in codes if code not in language_names()]
    if unknown:
        raise _unknown_languages(unknown)
    return codes


@dataclass(frozen=True)
class Band:
    """A band of UTC offsets, for filtering people by roughly where on Earth they live."""

    key: str
    label: StrOrPromise
    low: float
    high: float


BANDS = [
    Band("americas", gettext_lazy("Americas (UTC−12 to −2½)"), -12, -2.5),
    Band("europe-africa", gettext_lazy("Europe and Africa (UTC−2 to +4)"), -2, 4),
    Band("asia-pacific", gettext_lazy("Asia and Pacific (UTC+4½ to +14)"), 4.5, 14),
]


def utc_offset_hours(zone: str, *, at: dt.datetime) -> float:
    """The zone's offset from UTC at that instant, in hours (DST included)."""
    offset = at.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset()
    return (offset or dt.timedelta()).total_seconds() / 3600


def band_of(zone: str, *, at: dt.datetime) -> str:
    """The key of the band the zone's current offset falls in."""
    offset = utc_offset_hours(zone, at=at)
    return next((band.key for band in BANDS if band.low <= offset <= band.high), BANDS[-1].key)


@dataclass(frozen=True)
class LocalClock:
    """What time it is for someone right now, and whether it is day or night there."""

    time: str
    weekday: str
    is_day: bool


def local_clock(zone: str, *, at: dt.datetime) -> LocalClock:
    """The wall-clock time in a zone at an instant; day means 07:00–18:59."""
    local = at.astimezone(zoneinfo.ZoneInfo(zone))
    return LocalClock(
        time=local.strftime("%H:%M"), weekday=formats.date_format(local, "D"), is_day=7 <= local.hour < 19
    )
