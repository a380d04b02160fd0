"""Web Push endpoints: the service worker at the site root, and a person's devices (add, remove)."""

from __future__ import annotations

import binascii
import ipaddress
import json
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from coaching.accounts.requests import AuthenticatedRequest
from coaching.lib.vapid import b64url_decode
from coaching.notifications.models import PushSubscription
from coaching.notifications.push import device_label

MAX_BODY = 4096
MAX_ENDPOINT = 1000
MAX_KEY = 200


@require_GET
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    """static/js/sw.js from the site root, so its scope covers every page (browsers check the header)."""
    found = finders.find("js/sw.js")
    if not found:
        raise Http404
    with open(str(found), encoding="utf-8") as file:
        response = HttpResponse(file.read(), content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


class BadSubscription(ValueError):
    """A subscription a browser would not send; its message is shown to the person."""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def known_push_service(host: str) -> bool:
    """Whether `host` is one of WEBPUSH_SERVICE_HOSTS or under one of them."""
    host = host.lower().rstrip(".")
    return any(host == known or host.endswith("." + known) for known in settings.WEBPUSH_SERVICE_HOSTS)


def _key(value: Any, *, size: int) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_KEY:
        raise BadSubscription(_("This device's push keys are missing or malformed."))
    text = value.rstrip("=")
    if not all(c.isalnum() or c in "-_" for c in text):
        raise BadSubscription(_("This device's push keys are missing or malformed."))
    try:
        raw = b64url_decode(text)
    except (binascii.Error, ValueError):
        raise BadSubscription(_("This device's push keys are missing or malformed.")) from None
    if len(raw) != size:
        raise BadSubscription(_("This device's push keys are missing or malformed."))
    return text


def parse_subscription(body: bytes) -> tuple[str, str, str]:
    """(endpoint, p256dh, auth) from a browser's PushSubscription JSON, or BadSubscription."""
    if len(body) > MAX_BODY:
        raise BadSubscription(_("This subscription is too large."))
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadSubscription(_("This is not a push subscription.")) from None
    if not isinstance(data, dict):
        raise BadSubscription(_("This is not a push subscription."))
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT:
        raise BadSubscription(_("This subscription has no valid push address."))
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise BadSubscription(_("This subscription has no valid push address.")) from None
    secure = parts.scheme == "https" or (
        parts.scheme == "http" and settings.WEBPUSH_HTTP_LOOPBACK and _loopback(host)
    )
    if not host or not secure:
        raise BadSubscription(_("This subscription has no valid push address."))
    if not (_loopback(host) and settings.WEBPUSH_HTTP_LOOPBACK) and not known_push_service(host):
        raise BadSubscription(_("This browser's push service is not one this site sends to."))
    keys = data.get("keys")
    if not isinstance(keys, dict):
        raise BadSubscription(_("This device's push keys are missing or malformed."))
    p256dh = _key(keys.get("p256dh"), size=65)
    auth = _key(keys.get("auth"), size=16)
    try:  # the browser's public key must be a point on P-256, or nothing can be encrypted for it
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(p256dh))
    except ValueError:
        raise BadSubscription(_("This device's push keys are missing or malformed.")) from None
    return endpoint, p256dh, auth


def _refuse(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@login_required
@require_POST
def subscribe(request: AuthenticatedRequest) -> JsonResponse:
    """Store this browser's push subscription for the person (moving it from whoever had it before)."""
    try:
        endpoint, p256dh, auth = parse_subscription(request.body)
    except BadSubscription as exc:
        return _refuse(str(exc))
    label = device_label(request.headers.get("User-Agent", ""))[:200]
    fields = {"p256dh": p256dh, "auth": auth, "label": label}
    try:
        with transaction.atomic():
            device = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
            created = device is None or device.user_id != request.user.pk
            if device is None:
                device = PushSubscription.objects.create(user=request.user, endpoint=endpoint, **fields)
            else:
                # A shared browser belongs to whoever subscribed last; the other person stops getting it
                if created:
                    device.user, device.created_at = request.user, timezone.now()
                for name, value in fields.items():
                    setattr(device, name, value)
                device.save()
    except IntegrityError:  # the same browser subscribed twice at once: the other request stored it
        device = PushSubscription.objects.get(endpoint=endpoint)
        created = False
    return JsonResponse({"id": device.pk, "label": device.label}, status=201 if created else 200)


@login_required
@require_POST
def unsubscribe(request: AuthenticatedRequest) -> JsonResponse:
    """Forget this browser's subscription (by its endpoint) if it is the person's; 404 otherwise."""
    try:
        data = json.loads(request.body) if len(request.body) <= MAX_BODY else None
    except (ValueError, UnicodeDecodeError):
        data = None
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        return _refuse(_("This is not a push subscription."))
    deleted, _rows = PushSubscription.objects.filter(user=request.user, endpoint=endpoint).delete()
    if not deleted:
        return _refuse(_("This device is not among yours."), status=404)
    return JsonResponse({"removed": True})


@login_required
@require_POST
def remove_device(request: AuthenticatedRequest, device_id: int) -> HttpResponse:
    """Remove one of the person's devices from the profile's list; 404 for anyone else's."""
    deleted, _rows = PushSubscription.objects.filter(pk=device_id, user=request.user).delete()
    if not deleted:
        raise Http404
    return redirect(reverse("profile") + "#push-devices")
