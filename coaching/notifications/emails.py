"""Notification emails: one per conversation burst, one per other notification, the digest; each sent once.

Every send goes through `send_once`: a `Delivery` row keyed by what is sent is created (and locked) before
the SMTP call and stamped after it, so a retried run finds it and sends nothing twice; a failed SMTP call
leaves the notifications due for the next run and does not stop the others. Emails are written in the
recipient's language and zone, carry only the snippet stored on the notification (never chat text fetched
here), and name a one-click unsubscribe (RFC 8058) for what they are about.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from coaching.accounts.models import User
from coaching.notifications import unsubscribe
from coaching.notifications.kinds import RULES, Email, Kind
from coaching.notifications.models import Delivery, Notification
from coaching.notifications.services import settings_of
from coaching.notifications.texts import describe

log = logging.getLogger(__name__)

DIGEST_AT = dt.time(8, 0)
DIGEST_UNTIL = dt.time(8, 15)  # the digest task runs every 15 minutes: exactly one run falls in this window
DIGEST_LOOKBACK = dt.timedelta(days=7)  # never dig further back than this for a first digest

BURST_KINDS = [kind.value for kind in Kind if RULES[kind].email is Email.BURST]

# The digest's sections, in order, with the kinds each gathers.
SECTIONS: list[tuple[Promise, list[Kind]]] = [
    (
        gettext_lazy("Messages"),
        [Kind.MENTION, Kind.DIRECT_MESSAGE, Kind.REPLY, Kind.UNANSWERED_QUESTION],
    ),
    (
        gettext_lazy("Sessions"),
        [
            Kind.SESSION_SCHEDULED,
            Kind.SESSION_CHANGED,
            Kind.SESSION_CANCELLED,
            Kind.SESSION_TOMORROW,
            Kind.SESSION_STARTING,
        ],
    ),
    (gettext_lazy("Commitments"), [Kind.COMMITMENT_DUE, Kind.COMMITMENT_OVERDUE, Kind.CHECK_IN_MISSED]),
    (
        gettext_lazy("Concerns"),
        [
            Kind.CONCERN_RAISED,
            Kind.CONCERN_FOLLOWED_UP,
            Kind.CONCERN_ANSWERED,
            Kind.CONCERN_ESCALATED,
            Kind.CONCERN_RESOLVED,
        ],
    ),
    (gettext_lazy("Thanks"), [Kind.KUDOS]),
    (gettext_lazy("Circles and announcements"), [Kind.CIRCLE_ADDED, Kind.CIRCLE_MOVED, Kind.ANNOUNCEMENT]),
]
assert sorted(k for _title, kinds in SECTIONS for k in kinds) == sorted(Kind), "every kind in one section"


class Outcome(enum.Enum):
    """What became of one send."""

    SENT = "sent"
    ALREADY = "already"  # an earlier run sent it
    FAILED = "failed"  # the SMTP server refused or was unreachable: try again next run
    NOTHING = "nothing"  # nothing to say


# Building -------------------------------------------------------------------------------------------------


def absolute(path: str) -> str:
    """A path on this site as a full link for an email (SITE_URL in front)."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def unsubscribe_url(*, user: User, what: str) -> str:
    """The one-click link that stops emails about `what` (a kind, "digest" or "summary") to `user`."""
    token = unsubscribe.make_token(user=user, what=what)
    return absolute(reverse("notifications_unsubscribe", args=[token]))


def local_time(moment: dt.datetime, user: User) -> str:
    """A moment as the person reads it: their zone, their language's format (call inside their language)."""
    return formats.date_format(moment.astimezone(user.zone), "DATETIME_FORMAT")


def build_email(
    *,
    user: User,
    subject: Callable[[], str],
    template: str,
    context: Callable[[], dict[str, Any]],
    unsubscribe_what: str,
) -> EmailMultiAlternatives:
    """An email to `user` in their language and zone: text and HTML from notifications/email/<template>.

    `subject` and `context` are called with the person's language active, so their strings are theirs.
    The email names a one-click unsubscribe (RFC 8058) for `unsubscribe_what`.
    """
    link = unsubscribe_url(user=user, what=unsubscribe_what)
    with translation.override(user.ui_language), timezone.override(user.zone):
        values = {
            "user": user,
            "site_url": settings.SITE_URL.rstrip("/"),
            "unsubscribe_url": link,
            "unsubscribe_label": str(unsubscribe.label(unsubscribe_what)),
            "preferences_url": absolute(reverse("profile")) + "#notification-preferences",
            **context(),
        }
        title = " ".join(subject().split())  # a header on one line
        values.setdefault("title", title)
        text = render_to_string(f"notifications/email/{template}.txt", values)
        html = render_to_string(f"notifications/email/{template}.html", values)
    message = EmailMultiAlternatives(
        subject=title,
        body=text,
        to=[user.email],
        headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    message.attach_alternative(html, "text/html")
    return message


# Sending once -------------------------------------------------------------------------------------------


def send_once(*, key: str, build: Callable[[], EmailMultiAlternatives | None], now: dt.datetime) -> Outcome:
    """Send what `build` makes, unless a send under `key` already went out; an SMTP failure is FAILED."""
    with transaction.atomic():
        made, _created = Delivery.objects.get_or_create(key=key)
        # The lock makes a second worker running the same send wait, then find it sent.
        delivery = Delivery.objects.select_for_update().get(pk=made.pk)
        if delivery.sent_at is not None:
            return Outcome.ALREADY
        message = build()
        if message is None:
            delivery.delete()
            return Outcome.NOTHING
        try:
            message.send()
        except (smtplib.SMTPException, OSError):
            log.warning("email %s not sent; it stays due for the next run", key, exc_info=True)
            return Outcome.FAILED
        delivery.sent_at = now
        delivery.save(update_fields=["sent_at"])
        return Outcome.SENT


@dataclass(frozen=True)
class Item:
    """One notification as an email shows it."""

    sentence: str
    snippet: str
    when: str
    url: str
    body_text: str = ""  # an announcement's own text (its markdown source)
    body_html: str = ""  # and its HTML, sanitised when the announcement was stored


def _announcement(notification: Notification) -> dict[str, str]:
    if notification.kind != Kind.ANNOUNCEMENT:
        return {}
    params = notification.params
    return {"body_text": str(params.get("body_text", "")), "body_html": str(params.get("body_html", ""))}


def _items(notifications: Iterable[Notification], user: User) -> list[Item]:
    return [
        Item(
            sentence=describe(n, zone=user.zone),
            snippet=n.snippet,
            when=local_time(n.created_at, user),
            url=absolute(n.url),
            **_announcement(n),
        )
        for n in notifications
    ]


def _lock_unsent(ids: Iterable[int]) -> list[Notification]:
    """Those of `ids` still unread and un-emailed, oldest first, locked (skipping rows another run holds)."""
    return list(
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=ids, emailed_at__isnull=True, read_at__isnull=True)
        .select_related("actor")
        .order_by("created_at", "id")
    )


def _email_notifications(
    *,
    user: User,
    ids: list[int],
    burst: str,
    now: dt.datetime,
) -> Outcome:
    """Email `user` about the notifications `ids` still unread and un-emailed, once; mark them emailed.

    A burst (`burst` names its conversation) is keyed by its first notification, so a retry of the same
    burst finds the send already made even if more messages joined it since.
    """
    with transaction.atomic():
        rows = _lock_unsent(ids)
        if not rows:
            return Outcome.NOTHING
        first = rows[0]

        def subject() -> str:
            sentence = describe(first, zone=user.zone)
            if len(rows) == 1:
                return sentence
            more = len(rows) - 1
            return ngettext(
                "%(sentence)s (and %(count)d more)", "%(sentence)s (and %(count)d more)", more
            ) % {
                "sentence": sentence,
                "count": more,
            }

        def context() -> dict[str, Any]:
            return {
                "items": _items(rows, user),
                "action_url": absolute(rows[-1].url),
                "action_label": _("Open the conversation") if first.conversation else _("Open in Circles"),
            }

        outcome = send_once(
            key=f"email:burst:{user.pk}:{burst}:{first.pk}" if burst else f"email:{first.pk}",
            build=lambda: build_email(
                user=user,
                subject=subject,
                template="notifications",
                context=context,
                unsubscribe_what=first.kind,
            ),
            now=now,
        )
        if outcome in (Outcome.SENT, Outcome.ALREADY):
            Notification.objects.filter(pk__in=[n.pk for n in rows]).update(emailed_at=now)
        return outcome


def _may_email(user: User) -> bool:
    return bool(user.is_active and user.email)


def send_due_emails(*, now: dt.datetime | None = None) -> int:
    """Send the notification emails that are due; how many emails went out.

    Mentions, private messages and replies go as one email per conversation per burst, covering every
    unread, un-emailed one of that conversation; every other kind goes alone. A notification read before
    its email was due is never emailed, nor one of a kind the person stopped emailing since.
    """
    now = now or timezone.now()
    pending = Notification.objects.filter(email_due_at__isnull=False, emailed_at__isnull=True)
    pending.filter(read_at__isnull=False).update(email_due_at=None)
    due = (
        pending.filter(email_due_at__lte=now, read_at__isnull=True)
        .select_related("recipient")
        .order_by("email_due_at", "id")
    )
    bursts: dict[tuple[int, str], User] = {}
    singles: list[tuple[User, int]] = []
    dropped: list[int] = []
    off: dict[int, list[str]] = {}
    for notification in due:
        user = notification.recipient
        if user.pk not in off:
            off[user.pk] = list(settings_of(user).email_off)
        if not _may_email(user) or notification.kind in off[user.pk]:
            dropped.append(notification.pk)
        elif notification.kind in BURST_KINDS and notification.conversation:
            bursts.setdefault((user.pk, notification.conversation), user)
        else:
            singles.append((user, notification.pk))
    if dropped:
        Notification.objects.filter(pk__in=dropped).update(email_due_at=None)

    sent = 0
    for (user_id, conversation), user in bursts.items():
        # The whole burst: every unread, un-emailed message notification of the conversation, due or not yet.
        ids = list(
            pending.filter(
                recipient_id=user_id,
                conversation=conversation,
                read_at__isnull=True,
                kind__in=[k for k in BURST_KINDS if k not in off[user_id]],
            ).values_list("pk", flat=True)
        )
        sent += safely(partial(_email_notifications, user=user, ids=ids, burst=conversation, now=now))
    for user, notification_id in singles:
        sent += safely(partial(_email_notifications, user=user, ids=[notification_id], burst="", now=now))
    return sent


def safely(send: Callable[[], Outcome]) -> int:
    """1 if the send went out; an unexpected error is logged, and the others still go."""
    try:
        return 1 if send() is Outcome.SENT else 0
    except Exception:  # one broken email must not stop everyone else's
        log.exception("notification email failed")
        return 0


# The daily digest ---------------------------------------------------------------------------------------


def _digest_rows(user: User, now: dt.datetime) -> list[int]:
    """The person's unread, un-emailed notifications since their last digest, of kinds they let us email."""
    last = (
        Delivery.objects.filter(key__startswith=f"digest:{user.pk}:", sent_at__isnull=False)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    since = max(last, now - DIGEST_LOOKBACK) if last else now - DIGEST_LOOKBACK
    return list(
        Notification.objects.filter(
            recipient=user, read_at__isnull=True, emailed_at__isnull=True, created_at__gte=since
        )
        .exclude(kind__in=settings_of(user).email_off)
        .values_list("pk", flat=True)
    )


def _send_digest(*, user: User, key: str, now: dt.datetime) -> Outcome:
    ids = _digest_rows(user, now)
    if not ids:
        return Outcome.NOTHING
    with transaction.atomic():
        rows = _lock_unsent(ids)
        if not rows:
            return Outcome.NOTHING

        def subject() -> str:
            return ngettext(
                "What you missed: %(count)d notification",
                "What you missed: %(count)d notifications",
                len(rows),
            ) % {"count": len(rows)}

        def context() -> dict[str, Any]:
            sections = []
            for title, kinds in SECTIONS:
                mine = [n for n in rows if n.kind in kinds]
                if mine:
                    sections.append({"title": str(title), "items": _items(mine, user)})
            return {
                "sections": sections,
                "action_url": absolute(reverse("notifications")),
                "local_date": formats.date_format(now.astimezone(user.zone), "DATE_FORMAT"),
            }

        outcome = send_once(
            key=key,
            build=lambda: build_email(
                user=user, subject=subject, template="digest", context=context, unsubscribe_what="digest"
            ),
            now=now,
        )
        if outcome in (Outcome.SENT, Outcome.ALREADY):
            Notification.objects.filter(pk__in=[n.pk for n in rows]).update(emailed_at=now, email_due_at=None)
        return outcome


def is_local_time(now: dt.datetime, user: User, *, weekday: int | None = None) -> bool:
    """Whether it is between 8:00 and 8:15 on the person's clock (and on `weekday`, 0 = Monday, if given)."""
    local = now.astimezone(user.zone)
    in_window = DIGEST_AT <= local.time() < DIGEST_UNTIL
    return in_window and (weekday is None or local.weekday() == weekday)


def send_digests(*, now: dt.datetime | None = None) -> int:
    """At 8:00 on each person's own clock, one email of what they missed (if anything); how many went out.

    Run every 15 minutes: a person whose local time is in [08:00, 08:15), with the digest on and none sent
    for their local date yet, gets their unread, un-emailed notifications since their last digest.
    """
    now = now or timezone.now()
    people = (
        User.objects.filter(
            is_active=True,
            notifications__read_at__isnull=True,
            notifications__emailed_at__isnull=True,
        )
        .exclude(email="")
        .distinct()
    )
    sent = 0
    for user in people:
        if not is_local_time(now, user) or not settings_of(user).digest:
            continue
        key = f"digest:{user.pk}:{now.astimezone(user.zone).date().isoformat()}"
        sent += safely(partial(_send_digest, user=user, key=key, now=now))
    return sent
