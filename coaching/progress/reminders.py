"""Commitment reminders: the day before one is due, and once it is overdue; each told once to its member."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from coaching.accounts.models import User
from coaching.live.models import Commitment
from coaching.notifications.kinds import Kind
from coaching.notifications.services import notify

# An overdue commitment is told about on its first overdue day; the window only bounds the query, so a
# worker that was down for a few days still catches up, and old ones are not looked at forever.
CATCH_UP = dt.timedelta(days=7)


def _tell(commitment: Commitment, kind: Kind, event: str, now: dt.datetime) -> bool:
    told = notify(
        recipient=commitment.member,
        kind=kind,
        url=f"{reverse('commitments')}#commitment-{commitment.pk}",
        dedupe_key=f"commitment:{commitment.pk}:{event}",
        params={"text": commitment.text, "due_on": commitment.due_on.isoformat()},
        now=now,
    )
    return told is not None


def remind_commitments(*, now: dt.datetime | None = None) -> int:
    """Tell members of open commitments due tomorrow or overdue, by their own calendar; how many told."""
    now = now or timezone.now()
    told = 0
    open_ones = Commitment.objects.filter(status=Commitment.Status.OPEN, member__is_active=True)
    # "Tomorrow" and "overdue" depend on the member's zone only: one query per zone, not per member.
    zones = User.objects.filter(pk__in=open_ones.values("member_id")).values_list("timezone", flat=True)
    for zone_name in zones.distinct().order_by():
        today = now.astimezone(ZoneInfo(zone_name)).date()
        theirs = open_ones.filter(member__timezone=zone_name).select_related("member")
        for commitment in theirs.filter(due_on=today + dt.timedelta(days=1)):
            told += _tell(commitment, Kind.COMMITMENT_DUE, "due", now)
        for commitment in theirs.filter(due_on__lt=today, due_on__gte=today - CATCH_UP):
            told += _tell(commitment, Kind.COMMITMENT_OVERDUE, "overdue", now)
    return told
