"""The progress pages through the browser's eyes (server side): forms that work, charts with their tables."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse

from coaching.live.models import Commitment
from coaching.progress import metrics
from coaching.progress.models import CheckIn, Concern, Goal, Kudos
from tests.progress.conftest import user

pytestmark = pytest.mark.django_db


def as_(client: Any, username: str) -> Any:
    client.force_login(user(username))
    return client


def chart(page: str, key: str) -> str:
    """One chart's figure (its SVG and its table) from a page."""
    match = re.search(rf'<figure class="chart" id="chart-{key}".*?</figure>', page, re.S)
    assert match, f"no chart {key}"
    return match.group(0)


def table_rows(figure: str) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", figure, re.S)
    assert body
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def test_a_member_sets_a_goal_checks_in_and_changes_this_weeks_score(client, demo):
    as_(client, "kofi")
    response = client.post(
        reverse("progress_goal_new"),
        {"title": "Lead the launch", "why": "My chance", "measure": "Checklist items", "target_date": ""},
    )
    assert response.status_code == 302
    goal = Goal.objects.get(member=user("kofi"))
    client.post(reverse("progress_check_in", args=[goal.pk]), {"score": 6, "note": "good week"})
    client.post(reverse("progress_check_in", args=[goal.pk]), {"score": 7, "note": "even better"})
    assert list(CheckIn.objects.values_list("score", "note")) == [(7, "even better")]
    page = client.get(reverse("progress_mine")).content.decode()
    assert "Checked in on “Lead the launch”." in page
    assert "<strong>7/10</strong> · even better" in page
    assert 'id="streak-current">1<' in page
    scores = table_rows(chart(page, "goal-scores"))
    assert scores[-1][1] == "7"  # this week, in the table behind the chart
    assert '<desc class="value">7</desc>' in chart(page, "goal-scores")  # and drawn


def test_a_bad_score_is_refused_with_a_message(client, demo):
    as_(client, "kofi")
    client.post(reverse("progress_goal_new"), {"title": "Launch", "measure": "Items"})
    goal = Goal.objects.get()
    response = client.post(reverse("progress_check_in", args=[goal.pk]), {"score": 11}, follow=True)
    assert "less than or equal to 10" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_a_member_commits_and_closes_with_a_note(client, harambee):
    as_(client, "kofi")
    due = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    client.post(
        reverse("progress_commitment_new"), {"circle": harambee.pk, "text": "Practise", "due_on": due}
    )
    commitment = Commitment.objects.get()
    assert commitment.created_by == user("kofi")
    response = client.post(
        reverse("progress_commitment_close", args=[commitment.pk]), {"status": "done", "note": ""}
    )
    assert "Add a short note on how it went." in response.content.decode()
    client.post(
        reverse("progress_commitment_close", args=[commitment.pk]), {"status": "done", "note": "Twice"}
    )
    commitment.refresh_from_db()
    assert (commitment.status, commitment.close_note) == ("done", "Twice")


def test_a_member_thanks_a_peer_and_the_peer_sees_it(client, harambee):
    as_(client, "grace")
    page = client.get(reverse("progress_mine")).content.decode()
    assert f'value="{harambee.pk}:{user("kofi").pk}"' in page
    assert "Lucía" not in page  # only peers of her own circle to thank
    client.post(
        reverse("progress_kudos_new"),
        {"receiver": f"{harambee.pk}:{user('kofi').pk}", "contribution": "Walked me through the checklist"},
    )
    assert Kudos.objects.get().receiver == user("kofi")
    page = as_(client, "kofi").get(reverse("progress_mine")).content.decode()
    assert "“Walked me through the checklist”" in page
    assert 'id="kudos-count">1<' in page


def test_a_concern_is_raised_answered_and_resolved_through_the_pages(client, harambee):
    as_(client, "kofi")
    page = client.get(reverse("progress_concern_new")).content.decode()
    assert "within 48 hours" in page
    response = client.post(
        reverse("progress_concern_new"),
        {"circle": harambee.pk, "to": "coach", "subject": "Clash", "text": "My shift moved."},
    )
    concern = Concern.objects.get()
    assert response["Location"] == reverse("progress_concern", args=[concern.pk])
    as_(client, "amani.coach").post(
        reverse("progress_concern_answer", args=[concern.pk]), {"text": "Let us talk."}
    )
    page = as_(client, "kofi").get(reverse("progress_concern", args=[concern.pk])).content.decode()
    assert "Let us talk." in page
    assert 'data-kind="answered"' in page
    client.post(reverse("progress_concern_resolve", args=[concern.pk]), {"note": "Sorted"})
    page = client.get(reverse("progress_concern", args=[concern.pk])).content.decode()
    assert re.findall(r'data-kind="(\w+)"', page) == ["raised", "answered", "resolved"]
    assert 'id="answer-form"' not in page
    assert 'id="resolve-form"' not in page


def test_names_and_titles_in_charts_are_escaped(client, demo):
    as_(client, "kofi")
    client.post(reverse("progress_goal_new"), {"title": "<script>alert(1)</script>", "measure": "x"})
    client.post(reverse("progress_check_in", args=[Goal.objects.get().pk]), {"score": 5})
    page = client.get(reverse("progress_mine")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in chart(page, "goal-scores")
    assert "<script" not in chart(page, "goal-scores")  # pygal loads no script either


def test_the_member_page_of_the_demo_shows_streak_attendance_and_commitments(client, demo_progress):
    page = as_(client, "kofi").get(reverse("progress_mine")).content.decode()
    # Kofi missed one week five weeks ago: three weeks in a row now, four before the gap.
    assert 'id="streak-current">3<' in page
    assert "Lead the Q3 product launch" in page
    commitments = dict(table_rows(chart(page, "commitments")))
    assert commitments == {"Kept on time": "1", "Done late": "0", "Dropped": "0", "Open": "1", "Overdue": "1"}
    attendance = table_rows(chart(page, "attendance"))
    assert ["no", "0", "0%"] in [row[2:] for row in attendance]  # the session he missed
    assert any(row[3] == "45" and row[4] == "50%" for row in attendance)  # the one he left halfway


def test_the_coach_dashboard_has_a_row_per_member_and_the_circles_charts(client, demo_progress, harambee):
    page = as_(client, "amani.coach").get(reverse("progress_circle", args=[harambee.pk])).content.decode()
    assert re.findall(r'<tr data-member="([\w.]+)"', page) == ["daniel", "fatima", "grace", "james", "kofi"]
    assert 'data-member="fatima" class="is-quiet"' in page
    assert 'id="overdue-count">2<' in page
    assert page.count('class="sparkline"') == 5
    for key in ("circle-scores", "circle-attendance", "response-times"):
        assert "<svg" in chart(page, key)
    responses = table_rows(chart(page, "response-times"))
    assert responses
    assert all(row[0] == "Amani Wanjiru" for row in responses)
    assert any(row[5] == "1" for row in responses)  # Daniel's question, still waiting


def test_the_programme_dashboard_shows_circle_health_and_response_times(client, demo_progress, programme):
    page = as_(client, "ana.admin").get(reverse("progress_programme", args=[programme.pk])).content.decode()
    assert 'aria-current="page">Progress</a>' in page
    health = table_rows(chart(page, "circle-health"))
    assert [row[0] for row in health] == ["Harambee", "Horizonte", "Puentes"]
    responses = table_rows(chart(page, "response-times"))
    assert {row[0] for row in responses} == {"Amani Wanjiru", "Diego Ramírez", "Lucía Fernández"}
    assert "A member keeps promoting his business" in page  # raised to the admins
    assert "Session time clashes" not in page  # raised to the coach, answered: not the admins'
    weeks = table_rows(chart(page, "weekly-attendance"))
    assert len(weeks) == 8
    assert all(row[2] != "0" for row in weeks[1:-1])


def test_the_home_page_shows_this_weeks_goals(client, demo_progress):
    page = as_(client, "kofi").get(reverse("home")).content.decode()
    section = re.search(r'<section class="home-goals".*?</section>', page, re.S)
    assert section
    assert "Lead the Q3 product launch" in section.group(0)
    assert re.search(r"Speak up in leadership meetings ·\s*<a", section.group(0))  # not checked in yet
    page = as_(client, "amani.coach").get(reverse("home")).content.decode()
    assert reverse("progress_circle", args=[user("amani.coach").memberships.get().circle_id]) in page


def test_the_demo_progress_is_seeded_once(demo_progress, programme):
    from coaching.progress.demo import seed_progress

    counts = (Goal.objects.count(), CheckIn.objects.count(), Concern.objects.count(), Kudos.objects.count())
    seed_progress(programme)
    assert (
        Goal.objects.count(),
        CheckIn.objects.count(),
        Concern.objects.count(),
        Kudos.objects.count(),
    ) == counts
    assert metrics.streaks(
        CheckIn.objects.filter(member=user("kofi")).values_list("week", flat=True),
        current_week=metrics.week_of(dt.datetime.now(dt.UTC), user("kofi").zone),
    ) == metrics.Streak(current=3, longest=4)


@pytest.mark.parametrize(
    ("close_url", "page_url"),
    [("progress_commitment_close", "progress_mine"), ("commitment_close", "commitments")],
)
def test_it_refuses_a_close_without_a_note_the_same_way_on_both_pages(client, harambee, close_url, page_url):
    as_(client, "kofi")
    due = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    client.post(
        reverse("progress_commitment_new"), {"circle": harambee.pk, "text": "Practise", "due_on": due}
    )
    commitment = Commitment.objects.get()
    response = client.post(reverse(close_url, args=[commitment.pk]), {"status": "dropped", "note": "  "})
    assert response.status_code == 400
    page = response.content.decode()
    form = re.search(rf'<form[^>]*action="{reverse(close_url, args=[commitment.pk])}".*?</form>', page, re.S)
    assert form, "the page is shown again with the commitment's form"
    note = re.search(r'<input[^>]*name="note"[^>]*>\s*<p class="error"[^>]*>(.*?)</p>', form.group(0), re.S)
    assert note, "an error right after the note field"
    assert note.group(1) == "Add a short note on how it went."
    assert re.search(r'<input[^>]*value="dropped"[^>]*checked', form.group(0))  # the choice is kept
    commitment.refresh_from_db()
    assert commitment.status == "open"

    response = client.post(
        reverse(close_url, args=[commitment.pk]), {"status": "dropped", "note": "Not this month"}
    )
    assert response["Location"].startswith(reverse(page_url))
    commitment.refresh_from_db()
    assert (commitment.status, commitment.close_note) == ("dropped", "Not this month")


@pytest.mark.parametrize("close_url", ["progress_commitment_close", "commitment_close"])
def test_it_keeps_a_typed_note_when_the_outcome_is_missing(client, harambee, close_url):
    as_(client, "kofi")
    due = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    client.post(
        reverse("progress_commitment_new"), {"circle": harambee.pk, "text": "Practise", "due_on": due}
    )
    commitment = Commitment.objects.get()
    response = client.post(reverse(close_url, args=[commitment.pk]), {"note": "Went well"})
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r'<input[^>]*name="note"[^>]*value="Went well"', page)
    assert "Choose “Outcome”." in page
    commitment.refresh_from_db()
    assert commitment.status == "open"


def test_a_refused_goal_keeps_what_was_typed_with_the_error_at_its_field(client, demo):
    as_(client, "kofi")
    response = client.post(
        reverse("progress_goal_new"),
        {
            "title": "Lead the launch",
            "why": "My chance",
            "measure": "Items shipped",
            "target_date": "2020-01-01",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    new_goal = re.search(r'<details class="new-goal" open>.*?</details>', page, re.S)
    assert new_goal, "the new-goal form is open"
    form = new_goal.group(0)
    assert 'value="Lead the launch"' in form
    assert "My chance</textarea>" in form
    assert 'value="Items shipped"' in form
    assert 'value="2020-01-01"' in form
    target = re.search(r'<div class="field has-error">.*?</div>', form, re.S)
    assert target
    assert 'name="target_date"' in target.group(0)
    assert "The target date is in the past." in target.group(0)
    assert not Goal.objects.filter(member=user("kofi")).exists()


def test_a_goal_without_a_title_names_the_missing_field(client, demo):
    as_(client, "kofi")
    response = client.post(reverse("progress_goal_new"), {"title": "", "measure": "Items shipped"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Fill in “What do you want to achieve?”." in page
    assert 'value="Items shipped"' in page


def test_a_refused_kudos_keeps_the_typed_thanks(client, harambee):
    as_(client, "kofi")
    response = client.post(
        reverse("progress_kudos_new"), {"receiver": "", "contribution": "Walked me through it"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r'<details class="new-kudos" open>', page)
    assert 'value="Walked me through it"' in page
    assert "Choose “Who”." in page


def test_the_coach_dashboard_counts_one_open_concern_in_the_singular(client, harambee):
    as_(client, "kofi").post(
        reverse("progress_concern_new"),
        {"circle": harambee.pk, "to": "coach", "subject": "Clash", "text": "My shift moved."},
    )
    page = as_(client, "amani.coach").get(reverse("progress_circle", args=[harambee.pk])).content.decode()
    assert re.search(r'id="concerns-count">1</strong>open concern to you<', page)
    assert "open concerns to you" not in page
