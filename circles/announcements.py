"""Programme announcements: the one broadcast admins have, to every current member and coach."""

from __future__ import annotations

import unicodedata

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from circles.access import administered_programmes, programme_for_admin
from circles.errors import CircleRuleError
from circles.models import Announcement, Membership, Programme
from coaching.accounts.models import User
from coaching.lib.markdown import render
from coaching.notifications.kinds import Kind
from coaching.notifications.services import notify_all

MAX_TITLE = 200
MAX_BODY = 10_000


def _has_control(text: str, *, allow: str = "") -> bool:
    return any(unicodedata.category(char) == "Cc" and char not in allow for char in text)


def clean_title(title: str) -> str:
    """A title of one line; CircleRuleError (translated) otherwise."""
    title = title.strip()
    if not title or len(title) > MAX_TITLE or _has_control(title):
        raise CircleRuleError(
            _("A title needs 1 to %(max)d characters on one line.") % {"max": MAX_TITLE}, code="bad_title"
        )
    return title


def clean_body(body: str) -> str:
    """The announcement's text (markdown); CircleRuleError (translated) when empty, too long or binary."""
    body = body.strip()
    if not body or len(body) > MAX_BODY:
        raise CircleRuleError(
            _("An announcement needs 1 to %(max)d characters.") % {"max": MAX_BODY}, code="bad_body"
        )
    if _has_control(body, allow="\n\r\t"):
        raise CircleRuleError(_("The text contains characters that cannot be shown."), code="bad_body")
    return body


def recipients(programme: Programme) -> QuerySet[User]:
    """Everyone who sits in one of the programme's circles now, coaches included, each once."""
    seated = Membership.objects.current().filter(circle__programme=programme).values("user_id")
    return User.objects.filter(pk__in=seated, is_active=True)


@transaction.atomic
def announce(*, actor: User, programme: Programme, title: str, body: str) -> Announcement:
    """Store an admin's announcement and notify the programme's people; 404 for anyone but its admins."""
    programme = programme_for_admin(user=actor, programme_id=programme.pk)
    title, body = clean_title(title), clean_body(body)
    announcement = Announcement.objects.create(
        programme=programme, author=actor, title=title, body=body, body_html=render(body).html
    )
    notify_all(
        recipients=recipients(programme),
        kind=Kind.ANNOUNCEMENT,
        actor=actor,
        url=reverse("announcement", args=[announcement.pk]),
        dedupe_key=f"announcement:{announcement.pk}",
        # The email carries the announcement itself: its text, and its HTML already sanitised above.
        params={
            "programme": programme.name,
            "title": title,
            "announcement": announcement.pk,
            "body_text": body,
            "body_html": announcement.body_html,
        },
    )
    return announcement


def announcements_of(*, programme: Programme) -> QuerySet[Announcement]:
    """The programme's announcements, newest first."""
    return Announcement.objects.filter(programme=programme).select_related("author")


def announcement_for(*, user: User, announcement_id: int) -> Announcement:
    """The announcement, for its programme's admins and current members and coaches; 404 for anyone else."""
    announcement = (
        Announcement.objects.filter(pk=announcement_id).select_related("programme", "author").first()
    )
    if announcement is None or not user.is_authenticated:
        raise Http404
    programme = announcement.programme
    if administered_programmes(user=user).filter(pk=programme.pk).exists():
        return announcement
    if not recipients(programme).filter(pk=user.pk).exists():
        raise Http404
    return announcement
