"""Series moves and cancels (this and the following sessions), and clashes with people's other sessions.

Lucía (Madrid) coaches Puentes, where Camila (Bogotá) sits; in these tests Camila also sits in Harambee,
coached by Amani (Nairobi, no DST). Europe's clocks go forward on Sunday 28 March 2027.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from circles import services as circle_services
from circles.models import Circle, Membership
from coaching.accounts.models import User
from coaching.live.calendar import feed_ics
from coaching.live.errors import SessionRuleError
from coaching.live.models import LiveSession
from coaching.live.scheduling import (
    ClashWarning,
    cancel_session,
    reschedule_session,
    schedule_session,
    sessions_for,
)
from coaching.live.selectors import suggested_slots
from coaching.notifications.kinds import Kind
from coaching.notifications.models import Notification
from coaching.notifications.texts import describe

pytestmark = pytest.mark.django_db

UTC = dt.UTC
MADRID = ZoneInfo("Europe/Madrid")


def user(username: str) -> User:
    return User.objects.get(username=username)


@pytest.fixture
def lucia(demo) -> User:
    return user("lucia.coach")


@pytest.fixture
def amani(demo) -> User:
    return user("amani.coach")


@pytest.fixture
def puentes(demo) -> Circle:
    return Circle.objects.get(name="Puentes")


@pytest.fixture
def harambee(demo, puentes) -> Circle:
    """Amani's circle, where Camila of Puentes also sits."""
    circle = Circle.objects.get(name="Harambee")
    circle.programme.allow_several_circles = True
    circle.programme.save(update_fields=["allow_several_circles"])
    circle_services.assign_member(actor=user("ana.admin"), circle=circle, member=user("camila"))
    return circle


def schedule(
    coach: User, circle: Circle, local: dt.datetime, minutes: int = 60, **kwargs
) -> list[LiveSession]:
    return schedule_session(
        coach=coach,
        circle=circle,
        title=kwargs.pop("title", "Weekly"),
        local_start=local,
        duration_minutes=minutes,
        **kwargs,
    )


def move(session: LiveSession, local: dt.datetime, **kwargs) -> list[LiveSession]:
    args = {"title": session.title, "agenda": session.agenda, "duration_minutes": session.duration_minutes}
    return reschedule_session(
        coach=kwargs.pop("coach", user("lucia.coach")),
        session=session,
        local_start=local,
        **{**args, **kwargs},
    )


def fresh(sessions: list[LiveSession]) -> list[LiveSession]:
    return list(LiveSession.objects.filter(pk__in=[s.pk for s in sessions]).order_by("pk"))


def starts(sessions: list[LiveSession]) -> list[dt.datetime]:
    return [s.starts_at for s in fresh(sessions)]


def told(kind: Kind, username: str = "camila") -> list[Notification]:
    return list(Notification.objects.filter(kind=kind, recipient__username=username))


# ---------------------------------------------------------------- this and the following


def test_it_moves_the_rest_of_a_series_keeping_the_coachs_clock_across_dst(lucia, puentes):
    # Thursdays 18:00 in Madrid: 11, 18 and 25 March are winter time (UTC+1), 1 April summer (UTC+2).
    series = schedule(lucia, puentes, dt.datetime(2027, 3, 11, 18, 0), weeks=4)
    moved = move(series[1], dt.datetime(2027, 3, 19, 19, 30), following=True)  # to Fridays 19:30
    assert [s.pk for s in moved] == [s.pk for s in series[1:]]
    assert starts(series) == [
        dt.datetime(2027, 3, 11, 17, 0, tzinfo=UTC),  # the earlier session stays
        dt.datetime(2027, 3, 19, 18, 30, tzinfo=UTC),
        dt.datetime(2027, 3, 26, 18, 30, tzinfo=UTC),
        dt.datetime(2027, 4, 2, 17, 30, tzinfo=UTC),  # 19:30 on the Madrid clock in summer time
    ]
    assert [s.starts_at.astimezone(MADRID).strftime("%a %H:%M") for s in fresh(series)[1:]] == [
        "Fri 19:30"
    ] * 3
    assert [s.revision for s in fresh(series)] == [0, 1, 1, 1]  # calendars replace every moved event
    # One notice per person for the whole move, about its first session.
    (notice,) = told(Kind.SESSION_CHANGED)
    assert notice.params == {
        "circle": "Puentes",
        "title": "Weekly",
        "starts_at": "2027-03-19T18:30:00+00:00",
        "following": 2,
    }
    assert notice.url == f"/sessions/{series[1].pk}/"
    assert describe(notice, zone=ZoneInfo("America/Bogota")) == (
        "“Weekly” in Puentes moved to Friday 19 March, 13:30, and the next 2 sessions with it"
    )
    assert len(Notification.objects.filter(kind=Kind.SESSION_CHANGED)) == 6  # the six members, once each


def test_only_this_session_moves_when_the_coach_says_so(lucia, puentes):
    series = schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0), weeks=3)
    move(series[0], dt.datetime(2027, 1, 15, 18, 0))
    assert starts(series) == [
        dt.datetime(2027, 1, 15, 17, 0, tzinfo=UTC),
        dt.datetime(2027, 1, 21, 17, 0, tzinfo=UTC),
        dt.datetime(2027, 1, 28, 17, 0, tzinfo=UTC),
    ]
    assert "following" not in told(Kind.SESSION_CHANGED)[0].params


def test_a_session_without_a_series_or_the_last_of_one_moves_alone(lucia, puentes):
    series = schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0), weeks=2)
    assert len(move(series[1], dt.datetime(2027, 1, 22, 18, 0), following=True)) == 1
    (single,) = schedule(lucia, puentes, dt.datetime(2027, 2, 14, 18, 0))
    assert len(move(single, dt.datetime(2027, 2, 15, 18, 0), following=True)) == 1


def test_the_following_sessions_keep_their_gaps(lucia, puentes):
    series = schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0), weeks=4)
    cancel_session(coach=lucia, session=series[2])  # a gap in week 3
    move(series[0], dt.datetime(2027, 1, 14, 20, 0), following=True)
    assert starts(series) == [
        dt.datetime(2027, 1, 14, 19, 0, tzinfo=UTC),
        dt.datetime(2027, 1, 21, 19, 0, tzinfo=UTC),
        dt.datetime(2027, 1, 28, 17, 0, tzinfo=UTC),  # cancelled: not moved
        dt.datetime(2027, 2, 4, 19, 0, tzinfo=UTC),
    ]


def test_a_title_or_length_change_applies_to_the_rest_and_only_a_move_tells_members(lucia, puentes):
    series = schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0), weeks=3)
    move(series[0], dt.datetime(2027, 1, 14, 18, 0), title="Renamed", agenda="Wins", following=True)
    assert {(s.title, s.agenda, s.revision) for s in fresh(series)} == {("Renamed", "Wins", 0)}
    move(fresh(series)[0], dt.datetime(2027, 1, 14, 18, 0), duration_minutes=45, following=True)
    assert {(s.duration_minutes, s.revision) for s in fresh(series)} == {(45, 1)}  # DTEND changed
    assert not Notification.objects.filter(kind=Kind.SESSION_CHANGED).exists()


@pytest.mark.parametrize(
    ("local", "message"),
    [
        # Week 3 of the moved series (Sunday 28 March, 02:30) does not exist in Madrid.
        (dt.datetime(2027, 3, 14, 2, 30), r"2027-03-28 02:30 does not exist in Madrid \(Spain\)"),
        # Week 3 lands on Lucía's session of her other circle.
        (dt.datetime(2027, 3, 12, 10, 0), "overlaps “Faros morning” of Faros at 2027-03-26 10:30"),
    ],
)
def test_one_refused_week_changes_none_of_the_series(lucia, puentes, local, message):
    faros = circle_services.create_circle(
        actor=user("ana.admin"), programme=puentes.programme, name="Faros", language="es", coach=lucia
    )
    schedule(lucia, faros, dt.datetime(2027, 3, 26, 10, 30), title="Faros morning")
    series = schedule(lucia, puentes, dt.datetime(2027, 3, 11, 18, 0), weeks=4)
    before = [(s.starts_at, s.title, s.revision) for s in fresh(series)]
    with pytest.raises(SessionRuleError, match=message):
        move(series[0], local, title="Changed", following=True)
    assert [(s.starts_at, s.title, s.revision) for s in fresh(series)] == before
    assert not Notification.objects.filter(kind=Kind.SESSION_CHANGED).exists()


# ---------------------------------------------------------------- cancelling the rest


def test_it_cancels_this_and_the_following_with_a_reason_and_tells_members_once(lucia, puentes):
    series = schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0), weeks=4)
    versions = [s.state_version for s in fresh(series)]
    cancelled = cancel_session(coach=lucia, session=series[1], reason=" Holidays ", following=True)
    assert [s.pk for s in cancelled] == [s.pk for s in series[1:]]
    rows = fresh(series)
    assert [s.status for s in rows] == ["scheduled", "cancelled", "cancelled", "cancelled"]
    assert {s.cancel_reason for s in rows[1:]} == {"Holidays"}
    assert [s.revision for s in rows] == [0, 1, 1, 1]
    # Each cancelled session's open pages hear its new state (stage.announce bumps its version).
    assert [s.state_version - v for s, v in zip(rows, versions, strict=True)] == [0, 1, 1, 1]
    (notice,) = told(Kind.SESSION_CANCELLED)
    assert notice.params["following"] == 2
    assert notice.dedupe_key == f"session:{series[1].pk}:cancelled:and-following"
    assert describe(notice, zone=MADRID) == (
        "“Weekly” in Puentes on Thursday 21 January, 18:00 and the next 2 sessions are cancelled"
    )
    feed = feed_ics(
        sessions_for(user=user("camila"), since=dt.datetime(2027, 1, 1, tzinfo=UTC)), base_url="x"
    )
    assert feed.decode().count("STATUS:CANCELLED") == 3
    assert feed.decode().count("SEQUENCE:1") == 3


def test_cancelling_only_this_one_leaves_the_rest(lucia, puentes):
    series = schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0), weeks=3)
    assert len(cancel_session(coach=lucia, session=series[0], reason="Ill")) == 1
    assert [s.status for s in fresh(series)] == ["cancelled", "scheduled", "scheduled"]
    assert "following" not in told(Kind.SESSION_CANCELLED)[0].params


# ---------------------------------------------------------------- clashes


def test_the_coachs_own_double_booking_is_refused_even_when_confirmed(lucia, puentes):
    faros = circle_services.create_circle(
        actor=user("ana.admin"), programme=puentes.programme, name="Faros", language="es", coach=lucia
    )
    schedule(lucia, faros, dt.datetime(2027, 1, 14, 18, 0), title="Faros night")
    with pytest.raises(SessionRuleError, match="overlaps “Faros night” of Faros") as refused:
        schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 30), confirm="anything")
    assert refused.value.code == "overlap"
    assert not LiveSession.objects.filter(circle=puentes).exists()


def test_a_members_session_in_another_circle_warns_naming_her_but_not_the_circle(
    lucia, amani, puentes, harambee
):
    schedule(amani, harambee, dt.datetime(2027, 1, 14, 21, 0), title="Harambee private topic")  # 18:00 UTC
    with pytest.raises(ClashWarning) as warned:
        schedule(lucia, puentes, dt.datetime(2027, 1, 14, 19, 30))  # 18:30 UTC, Madrid
    (clash,) = warned.value.clashes
    assert (clash.person.username, clash.starts_at, clash.week) == (
        "camila",
        dt.datetime(2027, 1, 14, 18, 30, tzinfo=UTC),
        None,
    )
    assert clash.circle_name is None  # Lucía does not sit in Harambee: she learns who and when only
    assert "Harambee" not in str(warned.value)
    assert not LiveSession.objects.filter(circle=puentes).exists()
    # A stale or made-up confirmation warns again; the digest of exactly these clashes books it.
    with pytest.raises(ClashWarning):
        schedule(lucia, puentes, dt.datetime(2027, 1, 14, 19, 30), confirm="0" * 32)
    (session,) = schedule(lucia, puentes, dt.datetime(2027, 1, 14, 19, 30), confirm=warned.value.digest)
    assert session.starts_at == dt.datetime(2027, 1, 14, 18, 30, tzinfo=UTC)


def test_the_circle_is_named_when_the_coach_sits_in_it_and_her_own_seat_counts(
    lucia, amani, puentes, harambee
):
    Membership.objects.create(circle=harambee, user=lucia, role=Membership.Role.MEMBER)
    schedule(amani, harambee, dt.datetime(2027, 1, 14, 21, 0))
    with pytest.raises(ClashWarning) as warned:
        schedule(lucia, puentes, dt.datetime(2027, 1, 14, 19, 30))
    assert {(c.person.username, c.circle_name) for c in warned.value.clashes} == {
        ("camila", "Harambee"),
        ("lucia.coach", "Harambee"),
    }


def test_a_series_warns_only_for_the_week_that_clashes(lucia, amani, puentes, harambee):
    schedule(amani, harambee, dt.datetime(2027, 1, 28, 20, 30))  # 17:30 UTC, in week 3 of Lucía's series
    with pytest.raises(ClashWarning) as warned:
        schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0), weeks=4)
    assert [(c.person.username, c.week, c.starts_at) for c in warned.value.clashes] == [
        ("camila", 3, dt.datetime(2027, 1, 28, 17, 0, tzinfo=UTC))
    ]
    assert not LiveSession.objects.filter(circle=puentes).exists()  # all or nothing
    assert (
        len(schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0), weeks=4, confirm=warned.value.digest))
        == 4
    )


def test_a_clash_that_only_exists_after_the_clocks_change(lucia, amani, puentes, harambee):
    # Harambee meets Thursdays 19:00 in Nairobi (16:00 UTC, no DST); Puentes 18:00 in Madrid: 17:00 UTC in
    # winter, back to back with Harambee, but 16:00 UTC once Europe's summer time starts on 28 March.
    schedule(amani, harambee, dt.datetime(2027, 3, 11, 19, 0), weeks=4)
    with pytest.raises(ClashWarning) as warned:
        schedule(lucia, puentes, dt.datetime(2027, 3, 11, 18, 0), weeks=4)
    assert [(c.person.username, c.week, c.starts_at) for c in warned.value.clashes] == [
        ("camila", 4, dt.datetime(2027, 4, 1, 16, 0, tzinfo=UTC))
    ]


def test_moving_a_series_onto_a_members_other_session_warns_then_moves_when_confirmed(
    lucia, amani, puentes, harambee
):
    series = schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0), weeks=3)
    schedule(amani, harambee, dt.datetime(2027, 1, 22, 22, 0))  # 19:00 UTC on Friday of week 2
    with pytest.raises(ClashWarning) as warned:
        move(series[0], dt.datetime(2027, 1, 15, 20, 0), following=True)  # Fridays 19:00 UTC
    assert [(c.person.username, c.week) for c in warned.value.clashes] == [("camila", 2)]
    assert starts(series)[0] == dt.datetime(2027, 1, 14, 17, 0, tzinfo=UTC)
    move(series[0], dt.datetime(2027, 1, 15, 20, 0), following=True, confirm=warned.value.digest)
    assert starts(series)[1] == dt.datetime(2027, 1, 22, 19, 0, tzinfo=UTC)


def test_people_who_left_or_circles_nobody_shares_do_not_clash(lucia, amani, puentes, harambee):
    diego = user("diego.coach")
    horizonte = Circle.objects.get(name="Horizonte")
    schedule(diego, horizonte, dt.datetime(2027, 1, 14, 12, 0))  # 18:00 UTC: nobody of Puentes is there
    schedule(amani, harambee, dt.datetime(2027, 1, 14, 21, 0))
    circle_services.remove_member(actor=user("ana.admin"), circle=harambee, member=user("camila"), reason="x")
    assert schedule(lucia, puentes, dt.datetime(2027, 1, 14, 19, 0))


def test_the_slot_finder_never_offers_a_time_a_member_is_busy_elsewhere(lucia, amani, puentes, harambee):
    now = dt.datetime.now(UTC)
    before = suggested_slots(circle=puentes, coach=lucia, minutes=60, now=now)
    taken = before[0]
    schedule(amani, harambee, taken.starts_at.astimezone(amani.zone).replace(tzinfo=None), minutes=30)
    after = suggested_slots(circle=puentes, coach=lucia, minutes=60, now=now)
    assert len(after) == len(before)
    assert all(
        not (s.starts_at < taken.starts_at + dt.timedelta(minutes=30) and taken.starts_at < s.ends_at)
        for s in after
    )
    # The same session without Camila in Harambee blocks nothing for Puentes.
    circle_services.remove_member(actor=user("ana.admin"), circle=harambee, member=user("camila"), reason="x")
    assert suggested_slots(circle=puentes, coach=lucia, minutes=60, now=now)[0].starts_at == taken.starts_at
