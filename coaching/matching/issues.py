"""What a proposed circle breaks, in the admin's words: the engine's issues and unplaced reasons as sentences.

The rule itself lives in the engine (`coaching.matching.engine.rules.circle_issues`, asked through
`problems.judge_circle`): the review page, publishing and manual moves all ask it, so the three can
never disagree. This module only turns its issue codes, and the reason codes of people left unplaced,
into translated sentences that name the people concerned.

An issue is "hard" when it breaks one of the programme's circle rules (no language everyone speaks, a
shared window under the minimum, too many members): the engine never makes such a circle, so one can
only come from an admin's move, which then needs their explicit confirmation. The others (a circle
under the minimum size, a member far from everyone else) are warnings. Publishing asks for a
confirmation whenever any circle has either kind.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coaching.accounts.zones import time_zone_label
from coaching.matching import engine
from coaching.matching.problems import JsonDict

HARD = engine.HARD


@dataclass(frozen=True)
class Warning:
    """One issue of one circle as the admin reads it."""

    code: str
    hard: bool
    text: str


def _names(ids: Iterable[str], name: Callable[[str], str]) -> str:
    return ", ".join(name(person) for person in ids)


def sentence(issue: JsonDict, *, rules: JsonDict, size: int, name: Callable[[str], str]) -> str:
    """One issue as a translated sentence naming the people concerned; `size` counts the circle's members."""
    code, people = issue["code"], list(issue.get("people") or [])
    hours = f"{rules['min_overlap_hours']:g}"
    if code == "no_shared_language":
        if not people:
            return _("No language is spoken by everyone in this circle, coach included.")
        return ngettext(
            "%(people)s shares no language with everyone else in this circle, coach included.",
            "%(people)s share no language with everyone else in this circle, coach included.",
            len(people),
        ) % {"people": _names(people, name)}
    if code == "window_short":
        minutes = issue.get("minutes") or 0
        if minutes <= 0:
            return _("There is no time of day when everyone in this circle, coach included, can meet.")
        return _(
            "Everyone in this circle, coach included, can meet at the same time for only %(minutes)d "
            "minutes a day; the programme asks for at least %(hours)s hours."
        ) % {"minutes": minutes, "hours": hours}
    if code == "too_small":
        return ngettext(
            "This circle has only %(count)d member; the programme asks for at least %(least)d.",
            "This circle has only %(count)d members; the programme asks for at least %(least)d.",
            size,
        ) % {"count": size, "least": rules["circle_size"]["min"]}
    if code == "too_large":
        return _("This circle has %(count)d members; the programme allows at most %(most)d.") % {
            "count": size,
            "most": rules["circle_size"]["max"],
        }
    if code == "far_from_everyone":
        return ngettext(
            "%(people)s shares less than %(hours)s hours of waking time with anyone else in this circle.",
            "%(people)s share less than %(hours)s hours of waking time with anyone else in this circle.",
            max(1, len(people)),
        ) % {"people": _names(people, name), "hours": hours}
    return _("This circle breaks a rule of the programme (%(code)s).") % {"code": code}


def warnings(
    issues: Sequence[JsonDict], *, rules: JsonDict, size: int, name: Callable[[str], str]
) -> list[Warning]:
    """A circle's issues as warnings, the hard ones first."""
    shown = [
        Warning(code=i["code"], hard=i["code"] in HARD, text=sentence(i, rules=rules, size=size, name=name))
        for i in issues
    ]
    return sorted(shown, key=lambda warning: not warning.hard)


def digest(parts: object) -> str:
    """A short fingerprint of what the admin was shown, so a confirmation covers exactly that."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def reason_text(reason: str, *, record: JsonDict | None, rules: JsonDict) -> str:
    """Why someone was left unplaced, in the admin's words (reason codes from the engine or problems)."""
    languages = ", ".join(record["languages"]) if record else ""
    zone = time_zone_label(record["timezone"]) if record else ""
    hours = f"{rules['min_overlap_hours']:g}"
    texts = {
        "no_shared_language": _("No coach with room speaks their languages (%(languages)s).")
        % {"languages": languages},
        "no_shared_hours": _(
            "No coach who speaks their languages shares %(hours)s hours of waking time with %(zone)s."
        )
        % {"hours": hours, "zone": zone},
        "only_avoided": _("Only coaches they asked not to have would fit."),
        "coaches_full": _("Every coach who fits them is full."),
        "no_circle_fits": _(
            "No circle can take them under the programme's rules: nobody else with a fitting coach "
            "shares their language and %(hours)s hours of their day."
        )
        % {"hours": hours},
    }
    # Reasons written by problems.py are gettext_noop'd sentences; anything else shows as it came.
    return texts.get(_reason_code(reason)) or _(reason)


# The engine words its older reasons as plain English with details; their openings name the case.
ENGINE_REASONS = {
    "no coach shares a language": "no_shared_language",
    "no coach who speaks": "no_shared_hours",
    "only coaches on the member's avoid list fit": "only_avoided",
    "every coach who fits is full": "coaches_full",
}


def _reason_code(reason: str) -> str:
    return next((code for opening, code in ENGINE_REASONS.items() if reason.startswith(opening)), reason)
