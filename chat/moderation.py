"""Moderation: what readers may see of hidden messages, coach mutes by id, and the admins' report queue.

Admins reach a message's text only through a Report, which holds a copy of the reported message alone;
nothing here hands them a Message's body.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from chat import services
from chat.access import room_people
from chat.models import Mute, Report, Room
from circles.models import Programme
from coaching.accounts.models import User
from coaching.lib.errors import ChatError


def mute_member_by_id(*, user: User, room: Room, member_id: int, minutes: int) -> Mute:
    """The coach mutes one of the room's people, named by id; `forbidden` for anyone but the coach."""
    # The coach check comes before the lookup so that nobody else learns who is in the room.
    services.check_room_coach(user=user, room=room, refusal=_("Only the coach can mute someone."))
    member = next((person for person in room_people(room) if person.pk == member_id), None)
    if member is None:
        raise ChatError("not_found", _("That person is not a member of this room."))
    return services.mute_member(user=user, room=room, member=member, minutes=minutes)


@dataclass(frozen=True)
class ReportRow:
    """One open report as its programme's admins see it: the reported text, never the conversation."""

    id: int
    circle: str
    text: str
    author: str
    reporter: str
    reason: str
    created_at: dt.datetime


def open_reports(*, programme: Programme) -> QuerySet[Report, Any]:
    """The programme's open reports, newest first, as plain values (the message's own body is not read)."""
    return (
        Report.objects.filter(status=Report.Status.OPEN, message__room__circle__programme=programme)
        .order_by("-created_at", "-id")
        .values(
            "id",
            "text",
            "reason",
            "created_at",
            "reporter_id",
            "message__author_id",
            "message__room__circle__name",
        )
    )


def report_rows(values: Iterable[Mapping[str, Any]]) -> list[ReportRow]:
    """Rows of `open_reports` with the names of the author and the reporter."""
    values = list(values)
    ids = {v["reporter_id"] for v in values} | {v["message__author_id"] for v in values}
    people = User.objects.in_bulk(ids)
    return [
        ReportRow(
            id=v["id"],
            circle=v["message__room__circle__name"],
            text=v["text"],
            author=people[v["message__author_id"]].name,
            reporter=people[v["reporter_id"]].name,
            reason=v["reason"],
            created_at=v["created_at"],
        )
        for v in values
    ]


def resolve_report(*, programme: Programme, report_id: int) -> bool:
    """Mark a report of the programme resolved (idempotent); `not_found` for another programme's report."""
    reports = Report.objects.filter(pk=report_id, message__room__circle__programme=programme)
    # One conditional UPDATE: two admins resolving at once both succeed and the first time is kept.
    changed = reports.filter(status=Report.Status.OPEN).update(
        status=Report.Status.RESOLVED, resolved_at=timezone.now()
    )
    if not changed and not reports.exists():
        raise ChatError("not_found", _("There is no such report in this programme."))
    return changed > 0
