"""The one definition of a seat: current, coach, member, admitted; and the access functions built on it."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.utils import timezone

from circles import services
from circles.access import access_circle, coached_circle, is_coach_of
from circles.models import Membership

pytestmark = pytest.mark.django_db


def test_it_counts_only_seats_that_have_not_ended(world):
    kept, leaving = world.members[:2]
    for member in (kept, leaving):
        services.assign_member(actor=world.admin, circle=world.circle, member=member)
    services.remove_member(actor=world.admin, circle=world.circle, member=leaving, reason="moved away")

    current = Membership.objects.current().filter(circle=world.circle)
    assert set(current.values_list("user__username", flat=True)) == {"coach", kept.username}
    assert list(
        Membership.objects.coaches().filter(circle=world.circle).values_list("user_id", flat=True)
    ) == [world.coach.pk]
    assert list(world.circle.memberships.members().values_list("user_id", flat=True)) == [kept.pk]
    # The seat that ended still counts for the time it was held.
    ended = Membership.objects.get(circle=world.circle, user=leaving)
    assert Membership.objects.held_at(ended.joined_at).filter(user=leaving).exists()
    assert not Membership.objects.held_at(timezone.now()).filter(user=leaving).exists()


def test_it_admits_the_coach_and_members_past_the_charter_only(world):
    member = world.members[0]
    services.assign_member(actor=world.admin, circle=world.circle, member=member)
    admitted = Membership.objects.admitted().filter(circle=world.circle)
    assert set(admitted.values_list("user_id", flat=True)) == {world.coach.pk}

    services.accept_charter(user=member, circle=world.circle)
    assert set(admitted.values_list("user_id", flat=True)) == {world.coach.pk, member.pk}


def test_access_circle_opens_for_the_coach_and_admitted_members(world):
    member = world.members[0]
    services.assign_member(actor=world.admin, circle=world.circle, member=member)
    services.accept_charter(user=member, circle=world.circle)
    assert access_circle(world.coach, world.circle.pk) == world.circle
    assert access_circle(member, world.circle.pk) == world.circle


@pytest.mark.parametrize("who", ["before_charter", "former", "admin", "other_coach", "outsider", "inactive"])
def test_access_circle_is_a_404_for_everyone_else(world, who):
    member, former = world.members[:2]
    services.assign_member(actor=world.admin, circle=world.circle, member=member)
    services.assign_member(actor=world.admin, circle=world.circle, member=former)
    services.accept_charter(user=former, circle=world.circle)
    services.remove_member(actor=world.admin, circle=world.circle, member=former, reason="left")
    if who == "inactive":
        services.accept_charter(user=member, circle=world.circle)
        member.is_active = False
        member.save()
    user = {
        "before_charter": member,
        "former": former,
        "admin": world.admin,
        "other_coach": world.other_coach,
        "outsider": world.outsider,
        "inactive": member,
    }[who]
    with pytest.raises(Http404):
        access_circle(user, world.circle.pk)


def test_one_function_decides_who_coaches_a_circle(world):
    member = world.members[0]
    services.assign_member(actor=world.admin, circle=world.circle, member=member)
    assert is_coach_of(user=world.coach, circle_id=world.circle.pk)
    assert not is_coach_of(user=member, circle_id=world.circle.pk)
    assert not is_coach_of(user=world.other_coach, circle_id=world.circle.pk)
    assert coached_circle(world.coach, world.circle.pk) == world.circle
    with pytest.raises(Http404):
        coached_circle(member, world.circle.pk)

    services.change_coach(actor=world.admin, circle=world.circle, coach=world.other_coach, reason="swap")
    assert not is_coach_of(user=world.coach, circle_id=world.circle.pk)
    assert is_coach_of(user=world.other_coach, circle_id=world.circle.pk)
    with pytest.raises(Http404):
        coached_circle(world.coach, world.circle.pk)
