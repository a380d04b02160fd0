"""Web Push: encrypted pushes of due notifications to each of the recipient's devices, each sent once.

A notification is pushed when `push_due_at` has come (quiet hours already applied by `notify`), it is still
unread and it has not been pushed. Each (notification, device) send is a `Delivery`; a device the push
service no longer knows (404/410) is forgotten, any other failure leaves the notification due for the next
run, which skips the devices already reached.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from functools import cache

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from coaching.notifications.kinds import RULES, Kind
from coaching.notifications.models import Delivery, Notification, PushSubscription
from coaching.notifications.texts import describe

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
TTL_SECONDS = 24 * 60 * 60  # a push still waiting after a day is stale: the in-app list has it
URGENT_TTL_SECONDS = 15 * 60  # "starts in 15 minutes" is useless once the session has started
GONE = {404, 410}  # the push service forgot this subscription: the browser unsubscribed or expired it


def configured() -> bool:
    """Whether this site has VAPID keys, without which no push can be sent (push is off)."""
    return bool(settings.WEBPUSH_VAPID_PUBLIC_KEY and settings.WEBPUSH_VAPID_PRIVATE_KEY)


@cache
def _said_off() -> bool:
    log.warning("Web Push is off: WEBPUSH_VAPID_PUBLIC_KEY/PRIVATE_KEY are not set (see docs/operations.md).")
    return True


@cache
def _signer(private_key: str) -> Vapid:
    return Vapid.from_string(private_key)


def payload(notification: Notification) -> dict[str, str]:
    """What the device shows, in the recipient's language and zone: title, body, link and grouping tag."""
    recipient = notification.recipient
    with translation.override(recipient.ui_language):
        body = describe(notification, zone=recipient.zone)
        if notification.snippet:
            body = f"{body}\n{notification.snippet}"
        title = str(translation.gettext("Circles"))
    # One conversation's pushes replace each other on the device (the newest says enough); anything else
    # stands alone, so two sessions scheduled together are both seen.
    tag = notification.conversation or f"notification:{notification.pk}"
    return {"title": title, "body": body, "url": notification.url, "tag": tag}


def _send(subscription: PushSubscription, data: str, *, ttl: int) -> int | None:
    """POST one encrypted push; None when the push service accepted it, else its status (0: unreachable)."""
    try:
        webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=data,
            content_encoding="aes128gcm",
            vapid_private_key=_signer(settings.WEBPUSH_VAPID_PRIVATE_KEY),
            # A new dict each time: webpush writes the push service's origin into it as the audience.
            vapid_claims={"sub": settings.WEBPUSH_VAPID_SUBJECT},
            ttl=ttl,
            timeout=TIMEOUT_SECONDS,
        )
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None) or 0
        log.info("push to device %s refused: %s", subscription.pk, status)
        return int(status)
    except requests.RequestException as exc:
        log.info("push to device %s failed: %s", subscription.pk, exc.__class__.__name__)
        return 0
    return None


def _push(notification_id: int, now: dt.datetime) -> bool:
    """Push one due notification to every device of its recipient; whether it is now done with."""
    with transaction.atomic():
        # The row lock makes the minute's run and the right-after-commit task take turns, never send twice.
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient", "actor")
            .filter(pk=notification_id, pushed_at__isnull=True, push_due_at__lte=now)
            .first()
        )
        if notification is None:
            return False
        if notification.read_at is not None:  # seen already: never pushed
            Notification.objects.filter(pk=notification.pk).update(push_due_at=None)
            return False
        data = json.dumps(payload(notification), ensure_ascii=False)
        ttl = URGENT_TTL_SECONDS if RULES[Kind(notification.kind)].urgent else TTL_SECONDS
        done = True
        for subscription in PushSubscription.objects.filter(user_id=notification.recipient_id).order_by("pk"):
            delivery, _ = Delivery.objects.get_or_create(key=f"push:{notification.pk}:{subscription.pk}")
            if delivery.sent_at is not None:
                continue
            failed = _send(subscription, data, ttl=ttl)
            if failed is None:
                Delivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now())
            elif failed in GONE:
                subscription.delete()
            else:
                done = False
        if done:
            Notification.objects.filter(pk=notification.pk).update(pushed_at=timezone.now())
        return done


def send_due_pushes(*, now: dt.datetime | None = None) -> int:
    """Push every due, unread, unpushed notification; how many were pushed to all their devices.

    Read notifications that were due lose their plan. With push off (no VAPID keys) nothing happens.
    """
    if not configured():
        _said_off()
        return 0
    now = now or timezone.now()
    Notification.objects.filter(push_due_at__lte=now, pushed_at__isnull=True, read_at__isnull=False).update(
        push_due_at=None
    )
    due = Notification.objects.filter(push_due_at__lte=now, pushed_at__isnull=True, read_at__isnull=True)
    ids = list(due.order_by("push_due_at", "pk").values_list("pk", flat=True)[:500])
    pushed = 0
    for notification_id in ids:
        try:
            pushed += _push(notification_id, now)
        except Exception:  # one broken notification must not hold back everyone else's pushes
            log.exception("push of notification %s failed; retried next minute", notification_id)
    return pushed


def send_push_now(notification_id: int, *, now: dt.datetime | None = None) -> bool:
    """Push one notification if it is due by now (called right after it is stored); whether it was."""
    if not configured():
        return False
    return _push(notification_id, now or timezone.now())


_AGENTS = [
    (r"Edg/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"SamsungBrowser/", "Samsung Internet"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Safari/", "Safari"),
]
_SYSTEMS = [
    (r"iPhone|iPod", "iPhone"),
    (r"iPad", "iPad"),
    (r"Android", "Android"),
    (r"Windows", "Windows"),
    (r"CrOS", "ChromeOS"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"Linux", "Linux"),
]


def device_label(user_agent: str) -> str:
    """A short name for a device from its browser's User-Agent ("Firefox on Android"), for the profile."""
    browser = next((name for pattern, name in _AGENTS if re.search(pattern, user_agent)), "")
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, user_agent)), "")
    if browser and system:
        return f"{browser} · {system}"
    return browser or system or user_agent[:60].strip()
