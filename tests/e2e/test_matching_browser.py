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
    assert "Caracas (Venezuela)" in pedro.locator(".local-time").inner_text()
    page.screenshot(path=str(SHOTS / "matching-proposal.png"), full_page=True)

    # Move Pedro to the other Spanish-speaking coach's circle (htmx: the form opens, then the proposal
    # updates in place).
    pedro.locator(".move-open button").click()
    select = pedro.locator("select[name=to_circle]")
    select.wait_for()
    # Open circles fill first, so the Spanish coaches' circles may be full: any circle with room will do.
    target = select.locator("option:not([disabled]):not([value=''])").first.inner_text().strip()
    circle_name = target.split(" (")[0]
    select.select_option(label=target)
    page.screenshot(path=str(SHOTS / "matching-move-form.png"), full_page=True)
    pedro.locator(".move-form button").click()
    if "would have:" in target:  # the move would break a rule: it says what, and Ana confirms
        page.locator(".move-confirm button", has_text="Move anyway").click()
    page.wait_for_selector(f"text=Pedro Álvarez moved to {circle_name}.")
    moved = page.locator(".proposed-circle", has=page.locator(".proposed-member", has_text="Pedro Álvarez"))
    assert circle_name in moved.locator("h4").inner_text()
    page.screenshot(path=str(SHOTS / "matching-moved.png"), full_page=True)

    # Publish (confirming the warnings, if the proposal has any): the circles are created or joined.
    if page.locator(".publish-form input[name=confirm]").count():
        page.check(".publish-form input[name=confirm]")
    page.click(".publish-form button")
    page.wait_for_selector("text=Everyone placed is being told.")
    assert page.locator("#proposal-body").get_attribute("data-status") == "published"
    page.screenshot(path=str(SHOTS / "matching-published.png"), full_page=True)

    # The dashboard shows the new circles, and nobody is left to place.
    page.goto(f"{daphne_server}/programmes/{programme_id}/")
    table = page.inner_text("#circle-table")
    assert circle_name in table
    proposal = MatchProposal.objects.get(programme_id=programme_id)
    created = list(Circle.objects.filter(pk__in=proposal.solution["published"].values()))
    assert created
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


IMPORT_HEADER = "email,name,role,timezone,languages,focus_areas,availability\n"
# The five people: a new coach, and members of whom one speaks only Spanish.
FIVE_PEOPLE = (
    "rosa@example.org,Rosa Quispe,coach,America/Lima,es; en,wellbeing,\n"
    "zoe@example.org,Zoe Park,member,Europe/London,en,career,\n"
    "kwame@example.org,Kwame Boateng,member,Africa/Accra,en,leadership,\n"
    "omar@example.org,Omar Farouk,member,Africa/Cairo,ar; en,leadership,\n"
    "carmen@example.org,Carmen Díaz,member,America/Bogota,es,career,\n"
)


def _speaks_together(ids: list[str]) -> bool:
    people = User.objects.filter(pk__in=[int(i) for i in ids])
    common = None
    for person in people:
        common = set(person.languages) if common is None else common & set(person.languages)
    return bool(common)


def test_after_an_import_the_proposal_fills_harambee_first_never_mixes_languages_and_asks_before_harm(
    chromium, daphne_server, demo, tmp_path
):
    programme_id = demo["programme"]["id"]
    harambee = Circle.objects.get(programme_id=programme_id, name="Harambee")
    seated_before = harambee.memberships.members().count()
    free = harambee.capacity - seated_before  # three free seats in the demo
    people = tmp_path / "five.csv"
    people.write_text(IMPORT_HEADER + FIVE_PEOPLE, encoding="utf-8")
    SHOTS.mkdir(exist_ok=True)
    context = chromium.new_context(locale="en-GB", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    sign_in(page, daphne_server, "ana.admin", demo["password"])

    # The admin imports the five people, as in the issue.
    page.goto(f"{daphne_server}/programmes/{programme_id}/import/")
    page.set_input_files("input[type=file][name=file]", str(people))
    page.click("text=Upload and check")
    page.wait_for_selector(".import-ready")
    page.click("text=Import 5 people")
    page.wait_for_selector(".import-done")

    # Propose: the worker runs the engine; the page follows it until the proposal is ready.
    page.goto(f"{daphne_server}/programmes/{programme_id}/matching/")
    assert "8 members waiting for a circle" in " ".join(page.inner_text(".stats").split())
    page.click(".propose-form button")
    page.wait_for_selector("#proposal-body[data-status=ready]", timeout=30000)
    page.screenshot(path=str(SHOTS / "matching-rules-proposal.png"), full_page=True)
    proposal = MatchProposal.objects.get(programme_id=programme_id)
    circles = [c for c in proposal.solution["circles"] if c["members"]]

    # Harambee's free seats are filled first, and the page says it is a circle already meeting.
    card = page.locator(".proposed-circle[data-existing=true]", has_text="Harambee")
    assert card.locator(".proposed-member").count() == free
    assert "already meeting" in card.locator("h4").inner_text()
    # No circle of one, and in every circle a language everyone speaks, coach included.
    for circle in circles:
        assert len(circle.get("seated", [])) + len(circle["members"]) >= 2, circle
        assert _speaks_together([circle["coach"], *circle.get("seated", []), *circle["members"]]), circle
    carmen = User.objects.get(email="carmen@example.org")
    if any(u["member"] == str(carmen.pk) for u in proposal.solution["unassigned"]):
        reason = page.locator(".unmatched-member", has_text="Carmen Díaz").inner_text()
        assert "no_circle_fits" not in reason
    else:
        home = next(c for c in circles if str(carmen.pk) in c["members"])
        assert all(
            "es" in User.objects.get(pk=int(i)).languages
            for i in [home["coach"], *home.get("seated", []), *home["members"]]
        )
    # Windows are on the admin's clock, each person's behind a toggle.
    assert "your time (Madrid (Spain))" in card.locator(".circle-window").inner_text()
    card.locator(".window-clocks summary").click()
    assert "Nairobi (Kenya)" in card.locator(".window-clocks").inner_text()

    # Moving a Spanish-only newcomer into the circle where nobody else speaks Spanish breaks the
    # language rule: the form says so beside that circle, the move shows the warning sentence and
    # saves nothing until Ana chooses "Move anyway".
    spanish_only = {str(u.pk) for u in User.objects.filter(languages=["es"])}
    mover = next(
        p for p in page.locator(".proposed-member").all() if p.get_attribute("data-member") in spanish_only
    )
    mover_id = mover.get_attribute("data-member")
    name = mover.locator(".member-name").inner_text()
    mover.locator(".move-open button").click()
    select = mover.locator("select[name=to_circle]")
    select.wait_for()
    options = select.locator("option:not([disabled])").all_inner_texts()
    choice = next((t for t in options if "would have: no shared language" in t), None)
    assert choice, select.inner_html()
    target_name = choice.split(" (")[0]
    select.select_option(label=choice)
    mover.locator(".move-form button").click()
    confirm = page.locator(".move-confirm")
    confirm.wait_for()
    said = " ".join(confirm.inner_text().split())
    assert f"Moving {name} would break the programme's rules:" in said
    assert f"{name} shares no language with everyone else in this circle, coach included." in said
    page.screenshot(path=str(SHOTS / "matching-rules-move-confirm.png"), full_page=True)
    unsaved = MatchProposal.objects.get(pk=proposal.pk).solution
    assert unsaved["moves"] == []
    assert unsaved["circles"] == proposal.solution["circles"]
    confirm.locator("button", has_text="Move anyway").click()
    page.wait_for_selector(f"text={name} moved to {target_name}.")
    new_home = page.locator(".proposed-circle", has=page.locator(".proposed-member", has_text=name))
    assert target_name in new_home.locator("h4").inner_text()
    moved = MatchProposal.objects.get(pk=proposal.pk).solution
    target = next(c for c in moved["circles"] if mover_id in c["members"])
    assert "no_shared_language" in {i["code"] for i in target["issues"]}
    assert "no_shared_language" in moved["moves"][-1]["confirmed"]

    # Publishing lists every warning and needs the box ticked; then everyone is placed.
    warnings = page.locator(".publish-warnings")
    warnings.wait_for()
    assert warnings.locator(".warning").count() >= 1
    listed = " ".join(warnings.inner_text().split())
    assert f"{name} shares no language with everyone else in this circle, coach included." in listed
    assert page.locator(".publish-form input[name=confirm]").get_attribute("required") is not None
    page.screenshot(path=str(SHOTS / "matching-rules-publish-warnings.png"), full_page=True)
    page.click(".publish-form button")  # the browser holds it back: the box is not ticked
    assert page.locator("#proposal-body").get_attribute("data-status") == "ready"
    assert MatchProposal.objects.get(pk=proposal.pk).status == "ready"
    page.check(".publish-form input[name=confirm]")
    page.click(".publish-form button")
    page.wait_for_selector("text=Everyone placed is being told.")
    assert "join circles that were already meeting" in page.inner_text(".messages")
    page.screenshot(path=str(SHOTS / "matching-rules-published.png"), full_page=True)
    context.close()
    published = MatchProposal.objects.get(pk=proposal.pk)
    assert published.status == "published"
    ref = f"circle:{harambee.pk}"
    newcomers = next(c["members"] for c in published.solution["circles"] if c.get("existing") == ref)
    assert harambee.memberships.members().count() == seated_before + len(newcomers)
