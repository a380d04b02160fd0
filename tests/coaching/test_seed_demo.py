"""seed_demo: the demo programme exists once, and --json describes it for scripts."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from circles.models import Circle, Membership, Programme
from coaching.accounts.models import User

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, "--force", stdout=out)
    return out.getvalue()


def test_it_creates_three_circles_across_continents_with_a_coach_each():
    demo = json.loads(seed("--json"))
    assert demo["programme"]["name"] == "Leading Across Borders 2026"
    assert demo["admins"] == ["ana.admin"]
    assert len(demo["circles"]) == 3
    for circle in demo["circles"]:
        assert circle["coach"]
        assert 5 <= len(circle["members"]) <= 7
    zones = set(User.objects.values_list("timezone", flat=True))
    assert {
        "Europe/Madrid",
        "America/Bogota",
        "America/Mexico_City",
        "Africa/Nairobi",
        "America/New_York",
    } <= zones
    statuses = {session["status"] for session in demo["sessions"]}
    assert statuses == {"scheduled", "ended"}
    circle_ids = {circle["id"] for circle in demo["circles"]}
    assert {s["circle"] for s in demo["sessions"] if s["status"] == "scheduled"} == circle_ids


def test_every_screen_has_something_real_to_show():
    from coaching.live.models import Commitment, LiveSession, SessionLog
    from coaching.progress.models import CheckIn, Goal

    seed()
    assert SessionLog.objects.filter(session__status=LiveSession.Status.ENDED).count() == 3
    assert Goal.objects.exists()
    assert CheckIn.objects.count() > 20
    assert Commitment.objects.filter(status="open").exists()
    assert Commitment.objects.filter(status="done").exists()


def test_every_demo_account_signs_in_with_the_printed_password():
    demo = json.loads(seed("--json"))
    names = (
        demo["admins"]
        + [c["coach"] for c in demo["circles"]]
        + [m for c in demo["circles"] for m in c["members"]]
    )
    for username in names:
        assert (
            authenticate(RequestFactory().post("/"), username=username, password=demo["password"]) is not None
        ), username


def test_running_it_again_changes_nothing():
    first = seed("--json")
    counts = (
        User.objects.count(),
        Circle.objects.count(),
        Membership.objects.count(),
        Programme.objects.count(),
    )
    User.objects.filter(username="camila").update(display_name="Cami")
    assert seed("--json") == first
    assert (
        User.objects.count(),
        Circle.objects.count(),
        Membership.objects.count(),
        Programme.objects.count(),
    ) == counts
    assert User.objects.get(username="camila").display_name == "Cami"


def test_it_prints_the_password_and_the_accounts_for_people():
    out = seed()
    assert "circles-demo" in out
    assert "lucia.coach" in out
    assert "ana.admin" in out


def test_if_empty_leaves_a_database_with_accounts_alone():
    User.objects.create_user(username="someone", password="x")
    assert "no demo data added" in seed("--if-empty")
    assert not Programme.objects.exists()


def test_it_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Refusing to create demo accounts"):
        call_command("seed_demo", stdout=StringIO())
    assert not Programme.objects.exists()


def test_json_is_all_that_reaches_stdout_even_when_seeding_prints_emails(settings, monkeypatch, capsys):
    """Scripts read `seed_demo --json`: console emails sent while seeding go to stderr, not into the JSON."""
    from django.core.mail import send_mail

    from coaching import demo as demo_data

    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    seed_for_real = demo_data.seed_demo

    def seed_and_mail(**kwargs):
        seed_for_real(**kwargs)
        send_mail("Kudos from Grace", "Well done", "circles@localhost", ["kofi@example.org"])

    monkeypatch.setattr(demo_data, "seed_demo", seed_and_mail)
    call_command("seed_demo", "--json", "--force")  # to the real stdout, as a script sees it
    printed = capsys.readouterr()
    assert json.loads(printed.out)["admins"] == ["ana.admin"]
    assert "Kudos from Grace" in printed.err
