"""Who may open each progress page and export: the member their own, the coach their circle's members, the
admins their programme's numbers and the concerns that are theirs; 404 for everyone else, sign-in first."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from coaching.live.models import Commitment
from coaching.progress import concerns, services
from coaching.progress.models import Goal
from tests.progress.conftest import user

pytestmark = pytest.mark.django_db

EVERYONE = ["kofi", "grace", "amani.coach", "lucia.coach", "ana.admin", None]  # None: not signed in


@pytest.fixture
def world(harambee, programme) -> dict[str, Any]:
    goal = services.set_goal(member=user("kofi"), title="Launch", measure="Items")
    commitment = services.set_commitment(
        member=user("kofi"), circle=harambee, text="Practise", due_on=dt.date(2099, 1, 1)
    )
    to_coach = concerns.raise_concern(member=user("kofi"), circle=harambee, to="coach", subject="s", text="t")
    to_admins = concerns.raise_concern(
        member=user("grace"), circle=harambee, to="admins", subject="s", text="t"
    )
    return {
        "circle": harambee.pk,
        "programme": programme.pk,
        "kofi": user("kofi").pk,
        "goal": goal.pk,
        "commitment": commitment.pk,
        "to_coach": to_coach.pk,
        "to_admins": to_admins.pk,
    }


def get(client: Any, username: str | None, url: str) -> Any:
    client.logout()
    if username:
        client.force_login(user(username))
    return client.get(url)


def outcome(response: Any) -> str:
    """What a person got: the page ("ok"), a redirect to sign in ("login"), or the status code."""
    if response.status_code == 302 and response["Location"].startswith(reverse("login")):
        return "login"
    return "ok" if response.status_code in (200, 302) else str(response.status_code)


def expected(username: str | None, allowed: set[str]) -> str:
    if username is None:
        return "login"
    return "ok" if username in allowed else "404"


PAGES = [
    ("progress_mine", [], {"kofi", "grace", "amani.coach", "lucia.coach", "ana.admin"}),
    ("progress_member", ["circle", "kofi"], {"amani.coach"}),
    ("progress_circle", ["circle"], {"amani.coach"}),
    ("progress_circle_attendance_csv", ["circle"], {"amani.coach"}),
    ("progress_circle_progress_csv", ["circle"], {"amani.coach"}),
    ("progress_programme", ["programme"], {"ana.admin"}),
    ("progress_programme_attendance_csv", ["programme"], {"ana.admin"}),
    ("progress_programme_progress_csv", ["programme"], {"ana.admin"}),
    ("progress_concern", ["to_coach"], {"kofi", "amani.coach"}),
    ("progress_concern", ["to_admins"], {"grace", "ana.admin"}),
    ("progress_concern_new", [], {"kofi", "grace"}),
]


@pytest.mark.parametrize(("name", "args", "allowed"), PAGES)
def test_each_page_and_export_by_role(client, world, name, args, allowed):
    url = reverse(name, args=[world[arg] for arg in args])
    got = {username: outcome(get(client, username, url)) for username in EVERYONE}
    assert got == {username: expected(username, allowed) for username in EVERYONE}


def test_an_escalated_concern_opens_for_the_admins(client, world, settings):
    settings.PROGRESS_CONCERN_ESCALATION_HOURS = 0
    url = reverse("progress_concern", args=[world["to_coach"]])
    assert get(client, "ana.admin", url).status_code == 404
    concerns.escalate_overdue_concerns()
    assert get(client, "ana.admin", url).status_code == 200


def test_a_coach_cannot_see_a_member_of_another_circle_nor_a_member_see_a_peer(client, world, puentes):
    camila = user("camila").pk
    assert (
        get(client, "amani.coach", reverse("progress_member", args=[puentes.pk, camila])).status_code == 404
    )
    assert (
        get(client, "amani.coach", reverse("progress_member", args=[world["circle"], camila])).status_code
        == 404
    )
    assert (
        get(client, "grace", reverse("progress_member", args=[world["circle"], world["kofi"]])).status_code
        == 404
    )


def test_a_coach_who_left_the_circle_loses_its_dashboard(client, world, harambee):
    harambee.memberships.filter(role="coach").update(left_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert get(client, "amani.coach", reverse("progress_circle", args=[world["circle"]])).status_code == 404


POSTS = [
    ("progress_check_in", ["goal"], {"score": 7}, {"kofi"}),
    ("progress_goal_close", ["goal"], {}, {"kofi"}),
    ("progress_commitment_close", ["commitment"], {"status": "done", "note": "ok"}, {"kofi"}),
    ("progress_concern_answer", ["to_coach"], {"text": "answer"}, {"kofi", "amani.coach"}),
    ("progress_concern_follow_up", ["to_coach"], {"text": "more"}, {"kofi", "amani.coach"}),
    ("progress_concern_resolve", ["to_coach"], {}, {"kofi", "amani.coach"}),
]


@pytest.mark.parametrize(("name", "args", "data", "allowed"), POSTS)
@pytest.mark.parametrize("username", EVERYONE)
def test_each_action_by_role(client, world, name, args, data, allowed, username):
    if username:
        client.force_login(user(username))
    response = client.post(reverse(name, args=[world[arg] for arg in args]), data)
    assert outcome(response) == expected(username, allowed)


def test_what_others_attempt_changes_nothing(client, world):
    client.force_login(user("grace"))
    client.post(reverse("progress_check_in", args=[world["goal"]]), {"score": 7})
    client.post(
        reverse("progress_commitment_close", args=[world["commitment"]]), {"status": "done", "note": "x"}
    )
    client.post(reverse("progress_concern_answer", args=[world["to_coach"]]), {"text": "me"})
    assert not Goal.objects.get(pk=world["goal"]).check_ins.exists()
    assert Commitment.objects.get(pk=world["commitment"]).status == "open"
    assert list(concerns.Concern.objects.get(pk=world["to_coach"]).events.values_list("kind", flat=True)) == [
        "raised"
    ]


@pytest.mark.parametrize(
    "name", ["progress_goal_new", "progress_commitment_new", "progress_kudos_new", "progress_check_in"]
)
def test_actions_answer_only_post(client, world, name):
    client.force_login(user("kofi"))
    args = [world["goal"]] if name == "progress_check_in" else []
    assert client.get(reverse(name, args=args)).status_code == 405
