"""Coach preferences: members choose among their programmes' coaches on the profile; matching reads them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from circles import services
from circles.models import CoachPreference
from coaching.matching import problems
from tests.circles.conftest import person

pytestmark = pytest.mark.django_db


def field(coach) -> str:
    return f"coach_{coach.pk}"


def save(client, data: dict[str, str]) -> str:
    response = client.post(reverse("coach_preferences"), data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("profile")
    return response.content.decode()


def kinds(member) -> dict[str, str]:
    return {
        p.coach.username: p.kind
        for p in CoachPreference.objects.filter(member=member).select_related("coach")
    }


def test_a_member_sees_their_programmes_coaches_with_three_choices(client, world):
    member = world.members[0]
    client.force_login(member)
    html = client.get(reverse("profile")).content.decode()
    assert "Your coaches" in html
    for coach in (world.coach, world.other_coach):
        for value in ("", "prefer", "avoid"):
            assert re.search(rf'type="radio" name="{field(coach)}" value="{value}"', html)
    assert "No preference" in html
    assert "Prefer" in html
    assert "Avoid" in html
    coach_b = world.other_circle.memberships.get(role="coach").user
    assert field(coach_b) not in html  # a coach of a programme they are not in


def test_people_who_are_no_member_anywhere_see_no_coach_choices(client, world):
    for user in (world.admin, world.coach):
        client.force_login(user)
        assert "Your coaches" not in client.get(reverse("profile")).content.decode()


def test_a_member_saves_prefer_and_avoid_and_can_take_them_back(client, world):
    member = world.members[0]
    client.force_login(member)
    page = save(client, {field(world.coach): "prefer", field(world.other_coach): "avoid"})
    assert "Your coach preferences are saved." in page
    assert kinds(member) == {"coach": "prefer", "coach2": "avoid"}
    html = client.get(reverse("profile")).content.decode()
    assert re.search(rf'name="{field(world.coach)}" value="prefer"[^>]*checked', html)
    save(client, {field(world.coach): "", field(world.other_coach): "prefer"})
    assert kinds(member) == {"coach2": "prefer"}


def test_a_coach_of_another_programme_is_refused_and_nothing_is_saved(client, world):
    member = world.members[0]
    coach_b = world.other_circle.memberships.get(role="coach").user
    client.force_login(member)
    page = save(client, {field(world.coach): "prefer", field(coach_b): "avoid"})
    assert "You can only choose among the coaches of programmes you take part in." in page
    assert kinds(member) == {}


def test_an_unknown_choice_is_refused(client, world):
    member = world.members[0]
    client.force_login(member)
    page = save(client, {field(world.coach): "adore"})
    assert "Select a valid choice" in page
    assert kinds(member) == {}


def test_a_member_cannot_choose_about_themselves_or_a_fellow_member(client, world):
    member = world.members[0]
    client.force_login(member)
    save(client, {field(world.members[1]): "avoid", field(member): "prefer"})
    assert kinds(member) == {}


def test_a_coach_in_two_of_the_members_programmes_is_offered_once(client, world):
    member = world.members[0]
    services.enrol(programme=world.other_programme, user=member, role="member")
    services.enrol(programme=world.other_programme, user=world.coach, role="coach")
    client.force_login(member)
    html = client.get(reverse("profile")).content.decode()
    assert html.count(f'name="{field(world.coach)}" value="prefer"') == 1


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.post(reverse("coach_preferences"), {field(world.coach): "prefer"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not CoachPreference.objects.exists()


def test_matching_reads_the_preferences_of_this_programmes_coaches(client, world):
    member = world.members[0]
    stranger_coach = person("stranger_coach")
    CoachPreference.objects.create(member=member, coach=stranger_coach, kind="avoid")
    client.force_login(member)
    save(client, {field(world.coach): "prefer", field(world.other_coach): "avoid"})
    built = problems.build_problem(programme=world.programme, on=dt.date(2026, 3, 1))
    record = next(m for m in built.problem["members"] if m["id"] == str(member.pk))
    assert record["prefer"] == [str(world.coach.pk)]
    assert record["avoid"] == [str(world.other_coach.pk)]
