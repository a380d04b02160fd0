"""CSV exports of attendance and progress: streamed, safe for spreadsheets, numbers and names only; and no
chat text on any page or export an admin can open."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from chat.models import Message
from circles.models import Membership
from coaching.progress import concerns, exports, services
from coaching.progress.models import CheckIn, Concern, Kudos
from tests.progress.conftest import attended, ended_session, user

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def rows_of(response: Any) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = response.getvalue().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def get(client: Any, username: str, name: str, *args: int) -> Any:
    client.force_login(user(username))
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response


@pytest.fixture
def session(harambee):
    Membership.objects.update(joined_at=dt.datetime(2026, 1, 1, tzinfo=UTC))
    first = ended_session(harambee, dt.datetime(2026, 3, 5, 13, tzinfo=UTC))
    attended(first, "kofi", minutes=90)
    attended(first, "grace", minutes=45)
    return first


def test_the_attendance_export_lists_every_expected_member_present_or_not(client, harambee, session):
    response = get(client, "amani.coach", "progress_circle_attendance_csv", harambee.pk)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="attendance-circle-{harambee.pk}.csv"'
    header, *rows = rows_of(response)
    assert header[:3] == ["circle", "session", "title"]
    assert [(r[5], r[7], r[8], r[9]) for r in rows] == [
        ("daniel", "0", "0", "0"),
        ("fatima", "0", "0", "0"),
        ("grace", "1", "45", "50"),
        ("james", "0", "0", "0"),
        ("kofi", "1", "90", "100"),
    ]
    assert {r[3] for r in rows} == {"2026-03-05T13:00:00+00:00"}


def test_the_progress_export_has_goal_titles_for_the_coach_only(client, harambee, programme):
    goal = services.set_goal(member=user("kofi"), title="Lead the launch", measure="Items")
    services.check_in(
        member=user("kofi"),
        goal=goal,
        score=7,
        note="a private note",
        now=dt.datetime(2026, 3, 4, 12, tzinfo=UTC),
    )
    coach = rows_of(get(client, "amani.coach", "progress_circle_progress_csv", harambee.pk))
    admin = rows_of(get(client, "ana.admin", "progress_programme_progress_csv", programme.pk))
    assert coach == [  # the goal by its title, not a database id the coach cannot read
        ["circle", "username", "name", "goal", "week", "score"],
        ["Harambee", "kofi", "Kofi Mensah", "Lead the launch", "2026-W10", "7"],
    ]
    assert admin == [
        ["circle", "username", "name", "goal number", "week", "score"],
        ["Harambee", "kofi", "Kofi Mensah", str(goal.pk), "2026-W10", "7"],
    ]
    assert "a private note" not in str(coach + admin)


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_defused(client, harambee, session):
    user("kofi").__class__.objects.filter(username="kofi").update(display_name='=HYPERLINK("http://x")')
    _header, *rows = rows_of(get(client, "amani.coach", "progress_circle_attendance_csv", harambee.pk))
    assert '\'=HYPERLINK("http://x")' in [r[6] for r in rows]
    assert exports.cell("-5") == "'-5"
    assert exports.cell("Kofi") == "Kofi"
    assert exports.cell(None) == ""


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_csv_is_sent_in_pieces_as_it_is_read(async_client, monkeypatch):
    from asgiref.sync import sync_to_async

    from coaching.demo import seed_demo
    from coaching.progress.demo import seed_progress

    programme = await sync_to_async(seed_demo)()
    await sync_to_async(seed_progress)(programme)
    admin = await sync_to_async(user)("ana.admin")
    monkeypatch.setattr(exports, "LINES_PER_WRITE", 20)
    await async_client.aforce_login(admin)
    response = await async_client.get(reverse("progress_programme_attendance_csv", args=[programme.pk]))
    assert response.status_code == 200
    assert response.is_async
    pieces = [piece async for piece in response.streaming_content]
    assert len(pieces) > 3
    rows = list(csv.reader(io.StringIO(b"".join(pieces).decode("utf-8-sig"))))
    assert len(rows) - 1 == await sync_to_async(expected_seats)(programme)


def expected_seats(programme: Any) -> int:
    from coaching.live.models import LiveSession

    total = 0
    for session in LiveSession.objects.filter(circle__programme=programme, status="ended"):
        total += Membership.objects.filter(
            circle=session.circle, role="member", joined_at__lte=session.starts_at, left_at__isnull=True
        ).count()
    return total


def test_no_chat_text_and_no_private_words_on_any_admin_page_or_export(
    client, demo_progress, programme, harambee
):
    # Escalate the open concern to Lucía, so every kind of admin-visible concern is on the pages.
    concerns.escalate_overdue_concerns(now=dt.datetime.now(UTC) + dt.timedelta(days=30))
    private = (
        list(Message.objects.values_list("body", flat=True))
        + [note for note in CheckIn.objects.values_list("note", flat=True) if note]
        + list(Kudos.objects.values_list("contribution", flat=True))
    )
    assert len(private) > 40
    client.force_login(user("ana.admin"))
    urls = [
        reverse("progress_programme", args=[programme.pk]),
        reverse("progress_programme_attendance_csv", args=[programme.pk]),
        reverse("progress_programme_progress_csv", args=[programme.pk]),
        reverse("programme_dashboard", args=[programme.pk]),
    ] + [reverse("progress_concern", args=[c.pk]) for c in concerns.visible_to_admin(user=user("ana.admin"))]
    assert len(urls) >= 6  # the concern raised to the admins and the escalated one
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        content = (b"".join(response.streaming_content) if response.streaming else response.content).decode()
        leaked = [text for text in private if text.strip() and text.strip() in content]
        assert leaked == [], f"{url} shows {leaked}"
    # The concern Kofi raised to his coach, answered in time, stays between them.
    clash = Concern.objects.get(subject__startswith="Session time clashes")
    assert client.get(reverse("progress_concern", args=[clash.pk])).status_code == 404
