"""The circle rules, in one place: what a circle must meet, checked the same way everywhere.

The engine forms circles that meet the hard rules, the product's review page and manual moves ask
`circle_issues` before they show or save a circle. A circle meets the rules when:

- a language is spoken by everyone in it, coach included (hard: `no_shared_language`);
- everyone, coach included, is free together for at least `min_overlap_hours` in one stretch: their
  waking hours on the reference date, inside their weekly availability windows where they gave any
  (hard: `window_short`, with the stretch's length in `minutes`);
- it has at most `circle_max` members (hard: `too_large`) and at least `circle_min` (a warning:
  `too_small`);
- no member is far from everyone: each member shares `min_overlap_hours` with at least one other
  member (a warning: `far_from_everyone`; it can only fire in a circle that already breaks the
  window rule, since a shared window is shared by every pair).

Issues carry codes and ids, never sentences: the product words them in the admin's language.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from .freetime import clock_period, free_arcs, shared_stretch
from .overlap import Window
from .problem import Coach, Member, Rules

NO_SHARED_LANGUAGE = "no_shared_language"
WINDOW_SHORT = "window_short"
TOO_LARGE = "too_large"
TOO_SMALL = "too_small"
FAR_FROM_EVERYONE = "far_from_everyone"
# The engine never makes a circle that breaks one of these; the others are warnings it avoids when it can.
HARD = frozenset({NO_SHARED_LANGUAGE, WINDOW_SHORT, TOO_LARGE})


@dataclass(frozen=True, slots=True)
class Issue:
    """One rule a circle breaks: its code, who it concerns (may be empty), and the window's length."""

    code: str
    people: tuple[str, ...] = ()
    minutes: int | None = None
    language: str | None = None

    @property
    def hard(self) -> bool:
        return self.code in HARD

    def as_json(self) -> dict[str, object]:
        return {"code": self.code, "people": list(self.people), "minutes": self.minutes}


def circle_issues(*, coach: Coach | None, members: Sequence[Member], rules: Rules, on: date) -> list[Issue]:
    """Every rule the circle breaks, hard ones first (empty = it meets them all)."""
    issues: list[Issue] = []
    language_issue = _language_issue(coach, members)
    if language_issue:
        issues.append(language_issue)
    people: list[Coach | Member] = [*([coach] if coach else []), *members]
    period = clock_period(people)
    arcs = [free_arcs(person, rules=rules, on=on, period=period) for person in people]
    window = shared_stretch(arcs, period=period)
    minutes = window.minutes if window else 0
    if members and minutes < rules.min_overlap_minutes:
        issues.append(Issue(code=WINDOW_SHORT, minutes=minutes))
    if len(members) > rules.circle_max:
        issues.append(Issue(code=TOO_LARGE))
    if len(members) < rules.circle_min:
        issues.append(Issue(code=TOO_SMALL))
    far = _far_from_everyone(members, arcs[1:] if coach else arcs, rules=rules, period=period)
    if far:
        issues.append(Issue(code=FAR_FROM_EVERYONE, people=far))
    return issues


def circle_window(*, coach: Coach | None, members: Sequence[Member], rules: Rules, on: date) -> Window | None:
    """The longest stretch when everyone (coach included) is free together; None when never."""
    people: list[Coach | Member] = [*([coach] if coach else []), *members]
    period = clock_period(people)
    return shared_stretch(
        [free_arcs(person, rules=rules, on=on, period=period) for person in people], period=period
    )


def breaks_hard_rule(issues: Sequence[Issue]) -> bool:
    return any(issue.hard for issue in issues)


def circle_language(*, coach: Coach | None, members: Sequence[Member]) -> str | None:
    """The language everyone speaks, coach included; among several, the one members rank highest.

    "Highest" is the smallest sum of the language's positions in members' preference lists, ties to
    the coach's order, then alphabetical; None when no language is common to all.
    """
    common = _common_languages(coach, members)
    if not common:
        return None
    coach_order = {language: rank for rank, language in enumerate(coach.languages)} if coach else {}

    def rank(language: str) -> tuple[int, int, str]:
        places = sum(member.languages.index(language) for member in members)
        return (places, coach_order.get(language, len(coach_order)), language)

    return min(common, key=rank)


def common_languages(coach: Coach | None, members: Sequence[Member]) -> set[str]:
    """The languages everyone speaks, coach included."""
    return _common_languages(coach, members)


def _common_languages(coach: Coach | None, members: Sequence[Member]) -> set[str]:
    people: list[Coach | Member] = [*([coach] if coach else []), *members]
    if not people:
        return set()
    common = set(people[0].languages)
    for person in people[1:]:
        common &= set(person.languages)
    return common


def _language_issue(coach: Coach | None, members: Sequence[Member]) -> Issue | None:
    """None when a language is common to all; else who does not speak the language most of them speak."""
    if not members or _common_languages(coach, members):
        return None
    people: list[Coach | Member] = [*([coach] if coach else []), *members]
    spoken = Counter(language for person in people for language in person.languages)
    # The most spoken language, ties to the coach's first; the people without it are the ones concerned.
    order = {language: rank for rank, language in enumerate(coach.languages)} if coach else {}
    best = min(spoken, key=lambda language: (-spoken[language], order.get(language, len(order)), language))
    return Issue(
        code=NO_SHARED_LANGUAGE,
        people=tuple(person.id for person in people if best not in person.languages),
    )


def _far_from_everyone(
    members: Sequence[Member], arcs: Sequence[tuple[tuple[int, int], ...]], *, rules: Rules, period: int
) -> tuple[str, ...]:
    """Members who share `min_overlap_hours` with no other member of the circle (none when alone)."""
    if len(members) < 2:
        return ()
    needed = rules.min_overlap_minutes
    close = [False] * len(members)
    for first in range(len(members)):
        for second in range(first + 1, len(members)):
            if close[first] and close[second]:
                continue
            window = shared_stretch([arcs[first], arcs[second]], period=period)
            if window and window.minutes >= needed:
                close[first] = close[second] = True
    return tuple(member.id for member, near in zip(members, close, strict=True) if not near)
