"""Scheduling across zones: the coach's local time, weekly series across DST, clear refusals."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from coaching.accounts.models import User
from coaching.live.errors import SessionRuleError
from coaching.live.scheduling import local_to_utc, schedule_session, sessions_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def lucia(demo):
    return User.objects.get(username="lucia.coach")  # coaches Puentes, lives in Madrid


@pytest.fixture
def puentes(demo):
    from circles.models import Circle

    return Circle.objects.get(name="Puentes")


def test_a_weekly_series_keeps_the_coachs_wall_clock_time_across_the_dst_change(lucia, puentes, settings):
    # Madrid leaves summer time on Sunday 31 October 2027: 18:00 is 16:00 UTC before, 17:00 UTC after.
    sessions = schedule_session(
        coach=lucia,
        circle=puentes,
        title="Weekly circle",
        local_start=dt.datetime(2027, 10, 28, 18, 0),
        weeks=2,
    )
    assert [s.starts_at.astimezone(dt.UTC).strftime("%m-%d %H:%M") for s in sessions] == [
        "10-28 16:00",
        "11-04 17:00",
    ]
    madrid = ZoneInfo("Europe/Madrid")
    assert {s.starts_at.astimezone(madrid).strftime("%H:%M") for s in sessions} == {"18:00"}
    assert sessions[0].series == sessions[1].series is not None
    # Camila in Bogotá (no DST) sees it move from 11:00 to 12:00 on her clock.
    bogota = ZoneInfo("America/Bogota")
    assert [s.starts_at.astimezone(bogota).strftime("%H:%M") for s in sessions] == ["11:00", "12:00"]


def test_every_member_sees_the_session_in_their_own_zone(lucia, puentes):
    (session,) = schedule_session(
        coach=lucia,
        circle=puentes,
        title="Kick-off",
        local_start=dt.datetime(2027, 1, 14, 19, 30),
        duration_minutes=60,
    )
    assert session.starts_at == dt.datetime(2027, 1, 14, 18, 30, tzinfo=dt.UTC)
    assert session.timezone == "Europe/Madrid"
    for username, expected in [("camila", "13:30"), ("mateo", "12:30"), ("valentina", "19:30")]:
        member = User.objects.get(username=username)
        assert timezone.localtime(session.starts_at, member.zone).strftime("%H:%M") == expected
        assert session in sessions_for(user=member)


def test_a_time_the_clocks_skip_is_refused():
    with pytest.raises(SessionRuleError, match=r"does not exist in Madrid \(Spain\)"):
        local_to_utc(dt.datetime(2027, 3, 28, 2, 30), "Europe/Madrid")


def test_an_ambiguous_time_takes_the_first_occurrence():
    # 02:30 happens twice in Madrid on 31 October 2027; the earlier one is 00:30 UTC.
    assert local_to_utc(dt.datetime(2027, 10, 31, 2, 30), "Europe/Madrid") == dt.datetime(
        2027, 10, 31, 0, 30, tzinfo=dt.UTC
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": "  "}, "needs a title"),
        ({"duration_minutes": 5}, "from 15 minutes to 8 hours"),
        ({"weeks": 40}, "from 1 to 26 sessions"),
        ({"local_start": dt.datetime(2020, 1, 1, 10, 0)}, "must start in the future"),
    ],
)
def test_bad_requests_get_a_clear_refusal(lucia, puentes, kwargs, message):
    args = {"title": "Session", "local_start": dt.datetime(2027, 1, 14, 19, 30), **kwargs}
    with pytest.raises(SessionRuleError, match=message):
        schedule_session(coach=lucia, circle=puentes, **args)


def test_only_the_circles_coach_schedules(puentes):
    for username in ["camila", "amani.coach", "ana.admin"]:
        with pytest.raises(SessionRuleError, match="Only the circle's coach"):
            schedule_session(
                coach=User.objects.get(username=username),
                circle=puentes,
                title="x",
                local_start=dt.datetime(2027, 1, 14, 19, 30),
            )
