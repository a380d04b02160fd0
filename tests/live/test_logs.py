"""Session logs: sanitised notes, attendance corrections, commitments and who may do each."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from circles.models import Circle
from coaching.accounts.models import User
from coaching.live import logs
from coaching.live.errors import SessionRuleError
from coaching.live.models import Attendance, Commitment, LiveSession
from coaching.live.scheduling import schedule_session

pytestmark = pytest.mark.django_db

HOSTILE_NOTES = """**Good session.** @camila leads next time.

<script>alert("notes")</script>
<img src=x onerror=alert(1)>
[click me](javascript:alert(1))
<a href="https://evil.example" onclick="alert(1)">x</a>
"""


class Tags(HTMLParser):
    """Every start tag with its attributes, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append((tag, attrs))


def user(username: str) -> User:
    return User.objects.get(username=username)


@pytest.fixture
def series(demo) -> list[LiveSession]:
    """Two weekly Puentes sessions of Lucía's; the first one has ended."""
    sessions = schedule_session(
        coach=user("lucia.coach"),
        circle=Circle.objects.get(name="Puentes"),
        title="Círculo semanal",
        local_start=dt.datetime(2027, 10, 28, 18, 0),
        duration_minutes=60,
        weeks=2,
    )
    end(sessions[0])
    return sessions


def end(session: LiveSession) -> None:
    """What the room does when the coach ends the session."""
    session.status = LiveSession.Status.ENDED
    session.started_at = session.starts_at
    session.ended_at = session.starts_at + dt.timedelta(minutes=session.duration_minutes)
    session.save(update_fields=["status", "started_at", "ended_at"])


def draft(username: str, text: str, due_on: dt.date) -> logs.CommitmentDraft:
    return logs.CommitmentDraft(member=user(username), text=text, due_on=due_on)


def test_it_stores_notes_rendered_and_sanitised_like_chat(series):
    log = logs.write_log(coach=user("lucia.coach"), session=series[0], notes=HOSTILE_NOTES)
    assert log.notes == HOSTILE_NOTES.strip()
    assert "<strong>Good session.</strong>" in log.notes_html
    assert '<span class="mention" data-user="camila">@camila</span>' in log.notes_html
    tags = Tags()
    tags.feed(log.notes_html)
    assert {tag for tag, _ in tags.seen} <= {"p", "br", "strong", "span", "a"}
    assert all(not name.startswith("on") for _, attrs in tags.seen for name, _ in attrs)
    assert all(
        value.startswith("https://")
        for tag, attrs in tags.seen
        if tag == "a"
        for n, value in attrs
        if n == "href"
    )
    assert "&lt;script&gt;" in log.notes_html  # shown as text, never run
    rewritten = logs.write_log(coach=user("lucia.coach"), session=series[0], notes="Only *this* now")
    assert rewritten.pk == log.pk
    assert rewritten.notes_html == "<p>Only <em>this</em> now</p>"


def test_only_the_circles_coach_writes_the_log(series):
    for username in ["camila", "amani.coach", "ana.admin"]:
        with pytest.raises(SessionRuleError, match="Only the circle's coach") as refused:
            logs.write_log(coach=user(username), session=series[0], notes="x")
        assert refused.value.code == "forbidden"


def test_the_log_opens_when_the_session_starts(series):
    with pytest.raises(SessionRuleError) as refused:
        logs.write_log(coach=user("lucia.coach"), session=series[1], notes="too early")
    assert refused.value.code == "not_started"
    series[1].status = LiveSession.Status.LIVE
    series[1].save(update_fields=["status"])
    assert (
        logs.write_log(coach=user("lucia.coach"), session=series[1], notes="live notes").notes == "live notes"
    )


def test_the_coach_corrects_recorded_attendance_and_the_row_remembers_it(series):
    session, lucia, camila = series[0], user("lucia.coach"), user("camila")
    Attendance.objects.create(session=session, user=camila, seconds_present=120, present=True)
    logs.correct_attendance(
        coach=lucia, session=session, person=camila, present=False, note="  only 2 minutes "
    )
    row = Attendance.objects.get(session=session, user=camila)
    assert (row.present, row.corrected_by, row.note, row.seconds_present) == (
        False,
        lucia,
        "only 2 minutes",
        120,
    )


def test_a_member_without_an_attendance_row_can_be_marked_present(series):
    session, lucia, mateo = series[0], user("lucia.coach"), user("mateo")
    logs.correct_attendance(coach=lucia, session=session, person=mateo, present=True, note="joined by phone")
    row = Attendance.objects.get(session=session, user=mateo)
    assert row.present
    assert row.corrected_by == lucia
    assert row.note == "joined by phone"
    sheet = {line.person.username: line for line in logs.attendance_sheet(session=session)}
    assert set(sheet) == {"camila", "mateo", "valentina", "santiago", "isabela", "andres"}
    assert sheet["mateo"].present
    assert not sheet["camila"].present
    assert sheet["camila"].attendance is None


def test_attendance_is_corrected_only_by_the_coach_and_only_for_the_circle(series):
    session = series[0]
    with pytest.raises(SessionRuleError) as refused:
        logs.correct_attendance(coach=user("camila"), session=session, person=user("camila"), present=True)
    assert refused.value.code == "forbidden"
    with pytest.raises(SessionRuleError) as refused:
        logs.correct_attendance(coach=user("lucia.coach"), session=session, person=user("kofi"), present=True)
    assert refused.value.code == "not_a_member"
    assert not Attendance.objects.exists()


def test_the_coach_records_several_commitments_per_member(series):
    session = series[0]
    added = logs.add_commitments(
        coach=user("lucia.coach"),
        session=session,
        drafts=[
            draft("camila", "  Ask for the promotion talk ", dt.date(2027, 11, 3)),
            draft("camila", "Write down three wins", dt.date(2027, 11, 3)),
            draft("mateo", "Delegate the weekly report", dt.date(2027, 11, 10)),
        ],
    )
    assert [(c.member.username, c.text) for c in added] == [
        ("camila", "Ask for the promotion talk"),
        ("camila", "Write down three wins"),
        ("mateo", "Delegate the weekly report"),
    ]
    stored = Commitment.objects.get(text="Delegate the weekly report")
    assert (stored.circle.name, stored.session, stored.status, stored.created_by.username) == (
        "Puentes",
        session,
        "open",
        "lucia.coach",
    )


@pytest.mark.parametrize(
    ("coach", "drafted", "code"),
    [
        ("camila", ("camila", "I will do it", dt.date(2027, 11, 3)), "forbidden"),
        ("amani.coach", ("camila", "I will do it", dt.date(2027, 11, 3)), "forbidden"),
        ("lucia.coach", ("kofi", "Not my circle", dt.date(2027, 11, 3)), "not_a_member"),
        ("lucia.coach", ("lucia.coach", "The coach herself", dt.date(2027, 11, 3)), "not_a_member"),
        ("lucia.coach", ("camila", "   ", dt.date(2027, 11, 3)), "bad_text"),
        ("lucia.coach", ("camila", "x" * 501, dt.date(2027, 11, 3)), "bad_text"),
        ("lucia.coach", ("camila", "Backdated", dt.date(2027, 10, 27)), "due_before_session"),
    ],
)
def test_bad_commitments_are_refused_and_none_is_stored(series, coach, drafted, code):
    with pytest.raises(SessionRuleError) as refused:
        logs.add_commitments(coach=user(coach), session=series[0], drafts=[draft(*drafted)])
    assert refused.value.code == code
    assert not Commitment.objects.exists()


@pytest.fixture
def camilas(series) -> Commitment:
    (commitment,) = logs.add_commitments(
        coach=user("lucia.coach"),
        session=series[0],
        drafts=[draft("camila", "Ask for feedback", dt.date(2027, 11, 3))],
    )
    return commitment


def test_the_member_closes_her_own_commitment_with_a_note(camilas):
    closed = logs.close_commitment(
        member=user("camila"), commitment=camilas, status="done", note="Done on Monday"
    )
    camilas.refresh_from_db()
    assert (camilas.status, camilas.close_note) == ("done", "Done on Monday")
    assert camilas.closed_at is not None
    assert closed.closed_at == camilas.closed_at
    with pytest.raises(SessionRuleError) as refused:
        logs.close_commitment(member=user("camila"), commitment=camilas, status="dropped", note="Changed")
    assert refused.value.code == "already_closed"


@pytest.mark.parametrize("note", ["", "   "])
def test_it_refuses_to_close_a_commitment_without_a_note_on_how_it_went(camilas, note):
    with pytest.raises(SessionRuleError, match=r"Add a short note on how it went\.") as refused:
        logs.close_commitment(member=user("camila"), commitment=camilas, status="done", note=note)
    assert refused.value.code == "note_required"
    camilas.refresh_from_db()
    assert (camilas.status, camilas.closed_at) == ("open", None)


@pytest.mark.parametrize(
    ("username", "status", "code"),
    [
        ("mateo", "done", "forbidden"),
        ("lucia.coach", "done", "forbidden"),
        ("camila", "open", "bad_status"),
        ("camila", "finished", "bad_status"),
    ],
)
def test_only_the_member_closes_a_commitment_and_only_as_done_or_dropped(camilas, username, status, code):
    with pytest.raises(SessionRuleError) as refused:
        logs.close_commitment(member=user(username), commitment=camilas, status=status, note="Went well")
    assert refused.value.code == code
    camilas.refresh_from_db()
    assert camilas.status == "open"


def test_overdue_commitments_surface_to_the_member_and_the_coach(camilas):
    after_due = dt.date(2027, 11, 4)
    (mine,) = logs.open_commitments(member=user("camila"), today=after_due)
    assert mine.overdue
    (still_in_time,) = logs.open_commitments(member=user("camila"), today=dt.date(2027, 11, 3))
    assert not still_in_time.overdue
    (coached,) = logs.coached_open_commitments(coach=user("lucia.coach"), today=after_due)
    assert coached.overdue
    assert coached.member.username == "camila"
    assert logs.coached_open_commitments(coach=user("amani.coach"), today=after_due) == []
    logs.close_commitment(member=user("camila"), commitment=camilas, status="dropped", note="No time")
    assert logs.open_commitments(member=user("camila"), today=after_due) == []
    (closed,) = logs.commitments_of(member=user("camila"), today=after_due)
    assert closed.status == "dropped"
    assert not closed.overdue


def test_the_next_session_shows_what_is_still_open_from_the_last_one(series, camilas):
    lucia = user("lucia.coach")
    (mateos,) = logs.add_commitments(
        coach=lucia, session=series[0], drafts=[draft("mateo", "Call the mentor", dt.date(2027, 11, 1))]
    )
    logs.close_commitment(member=user("mateo"), commitment=mateos, status="done", note="He said yes")
    shown = logs.open_commitments_from_last_session(series[1], today=dt.date(2027, 11, 4))
    assert [(c.member.username, c.text, c.overdue) for c in shown] == [("camila", "Ask for feedback", True)]
    assert logs.open_commitments_from_last_session(series[0]) == []  # nothing ended before the first one


def test_the_last_session_is_the_latest_that_ended_before_this_one(series, camilas):
    (third,) = schedule_session(
        coach=user("lucia.coach"),
        circle=series[0].circle,
        title="Third",
        local_start=dt.datetime(2027, 11, 11, 18, 0),
    )
    # The second session never ended (nobody came): the third still reviews the first one's commitments.
    assert [c.text for c in logs.open_commitments_from_last_session(third)] == ["Ask for feedback"]
    end(series[1])
    logs.add_commitments(
        coach=user("lucia.coach"),
        session=series[1],
        drafts=[draft("valentina", "Book the venue", dt.date(2027, 11, 9))],
    )
    assert [c.text for c in logs.open_commitments_from_last_session(third)] == ["Book the venue"]


def test_the_log_is_open_for_a_session_whose_start_has_passed(series):
    second = series[1]
    assert not logs.log_is_open(second, now=second.starts_at - dt.timedelta(minutes=1))
    assert logs.log_is_open(second, now=second.starts_at)
    assert logs.log_is_open(series[0], now=timezone.now())


def test_the_coach_is_not_marked_not_a_member_in_her_own_session_log(series, client):
    """The room writes the coach's attendance too; only a seat that ended earns the badge."""
    from circles import services as circle_services

    session, lucia = series[0], user("lucia.coach")
    for username in ["lucia.coach", "camila", "mateo"]:
        Attendance.objects.create(session=session, user=user(username), seconds_present=600, present=True)
    circle_services.remove_member(
        actor=user("ana.admin"), circle=session.circle, member=user("mateo"), reason="x"
    )
    sheet = {line.person.username: line.is_member for line in logs.attendance_sheet(session=session)}
    assert (sheet["lucia.coach"], sheet["camila"], sheet["mateo"]) == (True, True, False)

    client.force_login(lucia)
    body = client.get(f"/sessions/{session.pk}/log/").content.decode()
    rows = {
        username: body.split(f'data-person="{username}"', 1)[1].split("</th>", 1)[0]
        for username in ["lucia.coach", "camila", "mateo"]
    }
    assert "Lucía Fernández" in rows["lucia.coach"]
    assert "ya no es miembro" not in rows["lucia.coach"]  # Lucía reads the site in Spanish
    assert "ya no es miembro" not in rows["camila"]
    assert "ya no es miembro" in rows["mateo"]
