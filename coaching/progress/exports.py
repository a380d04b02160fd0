"""CSV exports of attendance and progress, streamed row by row so a large programme never times out.

Exports hold numbers and names only: never a message, a check-in note or a concern's text. Goal titles are
in the coach's export of their own circle, not in the admins' programme export.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Iterable, Iterator
from itertools import islice
from typing import Any

from asgiref.sync import sync_to_async
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _

from circles.models import Circle, Membership, current_seat_via, seat_held_at
from coaching.live.models import Attendance, LiveSession
from coaching.progress import metrics
from coaching.progress.models import CheckIn

CHUNK = 2000
LINES_PER_WRITE = 500
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer inside a generator."""

    def write(self, value: str) -> str:
        return value


def cell(value: object) -> str:
    """A value made safe for spreadsheets: text that would start a formula is quoted with an apostrophe."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _lines(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a BOM, so spreadsheet apps read the names' accents as UTF-8
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([cell(value) for value in row])


def _next_lines(lines: Iterator[str]) -> str:
    return "".join(islice(lines, LINES_PER_WRITE))


async def _stream(lines: Iterator[str]) -> AsyncIterator[str]:
    # Under ASGI Django would read a synchronous iterator into a list before sending a byte; feed it
    # batches instead. thread_sensitive keeps every batch (and the database cursor) on one thread.
    while True:
        batch = await sync_to_async(_next_lines, thread_sensitive=True)(lines)
        if not batch:
            return
        yield batch


def streamed_csv(
    *, filename: str, header: list[str], rows: Iterable[Iterable[object]], asynchronous: bool
) -> StreamingHttpResponse:
    """A CSV download whose rows are produced while it is sent (`asynchronous` for an ASGI server)."""
    lines = _lines(header, rows)
    content = _stream(lines) if asynchronous else lines
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def attendance_rows(circles: QuerySet[Circle]) -> Iterator[list[Any]]:
    """A row per member expected at each ended session of these circles, present or not (one query)."""
    starts = F("circle__live_sessions__starts_at")
    record = Attendance.objects.filter(session=OuterRef("circle__live_sessions"), user=OuterRef("user"))
    seats = (
        Membership.objects.filter(
            Q(circle__live_sessions__status=LiveSession.Status.ENDED) & seat_held_at(starts),
            role=Membership.Role.MEMBER,
            circle__in=circles,
        )
        .annotate(
            present=Subquery(record.values("present")[:1]),
            seconds=Subquery(record.values("seconds_present")[:1]),
        )
        .order_by("circle__name", "circle__live_sessions__starts_at", "user__username")
        .values_list(
            "circle__name",
            "circle__live_sessions__id",
            "circle__live_sessions__title",
            "circle__live_sessions__starts_at",
            "circle__live_sessions__duration_minutes",
            "user__username",
            "user__display_name",
            "present",
            "seconds",
        )
    )
    for circle, session_id, title, starts_at, minutes, username, name, present, seconds in seats.iterator(
        chunk_size=CHUNK
    ):
        seat = metrics.Seat(bool(present), seconds or 0, minutes * 60)
        yield [
            circle,
            session_id,
            title,
            starts_at.isoformat(),
            minutes,
            username,
            name or username,
            "1" if present else "0",
            round((seconds or 0) / 60),
            metrics.percent(metrics.seat_share(seat)),
        ]


def attendance_header() -> list[str]:
    """Column names of the attendance export, in the reader's language."""
    return [
        _("circle"),
        _("session"),
        _("title"),
        _("starts (UTC)"),
        _("length (minutes)"),
        _("username"),
        _("name"),
        _("present"),
        _("minutes present"),
        _("time present (%)"),
    ]


def progress_rows(circles: QuerySet[Circle], *, with_goal_titles: bool) -> Iterator[list[Any]]:
    """A row per check-in of the members now seated in these circles, by circle, member, goal and week."""
    check_ins = (
        CheckIn.objects.filter(
            current_seat_via("member__memberships"),
            member__memberships__circle__in=circles,
            member__memberships__role=Membership.Role.MEMBER,
        )
        .order_by("member__memberships__circle__name", "member__username", "goal_id", "week")
        .values_list(
            "member__memberships__circle__name",
            "member__username",
            "member__display_name",
            "goal_id",
            "goal__title",
            "week",
            "score",
        )
    )
    for circle, username, name, goal_id, title, week, score in check_ins.iterator(chunk_size=CHUNK):
        # The goal by its title where the reader may see it; for admins only a number that tells goals apart.
        goal = title if with_goal_titles else goal_id
        yield [circle, username, name or username, goal, metrics.week_label(week), score]


def progress_header(*, with_goal_titles: bool) -> list[str]:
    """Column names of the progress export, in the reader's language."""
    goal = _("goal") if with_goal_titles else _("goal number")
    return [_("circle"), _("username"), _("name"), goal, _("week"), _("score")]
