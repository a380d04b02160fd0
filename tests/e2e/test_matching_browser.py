"""Matching end to end in Chromium: an admin proposes matches, moves a member, publishes; circles appear."""

from __future__ import annotations

from pathlib import Path

import pytest

from circles.models import AssignmentAudit, Circle, MatchProposal, Programme
from coaching.accounts.models import User
from coaching.matching import tasks
from coaching.notifications.models import Notification
from tests.e2e.pages import sign_in

pytestmark = [pytest.mark.browser]
SHOTS = Path(__file__).resolve().parents[2] / "test-results"
WAITING = ["Aisha Diallo", "Pedro Álvarez", "Chloé Martin", "Tunde Adeyemi"]


def test_an_admin_proposes_moves_one_member_and_publishes_the_circles(chromium, daphne_server, demo):
    programme_id = demo["programme"]["id"]
    SHOTS.mkdir(exist_ok=True)
    context = chromium.new_context(locale="en-GB", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    sign_in(page, daphne_server, "ana.admin", demo["password"])

    # From the dashboard to the matching overview, which counts who waits.
    page.goto(f"{daphne_server}/programmes/{programme_id}/")
    page.click(".subnav >> text=Propose matches")
    page.wait_for_url(f"{daphne_server}/programmes/{programme_id}/matching/")
    assert "4 members waiting for a circle" in " ".join(page.inner_text(".stats").split())
    page.screenshot(path=str(SHOTS / "matching-overview.png"), full_page=True)

    # The engine runs in the worker; the page follows it until the proposal is ready.
    page.click(".propose-form button")
    page.wait_for_selector("#proposal-body[data-status=ready]", timeout=20000)
    body = page.locator("#proposal-body")
    for name in WAITING:
        assert name in body.inner_text()
    pedro = page.locator(".proposed-member", has_text="Pedro Álvarez")
    assert "speaks es" in pedro.inner_text()
    assert "%" in pedro.locator(".score-text").inner_text()
    assert "America/Caracas" in pedro.locator(".local-time").inner_text()
    page.screenshot(path=str(SHOTS / "matching-proposal.png"), full_page=True)

    # Move Pedro to the other Spanish-speaking coach's circle (htmx: the form opens, then the proposal
    # updates in place).
    pedro.locator(".move-open button").click()
    select = pedro.locator("select[name=to_circle]")
    select.wait_for()
    speaks_spanish = select.locator(
        "optgroup[label='Diego Ramírez'] option, optgroup[label='Lucía Fernández'] option"
    )
    target = speaks_spanish.first.inner_text()
    circle_name = target.split(" (")[0]
    select.select_option(label=target)
    page.screenshot(path=str(SHOTS / "matching-move-form.png"), full_page=True)
    pedro.locator(".move-form button").click()
    page.wait_for_selector(f"text=Pedro Álvarez moved to {circle_name}.")
    moved = page.locator(".proposed-circle", has=page.locator(".proposed-member", has_text="Pedro Álvarez"))
    assert circle_name in moved.locator("h4").inner_text()
    page.screenshot(path=str(SHOTS / "matching-moved.png"), full_page=True)

    # Publish: the circles are created, and the page links to them.
    page.click(".publish-form button")
    page.wait_for_selector("text=are published; their people are being told.")
    assert page.locator("#proposal-body").get_attribute("data-status") == "published"
    page.screenshot(path=str(SHOTS / "matching-published.png"), full_page=True)

    # The dashboard shows the new circles, and nobody is left to place.
    page.goto(f"{daphne_server}/programmes/{programme_id}/")
    table = page.inner_text("#circle-table")
    assert circle_name in table
    proposal = MatchProposal.objects.get(programme_id=programme_id)
    created = list(Circle.objects.filter(pk__in=proposal.solution["published"].values()))
    assert len(created) >= 2
    for circle in created:
        assert circle.name in table
    assert "Everyone who matches is in a circle." in page.inner_text("#dashboard-body")
    page.screenshot(path=str(SHOTS / "matching-dashboard.png"), full_page=True)

    # The audit log shows each seat with the matching source and the proposal as the reason.
    page.goto(f"{daphne_server}/programmes/{programme_id}/audit/?action=assign")
    rows = page.locator(".audit-entry", has_text=f"matching proposal #{proposal.pk}").all_inner_texts()
    assert len(rows) == 4
    assert all("matching" in row and "Ana Ortega" in row for row in rows)
    assert any("Pedro Álvarez" in row and circle_name in row for row in rows)
    page.screenshot(path=str(SHOTS / "matching-audit.png"), full_page=True)
    context.close()

    assert AssignmentAudit.objects.filter(source="matching", action="assign").count() == 4
    pedro_user = User.objects.get(username="pedro")
    assert Notification.objects.filter(
        recipient=pedro_user, kind="circle_added", url__startswith="/circles/"
    ).exists()


def test_the_proposal_page_follows_a_running_proposal_by_itself(chromium, daphne_server, demo):
    admin = User.objects.get(username="ana.admin")
    proposal = MatchProposal.objects.create(
        programme=Programme.objects.get(pk=demo["programme"]["id"]), created_by=admin
    )
    context = chromium.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, daphne_server, "ana.admin", demo["password"])
    page.goto(f"{daphne_server}/programmes/{proposal.programme_id}/matching/{proposal.pk}/")
    assert "Waiting for the matcher to start" in page.inner_text("#proposal-body")

    MatchProposal.objects.filter(pk=proposal.pk).update(stage="solving", progress=50)
    page.wait_for_selector("text=Solving the best assignment… (50%)", timeout=5000)
    assert page.get_attribute("progress.proposal-progress", "value") == "50"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "matching-progress.png"), full_page=True)

    MatchProposal.objects.filter(pk=proposal.pk).update(stage="queued", progress=0)
    tasks.run_proposal(proposal.pk)
    page.wait_for_selector("#proposal-body[data-status=ready]", timeout=5000)
    assert page.get_attribute("#proposal-body", "hx-trigger") is None
    assert "Pedro Álvarez" in page.inner_text("#proposal-body")
    context.close()


def test_a_member_states_preferred_and_avoided_coaches_on_their_profile(chromium, daphne_server, demo):
    from circles.models import CoachPreference

    diego, amani = User.objects.get(username="diego.coach"), User.objects.get(username="amani.coach")
    context = chromium.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, daphne_server, "pedro", demo["password"])
    page.goto(f"{daphne_server}/accounts/profile/")
    section = page.locator(".coach-preferences")
    assert [legend.strip() for legend in section.locator("legend").all_inner_texts()] == [
        "Amani Wanjiru",
        "Diego Ramírez",
        "Lucía Fernández",
    ]
    page.check(f"input[name=coach_{diego.pk}][value=prefer]")
    page.check(f"input[name=coach_{amani.pk}][value=avoid]")
    section.locator("button[type=submit]").click()
    page.wait_for_selector("text=Tus preferencias de coach están guardadas.")  # Pedro reads Spanish
    assert page.is_checked(f"input[name=coach_{diego.pk}][value=prefer]")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "matching-preferences.png"), full_page=True)
    context.close()
    saved = CoachPreference.objects.filter(member__username="pedro")
    assert sorted(saved.values_list("coach__username", "kind")) == [
        ("amani.coach", "avoid"),
        ("diego.coach", "prefer"),
    ]
