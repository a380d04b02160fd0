"""Member profile cards: who may see whose card (`access_person`), and what a card shows (`person_card`).

A card is for the people one shares a circle with now (coach or member, either side), for oneself, and for the
admins of a programme the person is enrolled in; everyone else gets 404. Cards hold no chat text, so the
admins' rule (numbers, never chat) still holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from circles.access import administered_programmes
from circles.models import Enrolment, Membership
from coaching.accounts.models import User
from coaching.accounts.zones import LocalClock, language_name, local_clock, time_zone_label
from coaching.lib.errors import NoAccess


def _shares_a_circle(reader: User, person: User) -> bool:
    readers_circles = Membership.objects.current().filter(user=reader).values("circle_id")
    return Membership.objects.current().filter(user=person, circle_id__in=readers_circles).exists()


def _administers(reader: User, person: User) -> bool:
    programmes = administered_programmes(user=reader)
    return Enrolment.objects.filter(user=person, programme__in=programmes).exists() or (
        Membership.objects.current().filter(user=person, circle__programme__in=programmes).exists()
    )


def access_person(reader: User, person_id: int) -> User:
    """The person whose card `reader` may see (shares a current circle, is them, or runs their programme);
    NoAccess (a 404) otherwise, also for erased and disabled accounts."""
    if not reader.is_authenticated or not reader.is_active:
        raise NoAccess(4401)
    person = User.objects.filter(pk=person_id, is_active=True, erased_at__isnull=True).first()
    if person is None:
        raise NoAccess(4404)
    if person.pk == reader.pk or _shares_a_circle(reader, person) or _administers(reader, person):
        return person
    raise NoAccess(4404)


@dataclass(frozen=True)
class PersonCard:
    """What a card shows: languages and place in the reader's language, the person's clock now."""

    person: User
    languages: list[str]
    place: str
    clock: LocalClock
    is_coach: bool


def person_card(*, person: User, now: dt.datetime | None = None) -> PersonCard:
    """The card of a person the caller was allowed to see (access_person), in the active language."""
    return PersonCard(
        person=person,
        languages=[language_name(code) for code in person.languages],
        place=time_zone_label(person.timezone),
        clock=local_clock(person.timezone, at=now or timezone.now()),
        is_coach=Membership.objects.coaches().filter(user=person).exists(),
    )
