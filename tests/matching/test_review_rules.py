"""The review protects people: existing circles first, every warning shown, confirmation before harm.

Publishing into a circle already meeting, warnings worded from the engine's one rule, publishing and
moves that need an explicit confirmation, windows on the admin's clock, and "nobody is waiting".
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from circles import services
from circles.models import AssignmentAudit, Circle, MatchProposal, Membership
from coaching.accounts.models import AvailabilityWindow, User
from coaching.matching import problems, proposals
from coaching.notifications.models import Notification
from tests.matching.test_proposals import HTMX, Matcher, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def matcher(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.admin)
    return Matcher(client, world, django_capture_on_commit_callbacks)


def proposed(proposal: MatchProposal, key: str) -> dict:
    return next(c for c in proposal.solution["circles"] if c["key"] == key)


def existing_key(proposal: MatchProposal, circle: Circle) -> str:
    ref = problems.circle_ref(circle.pk)
    return next(c["key"] for c in proposal.solution["circles"] if c.get("existing") == ref)


def confirm_token(proposal: MatchProposal) -> str:
    return proposals.publish_warnings(proposal=proposal)[1]


def publish(matcher: Matcher, proposal: MatchProposal, confirm: str | None = None):
    with matcher.capture(execute=True):
        return matcher.client.post(
            matcher.url("matching_publish", proposal),
            {} if confirm is None else {"confirm": confirm},
            follow=True,
        )


def move_token(html: str) -> str:
    """The move confirmation's token, as a browser posts it back (the page also holds the publish
    checkbox, named "confirm" too, whenever the proposal already has warnings)."""
    return html.split('type="hidden" name="confirm" value="')[1].split('"')[0]


def only_madrid_waits(world) -> User:
    """Bogota and Lagos sit in Alpha (one seat free), New York and Tokyo in Beta: Madrid waits."""
    for member in world.members[:2]:
        services.assign_member(actor=world.admin, circle=world.circle, member=member)
    for member in world.members[3:]:
        services.assign_member(actor=world.admin, circle=world.second, member=member)
    return world.members[2]


def spanish_only(user: User) -> User:
    user.languages = ["es"]
    user.save(update_fields=["languages"])
    return user


# --- the problem ---------------------------------------------------------------------------------


def test_the_problem_holds_open_circles_with_their_seated_members_and_everyones_availability(world):
    seated, waiting = world.members[0], world.members[1]
    services.assign_member(actor=world.admin, circle=world.circle, member=seated)
    AvailabilityWindow.objects.create(
        user=waiting, weekday=1, starts_at=dt.time(18, 0), ends_at=dt.time(21, 30)
    )
    AvailabilityWindow.objects.create(user=seated, weekday=3, starts_at=dt.time(9, 0), ends_at=dt.time(11, 0))
    closed = services.create_circle(
        actor=world.admin, programme=world.programme, name="Closed", language="es", coach=world.coach
    )
    services.close_circle(actor=world.admin, circle=closed, reason="done")

    problem = problems.build_problem(programme=world.programme, on=dt.date(2026, 7, 1)).problem

    circles = {c["name"]: c for c in problem["circles"]}
    assert set(circles) == {"Alpha", "Beta"}  # the closed circle offers no seat
    alpha = circles["Alpha"]
    assert alpha["id"] == f"circle:{world.circle.pk}"
    assert alpha["coach"] == str(world.coach.pk)
    assert alpha["capacity"] == 3  # the programme's circles hold three
    assert [s["id"] for s in alpha["seated"]] == [str(seated.pk)]
    assert alpha["seated"][0]["availability"] == [{"weekday": 3, "start": "09:00", "end": "11:00"}]
    assert alpha["seated"][0]["languages"] == ["es", "en"]
    record = next(m for m in problem["members"] if m["id"] == str(waiting.pk))
    assert record["availability"] == [{"weekday": 1, "start": "18:00", "end": "21:30"}]
    assert str(seated.pk) not in {m["id"] for m in problem["members"]}


def test_a_full_circle_offers_no_seat(world):
    for member in world.members[:3]:
        services.assign_member(actor=world.admin, circle=world.circle, member=member)
    problem = problems.build_problem(programme=world.programme, on=dt.date(2026, 7, 1)).problem
    assert [c["name"] for c in problem["circles"]] == ["Beta"]


# --- nobody waiting ------------------------------------------------------------------------------


def test_proposing_with_nobody_waiting_says_so_and_creates_nothing(matcher, world):
    for number, member in enumerate(world.members):
        circle = world.circle if number < 3 else world.second
        services.assign_member(actor=world.admin, circle=circle, member=member)
    page = matcher.client.get(matcher.url("programme_matching")).content.decode()
    assert "Nobody is waiting for a circle, so there is nothing to propose." in text_of(page)
    assert "propose-form" not in page

    response = matcher.client.post(matcher.url("programme_matching"), follow=True)
    assert response.redirect_chain[-1][0] == matcher.url("programme_matching")
    assert "Nobody in this programme is waiting for a circle, so there is nothing to propose." in (
        response.content.decode()
    )
    assert not MatchProposal.objects.exists()


def test_running_again_with_nobody_waiting_keeps_the_proposal_and_says_so(matcher, world):
    proposal = matcher.propose()
    for number, member in enumerate(world.members):
        circle = world.circle if number < 3 else world.second
        services.assign_member(actor=world.admin, circle=circle, member=member)
    response = matcher.client.post(matcher.url("matching_rerun", proposal), follow=True)
    assert "nothing to propose" in response.content.decode()
    assert MatchProposal.objects.count() == 1
    proposal.refresh_from_db()
    assert proposal.status == "ready"  # not dropped for nothing


# --- publishing into an existing circle ----------------------------------------------------------


def test_newcomers_proposed_into_a_circle_already_meeting_join_it_when_published(matcher, world):
    newcomer = only_madrid_waits(world)
    proposal = matcher.propose()
    key = existing_key(proposal, world.circle)
    alpha = proposed(proposal, key)
    assert alpha["seated"] == [str(m.pk) for m in world.members[:2]]
    # Alpha's free seat, rather than a circle of one; Beta (Nairobi, New York, Tokyo) shares no window.
    assert alpha["members"] == [str(newcomer.pk)]
    page = text_of(matcher.page(proposal))
    assert "Alpha already meeting" in page
    assert f"Already in the circle: {world.members[0].name}, {world.members[1].name}" in page
    circles_before = Circle.objects.count()

    response = publish(matcher, proposal, confirm=confirm_token(proposal))

    text = text_of(response.content.decode())
    assert "1 person joins a circle that was already meeting." in text
    seat = Membership.objects.get(user=newcomer, left_at__isnull=True)
    assert seat.circle == world.circle
    assert seat.charter_accepted_at is None  # the charter is theirs to accept, as in a new circle
    assert world.circle.memberships.members().count() == 3
    entry = AssignmentAudit.objects.get(subject=newcomer, action="assign")
    assert (entry.source, entry.to_circle, entry.reason) == (
        "matching",
        world.circle,
        f"matching proposal #{proposal.pk}",
    )
    assert Notification.objects.filter(
        recipient=newcomer, kind="circle_added", url=reverse("circle", args=[world.circle.pk])
    ).exists()
    # Only the members not taken by Alpha needed new circles.
    created = Circle.objects.count() - circles_before
    new_keys = [c["key"] for c in proposal.solution["circles"] if c["members"] and not c.get("existing")]
    assert created == len(new_keys)
    proposal.refresh_from_db()
    assert proposal.solution["published"][key] == world.circle.pk


def test_a_circle_closed_after_the_proposal_makes_publishing_refuse_everything(matcher, world):
    only_madrid_waits(world)
    proposal = matcher.propose()
    assert proposed(proposal, existing_key(proposal, world.circle))["members"]
    services.close_circle(actor=world.admin, circle=world.circle, reason="ended")
    response = publish(matcher, proposal, confirm=confirm_token(proposal))
    assert (
        "Nothing was published. A circle of this proposal was closed or deleted" in response.content.decode()
    )
    assert not AssignmentAudit.objects.filter(source="matching").exists()


# --- warnings and confirmations ------------------------------------------------------------------


def move_spanish_only_into_beta(matcher, world) -> tuple[MatchProposal, User, str]:
    """A proposal, and the move that puts a Spanish-only member with coach2 (en, sw) in Beta."""
    world.other_coach.languages = ["en", "sw"]
    world.other_coach.save(update_fields=["languages"])
    member = spanish_only(world.members[0])
    proposal = matcher.propose()
    beta = existing_key(proposal, world.second)
    assert str(member.pk) not in proposed(proposal, beta)["members"]  # the engine never does this
    return proposal, member, beta


def test_a_move_that_breaks_a_rule_shows_why_and_saves_nothing_until_confirmed(matcher, world):
    proposal, member, beta = move_spanish_only_into_beta(matcher, world)
    alpha = existing_key(proposal, world.circle)
    assert str(member.pk) in proposed(proposal, alpha)["members"]
    before = proposal.solution

    form = matcher.client.get(matcher.url("matching_move", proposal), {"member": member.pk}, **HTMX)
    option = next(line for line in form.content.decode().splitlines() if "Beta" in line)
    assert "Beta (1 member) — would have: no shared language" in option

    response = matcher.move(proposal, str(member.pk), beta)
    text = text_of(response.content.decode())
    assert "Moving M0 would break the programme's rules:" in text
    # Beta, where M0 goes, loses its shared language; Alpha, which M0 leaves, falls under the minimum.
    assert "Beta M0 shares no language with everyone else in this circle, coach included." in text
    assert "Alpha This circle has only 1 member; the programme asks for at least 2." in text
    assert "Move anyway" in text
    proposal.refresh_from_db()
    assert proposal.solution == before

    response = matcher.client.post(
        matcher.url("matching_move", proposal),
        {"member": member.pk, "to_circle": beta, "confirm": move_token(response.content.decode())},
        **HTMX,
    )
    assert "M0 moved to Beta." in text_of(response.content.decode())
    proposal.refresh_from_db()
    moved, left = proposed(proposal, beta), proposed(proposal, alpha)
    assert str(member.pk) in moved["members"]
    assert str(member.pk) not in left["members"]
    assert {i["code"] for i in moved["issues"]} == {"no_shared_language"}
    assert moved["language"] is None
    assert {i["code"] for i in left["issues"]} == {"too_small"}
    assert {"no_shared_language", "too_small"} <= set(proposal.solution["moves"][-1]["confirmed"])


def test_a_confirmation_for_another_move_does_not_count(matcher, world):
    proposal, member, beta = move_spanish_only_into_beta(matcher, world)
    response = matcher.client.post(
        matcher.url("matching_move", proposal),
        {"member": member.pk, "to_circle": beta, "confirm": "0123456789abcdef"},
        **HTMX,
    )
    assert "Move anyway" in response.content.decode()
    proposal.refresh_from_db()
    assert str(member.pk) not in proposed(proposal, beta)["members"]


def test_without_htmx_the_confirmation_is_a_page_and_the_confirmed_post_redirects(matcher, world):
    proposal, member, beta = move_spanish_only_into_beta(matcher, world)
    url = matcher.url("matching_move", proposal)
    response = matcher.client.post(url, {"member": member.pk, "to_circle": beta})
    assert response.status_code == 200
    page = response.content.decode()
    assert "shares no language with everyone else" in page
    response = matcher.client.post(
        url, {"member": member.pk, "to_circle": beta, "confirm": move_token(page)}, follow=True
    )
    assert "M0 moved to Beta." in response.content.decode()


def test_publishing_with_warnings_lists_them_and_needs_the_confirmation(matcher, world):
    proposal, member, beta = move_spanish_only_into_beta(matcher, world)
    page = matcher.move(proposal, str(member.pk), beta).content.decode()
    matcher.client.post(
        matcher.url("matching_move", proposal),
        {"member": member.pk, "to_circle": beta, "confirm": move_token(page)},
        **HTMX,
    )
    proposal.refresh_from_db()

    page = text_of(matcher.page(proposal))
    assert "Before you publish: 2 circles have warnings" in page
    assert "Beta M0 shares no language with everyone else in this circle, coach included." in page
    assert "Alpha This circle has only 1 member; the programme asks for at least 2." in page
    assert "I have read these warnings and want to publish anyway" in page
    seats = Membership.objects.count()

    refused = text_of(publish(matcher, proposal).content.decode())
    assert "Nothing was published: this proposal has" in refused
    assert "Read them, then confirm." in refused
    stale = text_of(publish(matcher, proposal, confirm="0123456789abcdef").content.decode())
    assert "the warnings changed since you read them" in stale
    proposal.refresh_from_db()
    assert proposal.status == "ready"
    assert Membership.objects.count() == seats

    done = text_of(publish(matcher, proposal, confirm=confirm_token(proposal)).content.decode())
    assert "Everyone placed is being told." in done
    proposal.refresh_from_db()
    assert proposal.status == "published"
    assert Membership.objects.get(user=member, left_at__isnull=True).circle == world.second


def test_a_proposal_without_warnings_publishes_at_once(matcher, world):
    only_madrid_waits(world)
    proposal = matcher.propose()
    assert proposals.publish_warnings(proposal=proposal) == ([], "")
    page = matcher.page(proposal)
    assert "Before you publish" not in page
    assert 'name="confirm"' not in page
    response = publish(matcher, proposal)
    assert "Everyone placed is being told." in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == "published"


# --- how the review reads ------------------------------------------------------------------------


def test_windows_show_on_the_admins_clock_and_on_each_persons_behind_a_toggle(matcher, world):
    proposal = matcher.propose()
    page = matcher.page(proposal)
    text = text_of(page)
    assert "your time (Madrid (Spain))" in text  # the admin is in Madrid
    assert '<details class="window-clocks">' in page
    assert "On each person's clock" in text
    circle = next(c for c in proposal.solution["circles"] if c["members"])
    member = User.objects.get(pk=int(circle["members"][0]))
    assert f"{member.name} · {PLACES[member.timezone]} ·" in text


# Where the world's people are, as an English reader names it.
PLACES = {
    "America/Bogota": "Bogotá (Colombia)",
    "Africa/Lagos": "Lagos (Nigeria)",
    "Europe/Madrid": "Madrid (Spain)",
    "America/New_York": "New York (United States)",
    "Asia/Tokyo": "Tokyo (Japan)",
}


def shared_window(circle: dict, zone: str, reference: str) -> str:
    """The circle's shared window as "HH:MM–HH:MM" on a zone's clock, worked out from the UTC solution."""
    day = dt.date.fromisoformat(reference)
    weekday = circle.get("window_weekday_utc")
    if weekday is not None:
        day += dt.timedelta(days=(weekday - day.weekday()) % 7)
    start = dt.datetime.combine(day, dt.time.fromisoformat(circle["window_utc"][0]), tzinfo=dt.UTC)
    start = start.astimezone(ZoneInfo(zone))
    end = start + dt.timedelta(minutes=round(circle["overlap_hours"] * 60))
    return f"{start:%H:%M}–{end:%H:%M}"


@pytest.mark.parametrize(
    ("zone", "language", "expected"),
    [
        ("Europe/Madrid", "en", "Everyone can meet {window} your time (Madrid (Spain))"),
        ("America/New_York", "en", "Everyone can meet {window} your time (New York (United States))"),
        ("Europe/Madrid", "es", "Todas las personas pueden reunirse {window} en tu hora (Madrid (España))"),
        (
            "America/New_York",
            "es",
            "Todas las personas pueden reunirse {window} en tu hora (Nueva York (Estados Unidos))",
        ),
    ],
)
def test_the_shared_window_reads_on_the_admins_own_clock_and_names_their_zone(
    matcher, world, zone, language, expected
):
    proposal = matcher.propose()
    world.admin.timezone, world.admin.ui_language = zone, language
    world.admin.save()
    text = text_of(matcher.page(proposal))
    circles = [c for c in proposal.solution["circles"] if c["members"] and c["window_utc"]]
    assert circles
    for circle in circles:
        window = shared_window(circle, zone, proposal.problem["reference_date"])
        assert expected.format(window=window) in text
    assert "UTC)" not in text  # never the raw UTC window as the one to read


def test_an_unplaced_persons_zone_is_named_in_the_admins_language(matcher, world):
    proposal = matcher.propose()
    member = world.members[4]  # Tokyo
    solution = {
        **proposal.solution,
        "circles": [
            {**c, "members": [m for m in c["members"] if m != str(member.pk)]}
            for c in proposal.solution["circles"]
        ],
        "assignments": [a for a in proposal.solution["assignments"] if a["member"] != str(member.pk)],
        "unassigned": [{"member": str(member.pk), "reason": "no_shared_hours"}],
    }
    MatchProposal.objects.filter(pk=proposal.pk).update(solution=solution)
    world.admin.ui_language = "es"
    world.admin.save()
    text = text_of(matcher.page(proposal))
    assert "horas de vigilia con Tokio (Japón)." in text  # the reason
    assert f"{member.name} Tokio (Japón) Ningún coach" in text  # beside their name, then why
    assert "Asia/Tokyo" not in text


def test_unplaced_people_get_their_reason_as_a_sentence(matcher, world):
    proposal = matcher.propose()
    member = world.members[4]
    solution = {
        **proposal.solution,
        "circles": [
            {**c, "members": [m for m in c["members"] if m != str(member.pk)]}
            for c in proposal.solution["circles"]
        ],
        "assignments": [a for a in proposal.solution["assignments"] if a["member"] != str(member.pk)],
        "unassigned": [{"member": str(member.pk), "reason": "no_circle_fits"}],
    }
    MatchProposal.objects.filter(pk=proposal.pk).update(solution=solution)
    proposal.refresh_from_db()
    text = text_of(matcher.page(proposal))
    assert "No circle can take them under the programme&#x27;s rules" in text
    assert "no_circle_fits" not in text
