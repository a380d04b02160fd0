"""Members' preferred and avoided coaches: which coaches a member may choose, and saving the choices.

A member may state a preference only about coaches of the programmes they are enrolled in as a
member; matching reads the choices when it builds a programme's problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from circles.errors import CircleRuleError
from circles.models import CoachPreference, Enrolment
from coaching.accounts.models import User


@dataclass(frozen=True)
class CoachChoice:
    """A coach the member may choose about, the programmes they share, and the choice ("" for none)."""

    coach: User
    programmes: list[str]
    kind: str


def coach_choices(*, member: User) -> list[CoachChoice]:
    """The coaches of every programme this person is enrolled in as a member, by name, with their choice."""
    programmes = Enrolment.objects.filter(user=member, role=Enrolment.Role.MEMBER).values("programme_id")
    enrolments = (
        Enrolment.objects.filter(programme_id__in=programmes, role=Enrolment.Role.COACH)
        .exclude(user=member)
        .select_related("user", "programme")
        .order_by("programme__name")
    )
    coaches: dict[int, User] = {}
    shared: dict[int, list[str]] = {}
    for enrolment in enrolments:
        coaches[enrolment.user_id] = enrolment.user
        shared.setdefault(enrolment.user_id, []).append(enrolment.programme.name)
    kinds = dict(
        CoachPreference.objects.filter(member=member, coach_id__in=coaches).values_list("coach_id", "kind")
    )
    return sorted(
        (
            CoachChoice(coach=coach, programmes=shared[pk], kind=kinds.get(pk, ""))
            for pk, coach in coaches.items()
        ),
        key=lambda choice: (choice.coach.name.lower(), choice.coach.pk),
    )


@transaction.atomic
def save_preferences(*, member: User, choices: Mapping[int, str]) -> int:
    """Set the member's choice ("", "prefer", "avoid") per coach id; refuses coaches outside their programmes.

    Coaches not named keep their current choice. Returns how many choices changed.
    """
    allowed = {choice.coach.pk: choice.kind for choice in coach_choices(member=member)}
    foreign = sorted(set(choices) - set(allowed))
    if foreign:
        raise CircleRuleError(
            _("You can only choose among the coaches of programmes you take part in."), code="not_your_coach"
        )
    valid = {"", *CoachPreference.Kind.values}
    if any(kind not in valid for kind in choices.values()):
        raise CircleRuleError(_("Choose prefer, avoid or no preference for each coach."), code="bad_choice")
    changed = {coach_id: kind for coach_id, kind in choices.items() if allowed[coach_id] != kind}
    cleared = [coach_id for coach_id, kind in changed.items() if not kind]
    CoachPreference.objects.filter(member=member, coach_id__in=cleared).delete()
    for coach_id, kind in changed.items():
        if kind:
            CoachPreference.objects.update_or_create(
                member=member, coach_id=coach_id, defaults={"kind": kind}
            )
    return len(changed)


def preferences_by_member(*, member_ids: list[int], coach_ids: list[int]) -> dict[int, dict[str, list[int]]]:
    """Per member id, the coaches among `coach_ids` they prefer and avoid: {"prefer": [..], "avoid": [..]}."""
    found: dict[int, dict[str, list[int]]] = {}
    rows = CoachPreference.objects.filter(coach_id__in=coach_ids).order_by("coach_id")
    for start in range(0, len(member_ids), 5000):  # stays under SQLite's limit of query parameters
        chunk = member_ids[start : start + 5000]
        for member_id, coach_id, kind in rows.filter(member_id__in=chunk).values_list(
            "member_id", "coach_id", "kind"
        ):
            found.setdefault(member_id, {"prefer": [], "avoid": []})[kind].append(coach_id)
    return found
