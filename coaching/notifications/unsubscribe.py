"""One-click unsubscribe: a signed token names a person and what to stop (a kind, the digest, the summary)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from coaching.accounts.models import User
from coaching.notifications.kinds import RULES, Kind
from coaching.notifications.models import Notification, NotificationSettings

DIGEST = "digest"
SUMMARY = "summary"  # the coach's weekly summary, stored in email_off beside the kinds
SALT = "notifications.unsubscribe"


@dataclass(frozen=True)
class Target:
    """Who asked to stop what."""

    user: User
    what: str


def is_target(what: str) -> bool:
    """Whether `what` is something a person can stop being emailed about."""
    return what in {DIGEST, SUMMARY} or what in Kind.__members__.values()


def label(what: str) -> str | Promise:
    """What the person stops receiving, as a phrase for the page and the preferences."""
    if what == DIGEST:
        return _("The daily digest at 8:00")
    if what == SUMMARY:
        return _("The weekly summary of my circles (coaches)")
    return RULES[Kind(what)].label


def make_token(*, user: User, what: str) -> str:
    """A token (URL-safe) that lets whoever holds it stop emails about `what` to `user`, and nothing else."""
    if not is_target(what):
        raise ValueError(what)
    return signing.dumps({"u": user.pk, "w": what}, salt=SALT)


def read_token(token: str) -> Target | None:
    """The person and target a token names; None if it is forged, tampered or names no active person."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not is_target(str(data.get("w"))):
        return None
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    return Target(user=user, what=str(data["w"])) if user else None


def is_unsubscribed(*, user: User, what: str) -> bool:
    """Whether the person already stopped emails about `what`."""
    found = NotificationSettings.objects.filter(user=user).first()
    if found is None:
        return False
    return not found.digest if what == DIGEST else what in found.email_off


@transaction.atomic
def unsubscribe(*, user: User, what: str) -> None:
    """Stop emailing `user` about `what` (dropping its emails still planned); nothing else changes."""
    if not is_target(what):
        raise ValueError(what)
    choices, _created = NotificationSettings.objects.select_for_update().get_or_create(user=user)
    if what == DIGEST:
        choices.digest = False
        choices.save(update_fields=["digest"])
        return
    if what not in choices.email_off:
        choices.email_off = [*choices.email_off, what]
        choices.save(update_fields=["email_off"])
    Notification.objects.filter(recipient=user, kind=what, emailed_at__isnull=True).update(email_due_at=None)
