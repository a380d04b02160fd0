"""The pages around live sessions: scheduling with suggested slots, sessions lists in each viewer's zone,
.ics downloads and the private feed, the session log, commitments and notices; and who may open each."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from icalendar import Calendar

from circles.models import Circle
from coaching.accounts.models import AvailabilityWindow, User
from coaching.live import logs
from coaching.live.calendar import calendar_token
from coaching.live.models import Attendance, Commitment, LiveSession, SessionLog
from coaching.live.reminders import send_due_reminders
from coaching.live.scheduling import schedule_session
from coaching.notifications.kinds import Kind
from coaching.notifications.models import Notification
from coaching.notifications.services import notify

pytestmark = pytest.mark.django_db

EVERYONE = ["lucia.coach", "camila", "kofi", "amani.coach", "ana.admin", None]  # None: not signed in


def user(username: str) -> User:
    return User.objects.get(username=username)


@pytest.fixture
def puentes(demo) -> Circle:
    return Circle.objects.get(name="Puentes")


@pytest.fixture
def series(puentes) -> list[LiveSession]:
    """Lucía's weekly Puentes session across Madrid's return to winter time (31 October 2027)."""
    return schedule_session(
        coach=user("lucia.coach"),
        circle=puentes,
        title="Círculo semanal",
        agenda="Review commitments",
        local_start=dt.datetime(2027, 10, 28, 18, 0),
        duration_minutes=60,
        weeks=2,
    )


@pytest.fixture
def ended(series) -> LiveSession:
    session = series[0]
    LiveSession.objects.filter(pk=session.pk).update(
        status=LiveSession.Status.ENDED, started_at=session.starts_at, ended_at=session.starts_at
    )
    session.refresh_from_db()
    return session


def as_(client: Any, username: str | None) -> Any:
    if username:
        client.force_login(user(username))
    return client


def expect(response: Any, username: str | None, allowed: set[str]) -> None:
    if username is None:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif username in allowed:
        assert response.status_code in (200, 302), response.status_code
    else:
        assert response.status_code == 404


# Access, view by view, for the coach, a member, another circle's member and coach, an admin, and anonymous.


@pytest.mark.parametrize("username", EVERYONE)
def test_only_the_circles_coach_opens_the_schedule_page(client, puentes, username):
    url = reverse("session_schedule", args=[puentes.pk])
    expect(as_(client, username).get(url), username, {"lucia.coach"})
    response = client.post(
        url, {"title": "x", "date": "2027-01-14", "time": "19:30", "duration_minutes": 60, "weeks": 1}
    )
    expect(response, username, {"lucia.coach"})
    assert LiveSession.objects.count() == (1 if username == "lucia.coach" else 0)


@pytest.mark.parametrize("username", EVERYONE)
def test_only_the_circles_people_download_a_sessions_ics(client, series, username):
    response = as_(client, username).get(reverse("session_calendar", args=[series[0].pk]))
    expect(response, username, {"lucia.coach", "camila"})


@pytest.mark.parametrize("username", EVERYONE)
def test_only_the_circles_coach_opens_the_session_log(client, ended, username):
    as_(client, username)
    expect(client.get(reverse("session_log", args=[ended.pk])), username, {"lucia.coach"})
    camila = user("camila")
    posts = [
        (reverse("session_log_notes", args=[ended.pk]), {"notes": "hi"}),
        (reverse("session_log_attendance", args=[ended.pk, camila.pk]), {"present": "1", "note": ""}),
        (
            reverse("session_log_commitments", args=[ended.pk]),
            {
                "c-TOTAL_FORMS": 1,
                "c-INITIAL_FORMS": 0,
                "c-0-member": camila.pk,
                "c-0-text": "x",
                "c-0-due_on": "2027-11-03",
            },
        ),
    ]
    for url, data in posts:
        expect(client.post(url, data), username, {"lucia.coach"})
    wrote = username == "lucia.coach"
    assert SessionLog.objects.exists() == wrote
    assert Attendance.objects.exists() == wrote
    assert Commitment.objects.exists() == wrote


def test_unknown_sessions_and_circles_answer_404_even_to_a_coach(client, demo):
    client.force_login(user("lucia.coach"))
    for url in [
        reverse("session_schedule", args=[999_999]),
        reverse("session_calendar", args=[999_999]),
        reverse("session_log", args=[999_999]),
    ]:
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("username", [None, "camila"])
def test_the_feed_needs_no_sign_in_but_an_unknown_token_is_404(client, series, username):
    as_(client, username)
    assert client.get(reverse("calendar_feed", args=["not-a-real-token"])).status_code == 404
    assert client.get("/calendar//feed.ics").status_code == 404
    response = client.get(reverse("calendar_feed", args=[calendar_token(user=user("camila"))]))
    assert response.status_code == 200


def test_commitments_are_for_signed_in_people_and_only_their_own(client, ended):
    (camilas,) = logs.add_commitments(
        coach=user("lucia.coach"),
        session=ended,
        drafts=[
            logs.CommitmentDraft(member=user("camila"), text="Ask for feedback", due_on=dt.date(2027, 11, 3))
        ],
    )
    for url in [reverse("commitments"), reverse("commitment_close", args=[camilas.pk])]:
        assert client.get(url).status_code in (302, 405)
    for username in ["mateo", "lucia.coach"]:
        client.force_login(user(username))
        close = client.post(reverse("commitment_close", args=[camilas.pk]), {"status": "done"})
        assert close.status_code == 404
    camilas.refresh_from_db()
    assert camilas.status == "open"


# Scheduling.


def slot_texts(page: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", s)
        for s in re.findall(r'<li class="slot[^"]*">(.*?)</li>\s*(?=<li class="slot|</ol>)', page, re.S)
    ]


def test_the_coach_sees_five_suggested_slots_that_fit_everyone_in_her_zone(client, puentes):
    client.force_login(user("lucia.coach"))
    page = client.get(reverse("session_schedule", args=[puentes.pk])).content.decode()
    assert "Madrid (España)" in page  # the zone the form's date and time are in, in her Spanish
    assert page.count('class="secondary slot-pick"') == 5
    assert page.count("slot-verdict fits") == 5  # Madrid and the Americas overlap every afternoon
    times = re.findall(r'data-time="(\d\d:\d\d)"', page)
    assert all("14:00" <= t <= "20:30" for t in times), times  # Madrid afternoons, when Mexico City wakes


@pytest.mark.parametrize(
    ("language", "words"), [("en", "waking hours (8:00–22:00"), ("es", "vigilia de todos (8:00–22:00")]
)
def test_the_slots_say_which_waking_hours_they_respect(client, puentes, language, words):
    User.objects.filter(username="lucia.coach").update(ui_language=language)
    client.force_login(user("lucia.coach"))
    page = client.get(reverse("session_schedule", args=[puentes.pk])).content.decode()
    assert words in page


def test_a_slot_lists_who_is_asleep_at_what_local_time(client, puentes):
    User.objects.filter(username="lucia.coach").update(ui_language="en")  # slot logic, in English
    # Mateo moves to Tokyo: no time is waking for both Tokyo and Mexico City.
    User.objects.filter(username="mateo").update(timezone="Asia/Tokyo")
    client.force_login(user("lucia.coach"))
    page = client.get(reverse("session_schedule", args=[puentes.pk])).content.decode()
    assert "fits everyone" not in page
    misses = re.findall(r"asleep, (\d\d:\d\d) for ([^<]+)</li>", page)
    assert len(misses) == 5
    for local, name in misses:
        assert name in {"Mateo Hernández", "Andrés Morales"}  # Tokyo, or the other Mexico City member
        assert not "08:00" <= local < "22:00"


def test_a_slot_says_who_is_not_available(client, puentes):
    User.objects.filter(username="lucia.coach").update(ui_language="en")  # slot logic, in English
    camila = user("camila")
    for weekday in range(7):  # Camila can only meet early in her morning
        AvailabilityWindow.objects.create(
            user=camila, weekday=weekday, starts_at=dt.time(8), ends_at=dt.time(9, 30)
        )
    client.force_login(user("lucia.coach"))
    page = client.get(
        reverse("session_schedule", args=[puentes.pk]) + "?duration_minutes=90"
    ).content.decode()
    assert "not available" in page
    assert "for Camila Rojas" in page


def test_the_slots_follow_the_length_asked_for_through_htmx(client, puentes):
    User.objects.filter(username="lucia.coach").update(ui_language="en")  # slot logic, in English
    client.force_login(user("lucia.coach"))
    response = client.get(
        reverse("session_schedule", args=[puentes.pk]),
        {"duration_minutes": "240"},
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert "<html" not in page  # just the slots fragment
    assert "240-minute session" in page
    starts_ends = re.findall(r"(\d\d:\d\d)–(\d\d:\d\d)</button>", page)
    assert len(starts_ends) == 5
    for start, end in starts_ends:
        length = dt.datetime.strptime(end, "%H:%M") - dt.datetime.strptime(start, "%H:%M")
        assert length % dt.timedelta(days=1) == dt.timedelta(hours=4)


def test_the_coach_schedules_a_weekly_series_from_the_page(client, puentes):
    client.force_login(user("lucia.coach"))
    response = client.post(
        reverse("session_schedule", args=[puentes.pk]),
        {
            "title": "Círculo",
            "agenda": "Goals",
            "date": "2027-10-28",
            "time": "18:00",
            "duration_minutes": 90,
            "weeks": 3,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("circle", args=[puentes.pk])
    sessions = list(LiveSession.objects.order_by("starts_at"))
    assert [s.starts_at.astimezone(dt.UTC).strftime("%m-%d %H:%M") for s in sessions] == [
        "10-28 16:00",
        "11-04 17:00",
        "11-11 17:00",
    ]
    assert {s.duration_minutes for s in sessions} == {90}
    assert len({s.series for s in sessions}) == 1


@pytest.mark.parametrize(
    ("weeks", "said"),
    [
        (1, "Programada 1 sesión de «Círculo»; cada miembro la ve en su propia hora."),
        (3, "Programadas 3 sesiones de «Círculo»; cada miembro las ve en su propia hora."),
    ],
)
def test_the_schedule_confirmation_counts_in_words(client, puentes, weeks, said):
    """Lucía reads Spanish: one session is "1 sesión", never "1 session(s)"."""
    client.force_login(user("lucia.coach"))
    form = {"title": "Círculo", "agenda": "", "date": "2027-10-28", "time": "18:00", "duration_minutes": 60}
    response = client.post(
        reverse("session_schedule", args=[puentes.pk]), {**form, "weeks": weeks}, follow=True
    )
    assert said in response.content.decode()


@pytest.mark.parametrize(
    ("date", "time", "message"),
    [
        ("2020-01-01", "10:00", "A session must start in the future."),
        (
            "2027-03-28",
            "02:30",
            "%(time)s does not exist in %(zone)s that day (the clocks skip it); pick another time.",
        ),
    ],
)
def test_refusals_are_shown_on_the_form_in_the_coachs_language(client, puentes, date, time, message):
    client.force_login(user("lucia.coach"))  # Lucía reads the site in Spanish
    response = client.post(
        reverse("session_schedule", args=[puentes.pk]),
        {"title": "Círculo", "date": date, "time": time, "duration_minutes": 60, "weeks": 1},
    )
    assert response.status_code == 400
    with translation.override("es"):
        expected = gettext(message) % {"time": f"{date} {time}", "zone": "Madrid (España)"}
    errors = re.search(r'<div class="form-errors" role="alert">(.*?)</div>', response.content.decode(), re.S)
    assert errors is not None
    assert expected.replace("'", "&#x27;") in errors.group(1)
    assert 'value="Círculo"' in response.content.decode()  # what she typed is kept
    assert not LiveSession.objects.exists()


def test_a_dst_gap_in_a_later_week_of_the_series_is_refused(client, puentes):
    client.force_login(user("lucia.coach"))
    response = client.post(
        reverse("session_schedule", args=[puentes.pk]),
        {"title": "Night owls", "date": "2027-03-21", "time": "02:30", "duration_minutes": 60, "weeks": 2},
    )
    assert response.status_code == 400
    assert "2027-03-28 02:30" in response.content.decode()
    assert not LiveSession.objects.exists()


# Sessions lists, in each viewer's zone.


def session_times(page: str) -> list[str]:
    return re.findall(r'<time class="session-start" datetime="[^"]+">[^<]*?(\d\d:\d\d)</time>', page)


def test_a_dst_change_between_two_weekly_sessions_shows_the_right_local_times(client, series, puentes):
    client.force_login(user("camila"))  # Bogotá has no DST: the session moves on her clock
    home = client.get(reverse("home")).content.decode()
    assert session_times(home) == ["11:00", "12:00"]
    assert home.count("Bogotá (Colombia) · ") >= 2
    circle_page = client.get(reverse("circle", args=[puentes.pk])).content.decode()
    assert session_times(circle_page) == ["11:00", "12:00"]
    client.force_login(user("lucia.coach"))  # Madrid keeps its wall-clock time across the change
    assert session_times(client.get(reverse("circle", args=[puentes.pk])).content.decode()) == [
        "18:00",
        "18:00",
    ]
    client.force_login(user("valentina"))
    assert session_times(client.get(reverse("home")).content.decode()) == ["18:00", "18:00"]


def test_the_lists_link_to_the_room_and_the_ics(client, series, puentes):
    client.force_login(user("camila"))
    home = client.get(reverse("home")).content.decode()
    for session in series:
        assert f'href="/sessions/{session.pk}/"' in home
        assert f'href="{reverse("session_calendar", args=[session.pk])}"' in home
    assert "Puentes" in home


def test_only_the_coach_sees_the_schedule_link_and_the_logs(client, ended, puentes):
    client.force_login(user("camila"))
    page = client.get(reverse("circle", args=[puentes.pk])).content.decode()
    assert reverse("session_schedule", args=[puentes.pk]) not in page
    assert reverse("session_log", args=[ended.pk]) not in page
    client.force_login(user("lucia.coach"))
    page = client.get(reverse("circle", args=[puentes.pk])).content.decode()
    assert reverse("session_schedule", args=[puentes.pk]) in page
    assert reverse("session_log", args=[ended.pk]) in page
    assert session_times(page) == ["18:00"]  # the ended session is no longer upcoming


def test_other_circles_do_not_see_the_sessions(client, series):
    client.force_login(user("kofi"))
    assert "Círculo semanal" not in client.get(reverse("home")).content.decode()


# iCal.


def test_the_ics_download_parses_back_with_the_sessions_zone(client, series):
    client.force_login(user("camila"))
    response = client.get(reverse("session_calendar", args=[series[1].pk]))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="circles-session-{series[1].pk}.ics"'
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "Europe/Madrid"
    assert start.astimezone(dt.UTC) == dt.datetime(2027, 11, 4, 17, 0, tzinfo=dt.UTC)
    assert str(event["url"]) == f"http://testserver/sessions/{series[1].pk}/"


def test_the_private_feed_carries_the_persons_sessions_and_may_be_cached_privately(client, series):
    token = calendar_token(user=user("camila"))
    response = client.get(reverse("calendar_feed", args=[token]))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    calendar = Calendar.from_ical(response.content)
    starts = sorted(e.decoded("dtstart") for e in calendar.walk("VEVENT"))
    assert [str(s.tzinfo) for s in starts] == ["Europe/Madrid", "Europe/Madrid"]
    assert [s.strftime("%H:%M") for s in starts] == ["18:00", "18:00"]
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Madrid"]
    kofi_feed = client.get(reverse("calendar_feed", args=[calendar_token(user=user("kofi"))]))
    assert Calendar.from_ical(kofi_feed.content).walk("VEVENT") == []


def test_the_feed_of_someone_who_left_the_circle_no_longer_lists_its_sessions(client, series):
    from circles.models import Membership

    token = calendar_token(user=user("camila"))
    Membership.objects.filter(user__username="camila").update(left_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert Calendar.from_ical(client.get(reverse("calendar_feed", args=[token])).content).walk("VEVENT") == []


def test_the_profile_shows_the_absolute_feed_url_and_a_new_link_revokes_the_old(client, series):
    camila = user("camila")
    client.force_login(camila)
    assert "calendar-feed-url" not in client.get(reverse("profile")).content.decode()
    client.post(reverse("calendar_renew"))
    camila.refresh_from_db()
    first = camila.calendar_token
    feed = f"http://testserver/calendar/{first}/feed.ics"
    assert f'value="{feed}"' in client.get(reverse("profile")).content.decode()
    assert client.get(feed).status_code == 200
    response = client.post(reverse("calendar_renew"))
    assert response["Location"] == reverse("profile")
    camila.refresh_from_db()
    assert camila.calendar_token != first
    assert client.get(feed).status_code == 404
    assert client.get(f"/calendar/{camila.calendar_token}/feed.ics").status_code == 200


# The session log.


def test_the_log_page_lists_every_member_even_without_attendance_rows(client, ended):
    Attendance.objects.create(
        session=ended, user=user("camila"), seconds_present=3000, hands_raised=2, present=True
    )
    client.force_login(user("lucia.coach"))
    page = client.get(reverse("session_log", args=[ended.pk])).content.decode()
    for username in ["camila", "mateo", "valentina", "santiago", "isabela", "andres"]:
        assert f'data-person="{username}"' in page
    camila_row = re.search(r'<tr data-person="camila">(.*?)</tr>', page, re.S)
    assert camila_row is not None
    assert "50 min" in camila_row.group(1)
    assert ">2<" in camila_row.group(1)


def test_the_coach_writes_hostile_notes_that_stay_harmless_on_the_page(client, ended):
    client.force_login(user("lucia.coach"))
    notes = (
        '**Great** session <script>alert("x")</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>'
    )
    response = client.post(reverse("session_log_notes", args=[ended.pk]), {"notes": notes})
    assert response.status_code == 302
    page = client.get(reverse("session_log", args=[ended.pk])).content.decode()
    shown = re.search(r'<div class="log-notes" id="log-notes-html">(.*?)</div>', page, re.S)
    assert shown is not None
    assert "<strong>Great</strong>" in shown.group(1)
    assert "<script" not in shown.group(1)
    assert "<img" not in shown.group(1)
    assert 'href="javascript' not in shown.group(1)


def test_the_coach_corrects_attendance_and_adds_several_commitments_from_the_page(client, ended):
    client.force_login(user("lucia.coach"))
    mateo, camila = user("mateo"), user("camila")
    response = client.post(
        reverse("session_log_attendance", args=[ended.pk, mateo.pk]),
        {"present": "1", "note": "joined by phone"},
    )
    assert response.status_code == 302
    row = Attendance.objects.get(session=ended, user=mateo)
    assert row.present
    assert row.corrected_by == user("lucia.coach")
    form = {"c-TOTAL_FORMS": 3, "c-INITIAL_FORMS": 0}
    rows = [(camila, "Ask for feedback", "2027-11-03"), (camila, "Three wins", "2027-11-03"), (None, "", "")]
    for i, (member, text, due) in enumerate(rows):
        form |= {f"c-{i}-member": member.pk if member else "", f"c-{i}-text": text, f"c-{i}-due_on": due}
    assert client.post(reverse("session_log_commitments", args=[ended.pk]), form).status_code == 302
    assert sorted(Commitment.objects.values_list("member__username", "text")) == [
        ("camila", "Ask for feedback"),
        ("camila", "Three wins"),
    ]
    page = client.get(reverse("session_log", args=[ended.pk])).content.decode()
    assert "joined by phone" in page
    assert "Three wins" in page
    assert "2 compromisos registrados." in page  # Lucía reads Spanish; a count in words, not "(s)"


def test_a_commitment_without_a_date_or_with_a_past_date_is_sent_back(client, ended):
    client.force_login(user("lucia.coach"))
    camila = user("camila")
    base = {"c-TOTAL_FORMS": 1, "c-INITIAL_FORMS": 0, "c-0-member": camila.pk, "c-0-text": "Ask for feedback"}
    response = client.post(reverse("session_log_commitments", args=[ended.pk]), base)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    response = client.post(
        reverse("session_log_commitments", args=[ended.pk]), base | {"c-0-due_on": "2027-10-01"}
    )
    assert response.status_code == 400
    with translation.override("es"):
        assert gettext("A commitment is due after the session, not before it.") in response.content.decode()
    assert not Commitment.objects.exists()


def test_a_row_with_a_member_but_no_commitment_is_sent_back_with_everything_typed(client, ended):
    client.force_login(user("lucia.coach"))
    page = client.get(reverse("session_log", args=[ended.pk])).content.decode()
    initial = int(re.search(r'name="c-INITIAL_FORMS" value="(\d+)"', page).group(1))
    members = list(logs.circle_members(session=ended))
    form = {"c-TOTAL_FORMS": initial, "c-INITIAL_FORMS": initial}
    for i in range(initial):  # the rows as the page offers them: a member preset on each of the first ones
        member = members[i].pk if i < len(members) else ""
        form |= {f"c-{i}-member": member, f"c-{i}-text": "", f"c-{i}-due_on": ""}
    form |= {"c-0-text": "Ask for feedback", "c-0-due_on": "2027-11-03"}
    extra = len(members)  # the first blank row: the coach picks Mateo and forgets the text
    form |= {f"c-{extra}-member": user("mateo").pk, f"c-{extra}-due_on": "2027-11-10"}
    response = client.post(reverse("session_log_commitments", args=[ended.pk]), form)
    assert response.status_code == 400
    page = response.content.decode()
    rows = re.findall(r"<tr>\s*<td>.*?</tr>", page, re.S)
    refused = rows[extra]
    with translation.override("es"):  # Lucía reads Spanish
        assert gettext("Write the commitment, or clear this row.") in refused
    assert f'<option value="{user("mateo").pk}" selected>' in refused
    assert 'value="2027-11-10"' in refused
    assert 'value="Ask for feedback"' in rows[0]
    assert page.count('class="error"') == 1  # the rows left as offered are not errors
    assert not Commitment.objects.exists()


def test_the_log_of_a_session_still_ahead_shows_no_forms(client, series):
    client.force_login(user("lucia.coach"))
    page = client.get(reverse("session_log", args=[series[1].pk])).content.decode()
    assert reverse("session_log_notes", args=[series[1].pk]) not in page
    response = client.post(reverse("session_log_notes", args=[series[1].pk]), {"notes": "early"})
    assert response.status_code == 400
    assert not SessionLog.objects.exists()


# Commitments for members, overdue ones surfacing.


@pytest.fixture
def overdue(ended) -> Commitment:
    """Camila's commitment from a session that ended last week, due yesterday."""
    LiveSession.objects.filter(pk=ended.pk).update(starts_at=dt.datetime(2026, 1, 1, 17, tzinfo=dt.UTC))
    ended.refresh_from_db()
    (commitment,) = logs.add_commitments(
        coach=user("lucia.coach"),
        session=ended,
        drafts=[
            logs.CommitmentDraft(member=user("camila"), text="Ask for feedback", due_on=dt.date(2026, 1, 8))
        ],
    )
    return commitment


def test_overdue_commitments_are_highlighted_for_the_member_and_her_coach(client, overdue):
    client.force_login(user("camila"))
    for url in [reverse("home"), reverse("commitments")]:
        page = client.get(url).content.decode()
        assert re.search(rf'class="commitment is-overdue[^"]*" data-commitment-id="{overdue.pk}"', page), url
    client.force_login(user("lucia.coach"))
    home = client.get(reverse("home")).content.decode()
    assert 'id="coached-overdue"' in home
    assert "Camila Rojas" in home
    page = client.get(reverse("commitments")).content.decode()
    assert re.search(r'id="coached-commitments".*?class="commitment is-overdue"', page, re.S)
    client.force_login(user("amani.coach"))
    assert "Ask for feedback" not in client.get(reverse("home")).content.decode()


def test_the_member_marks_a_commitment_done_with_a_note(client, overdue):
    client.force_login(user("camila"))
    response = client.post(
        reverse("commitment_close", args=[overdue.pk]), {"status": "done", "note": "Asked Ana"}
    )
    assert response["Location"] == reverse("commitments")
    overdue.refresh_from_db()
    assert (overdue.status, overdue.close_note) == ("done", "Asked Ana")
    page = client.get(reverse("commitments")).content.decode()
    assert f'data-commitment-id="{overdue.pk}" data-status="done"' in page
    assert "Asked Ana" in page
    assert "Ask for feedback" not in client.get(reverse("home")).content.decode()


def test_the_open_commitments_include_shows_the_last_sessions_open_ones(series, overdue):
    next_session = series[1]
    with translation.override("en"):
        html = render_to_string(
            "live/_open_commitments.html",
            {"commitments": logs.open_commitments_from_last_session(next_session)},
        )
    assert "Open commitments from the last session" in html
    assert "Camila Rojas" in html
    assert "Ask for feedback" in html
    assert "is-overdue" in html


# The newest notifications on the home page.


def test_the_home_page_shows_the_newest_unread_notifications_and_opening_one_reads_it(client, series):
    camila = user("camila")
    Notification.objects.all().delete()  # seating the demo told everyone already
    send_due_reminders(now=series[0].starts_at - dt.timedelta(hours=23))
    client.force_login(camila)
    home = client.get(reverse("home")).content.decode()
    told = Notification.objects.get(recipient=camila, kind=Kind.SESSION_TOMORROW)
    assert "Círculo semanal" in home
    assert f'data-notification-id="{told.pk}"' in home
    assert reverse("notifications") in home
    assert not Notification.objects.filter(recipient=user("mateo"), pk=told.pk).exists()
    response = client.post(reverse("notification_open", args=[told.pk]))
    assert response["Location"] == f"/sessions/{series[0].pk}/"
    assert 'id="home-notifications"' not in client.get(reverse("home")).content.decode()


def test_a_notification_of_a_moment_ago_says_just_now_not_0_minutes(client, demo):
    Notification.objects.all().delete()
    notify(
        recipient=user("kofi"),
        kind=Kind.KUDOS,
        actor=user("grace"),
        url="/progress/",
        dedupe_key="kudos:now",
        params={"circle": "Harambee"},
    )
    client.force_login(user("kofi"))
    page = client.get(reverse("home")).content.decode()
    section = page.split('id="home-notifications"', 1)[1]
    assert "· just now" in section
    assert "0\xa0minutes" not in section


def test_someone_elses_notification_is_not_on_my_home_page(client, demo):
    Notification.objects.all().delete()
    notify(
        recipient=user("mateo"),
        kind=Kind.KUDOS,
        actor=user("camila"),
        url="/progress/",
        dedupe_key="kudos:x",
        params={"circle": "Puentes"},
    )
    client.force_login(user("camila"))
    assert 'id="home-notifications"' not in client.get(reverse("home")).content.decode()


def test_the_home_page_sections_cost_the_same_queries_however_much_they_show(
    client, demo, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    camila = user("camila")
    client.force_login(camila)
    with CaptureQueriesContext(connection) as empty:
        client.get(reverse("home"))
    sessions = schedule_session(
        coach=user("lucia.coach"),
        circle=Circle.objects.get(name="Puentes"),
        title="Círculo",
        local_start=dt.datetime(2027, 1, 14, 18, 0),
        weeks=4,
    )
    LiveSession.objects.filter(pk=sessions[0].pk).update(status=LiveSession.Status.ENDED)
    sessions[0].refresh_from_db()
    logs.add_commitments(
        coach=user("lucia.coach"),
        session=sessions[0],
        drafts=[
            logs.CommitmentDraft(member=camila, text=f"Step {i}", due_on=dt.date(2027, 2, 1))
            for i in range(4)
        ],
    )
    for i in range(4):
        notify(
            recipient=camila,
            kind=Kind.ANNOUNCEMENT,
            url="/",
            dedupe_key=f"test:{i}",
            params={"programme": "Puentes", "title": f"News {i}"},
        )
    with django_assert_num_queries(len(empty.captured_queries)):
        page = client.get(reverse("home")).content.decode()
    assert page.count('class="card session-item"') == 3
    assert page.count("Step ") == 4
    assert page.count("News ") == 4


# Text the database, email headers and iCalendar cannot carry (coaching.lib.text).


@pytest.mark.parametrize(
    ("title", "agenda", "message"),
    [
        # Lucía reads the site in Spanish.
        ("Two\nlines", "", "Este texto debe ocupar una sola línea."),
        ("Bell\x07", "", "Este texto no puede contener caracteres de control."),
        ("Fine", "Escape \x1b[31m", "Este texto no puede contener caracteres de control."),
    ],
)
def test_a_title_or_agenda_the_calendar_cannot_carry_is_refused_by_the_form(
    client, puentes, title, agenda, message
):
    response = as_(client, "lucia.coach").post(
        reverse("session_schedule", args=[puentes.pk]),
        {
            "title": title,
            "agenda": agenda,
            "date": "2027-01-14",
            "time": "19:30",
            "duration_minutes": 60,
            "weeks": 1,
        },
    )
    assert response.status_code == 400  # the form again, with the error
    assert message in response.content.decode()
    assert not LiveSession.objects.exists()


def test_an_agenda_keeps_its_line_breaks(client, puentes):
    as_(client, "lucia.coach").post(
        reverse("session_schedule", args=[puentes.pk]),
        {
            "title": "Fine",
            "agenda": "one\r\ntwo\tthree",
            "date": "2027-01-14",
            "time": "19:30",
            "duration_minutes": 60,
            "weeks": 1,
        },
    )
    assert LiveSession.objects.get().agenda == "one\ntwo\tthree"


def test_a_stored_title_with_a_newline_still_makes_an_escaped_ics(client, series):
    # Older rows, written before the form refused it: the renderer escapes through icalendar's own types.
    LiveSession.objects.filter(pk=series[0].pk).update(title="Two\nlines; a, b", agenda="line\r\nbreak")
    response = as_(client, "camila").get(reverse("session_calendar", args=[series[0].pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "X-WR-CALNAME:Two\\nlines\\; a\\, b" in body
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["summary"]) == "Two\nlines; a, b · Puentes"
    assert str(event["description"]) == "line\nbreak"
