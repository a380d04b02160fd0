"""Charts as SVG rendered on the server by pygal, each with the table behind it for screen readers.

pygal escapes every label it writes (goal titles and names come from people); its tooltip script is left
out (`js=[]`, and its inline config script and hidden tooltip box are filtered away), so a chart is drawing
and text only. Its one <style> gets the page's CSP nonce in the template (the `style_nonce` filter, for
charts and sparklines alike).
Titles and labels are translated in the reader's language.

Each chart is drawn twice: wide for a desktop column and narrow for a phone (`PHONE`: fewer x labels, one
legend column), so its text is never scaled down to a few pixels; the page's CSS shows the one that fits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import pygal
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from pygal.style import Style

from coaching.progress import metrics

MAX_SERIES = 12  # more lines than this is noise; the table still lists everything

PALETTE = ("#2f6f5e", "#c2571a", "#3b5bdb", "#9c36b5", "#2b8a3e", "#0b7285", "#5c940d", "#862e9c")
GOAL_COLOUR = "#b42318"
FONT_SIZE = 14
LEGEND_COLUMNS = 3

# What changes for the phone drawing: a 360-unit-wide SVG fills a 390 px phone's column at about 0.9 scale,
# so 14-unit text shows at 12-13 px; at most four x labels fit that width.
PHONE: dict[str, object] = {
    "width": 360,
    "legend_at_bottom_columns": 1,
    "x_labels_major_count": 4,
    "show_minor_x_labels": False,
    "truncate_label": 10,
    "margin": 8,
    "margin_right": 28,  # the last x label is centred on the plot's edge
    "print_values": False,  # side by side at this width they overlap; the table has them
}


def _style(colours: Sequence[str] = PALETTE) -> Style:
    return Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#1f2328",
        foreground_strong="#1f2328",
        foreground_subtle="#5b616b",
        font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        label_font_size=FONT_SIZE,
        major_label_font_size=FONT_SIZE,
        value_font_size=FONT_SIZE - 1,
        legend_font_size=FONT_SIZE,
        tooltip_font_size=FONT_SIZE,
        # Faint dotted guides, so the dashed goal line stands out from them.
        guide_stroke_color="#c9ced6",
        major_guide_stroke_color="#c9ced6",
        guide_stroke_dasharray="2,4",
        major_guide_stroke_dasharray="2,4",
        colors=tuple(colours),
        opacity=".85",
        opacity_hover="1",
    )


STYLE = _style()


@dataclass(frozen=True)
class Table:
    """The numbers a chart draws: a caption, column headings and rows of display strings."""

    caption: str
    columns: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Chart:
    """An inline SVG chart with its table; `key` names it in the page (its id and tests)."""

    key: str
    title: str
    svg: SafeString
    phone_svg: SafeString
    table: Table
    note: str = ""


def _without_scripts(root: Any) -> Any:
    """Drop what pygal writes for its tooltips (the page runs no chart JavaScript), and inline styles.

    That is its <script> and the hidden tooltip box; a bar's own colour (style="fill: …; stroke: …") becomes
    presentation attributes, which draw the same: the CSP refuses style="" attributes.
    """
    for parent in list(root.iter()):
        for child in list(parent):
            tag = str(child.tag).rsplit("}", 1)[-1]
            if tag == "script" or (tag == "g" and child.get("class") == "tooltip"):
                parent.remove(child)
    for element in root.iter():
        style = element.attrib.pop("style", None)
        for declaration in (style or "").split(";"):
            name, _colon, value = declaration.partition(":")
            if name.strip() and value.strip():
                element.set(name.strip(), value.strip())
    return root


def legend_rows(series: int, *, columns: int = LEGEND_COLUMNS) -> int:
    """How many rows a legend of `series` entries takes at the bottom of a chart."""
    return -(-series // columns)


def _config(**extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "style": STYLE,
        "js": [],
        "disable_xml_declaration": True,
        "width": 800,
        "height": 320,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": LEGEND_COLUMNS,
        "truncate_legend": 40,
        "truncate_label": 12,
        "margin": 16,
        # pygal places the last legend row's baseline on the edge; room for its descenders and a gap.
        "margin_bottom": 16 + FONT_SIZE,
        "no_data_text": _("No data yet"),
        "show_y_guides": True,
    }
    base.update(extra)
    return base


def _render(chart: pygal.graph.graph.Graph, **phone: object) -> tuple[SafeString, SafeString]:
    """The chart's wide and phone SVGs; `phone` adds to `PHONE` (a taller phone drawing for its legend)."""
    chart.add_xml_filter(_without_scripts)
    # pygal builds the SVG with an XML serializer, which escapes every text node and attribute.
    wide = mark_safe(chart.render(is_unicode=True))  # noqa: S308
    narrow = mark_safe(chart.render(is_unicode=True, **{**PHONE, **phone}))  # noqa: S308
    return wide, narrow


def _drawings(chart: pygal.graph.graph.Graph) -> dict[str, SafeString]:
    # The phone's legend has a row per series: make room for them under a plot of the usual height.
    legend = len(chart.raw_series) if chart.config.show_legend else 0
    wide, narrow = _render(chart, height=280 + 26 * legend)
    return {"svg": wide, "phone_svg": narrow}


def number(value: float | None, *, unit: str = "") -> str:
    """A number for a table cell: one decimal at most, "–" for nothing."""
    if value is None:
        return "–"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text}{unit}"


def pct(value: float | None) -> str:
    """A rate as a table cell, e.g. "75%"."""
    shown = metrics.percent(value)
    return "–" if shown is None else f"{shown}%"


def _pct_value(value: float | None) -> float | None:
    shown = metrics.percent(value)
    return None if shown is None else float(shown)


def _percent_formatter(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}%"


def goal_scores(*, weeks: Sequence[str], goals: Sequence[tuple[str, Sequence[int | None]]]) -> Chart:
    """A line per goal: its weekly 1–10 score, with a gap where a week was missed."""
    has_scores = any(score is not None for _title, scores in goals for score in scores)
    # pygal cannot lay fixed y labels over an empty chart; it draws "No data yet" instead.
    labels = {"y_labels": [0, 2, 4, 6, 8, 10]} if has_scores else {}
    chart = pygal.Line(**_config(allow_interruptions=True, range=(0, 10), dots_size=4, **labels))
    chart.x_labels = list(weeks)
    for title, scores in goals[:MAX_SERIES]:
        chart.add(title, list(scores))
    title = _("Goal scores by week")
    return Chart(
        key="goal-scores",
        title=title,
        **_drawings(chart),
        table=Table(
            caption=title,
            columns=[_("Week"), *(t for t, _s in goals)],
            rows=[[week, *(number(s[i]) for _t, s in goals)] for i, week in enumerate(weeks)],
        ),
    )


def member_attendance(*, sessions: Sequence[tuple[str, str, bool, int, float]]) -> Chart:
    """A bar per session: the share of it the member was there for (label, date, present, minutes, share)."""
    chart = pygal.Bar(**_config(range=(0, 100), print_values=True, value_formatter=_percent_formatter))
    chart.x_labels = [label for label, *_rest in sessions]
    chart.add(_("Time present"), [_pct_value(share) for *_rest, share in sessions])
    title = _("Attendance by session")
    return Chart(
        key="attendance",
        title=title,
        **_drawings(chart),
        table=Table(
            caption=title,
            columns=[_("Session"), _("Date"), _("Present"), _("Minutes present"), _("Time present")],
            rows=[
                [label, day, _("yes") if present else _("no"), str(minutes), pct(share)]
                for label, day, present, minutes, share in sessions
            ],
        ),
    )


def commitment_states(*, counts: dict[str, int]) -> Chart:
    """A bar per state of the member's commitments: kept on time, done late, dropped, open, overdue."""
    # A context: "Open" and "Overdue" name states of commitments here, not actions or badges.
    names = {
        "kept": pgettext("commitment state", "Kept on time"),
        "late": pgettext("commitment state", "Done late"),
        "dropped": pgettext("commitment state", "Dropped"),
        "open": pgettext("commitment state", "Open"),
        "overdue": pgettext("commitment state", "Overdue"),
    }
    colours = {
        "kept": "#1a7f37",
        "late": "#b7791f",
        "dropped": "#5b616b",
        "open": "#3b5bdb",
        "overdue": "#b42318",
    }
    top = max([*counts.values(), 1])
    # Whole commitments only: integer ticks, and no axis at all beyond a dozen.
    ticks = {"y_labels": list(range(top + 1))} if top <= 12 else {}
    chart = pygal.HorizontalBar(
        **_config(height=260, print_values=True, show_legend=False, range=(0, top), **ticks)
    )
    chart.x_labels = list(names.values())
    chart.add(_("Commitments"), [{"value": counts.get(key, 0), "color": colours[key]} for key in names])
    title = _("Commitments")
    return Chart(
        key="commitments",
        title=title,
        **_drawings(chart),
        table=Table(
            caption=title,
            columns=[_("State"), _("Commitments")],
            rows=[[label, str(counts.get(key, 0))] for key, label in names.items()],
        ),
    )


def sparkline(values: Sequence[float | None]) -> SafeString:
    """A tiny line of weekly average scores for a table row (its numbers are in the row's text)."""
    chart = pygal.Line(
        style=STYLE, js=[], disable_xml_declaration=True, allow_interruptions=True, range=(0, 10)
    )
    chart.add("", list(values))
    chart.add_xml_filter(_without_scripts)
    return mark_safe(chart.render_sparkline(width=120, height=28, show_dots=True, dots_size=2))  # noqa: S308


def circle_scores(*, weeks: Sequence[str], averages: Sequence[float | None]) -> Chart:
    """The circle's mean check-in score per week."""
    chart = pygal.Line(
        # pygal writes a point's value beside it, so the last week's sticks out past the plot's right edge.
        **_config(
            allow_interruptions=True,
            range=(0, 10),
            show_legend=False,
            print_values=True,
            margin_right=16 + 3 * FONT_SIZE,
        )
    )
    chart.x_labels = list(weeks)
    chart.add(_("Mean score"), list(averages))
    title = _("Mean check-in score by week")
    return Chart(
        key="circle-scores",
        title=title,
        **_drawings(chart),
        table=Table(
            caption=title,
            columns=[_("Week"), _("Mean score")],
            rows=[[week, number(a)] for week, a in zip(weeks, averages, strict=True)],
        ),
    )


def circle_attendance(*, sessions: Sequence[tuple[str, str, int, int, float | None, float | None]]) -> Chart:
    """Per session: the share of members who came, and the share of session time they were there."""
    chart = pygal.Bar(**_config(range=(0, 100), print_values=True, value_formatter=_percent_formatter))
    chart.x_labels = [label for label, *_rest in sessions]
    chart.add(_("Members who came"), [_pct_value(came) for *_rest, came, _time in sessions])
    chart.add(_("Time present"), [_pct_value(time) for *_rest, time in sessions])
    title = _("Attendance by session")
    return Chart(
        key="circle-attendance",
        title=title,
        **_drawings(chart),
        table=Table(
            caption=title,
            columns=[
                _("Session"),
                _("Date"),
                _("Came"),
                _("Expected"),
                _("Members who came"),
                _("Time present"),
            ],
            rows=[
                [label, day, str(came), str(expected), pct(rate), pct(time)]
                for label, day, came, expected, rate, time in sessions
            ],
        ),
    )


def circle_health(*, circles: Sequence[tuple[str, float | None, float | None, float | None]]) -> Chart:
    """Per circle: attendance, check-in rate and commitments kept on time, as percentages."""
    shown = sorted(circles, key=lambda c: (c[1] is not None, c[1] or 0))[: MAX_SERIES * 2]
    shown = sorted(shown, key=lambda c: c[0].casefold())
    chart = pygal.Bar(**_config(range=(0, 100), print_values=True, value_formatter=_percent_formatter))
    chart.x_labels = [name for name, *_rest in shown]
    chart.add(_("Attendance"), [_pct_value(c[1]) for c in shown])
    chart.add(_("Check-in rate"), [_pct_value(c[2]) for c in shown])
    chart.add(_("Kept on time"), [_pct_value(c[3]) for c in shown])
    title = _("Circle health")
    note = (
        _("The chart shows the %(count)d circles with the lowest attendance; the table lists all of them.")
        % {"count": len(shown)}
        if len(shown) < len(circles)
        else ""
    )
    return Chart(
        key="circle-health",
        title=title,
        **_drawings(chart),
        note=note,
        table=Table(
            caption=title,
            columns=[_("Circle"), _("Attendance"), _("Check-in rate"), _("Kept on time")],
            rows=[[name, pct(a), pct(c), pct(k)] for name, a, c, k in circles],
        ),
    )


def weekly_attendance(*, weeks: Sequence[str], rates: Sequence[metrics.AttendanceRate]) -> Chart:
    """The programme's attendance per week: members who came, and the share of session time present."""
    chart = pygal.Bar(**_config(range=(0, 100), print_values=True, value_formatter=_percent_formatter))
    chart.x_labels = list(weeks)
    chart.add(_("Members who came"), [_pct_value(r.rate) for r in rates])
    chart.add(_("Time present"), [_pct_value(r.time_share) for r in rates])
    title = _("Attendance by week")
    return Chart(
        key="weekly-attendance",
        title=title,
        **_drawings(chart),
        table=Table(
            caption=title,
            columns=[_("Week"), _("Came"), _("Expected"), _("Members who came"), _("Time present")],
            rows=[
                [week, str(r.attended), str(r.expected), pct(r.rate), pct(r.time_share)]
                for week, r in zip(weeks, rates, strict=True)
            ],
        ),
    )


def response_times(
    *,
    weeks: Sequence[str],
    coaches: Sequence[tuple[str, Sequence[metrics.ResponseWeek | None]]],
    key: str = "response-times",
) -> Chart:
    """Each coach's weekly median response time against the 90-minute goal; the table adds the p90."""
    goal = metrics.RESPONSE_GOAL_MINUTES
    shown = coaches[:MAX_SERIES]
    # The goal line is the last series; give it the warning colour whatever the number of coaches.
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(shown))] + [GOAL_COLOUR]
    chart = pygal.Line(
        **_config(
            height=300 + 26 * legend_rows(len(shown) + 1),
            style=_style(colours),
            allow_interruptions=True,
            include_x_axis=True,
            value_formatter=_minutes_formatter,
        )
    )
    chart.x_labels = list(weeks)
    for name, stats in shown:
        chart.add(name, [s.median_minutes if s else None for s in stats])
    goal_name = _("Goal: %(minutes)d minutes") % {"minutes": goal}
    chart.add(
        goal_name,
        [goal] * len(weeks),
        stroke_style={"dasharray": "12, 6", "width": 3},
        show_dots=False,
    )
    chart.add_xml_filter(partial(_mark_goal_line, serie=len(shown), text=goal_name))
    title = _("Coach response time (median, minutes)")
    rows = []
    for name, stats in coaches:
        for week, s in zip(weeks, stats, strict=True):
            if s is not None:
                rows.append(
                    [
                        name,
                        week,
                        str(s.count),
                        number(s.median_minutes),
                        number(s.p90_minutes),
                        str(s.waiting),
                        _("yes") if s.meets_goal else _("no"),
                    ]
                )
    return Chart(
        key=key,
        title=title,
        **_drawings(chart),
        table=Table(
            caption=title,
            columns=[
                _("Coach"),
                _("Week"),
                _("Questions"),
                _("Median (min)"),
                _("90th percentile (min)"),
                _("Still waiting"),
                _("Median within goal"),
            ],
            rows=rows,
        ),
    )


def _mark_goal_line(root: Any, *, serie: int, text: str) -> Any:
    """Draw series `serie` (the goal) thick and whole, and write `text` above its start in its colour.

    pygal puts a series' stroke width on its group, where each line's own `.reactive` width overrides it;
    a rule for the line itself wins.
    """
    for style in root.iter():
        if str(style.tag).endswith("style") and style.text:
            style.text += f"#{root.get('id')} .serie-{serie} .line{{stroke-width:3;stroke-opacity:1}}"
            break
    for group in root.iter():
        if group.get("class", "").split()[:2] != ["series", f"serie-{serie}"]:
            continue
        for path in group:
            points = re.findall(r"-?\d+(?:\.\d+)?", path.get("d", ""))
            if str(path.tag).endswith("path") and len(points) >= 2:
                label = group.makeelement("text", {"class": "goal-label"})
                group.append(label)
                label.set("x", str(float(points[0]) + 4))
                label.set("y", str(float(points[1]) - 6))
                label.set("fill", GOAL_COLOUR)
                label.set("stroke", "none")
                label.set("font-weight", "600")
                label.text = text
                return root
    return root


def _minutes_formatter(value: float | None) -> str:
    return number(value, unit=" min")
