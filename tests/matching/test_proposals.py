"""Matching proposals: the problem built from a programme, progress, review, moves, drop, re-run, publish."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from circles import services
from circles.errors import CircleRuleError
from circles.models import (
    AssignmentAudit,
    Circle,
    CoachPreference,
    CoachProfile,
    MatchProposal,
    Membership,
)
from coaching.accounts.models import User
from coaching.matching import problems, proposals, tasks
from coaching.notifications.models import Notification
from tests.circles.conftest import person

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


class Matcher:
    """Drives the matching pages as a signed-in admin; queued jobs run as soon as their request commits."""

    def __init__(self, client, world, capture):
        self.client, self.world, self.capture = client, world, capture
        self.programme = world.programme

    def url(self, name: str, proposal: MatchProposal | None = None) -> str:
        args = [self.programme.pk] if proposal is None else [self.programme.pk, proposal.pk]
        return reverse(name, args=args)

    def propose(self) -> MatchProposal:
        with self.capture(execute=True):
            response = self.client.post(self.url("programme_matching"))
        assert response.status_code == 302
        proposal = MatchProposal.objects.filter(programme=self.programme).latest("pk")
        assert response["Location"] == self.url("matching_proposal", proposal)
        proposal.refresh_from_db()
        return proposal

    def page(self, proposal: MatchProposal, **headers) -> str:
        response = self.client.get(self.url("matching_proposal", proposal), **headers)
        assert response.status_code == 200
        return response.content.decode()

    def move(self, proposal: MatchProposal, member: str, to_circle: str):
        return self.client.post(
            self.url("matching_move", proposal), {"member": member, "to_circle": to_circle}, **HTMX
        )

    def move_confirmed(self, proposal: MatchProposal, member: str, to_circle: str):
        """Move, confirming what the move would break (if anything) as an admin who read it."""
        response = self.move(proposal, member, to_circle)
        page = response.content.decode()
        if 'name="confirm"' not in page:
            return response
        confirm = page.split('name="confirm" value="')[1].split('"')[0]
        return self.client.post(
            self.url("matching_move", proposal),
            {"member": member, "to_circle": to_circle, "confirm": confirm},
            **HTMX,
        )

    def publish(self, proposal: MatchProposal):
        """Publish as an admin who read the proposal's warnings (if any) and confirmed them."""
        proposal.refresh_from_db()
        confirm = proposals.publish_warnings(proposal=proposal)[1] if proposal.status == "ready" else ""
        with self.capture(execute=True):
            return self.client.post(self.url("matching_publish", proposal), {"confirm": confirm}, follow=True)


@pytest.fixture
def matcher(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.admin)
    return Matcher(client, world, django_capture_on_commit_callbacks)


KEEPS_OPEN_CIRCLES = {
    "test_it_builds_the_problem_from_unassigned_members_and_coaches_with_room",
    "test_the_overview_counts_who_waits_and_which_coaches_have_room",
}


@pytest.fixture(autouse=True)
def no_open_circles(request):
    """Alpha and Beta lose their coaches, so these tests see new circles formed (open circles that take
    newcomers are tested in test_review_rules.py)."""
    if "world" in request.fixturenames and request.node.name not in KEEPS_OPEN_CIRCLES:
        world = request.getfixturevalue("world")
        Membership.objects.filter(circle__in=[world.circle, world.second], role="coach").update(
            left_at=timezone.now()
        )


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def circle_of(proposal: MatchProposal, member: User) -> dict:
    return next(c for c in proposal.solution["circles"] if str(member.pk) in c["members"])


def active_seats(user: User) -> list[Membership]:
    return list(Membership.objects.filter(user=user, left_at__isnull=True).select_related("circle"))


# --- The problem ---------------------------------------------------------------------------------


def test_it_builds_the_problem_from_unassigned_members_and_coaches_with_room(world):
    CoachProfile.objects.create(user=world.coach, capacity=3, specialities=["Career ", "leadership"])
    CoachProfile.objects.create(user=world.other_coach, capacity=1)
    seated, wishful = world.members[0], world.members[1]
    services.assign_member(actor=world.admin, circle=world.circle, member=seated)
    services.assign_member(actor=world.admin, circle=world.second, member=world.members[2])
    CoachPreference.objects.create(member=wishful, coach=world.coach, kind="prefer")
    CoachPreference.objects.create(member=wishful, coach=world.other_coach, kind="avoid")
    wishful.focus_areas = ["Career", "career", " "]
    wishful.save()

    built = problems.build_problem(programme=world.programme, on=dt.date(2026, 7, 1))

    problem = built.problem
    assert problem["reference_date"] == "2026-07-01"
    assert problem["rules"] == {
        "min_overlap_hours": 2,
        "waking_hours": [8, 22],
        "circle_size": {"min": 2, "max": 3},
    }
    # The other coach is full (capacity 1, one member), so only the first one is offered, with 2 seats left.
    assert problem["coaches"] == [
        {
            "id": str(world.coach.pk),
            "timezone": "Europe/Madrid",
            "languages": ["es", "en"],
            "focus": ["career", "leadership"],
            "availability": [],
            "capacity": 2,
        }
    ]
    assert sorted(m["id"] for m in problem["members"]) == sorted(
        str(m.pk) for m in world.members[1:] if m != world.members[2]
    )
    record = next(m for m in problem["members"] if m["id"] == str(wishful.pk))
    assert record["prefer"] == [str(world.coach.pk)]
    assert record["avoid"] == []  # the avoided coach is not in this run
    assert record["focus"] == ["career"]
    assert built.left_out == []


def test_it_sizes_circles_from_the_programme_and_dates_from_its_start(world):
    world.programme.default_circle_size = 8
    world.programme.starts_on = timezone.localdate() + dt.timedelta(days=30)
    assert problems.rules_for(world.programme)["circle_size"] == {"min": 4, "max": 8}
    assert problems.reference_date(programme=world.programme) == world.programme.starts_on
    world.programme.starts_on = dt.date(2020, 1, 1)
    assert problems.reference_date(programme=world.programme) == timezone.localdate()


def test_it_leaves_out_coaches_of_other_programmes_and_lists_members_without_languages(world):
    silent = world.members[4]
    silent.languages = []
    silent.save()
    built = problems.build_problem(programme=world.programme, on=dt.date(2026, 1, 15))
    coach_ids = {c["id"] for c in built.problem["coaches"]}
    assert coach_ids == {str(world.coach.pk), str(world.other_coach.pk)}
    assert str(silent.pk) not in {m["id"] for m in built.problem["members"]}
    assert built.left_out == [{"member": str(silent.pk), "reason": "has no language in their profile"}]
    assert str(world.outsider.pk) not in {m["id"] for m in built.problem["members"]}


# --- Running, progress and the proposal page -----------------------------------------------------


def test_it_runs_in_the_worker_through_visible_stages_to_a_ready_proposal(matcher, world, monkeypatch):
    seen = []
    real_solve = tasks.engine.solve

    def watching_solve(problem):
        proposal = MatchProposal.objects.get()
        seen.append((proposal.stage, proposal.progress, proposal.status, bool(proposal.problem)))
        return real_solve(problem)

    monkeypatch.setattr(tasks.engine, "solve", watching_solve)
    proposal = matcher.propose()
    assert seen == [("solving", 50, "running", True)]
    assert proposal.status == MatchProposal.Status.READY
    assert (proposal.stage, proposal.progress) == ("ready", 100)
    assert proposal.created_by == world.admin
    placed = sorted(m for c in proposal.solution["circles"] for m in c["members"])
    assert placed == sorted(str(m.pk) for m in world.members)
    assert [c["key"] for c in proposal.solution["circles"]] == [
        str(n) for n in range(1, len(proposal.solution["circles"]) + 1)
    ]


def test_the_page_polls_while_running_and_stops_when_ready(matcher, world):
    proposal = MatchProposal.objects.create(programme=world.programme, created_by=world.admin)
    html = matcher.page(proposal)
    assert 'hx-trigger="every 1s"' in html
    assert "Waiting for the matcher to start" in html
    MatchProposal.objects.filter(pk=proposal.pk).update(stage="scoring", progress=30)
    fragment = matcher.page(proposal, **HTMX)
    assert fragment.startswith('<section id="proposal-body"')
    assert "Scoring who fits whom… (30%)" in fragment
    assert 'value="30"' in fragment
    tasks.run_proposal(proposal.pk)  # the claim is on the queued stage: a started run is left alone
    assert MatchProposal.objects.get(pk=proposal.pk).status == "running"
    MatchProposal.objects.filter(pk=proposal.pk).update(stage="queued", progress=0)
    tasks.run_proposal(proposal.pk)
    fragment = matcher.page(proposal, **HTMX)
    assert "hx-trigger" not in fragment
    assert "ready for review" in fragment


def test_the_proposal_shows_each_coachs_circles_with_scores_reasons_and_local_times(matcher, world):
    world.members[0].focus_areas = ["career"]
    world.members[0].save()
    CoachProfile.objects.create(user=world.coach, specialities=["career"])
    CoachPreference.objects.create(member=world.members[0], coach=world.coach, kind="prefer")
    proposal = matcher.propose()
    html = matcher.page(proposal)
    text = text_of(html)
    first = circle_of(proposal, world.members[0])
    assert first["coach"] == str(world.coach.pk)
    assert "Coach 1" in text  # the name it will get
    for member in world.members:
        assert member.name in text
    fit = next(a for a in proposal.solution["assignments"] if a["member"] == str(world.members[0].pk))
    assert f"{round(fit['score'] * 100)}%" in text
    assert "shares focus: career" in text
    assert "asked for this coach" in text
    assert "h shared waking time" in text
    assert "Bogotá (Colombia)" in text  # where each member is, as people name it
    assert "America/Bogota" not in text
    assert "their time" in text
    assert re.search(r"Everyone can meet \d\d:\d\d–\d\d:\d\d your time \(Madrid \(Spain\)\)", text)
    assert "Publish these circles" in text


def test_the_unmatched_are_listed_with_the_reason(matcher, world):
    swahili = person("swahili", "Africa/Nairobi", ("sw",))
    speechless = person("speechless")
    speechless.languages = []
    speechless.save()
    for member in (swahili, speechless):
        services.enrol(programme=world.programme, user=member, role="member")
    proposal = matcher.propose()
    unmatched = {u["member"]: u["reason"] for u in proposal.solution["unassigned"]}
    assert unmatched == {
        str(swahili.pk): "no coach shares a language (sw)",
        str(speechless.pk): "has no language in their profile",
    }
    text = text_of(matcher.page(proposal))
    assert "Left unmatched" in text
    assert "No coach with room speaks their languages (sw)." in text


def test_without_coaches_with_room_everyone_is_unmatched_with_that_reason(matcher, world):
    for coach in (world.coach, world.other_coach):
        CoachProfile.objects.create(user=coach, capacity=0)
    proposal = matcher.propose()
    assert proposal.status == "ready"
    assert {u["reason"] for u in proposal.solution["unassigned"]} == {"no coach of the programme has room"}
    assert "Nobody could be matched" in matcher.page(proposal)


def test_a_failing_engine_fails_the_proposal_with_a_clear_state(matcher, world, monkeypatch):
    def broken(problem):
        raise RuntimeError("boom")

    monkeypatch.setattr(tasks.engine, "solve", broken)
    proposal = matcher.propose()
    assert proposal.status == "failed"
    assert proposal.error == "RuntimeError"
    text = text_of(matcher.page(proposal))
    assert "The matcher could not finish" in text
    assert "Propose matches again" in text


# --- Moves ---------------------------------------------------------------------------------------


def two_coach_proposal(matcher, world) -> MatchProposal:
    """A proposal with circles for both coaches (members prefer the coach awake at their hours)."""
    for member in world.members:
        coach = world.other_coach if member.timezone in {"Africa/Lagos", "Asia/Tokyo"} else world.coach
        CoachPreference.objects.create(member=member, coach=coach, kind="prefer")
    proposal = matcher.propose()
    assert {c["coach"] for c in proposal.solution["circles"]} == {
        str(world.coach.pk),
        str(world.other_coach.pk),
    }
    return proposal


def test_an_admin_moves_a_member_to_another_coachs_circle_with_a_fresh_fit(matcher, world):
    proposal = two_coach_proposal(matcher, world)
    member = world.members[0]  # in Bogota
    source = circle_of(proposal, member)
    target = next(c for c in proposal.solution["circles"] if c["coach"] != source["coach"])
    assert target["window_utc"] == ["07:00", "13:00"]  # Tokyo's evening is Lagos's and Nairobi's morning
    response = matcher.move(proposal, str(member.pk), target["key"])
    assert "Move anyway" in response.content.decode()  # Bogota sleeps through that window: it says so first
    response = matcher.move_confirmed(proposal, str(member.pk), target["key"])
    assert response.status_code == 200
    assert f"{member.name} moved to Coach2 1." in text_of(response.content.decode())
    proposal.refresh_from_db()
    moved_to = circle_of(proposal, member)
    assert moved_to["key"] == target["key"]
    assert str(member.pk) not in next(
        (c["members"] for c in proposal.solution["circles"] if c["key"] == source["key"]), []
    )
    fit = next(a for a in proposal.solution["assignments"] if a["member"] == str(member.pk))
    assert fit["coach"] == str(world.other_coach.pk)
    assert "asked for this coach" not in fit["reasons"]  # they preferred the first coach
    # Bogota sleeps through that morning: the circle's shared window is recomputed, and now there is none.
    assert (moved_to["window_utc"], moved_to["overlap_hours"]) == (None, 0)
    assert "These people are never all free at once." in response.content.decode()
    assert proposal.solution["moves"][0]["member"] == str(member.pk)
    assert not AssignmentAudit.objects.filter(source="matching").exists()  # nothing is published by a move


def test_the_move_form_offers_the_other_circles_grouped_by_coach(matcher, world):
    proposal = two_coach_proposal(matcher, world)
    member = world.members[0]
    current = circle_of(proposal, member)
    url = matcher.url("matching_move", proposal)
    fragment = matcher.client.get(url, {"member": str(member.pk), "page": "1"}, **HTMX).content.decode()
    assert fragment.startswith("<form")
    assert '<optgroup label="Coach2">' in fragment
    offered = re.findall(r'<option value="(\d+)"', fragment)
    others = [c["key"] for c in proposal.solution["circles"] if c["key"] != current["key"]]
    assert sorted(offered) == sorted(others)
    full = [c["key"] for c in proposal.solution["circles"] if len(c["members"]) == 3 and c is not current]
    for key in full:
        assert f'<option value="{key}" disabled>' in fragment
    page = matcher.client.get(url, {"member": str(member.pk)})
    assert page.status_code == 200
    assert f"Move {member.name} out of Coach 1" in text_of(page.content.decode())


def test_the_move_form_for_someone_outside_the_proposal_says_so(matcher, world):
    proposal = matcher.propose()
    url = matcher.url("matching_move", proposal)
    response = matcher.client.get(url, {"member": str(world.outsider.pk)}, **HTMX)
    assert response.status_code == 200
    assert "That person is not in one of this proposal's circles." in response.content.decode()
    assert matcher.client.get(url, {"member": "nobody"}).status_code == 404


def test_a_move_to_a_coach_who_shares_no_language_asks_for_confirmation_first(matcher, world):
    english = person("english", "Africa/Nairobi", ("en",))
    services.enrol(programme=world.programme, user=english, role="coach")
    spanish = person("spanish", "Europe/Madrid", ("es",))
    services.enrol(programme=world.programme, user=spanish, role="member")
    CoachPreference.objects.create(member=world.members[1], coach=english, kind="prefer")
    proposal = matcher.propose()
    target = circle_of(proposal, world.members[1])
    assert target["coach"] == str(english.pk)
    before = proposal.solution
    response = matcher.move(proposal, str(spanish.pk), target["key"])
    assert response.status_code == 200
    assert "Spanish shares no language with everyone else in this circle, coach included." in text_of(
        response.content.decode()
    )
    assert "Move anyway" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.solution == before


def test_a_move_to_an_avoided_coach_is_refused(matcher, world):
    proposal = two_coach_proposal(matcher, world)
    member = world.members[0]
    CoachPreference.objects.filter(member=member).delete()
    # The avoid is in the problem the proposal was made from, as when the member had said so before.
    problem = proposal.problem
    next(m for m in problem["members"] if m["id"] == str(member.pk))["avoid"] = [str(world.other_coach.pk)]
    MatchProposal.objects.filter(pk=proposal.pk).update(problem=problem)
    target = next(c for c in proposal.solution["circles"] if c["coach"] == str(world.other_coach.pk))
    response = matcher.move(proposal, str(member.pk), target["key"])
    assert response.status_code == 200
    assert "asked not to have this coach" in response.content.decode()
    proposal.refresh_from_db()
    assert circle_of(proposal, member)["coach"] == str(world.coach.pk)


def test_a_move_to_a_coach_without_room_is_refused(matcher, world):
    proposal = two_coach_proposal(matcher, world)
    problem = proposal.problem
    given = sum(1 for a in proposal.solution["assignments"] if a["coach"] == str(world.other_coach.pk))
    next(c for c in problem["coaches"] if c["id"] == str(world.other_coach.pk))["capacity"] = given
    MatchProposal.objects.filter(pk=proposal.pk).update(problem=problem)
    target = next(c for c in proposal.solution["circles"] if c["coach"] == str(world.other_coach.pk))
    response = matcher.move(proposal, str(world.members[0].pk), target["key"])
    assert response.status_code == 200
    assert "Coach2 has no room for another member in this programme." in response.content.decode()


def test_a_move_into_a_full_circle_is_refused(matcher, world):
    proposal = two_coach_proposal(matcher, world)
    full = next(c for c in proposal.solution["circles"] if len(c["members"]) == 3)
    other = next(c for c in proposal.solution["circles"] if c["key"] != full["key"])
    response = matcher.move(proposal, other["members"][0], full["key"])
    assert response.status_code == 200
    assert "That circle is full" in response.content.decode()


@pytest.mark.parametrize(
    ("member", "circle", "message"),
    [
        ("stranger", "1", "That person is not in one of this proposal&#x27;s circles."),
        ("member", "99", "That circle is not part of this proposal."),
        ("", "", "That person is not in one of this proposal&#x27;s circles."),
    ],
)
def test_a_move_naming_someone_or_a_circle_outside_the_proposal_changes_nothing(
    matcher, world, member, circle, message
):
    proposal = matcher.propose()
    before = proposal.solution
    member_id = {"stranger": str(world.outsider.pk), "member": str(world.members[0].pk), "": ""}[member]
    response = matcher.move(proposal, member_id, circle)
    assert response.status_code == 200
    assert message in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.solution == before


def test_a_plain_post_move_redirects_with_the_message(matcher, world):
    proposal = two_coach_proposal(matcher, world)
    response = matcher.client.post(
        matcher.url("matching_move", proposal),
        {"member": str(world.outsider.pk), "to_circle": "1"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == matcher.url("matching_proposal", proposal)
    assert "That person is not in one of this proposal" in response.content.decode()


def test_a_large_proposal_shows_its_coaches_a_page_at_a_time(matcher, world):
    # Two members per extra coach: a circle of two meets the programme's minimum (2 of 3), so every
    # extra coach keeps a circle of their own instead of the one-member circles being rehomed.
    coaches = []
    for number in range(21):
        coach = person(f"extra_coach_{number:02d}", "Europe/Madrid")
        services.enrol(programme=world.programme, user=coach, role="coach")
        for seat in "ab":
            member = person(f"extra_member_{number:02d}{seat}", "Europe/Madrid")
            services.enrol(programme=world.programme, user=member, role="member")
            CoachPreference.objects.create(member=member, coach=coach, kind="prefer")
        coaches.append(coach)
    proposal = matcher.propose()
    with_circles = {c["coach"] for c in proposal.solution["circles"]}
    assert len(with_circles) > 20
    first = matcher.page(proposal)
    assert f"Page 1 of {-(-len(with_circles) // 20)}" in text_of(first)
    second = matcher.client.get(matcher.url("matching_proposal", proposal), {"page": 2}).content.decode()
    shown = [c for c in coaches if f'data-coach="{c.pk}"' in first]
    later = [c for c in coaches if f'data-coach="{c.pk}"' in second]
    assert shown
    assert later
    assert not set(shown) & set(later)


# --- Drop and re-run -----------------------------------------------------------------------------


def test_a_dropped_proposal_cannot_be_changed_or_published(matcher, world):
    proposal = matcher.propose()
    response = matcher.client.post(matcher.url("matching_drop", proposal), follow=True)
    assert "The proposal is dropped; nothing was published." in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == "dropped"
    response = matcher.publish(proposal)
    assert "Only a proposal that is ready can be published." in response.content.decode()
    member = proposal.solution["circles"][0]["members"][0]
    response = matcher.move(proposal, member, proposal.solution["circles"][-1]["key"])
    assert "This proposal is dropped, so it can no longer be changed." in response.content.decode()
    assert not Circle.objects.filter(programme=world.programme).exclude(name__in=["Alpha", "Beta"]).exists()
    assert "This proposal was dropped" in matcher.page(proposal)


def test_re_running_drops_the_old_proposal_and_matches_the_programme_as_it_is_now(matcher, world):
    proposal = matcher.propose()
    services.assign_member(actor=world.admin, circle=world.circle, member=world.members[0])
    with matcher.capture(execute=True):
        response = matcher.client.post(matcher.url("matching_rerun", proposal))
    fresh = MatchProposal.objects.latest("pk")
    assert response["Location"] == matcher.url("matching_proposal", fresh)
    assert fresh.pk != proposal.pk
    assert fresh.status == "ready"
    proposal.refresh_from_db()
    assert proposal.status == "dropped"
    placed = {m for c in fresh.solution["circles"] for m in c["members"]}
    assert str(world.members[0].pk) not in placed
    assert placed == {str(m.pk) for m in world.members[1:]}


# --- Publishing ----------------------------------------------------------------------------------


def test_publishing_creates_the_circles_and_seats_through_the_services_with_matching_audit(matcher, world):
    proposal = two_coach_proposal(matcher, world)
    response = matcher.publish(proposal)
    assert "circles are published" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == "published"
    assert proposal.published_at is not None
    created = Circle.objects.filter(pk__in=proposal.solution["published"].values()).order_by("name")
    assert len(created) == len(proposal.solution["circles"])
    for proposed in proposal.solution["circles"]:
        circle = Circle.objects.get(pk=proposal.solution["published"][proposed["key"]])
        assert circle.status == Circle.Status.ACTIVE
        assert circle.language in {"es", "en"}
        coach = User.objects.get(pk=int(proposed["coach"]))
        assert circle.name.startswith(f"{coach.name} ")
        assert circle.meeting_weekday == Circle.Weekday.TUESDAY
        assert circle.meeting_timezone == coach.timezone
        start = dt.datetime.combine(
            dt.date.fromisoformat(proposal.problem["reference_date"]),
            dt.time.fromisoformat(proposed["window_utc"][0]),
            tzinfo=dt.UTC,
        )
        assert circle.meeting_time == start.astimezone(coach.zone).time()
        seats = circle.memberships.filter(left_at__isnull=True)
        assert seats.get(role="coach").user == coach
        assert sorted(str(s.user_id) for s in seats.filter(role="member")) == sorted(proposed["members"])
    entries = AssignmentAudit.objects.filter(programme=world.programme, source="matching")
    assert entries.filter(action="create_circle").count() == len(created)
    assigned = entries.filter(action="assign")
    assert assigned.count() == len(world.members)
    assert {e.reason for e in assigned} == {f"matching proposal #{proposal.pk}"}
    assert {e.actor for e in entries} == {world.admin}
    # The dashboard lists them, and the proposal page links to each.
    dashboard = matcher.client.get(reverse("programme_dashboard", args=[world.programme.pk])).content.decode()
    for circle in created:
        assert circle.name in dashboard
        assert reverse("programme_roster", args=[world.programme.pk, circle.pk]) in matcher.page(proposal)


def test_circle_names_continue_after_the_existing_ones(matcher, world):
    services.create_circle(actor=world.admin, programme=world.programme, name="Coach 1", language="es")
    proposal = two_coach_proposal(matcher, world)
    matcher.publish(proposal)
    names = set(Circle.objects.filter(programme=world.programme).values_list("name", flat=True))
    assert "Coach 2" in names
    assert "Coach2 1" in names


def test_publishing_twice_creates_nothing_more(matcher, world):
    proposal = matcher.propose()
    matcher.publish(proposal)
    circles, seats, entries = (
        Circle.objects.count(),
        Membership.objects.count(),
        AssignmentAudit.objects.count(),
    )
    mails = len(mail.outbox)
    response = matcher.publish(proposal)
    assert "This proposal was already published, so nothing more was done." in response.content.decode()
    assert (Circle.objects.count(), Membership.objects.count(), AssignmentAudit.objects.count()) == (
        circles,
        seats,
        entries,
    )
    assert len(mail.outbox) == mails


def test_a_seat_taken_meanwhile_makes_publishing_refuse_everything_and_say_who(matcher, world):
    proposal = matcher.propose()
    taken = world.members[3]
    services.assign_member(actor=world.admin, circle=world.second, member=taken)
    circles, entries = Circle.objects.count(), AssignmentAudit.objects.count()
    response = matcher.publish(proposal)
    text = response.content.decode()
    assert f"Nothing was published. {taken.name} already sits in Beta; move them instead." in text
    assert Circle.objects.count() == circles
    assert AssignmentAudit.objects.count() == entries
    assert not AssignmentAudit.objects.filter(source="matching").exists()
    assert [s.circle for s in active_seats(taken)] == [world.second]
    proposal.refresh_from_db()
    assert proposal.status == "ready"
    assert mail.outbox == []


def test_a_coach_filled_up_meanwhile_makes_publishing_refuse(matcher, world):
    CoachProfile.objects.create(user=world.coach, capacity=5)
    CoachProfile.objects.create(user=world.other_coach, capacity=5)
    proposal = matcher.propose()
    given = sum(1 for a in proposal.solution["assignments"] if a["coach"] == str(world.coach.pk))
    CoachProfile.objects.filter(user=world.coach).update(capacity=given - 1)
    response = matcher.publish(proposal)
    assert "Nothing was published. Coach now has room for" in response.content.decode()
    assert not AssignmentAudit.objects.filter(source="matching").exists()


def test_people_hear_of_their_circle_once_each_from_the_seat_they_get(
    world, client, django_capture_on_commit_callbacks
):
    client.force_login(world.admin)
    proposal = Matcher(client, world, django_capture_on_commit_callbacks).propose()
    confirm = proposals.publish_warnings(proposal=proposal)[1]
    with django_capture_on_commit_callbacks(execute=True):
        proposals.publish_proposal(proposal=proposal, actor=world.admin, confirm=confirm)
    proposal.refresh_from_db()
    assert mail.outbox == []  # nothing is sent from here: each notification plans its own email
    circles = proposal.solution["circles"]
    published = proposal.solution["published"].values()
    added = Notification.objects.filter(
        kind="circle_added", url__in=[reverse("circle", args=[pk]) for pk in published]
    )
    # Each member once, each coach once per circle they coach (a seat is the news).
    assert sorted(added.values_list("recipient_id", flat=True)) == sorted(
        [int(c["coach"]) for c in circles] + [int(m) for c in circles for m in c["members"]]
    )
    member = world.members[0]
    seat = active_seats(member)[0]
    told = added.get(recipient=member)
    assert told.url == reverse("circle", args=[seat.circle_id])
    assert told.params["circle"] == seat.circle.name
    assert told.actor == world.admin
    assert told.dedupe_key == f"seat:{seat.pk}:added"
    assert told.email_due_at is not None
    assert not added.filter(recipient=world.admin).exists()
    assert Notification.objects.filter(recipient=member, url=told.url).count() == 1  # told once, not twice


def test_a_removed_member_is_matched_again_by_a_new_proposal(matcher, world):
    matcher.publish(matcher.propose())
    member = world.members[2]
    seat = active_seats(member)[0]
    services.remove_member(actor=world.admin, circle=seat.circle, member=member, reason="declined the circle")
    again = matcher.propose()
    assert {m for c in again.solution["circles"] for m in c["members"]} == {str(member.pk)}
    matcher.publish(again)
    assert len(active_seats(member)) == 1
    assert active_seats(member)[0].circle != seat.circle


# --- The overview ----------------------------------------------------------------------------------


def test_the_overview_counts_who_waits_and_which_coaches_have_room(matcher, world):
    CoachProfile.objects.create(user=world.other_coach, capacity=1)
    services.assign_member(actor=world.admin, circle=world.second, member=world.members[0])
    proposal = matcher.propose()
    response = matcher.client.get(matcher.url("programme_matching"))
    text = text_of(response.content.decode())
    assert "4 members waiting for a circle" in text
    assert "16 open seats with coaches" in text
    assert "full, left out" in text
    assert f"Proposal #{proposal.pk}" in text
    nav = reverse("programme_matching", args=[world.programme.pk])
    assert (
        f'href="{nav}"'
        in matcher.client.get(reverse("programme_dashboard", args=[world.programme.pk])).content.decode()
    )


# --- Access --------------------------------------------------------------------------------------


def pages(programme_id: int, proposal_id: int) -> list[tuple[str, str, dict]]:
    return [
        ("get", reverse("programme_matching", args=[programme_id]), {}),
        ("post", reverse("programme_matching", args=[programme_id]), {}),
        ("get", reverse("matching_proposal", args=[programme_id, proposal_id]), {}),
        ("get", reverse("matching_move", args=[programme_id, proposal_id]), {"member": "1"}),
        (
            "post",
            reverse("matching_move", args=[programme_id, proposal_id]),
            {"member": "1", "to_circle": "1"},
        ),
        ("post", reverse("matching_drop", args=[programme_id, proposal_id]), {}),
        ("post", reverse("matching_rerun", args=[programme_id, proposal_id]), {}),
        ("post", reverse("matching_publish", args=[programme_id, proposal_id]), {}),
    ]


@pytest.mark.parametrize("who", ["other_admin", "member", "coach", "outsider"])
def test_nobody_but_the_programmes_admins_reaches_its_proposals(matcher, world, who):
    proposal = matcher.propose()
    user = {
        "other_admin": world.other_admin,
        "member": world.members[0],
        "coach": world.coach,
        "outsider": world.outsider,
    }[who]
    matcher.client.force_login(user)
    for method, url, data in pages(world.programme.pk, proposal.pk):
        assert getattr(matcher.client, method)(url, data).status_code == 404, url
    proposal.refresh_from_db()
    assert proposal.status == "ready"
    assert MatchProposal.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    proposal = MatchProposal.objects.create(programme=world.programme, created_by=world.admin)
    for method, url, data in pages(world.programme.pk, proposal.pk):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


def test_another_programmes_proposal_is_404_even_through_ones_own_programme(matcher, world):
    theirs = MatchProposal.objects.create(
        programme=world.other_programme, created_by=world.other_admin, status="ready"
    )
    for method, url, data in pages(world.programme.pk, theirs.pk)[2:]:
        assert getattr(matcher.client, method)(url, data).status_code == 404, url
    theirs.refresh_from_db()
    assert theirs.status == "ready"


def test_a_superuser_may_propose_for_any_programme(client, world, django_capture_on_commit_callbacks):
    root = User.objects.create_superuser(username="root", email="root@example.org", password="pw")
    client.force_login(root)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("programme_matching", args=[world.other_programme.pk]))
    assert response.status_code == 302


# --- Races (PostgreSQL) --------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_publishing_at_once_publish_once(world) -> None:
    proposal = proposals.start_proposal(programme=world.programme, actor=world.admin)
    tasks.run_proposal(proposal.pk)
    proposal.refresh_from_db()
    confirm = proposals.publish_warnings(proposal=proposal)[1]
    results: list[proposals.Published] = []
    errors: list[CircleRuleError] = []
    barrier = threading.Barrier(2)

    def publish() -> None:
        barrier.wait()
        try:
            results.append(proposals.publish_proposal(proposal=proposal, actor=world.admin, confirm=confirm))
        except CircleRuleError as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=publish) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r.already for r in results) == [False, True]
    assert AssignmentAudit.objects.filter(source="matching", action="assign").count() == len(world.members)
