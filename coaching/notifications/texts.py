"""What a notification says, in the active language and the reader's zone: one sentence per kind."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coaching.notifications.kinds import Kind
from coaching.notifications.models import Notification


def _when(value: str, zone: ZoneInfo) -> str:
    moment = dt.datetime.fromisoformat(value).astimezone(zone)
    return formats.date_format(moment, "l j F, H:i")


def describe(notification: Notification, *, zone: ZoneInfo) -> str:
    """The notification as one sentence for its recipient (who, what, where; times in `zone`)."""
    p = dict(notification.params)
    p["name"] = notification.actor.name if notification.actor else _("Someone")
    if "starts_at" in p:
        p["when"] = _when(p["starts_at"], zone)
    kind = Kind(notification.kind)
    if kind is Kind.MENTION:
        return (
            _("%(name)s mentioned you in %(circle)s") % p if p.get("circle") else _("%(name)s mentioned you")
        )
    if kind is Kind.DIRECT_MESSAGE:
        return _("%(name)s wrote to you privately") % p
    if kind is Kind.REPLY:
        return (
            _("%(name)s replied to your message in %(circle)s") % p
            if p.get("circle")
            else _("%(name)s replied to your message") % p
        )
    if kind is Kind.UNANSWERED_QUESTION:
        return _("%(name)s's question has waited %(minutes)d minutes for your answer") % p
    if kind is Kind.SESSION_SCHEDULED:
        return _("New session in %(circle)s: “%(title)s”, %(when)s") % p
    if kind is Kind.SESSION_CHANGED and p.get("following"):  # a weekly series moved from this session on
        return (
            ngettext(
                "“%(title)s” in %(circle)s moved to %(when)s, and the next session with it",
                "“%(title)s” in %(circle)s moved to %(when)s, and the next %(following)d sessions with it",
                p["following"],
            )
            % p
        )
    if kind is Kind.SESSION_CHANGED:
        return _("“%(title)s” in %(circle)s moved to %(when)s") % p
    if kind is Kind.SESSION_CANCELLED and p.get("following"):
        return (
            ngettext(
                "“%(title)s” in %(circle)s on %(when)s and the next session are cancelled",
                "“%(title)s” in %(circle)s on %(when)s and the next %(following)d sessions are cancelled",
                p["following"],
            )
            % p
        )
    if kind is Kind.SESSION_CANCELLED:
        return _("“%(title)s” in %(circle)s on %(when)s is cancelled") % p
    if kind is Kind.SESSION_TOMORROW:
        return _("“%(title)s” in %(circle)s is on %(when)s") % p
    if kind is Kind.SESSION_STARTING:
        return _("“%(title)s” in %(circle)s starts in 15 minutes") % p
    if kind is Kind.COMMITMENT_DUE:
        return _("Your commitment “%(text)s” is due tomorrow") % p
    if kind is Kind.COMMITMENT_OVERDUE:
        return _("Your commitment “%(text)s” is overdue") % p
    if kind is Kind.CONCERN_ANSWERED:
        return _("%(name)s answered your concern “%(subject)s”") % p
    if kind is Kind.CONCERN_ESCALATED:
        return _("A concern was escalated to you: “%(subject)s”") % p
    if kind is Kind.CONCERN_RAISED:
        return _("%(name)s raised a concern with you: “%(subject)s”") % p
    if kind is Kind.CONCERN_FOLLOWED_UP:
        return _("%(name)s followed up the concern “%(subject)s”") % p
    if kind is Kind.CONCERN_RESOLVED:
        return _("%(name)s marked the concern “%(subject)s” resolved") % p
    if kind is Kind.CHECK_IN_MISSED:
        return _("How did week %(week)s go? Check in on your goals") % p
    if kind is Kind.KUDOS:
        return _("%(name)s thanked you") % p
    if kind is Kind.CIRCLE_ADDED:
        return _("You are now in the circle %(circle)s") % p
    if kind is Kind.CIRCLE_MOVED:
        return _("You moved from %(from_circle)s to %(circle)s") % p
    return _("Announcement from %(programme)s: %(title)s") % p
