"""Web Push end to end: a browser's subscription stored through the endpoint, a notification pushed to a
local push service, the body decrypted with the browser's key; gone devices forgotten, failures retried."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.test import Client
from django.urls import reverse

from coaching.accounts.models import User
from coaching.lib.vapid import new_pair
from coaching.notifications import push
from coaching.notifications.kinds import Kind
from coaching.notifications.models import Delivery, Notification, NotificationSettings, PushSubscription
from coaching.notifications.services import mark_read, notify

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

NOON_MADRID = dt.datetime(2027, 1, 12, 11, 0, tzinfo=dt.UTC)
MIDNIGHT_MADRID = dt.datetime(2027, 1, 12, 23, 0, tzinfo=dt.UTC)  # inside 22:00-08:00 in Madrid
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class PushService:
    """A push service on 127.0.0.1: records each POST and answers with the next planned status (201)."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            service.received.append({"path": self.path, "headers": self.headers, "body": body})
            status = service.answers.pop(0) if service.answers else 201
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def vapid(settings: Any) -> tuple[str, str]:
    public, private = new_pair()
    settings.WEBPUSH_VAPID_PUBLIC_KEY = public
    settings.WEBPUSH_VAPID_PRIVATE_KEY = private
    settings.WEBPUSH_VAPID_SUBJECT = "mailto:ops@circles.example"
    settings.WEBPUSH_HTTP_LOOPBACK = True
    return public, private


@dataclass
class Browser:
    """What a browser keeps for one subscription: its ECDH key and auth secret; it sends the public half."""

    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self) -> dict[str, Any]:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)},
        }

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm")
        return json.loads(plain)


def person(username: str, *, language: str = "en", zone: str = "Europe/Madrid") -> User:
    return User.objects.create_user(
        username=username,
        password="pw",
        display_name=username.title(),
        ui_language=language,
        timezone=zone,
        email=f"{username}@x.org",
    )


def subscribe(user: User, payload: Any, *, agent: str = CHROME_ANDROID) -> Any:
    client = Client()
    client.force_login(user)
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.post(
        reverse("push_subscribe"), data=body, content_type="application/json", HTTP_USER_AGENT=agent
    )


def mention(recipient: User, actor: User, *, seq: int = 1, now: dt.datetime = NOON_MADRID) -> Notification:
    told = notify(
        recipient=recipient,
        kind=Kind.MENTION,
        actor=actor,
        url=f"/circles/7/#message-{seq}",
        dedupe_key=f"message:{seq}:mention",
        params={"circle": "Harambee"},
        snippet="¿Nos vemos a las **seis**?",
        conversation="room:7",
        position=seq,
        now=now,
    )
    assert told is not None
    return told


def vapid_claims(authorization: str, public_key: str) -> dict[str, Any]:
    """The JWT claims of a `vapid t=…, k=…` header, after checking its ES256 signature with `public_key`."""
    scheme, _, rest = authorization.partition(" ")
    assert scheme == "vapid"
    parts = dict(item.strip().split("=", 1) for item in rest.split(","))
    assert parts["k"].rstrip("=") == public_key
    header, claims, signature = parts["t"].split(".")
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    return json.loads(unb64url(claims))


def test_it_pushes_an_encrypted_mention_a_browser_can_read_in_its_owners_language(push_service, vapid):
    kofi, grace = person("kofi"), person("grace", language="es")
    browser = Browser(endpoint=f"{push_service.url}/push/grace-phone")
    stored = subscribe(grace, browser.subscription())
    assert stored.status_code == 201
    device = PushSubscription.objects.get(user=grace)
    assert device.label == "Chrome · Android"

    told = mention(grace, kofi)
    assert told.push_due_at == NOON_MADRID  # noon in Madrid: not quiet

    assert push.send_due_pushes(now=NOON_MADRID) == 1
    assert len(push_service.received) == 1
    request = push_service.received[0]
    assert request["path"] == "/push/grace-phone"
    assert request["headers"]["Content-Encoding"] == "aes128gcm"
    assert int(request["headers"]["TTL"]) > 0
    claims = vapid_claims(request["headers"]["Authorization"], vapid[0])
    assert claims["sub"] == "mailto:ops@circles.example"
    assert claims["aud"] == push_service.url
    assert b"Harambee" not in request["body"]  # encrypted on the wire

    shown = browser.decrypt(request["body"])
    assert shown["title"] == "Círculos"  # the site's name in Spanish
    assert shown["body"] == "Kofi te mencionó en Harambee\n¿Nos vemos a las seis?"
    assert shown["url"] == "/circles/7/#message-1"
    assert shown["tag"] == "room:7"
    told.refresh_from_db()
    assert told.pushed_at is not None

    # Nothing is sent twice, and a browser that unsubscribed (410 Gone) is forgotten on the next push.
    assert push.send_due_pushes(now=NOON_MADRID) == 0
    assert len(push_service.received) == 1
    push_service.answers.append(410)
    mention(grace, kofi, seq=2)
    push.send_due_pushes(now=NOON_MADRID)
    assert len(push_service.received) == 2
    assert not PushSubscription.objects.filter(user=grace).exists()


def test_it_retries_a_failed_push_on_the_next_run_and_sends_each_device_once(push_service, vapid):
    kofi, grace = person("kofi"), person("grace")
    phone, laptop = (Browser(endpoint=f"{push_service.url}/push/{name}") for name in ("phone", "laptop"))
    assert subscribe(grace, phone.subscription()).status_code == 201
    assert subscribe(grace, laptop.subscription()).status_code == 201
    told = mention(grace, kofi)

    push_service.answers.extend([201, 500])  # the phone gets it, the laptop's push service fails
    assert push.send_due_pushes(now=NOON_MADRID) == 0
    told.refresh_from_db()
    assert told.pushed_at is None
    assert PushSubscription.objects.filter(user=grace).count() == 2  # a 500 forgets nobody

    assert push.send_due_pushes(now=NOON_MADRID + dt.timedelta(minutes=1)) == 1
    paths = [request["path"] for request in push_service.received]
    assert paths == ["/push/phone", "/push/laptop", "/push/laptop"]
    assert laptop.decrypt(push_service.received[2]["body"])["body"] == (
        "Kofi mentioned you in Harambee\n¿Nos vemos a las seis?"
    )
    told.refresh_from_db()
    assert told.pushed_at is not None
    assert Delivery.objects.filter(key__startswith=f"push:{told.pk}:", sent_at__isnull=False).count() == 2


def test_it_waits_for_the_end_of_quiet_hours_before_pushing(push_service, vapid):
    kofi, grace = person("kofi"), person("grace")
    subscribe(grace, Browser(endpoint=f"{push_service.url}/push/p").subscription())
    told = mention(grace, kofi, now=MIDNIGHT_MADRID)
    assert told.push_due_at == dt.datetime(2027, 1, 13, 7, 0, tzinfo=dt.UTC)  # 08:00 in Madrid

    assert push.send_due_pushes(now=MIDNIGHT_MADRID + dt.timedelta(hours=2)) == 0
    assert push_service.received == []
    assert push.send_due_pushes(now=dt.datetime(2027, 1, 13, 7, 0, tzinfo=dt.UTC)) == 1
    assert len(push_service.received) == 1


def test_it_never_pushes_a_notification_already_read(push_service, vapid):
    kofi, grace = person("kofi"), person("grace")
    subscribe(grace, Browser(endpoint=f"{push_service.url}/push/p").subscription())
    told = mention(grace, kofi, now=MIDNIGHT_MADRID)
    mark_read(user=grace, notification_id=told.pk)

    assert push.send_due_pushes(now=MIDNIGHT_MADRID + dt.timedelta(hours=12)) == 0
    assert push_service.received == []
    told.refresh_from_db()
    assert told.push_due_at is None
    assert told.pushed_at is None


def test_it_pushes_within_seconds_of_the_notification(
    push_service, vapid, django_capture_on_commit_callbacks
):
    grace = person("grace")
    NotificationSettings.objects.create(user=grace, quiet_from=dt.time(0, 0), quiet_until=dt.time(0, 0))
    browser = Browser(endpoint=f"{push_service.url}/push/p")
    subscribe(grace, browser.subscription())
    with django_capture_on_commit_callbacks(execute=True):
        told = notify(
            recipient=grace,
            kind=Kind.SESSION_STARTING,
            url="/sessions/3/",
            dedupe_key="session:3:starting",
            params={"title": "Check-in", "circle": "Harambee"},
        )
    assert told is not None
    assert len(push_service.received) == 1  # the task ran right after commit, not at the next minute
    shown = browser.decrypt(push_service.received[0]["body"])
    assert shown == {
        "title": "Circles",
        "body": "“Check-in” in Harambee starts in 15 minutes",
        "url": "/sessions/3/",
        "tag": f"notification:{told.pk}",
    }
    assert int(push_service.received[0]["headers"]["TTL"]) == push.URGENT_TTL_SECONDS


def test_it_sends_nothing_and_says_so_when_the_site_has_no_vapid_keys(push_service, settings, caplog):
    settings.WEBPUSH_VAPID_PUBLIC_KEY = settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    kofi, grace = person("kofi"), person("grace")
    PushSubscription.objects.create(user=grace, endpoint=f"{push_service.url}/push/p", p256dh="x", auth="y")
    mention(grace, kofi)
    with caplog.at_level("WARNING"):
        assert push.send_due_pushes(now=NOON_MADRID) == 0
    assert push_service.received == []
    client = Client()
    client.force_login(grace)
    page = client.get(reverse("profile")).content.decode()
    assert "they need VAPID keys (see docs/operations.md)" in page
    assert "Notify me on this device" not in page


def test_it_moves_a_browser_to_whoever_subscribed_last(push_service, vapid):
    kofi, grace = person("kofi"), person("grace")
    browser = Browser(endpoint=f"{push_service.url}/push/shared")
    assert subscribe(kofi, browser.subscription()).status_code == 201
    assert subscribe(kofi, browser.subscription()).status_code == 200  # again: still one device
    assert subscribe(grace, browser.subscription()).status_code == 201
    assert list(PushSubscription.objects.values_list("user__username", flat=True)) == ["grace"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "This is not a push subscription."),
        ("[]", "This is not a push subscription."),
        ({"keys": {}}, "This subscription has no valid push address."),
        ({"endpoint": "ftp://push.example/x"}, "This subscription has no valid push address."),
        ({"endpoint": "http://push.example/x"}, "This subscription has no valid push address."),
        ({"endpoint": "https://push.example/x"}, "This device's push keys are missing or malformed."),
        ({"endpoint": "https://push.example/x", "keys": {"p256dh": "!!", "auth": "x"}}, "malformed"),
        (
            {
                "endpoint": "https://push.example/x",
                "keys": {"p256dh": b64url(b"\x04" + b"\x01" * 64), "auth": b64url(b"a" * 16)},
            },
            "malformed",
        ),
        ({"endpoint": "https://push.example/" + "x" * 1000}, "This subscription has no valid push address."),
        ("{" + " " * 5000 + "}", "This subscription is too large."),
    ],
)
def test_it_refuses_a_subscription_a_browser_would_not_send(vapid, settings, body, message):
    settings.WEBPUSH_HTTP_LOOPBACK = False
    grace = person("grace")
    response = subscribe(grace, body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not PushSubscription.objects.exists()


def test_it_accepts_plain_http_only_on_loopback_in_development(vapid, settings):
    grace = person("grace")
    settings.WEBPUSH_HTTP_LOOPBACK = False
    refused = subscribe(grace, Browser(endpoint="http://127.0.0.1:9/push/p").subscription())
    assert refused.status_code == 400
    settings.WEBPUSH_HTTP_LOOPBACK = True
    assert subscribe(grace, Browser(endpoint="http://127.0.0.1:9/push/p").subscription()).status_code == 201
    assert subscribe(grace, Browser(endpoint="http://push.example/p").subscription()).status_code == 400


@pytest.mark.parametrize(
    ("endpoint", "accepted"),
    [
        ("https://fcm.googleapis.com/fcm/send/abc", True),
        ("https://updates.push.services.mozilla.com/wpush/v2/abc", True),
        ("https://web.push.apple.com/abc", True),
        ("https://wns2-by3p.notify.windows.com/w/?token=abc", True),
        ("https://169.254.169.254/latest/meta-data/", False),  # the cloud's metadata service
        ("https://10.0.0.5/internal", False),
        ("https://localhost/admin", False),
        ("https://fcm.googleapis.com.evil.example/x", False),
        ("https://evilfcm.googleapis.com.example/x", False),
    ],
)
def test_it_sends_only_to_known_push_services(vapid, settings, endpoint, accepted):
    """A made-up endpoint would make the server post wherever a browser says: refused, nothing stored."""
    settings.WEBPUSH_HTTP_LOOPBACK = False
    response = subscribe(person("grace"), Browser(endpoint=endpoint).subscription())
    if accepted:
        assert response.status_code == 201
        assert PushSubscription.objects.get().endpoint == endpoint
    else:
        assert response.status_code == 400
        assert response.json()["error"] == "This browser's push service is not one this site sends to."
        assert not PushSubscription.objects.exists()


def test_it_refuses_bad_input_in_the_persons_language(vapid):
    grace = person("grace", language="es")
    response = subscribe(grace, "not json")
    assert response.status_code == 400
    assert response.json()["error"] == "Esto no es una suscripción de notificaciones."


def test_it_lets_only_the_owner_remove_a_device(push_service, vapid):
    kofi, grace = person("kofi"), person("grace")
    browser = Browser(endpoint=f"{push_service.url}/push/p")
    subscribe(grace, browser.subscription())
    device = PushSubscription.objects.get(user=grace)
    intruder = Client()
    intruder.force_login(kofi)
    assert intruder.post(reverse("push_device_remove", args=[device.pk])).status_code == 404
    unsubscribe = intruder.post(
        reverse("push_unsubscribe"), data={"endpoint": browser.endpoint}, content_type="application/json"
    )
    assert unsubscribe.status_code == 404
    assert PushSubscription.objects.filter(pk=device.pk).exists()
    assert Client().post(reverse("push_device_remove", args=[device.pk])).status_code == 302  # to sign in
    assert PushSubscription.objects.filter(pk=device.pk).exists()

    owner = Client()
    owner.force_login(grace)
    page = owner.get(reverse("profile")).content.decode()
    assert "Chrome · Android" in page
    assert 'aria-label="Remove Chrome · Android"' in page
    removed = owner.post(reverse("push_device_remove", args=[device.pk]))
    assert removed.status_code == 302
    assert removed["Location"].endswith("#push-devices")
    assert not PushSubscription.objects.exists()
    assert "No device gets notifications yet." in owner.get(reverse("profile")).content.decode()


def test_it_unsubscribes_this_browser_by_its_endpoint(push_service, vapid):
    grace = person("grace")
    browser = Browser(endpoint=f"{push_service.url}/push/p")
    subscribe(grace, browser.subscription())
    client = Client()
    client.force_login(grace)
    response = client.post(
        reverse("push_unsubscribe"), data={"endpoint": browser.endpoint}, content_type="application/json"
    )
    assert response.status_code == 200
    assert not PushSubscription.objects.exists()
    assert (
        client.post(reverse("push_unsubscribe"), data="nope", content_type="application/json").status_code
        == 400
    )
    assert client.get(reverse("push_unsubscribe")).status_code == 405


def test_it_serves_the_service_worker_from_the_site_root():
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    assert b'addEventListener("push"' in response.content


def test_it_names_devices_after_their_browser():
    assert push.device_label(CHROME_ANDROID) == "Chrome · Android"
    firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
    assert push.device_label(firefox) == "Firefox · Windows"
    safari = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Mobile/15E148 Safari/604.1"
    )
    assert push.device_label(safari) == "Safari · iPhone"
    assert push.device_label("") == ""


def test_it_keeps_pushing_others_when_one_notification_cannot_be_described(push_service, vapid, caplog):
    kofi, grace = person("kofi"), person("grace")
    subscribe(grace, Browser(endpoint=f"{push_service.url}/push/p").subscription())
    broken = notify(
        recipient=grace,
        kind=Kind.SESSION_CHANGED,
        url="/sessions/1/",
        dedupe_key="s:1",
        params={},
        now=NOON_MADRID,
    )
    assert broken is not None
    fine = mention(grace, kofi)
    with caplog.at_level("ERROR"):
        assert push.send_due_pushes(now=NOON_MADRID + dt.timedelta(seconds=1)) == 1
    assert len(push_service.received) == 1
    fine.refresh_from_db()
    broken.refresh_from_db()
    assert fine.pushed_at is not None
    assert broken.pushed_at is None  # still due: retried once fixed
    assert "push of notification" in caplog.text
