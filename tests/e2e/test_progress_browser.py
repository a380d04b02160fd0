"""Progress end to end in Chromium: Kofi's own page, Amani's circle dashboard and Ana's programme dashboard
for the demo programme, each chart drawn with its numbers and the same numbers in its table; a screenshot of
each page is saved under test-results/ for review."""

from __future__ import annotations

import csv
import io
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import pages
from tests.e2e.pages import TIMEOUT

pytestmark = [pytest.mark.browser]
DESKTOP = {"width": 1200, "height": 900}


class Person(pages.Person):
    """One demo person on the dashboards."""

    def open_tables(self) -> None:
        for summary in self.page.locator("details.chart-data > summary").all():
            summary.click()

    def chart(self, key: str) -> tuple[list[str], list[list[str]]]:
        """A chart's drawn values (pygal's per-point labels) and its table's rows, as the page has them."""
        figure = self.page.locator(f"#chart-{key}")
        assert figure.locator(".chart-wide svg.pygal-chart").count() == 1, key
        drawn = figure.locator(".chart-wide svg desc.value").all_text_contents()
        rows = [
            [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
            for row in figure.locator("table tbody tr").all()
        ]
        return drawn, rows


def _seed_progress(programme_id: int) -> None:
    from django.db import connection

    from circles.models import Programme
    from coaching.progress.demo import seed_progress

    try:
        seed_progress(Programme.objects.get(pk=programme_id))
    finally:
        connection.close()


@pytest.fixture
def demo_progress(demo: dict[str, Any]) -> dict[str, Any]:
    # The demo's chat messages are broadcast after commit through async_to_sync, which cannot run in this
    # thread while Playwright's event loop is in it: seed from a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_seed_progress, demo["programme"]["id"]).result(timeout=60)
    return demo


@pytest.fixture
def people(chromium: Any, daphne_server: str, demo_progress: dict[str, Any]) -> Any:
    signed_in = {
        username: Person(
            chromium, daphne_server, username, demo_progress["password"], viewport=DESKTOP, timeout=TIMEOUT
        )
        for username in ("kofi", "amani.coach", "ana.admin")
    }
    yield signed_in
    for person in signed_in.values():
        person.context.close()
    assert [error for person in signed_in.values() for error in person.errors] == []


def numbers(cells: list[str]) -> list[str]:
    return [cell for cell in cells if cell not in ("", "–")]


def test_each_dashboard_draws_its_charts_with_the_numbers_of_its_tables(people, demo_progress):
    from circles.models import Circle
    from coaching.accounts.models import User
    from coaching.progress import selectors

    kofi, amani, ana = people["kofi"], people["amani.coach"], people["ana.admin"]
    harambee = Circle.objects.get(name="Harambee")
    programme_id = demo_progress["programme"]["id"]

    # Kofi's page: his scores by week, his attendance and his commitments.
    progress = selectors.member_progress(member=User.objects.get(username="kofi"))
    kofi.go("/progress/")
    kofi.open_tables()
    assert kofi.page.inner_text("#streak-current") == str(progress.streak.current) == "3"
    drawn, rows = kofi.chart("goal-scores")
    assert [row[0] for row in rows] == [re.sub(r"^0", "", w.strftime("%d %b")) for w in progress.weeks]
    scores = [cell for row in rows for cell in numbers(row[1:])]
    assert sorted(drawn, key=float) == sorted(scores, key=float)
    assert scores[-1] == str(progress.goals[0].scores[-1])  # this week's score of the first goal
    drawn, rows = kofi.chart("attendance")
    assert drawn == [row[4] for row in rows]
    assert ["no", "0", "0%"] in [row[2:] for row in rows]  # the session he missed
    drawn, rows = kofi.chart("commitments")
    assert rows == [
        ["Kept on time", "1"],
        ["Done late", "0"],
        ["Dropped", "0"],
        ["Open", "1"],
        ["Overdue", "1"],
    ]
    assert drawn == ["1", "0", "0", "1", "1"]
    # Each state keeps its colour without a style="" attribute (the CSP refuses those): kept on time is green.
    kept = kofi.page.locator("#chart-commitments .chart-wide svg g.bar rect").first
    assert kept.evaluate("rect => getComputedStyle(rect).fill") == "rgb(26, 127, 55)"
    assert kofi.page.locator("#commitments .commitment.is-overdue").count() == 1
    kofi.shot("progress-member-kofi.png", full_page=True)

    # Amani's dashboard of Harambee: a row per member with a trend, the quiet one, overdue commitments.
    amani.go(f"/circles/{harambee.pk}/progress/")
    amani.open_tables()
    members = amani.page.locator(".member-table tbody tr")
    assert members.count() == 5
    assert members.locator(".sparkline svg").count() == 5
    assert amani.page.locator("tr.is-quiet").get_attribute("data-member") == "fatima"
    assert amani.page.inner_text("#overdue-count") == "2"
    assert amani.page.locator("#overdue .commitment").count() == 2
    drawn, rows = amani.chart("circle-scores")
    assert sorted(drawn, key=float) == sorted(numbers([row[1] for row in rows]), key=float)
    drawn, rows = amani.chart("circle-attendance")
    assert drawn == [row[4] for row in rows] + [row[5] for row in rows]  # who came, then time present
    drawn, rows = amani.chart("response-times")
    medians = [f"{row[3]} min" for row in rows]
    assert medians
    assert set(medians) <= set(drawn)
    legend = amani.page.locator("#chart-response-times .chart-wide svg .legends text").all_text_contents()
    legend = " ".join(legend)
    assert "Goal: 90 minutes" in legend
    assert "Amani Wanjiru" in legend
    amani.shot("progress-circle-amani.png", full_page=True)

    # Ana's programme dashboard: circle health, attendance by week, response times per coach, concerns.
    ana.go(f"/programmes/{programme_id}/progress/")
    ana.open_tables()
    drawn, rows = ana.chart("circle-health")
    assert [row[0] for row in rows] == ["Harambee", "Horizonte", "Puentes"]
    assert drawn == [row[1] for row in rows] + [row[2] for row in rows] + [row[3] for row in rows]
    for row in rows:  # the health table above the chart says the same
        health = ana.page.locator(f".health-table tr[data-circle='{row[0]}']")
        assert health.locator(".attendance").inner_text() == row[1]
        assert health.locator(".check-in-rate").inner_text() == row[2]
    drawn, rows = ana.chart("weekly-attendance")
    assert drawn == numbers([row[3] for row in rows]) + numbers([row[4] for row in rows])
    drawn, rows = ana.chart("response-times")
    assert {row[0] for row in rows} == {"Amani Wanjiru", "Diego Ramírez", "Lucía Fernández"}
    assert {f"{row[3]} min" for row in rows} <= set(drawn)
    assert "A member keeps promoting his business" in ana.page.inner_text("#concerns")
    ana.shot("progress-programme-ana.png", full_page=True)

    # The attendance export, streamed by daphne, downloads with a row per expected seat.
    with ana.page.expect_download() as download_info:
        ana.page.click("#exports >> text=Attendance (CSV)")
    download = download_info.value
    assert download.suggested_filename == f"attendance-programme-{programme_id}.csv"
    lines = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert lines[0][:2] == ["circle", "session"]
    assert len(lines) > 100


class Refused(Person):
    """Kofi, whose refused form answers 400 (which the browser reports in the console)."""

    expected_errors = ("the server responded with a status of 400",)


def test_a_refused_goal_stays_open_with_what_was_typed_and_the_error_focused(
    chromium: Any, daphne_server: str, demo_progress: dict[str, Any]
) -> None:
    kofi = Refused(
        chromium, daphne_server, "kofi", demo_progress["password"], viewport={"width": 390, "height": 740}
    )
    try:
        kofi.go("/progress/")
        details = kofi.page.locator("details.new-goal")
        assert details.get_attribute("open") is None  # Kofi has goals: the form starts folded
        details.locator("summary").click()
        form = details.locator("form")
        form.locator("input[name=title]").fill("Pitch to the board")
        form.locator("textarea[name=why]").fill("My next step")
        form.locator("input[name=measure]").fill("Pitches given")
        form.locator("input[name=target_date]").fill("2020-01-15")
        form.locator("button[type=submit]").click()

        kofi.page.wait_for_function(
            "() => document.activeElement && document.activeElement.name === 'target_date'"
        )
        details = kofi.page.locator("details.new-goal")
        assert details.get_attribute("open") is not None
        assert details.locator("input[name=title]").input_value() == "Pitch to the board"
        assert details.locator("textarea[name=why]").input_value() == "My next step"
        assert details.locator("input[name=measure]").input_value() == "Pitches given"
        assert details.locator("input[name=target_date]").input_value() == "2020-01-15"
        field = details.locator(".field.has-error")
        assert field.count() == 1
        assert field.locator("input[name=target_date]").count() == 1
        assert field.locator(".error").inner_text() == "The target date is in the past."
        box = field.bounding_box()
        assert box is not None
        assert 0 <= box["y"] < 740  # scrolled into view, not left at the top of the page
        kofi.shot("progress-goal-refused-phone.png")
    finally:
        kofi.context.close()
    assert kofi.errors == []


# Each text of the drawn charts as the reader sees it: its rendered height, and whether its SVG holds it.
CHART_TEXTS = """() => [...document.querySelectorAll('.chart-svg')]
  .filter((drawing) => drawing.offsetParent !== null)
  .flatMap((drawing) => {
    const svg = drawing.querySelector('svg').getBoundingClientRect();
    return [...drawing.querySelectorAll('text')].filter((t) => t.textContent.trim()).map((t) => {
      const box = t.getBoundingClientRect();
      return {text: t.textContent.trim(), height: box.height, legend: !!t.closest('.legends'),
              inside: box.top >= svg.top - 0.5 && box.bottom <= svg.bottom + 0.5
                && box.left >= svg.left - 0.5 && box.right <= svg.right + 0.5};
    });
  })"""


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, DESKTOP], ids=["phone", "desktop"])
def test_charts_text_is_readable_whole_and_the_goal_line_is_named(
    chromium, daphne_server, demo_progress, viewport
):
    from circles.models import Circle

    harambee = Circle.objects.get(name="Harambee")
    amani = Person(
        chromium, daphne_server, "amani.coach", demo_progress["password"], viewport=viewport, timeout=TIMEOUT
    )
    amani.go(f"/circles/{harambee.pk}/progress/")
    texts = amani.page.evaluate(CHART_TEXTS)
    assert texts
    small = [t for t in texts if t["height"] < 11]
    assert not small, f"text under 11 px: {small[:5]}"
    cut = [t["text"] for t in texts if not t["inside"]]
    assert not cut, f"text cut off at the chart's edge: {cut}"
    assert {"Amani Wanjiru", "Goal: 90 minutes"} <= {t["text"] for t in texts if t["legend"]}
    # The goal line is named on the plot, and drawn thicker than the guides, in its own dash.
    drawing = amani.page.locator("#chart-response-times .chart-svg:visible")
    assert drawing.locator("text.goal-label").text_content() == "Goal: 90 minutes"
    goal = drawing.locator("g.serie-1 path.line")
    guide = drawing.locator("path.guide.line").first
    style = "(p) => { const s = getComputedStyle(p); return [s.strokeWidth, s.strokeDasharray, s.stroke]; }"
    goal_width, goal_dash, goal_colour = goal.evaluate(style)
    guide_width, guide_dash, guide_colour = guide.evaluate(style)
    assert float(goal_width.removesuffix("px")) >= 3 > float(guide_width.removesuffix("px"))
    assert goal_dash != guide_dash
    assert goal_colour != guide_colour
    amani.context.close()
    assert amani.errors == []
