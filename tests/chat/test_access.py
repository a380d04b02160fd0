"""Access in one place per object: chat.access and coaching.live.access refuse with a close code."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from chat.access import access_room, access_thread
from chat.threads import open_thread
from circles.models import Circle, Membership
from coaching.accounts.models import User
from coaching.lib.errors import NoAccess
from coaching.live.access import access_session
from coaching.live.models import LiveSession

pytestmark = pytest.mark.django_db


def people() -> dict[str, User]:
    return {user.username: user for user in User.objects.all()}


def close_code(call, *args) -> int:
    with pytest.raises(NoAccess) as refusal:
        call(*args)
    assert isinstance(refusal.value, Http404)  # a view that lets it through answers 404
    return refusal.value.close_code


def test_a_circle_room_is_for_its_coach_and_admitted_members_only(demo) -> None:
    harambee = Circle.objects.get(name="Harambee").pk
    who = people()
    assert access_room(who["amani.coach"], harambee).circle_id == harambee
    assert access_room(who["kofi"], harambee).circle_id == harambee
    assert close_code(access_room, AnonymousUser(), harambee) == 4401
    assert close_code(access_room, who["camila"], harambee) == 4403
    assert close_code(access_room, who["ana.admin"], harambee) == 4403
    Membership.objects.filter(user=who["kofi"], circle_id=harambee).update(charter_accepted_at=None)
    assert close_code(access_room, who["kofi"], harambee) == 4403
    Membership.objects.filter(user=who["grace"], circle_id=harambee).update(left_at=timezone.now())
    assert close_code(access_room, who["grace"], harambee) == 4403


def test_a_thread_is_for_its_two_people_only(demo) -> None:
    who = people()
    thread = open_thread(coach=who["amani.coach"], member=who["kofi"])
    assert access_thread(who["kofi"], thread.pk) == thread
    assert access_thread(who["amani.coach"], thread.pk).room == thread.room
    assert close_code(access_thread, who["grace"], thread.pk) == 4403
    assert close_code(access_thread, AnonymousUser(), thread.pk) == 4401
    assert close_code(access_thread, who["kofi"], 999_999) == 4404


def test_a_live_session_is_for_the_people_of_its_circle_only(demo) -> None:
    who = people()
    circle = Circle.objects.get(name="Harambee")
    session = LiveSession.objects.create(
        circle=circle,
        title="Access",
        starts_at=timezone.now(),
        timezone="UTC",
        created_by=who["amani.coach"],
    )
    assert access_session(who["kofi"], session.pk) == session
    assert close_code(access_session, AnonymousUser(), session.pk) == 4401
    assert close_code(access_session, who["camila"], session.pk) == 4403
    assert close_code(access_session, who["kofi"], 999_999) == 4404
