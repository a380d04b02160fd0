"""Attachments: what may be shared (sniffed from the bytes), who may fetch it, binding to a send, sweeping."""

from __future__ import annotations

import datetime as dt
import io
import struct
import uuid
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from chat import attachments, services
from chat.access import access_room
from chat.filetypes import FileRefused, inspect
from chat.models import Attachment, Message, Room
from chat.threads import open_thread
from circles import services as circles_services
from circles.models import Circle
from coaching.accounts.models import User
from coaching.lib.errors import ChatError
from tests.chat.conftest import post

pytestmark = pytest.mark.django_db(transaction=False)


# ---------------------------------------------------------------- files to share


def png(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, "PNG")
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (8, 8)).save(out, "GIF")
    return out.getvalue()


def jpeg_with_gps_turned_sideways() -> bytes:
    """A 40×20 photo whose EXIF says "rotate 90°" and where it was taken."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (52.0, 31.0, 12.0)
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_bomb() -> bytes:
    """A PNG that claims 20,000×20,000 pixels in a few bytes (IHDR only says so)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 20_000, 20_000, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b"")
    )


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def stored_files() -> set[Path]:
    root = Path(settings.STORAGES["attachments"]["OPTIONS"]["location"])
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


# ---------------------------------------------------------------- helpers


@pytest.fixture
def harambee(demo: dict[str, Any]) -> Circle:
    return Circle.objects.get(pk=demo["circles"][1]["id"])


def person(username: str) -> User:
    return User.objects.get(username=username)


def client_of(username: str) -> Client:
    client = Client()
    client.force_login(person(username))
    return client


def upload_url(circle: Circle) -> str:
    return reverse("api_circle_upload", args=[circle.pk])


def send_file(client: Client, url: str, data: bytes, name: str) -> Any:
    return client.post(url, {"file": SimpleUploadedFile(name, data)})


def uploaded(username: str, circle: Circle, data: bytes, name: str) -> Attachment:
    response = send_file(client_of(username), upload_url(circle), data, name)
    assert response.status_code == 201, response.content
    return Attachment.objects.get(key=response.json()["attachment"]["id"])


def room_of(circle: Circle) -> Room:
    return access_room(person("kofi"), circle.pk)


# ---------------------------------------------------------------- what may be shared


@pytest.mark.parametrize(
    ("data", "name", "kind", "content_type", "shown_name"),
    [
        (png(), "photo.png", "image", "image/png", "photo.png"),
        (gif(), "wave.gif", "image", "image/gif", "wave.gif"),
        (pdf(), "plan.pdf", "file", "application/pdf", "plan.pdf"),
        (
            docx(),
            "notes.docx",
            "file",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "notes.docx",
        ),
        (b"Goals for May\n- sleep", "goals.txt", "file", "text/plain; charset=utf-8", "goals.txt"),
        # The type comes from the bytes: a PDF called .png is a PDF, and its download name says so.
        (pdf(), "sneaky.png", "file", "application/pdf", "sneaky.png.pdf"),
    ],
)
def test_allowed_files_are_stored_with_the_type_their_bytes_say(
    harambee, data, name, kind, content_type, shown_name
):
    response = send_file(client_of("kofi"), upload_url(harambee), data, name)
    assert response.status_code == 201, response.content
    shown = response.json()["attachment"]
    assert (shown["kind"], shown["type"], shown["name"]) == (kind, content_type, shown_name)
    attachment = Attachment.objects.get(key=shown["id"])
    assert attachment.message is None
    assert attachment.uploader == person("kofi")
    assert (shown["thumb_url"] is not None) == (kind == "image")


@pytest.mark.parametrize(
    ("data", "name", "refusal"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>',
            "drawing.svg",
            "web page code",
        ),
        (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "cat.png", "web page code"),
        # A valid GIF with a script after it: an image and a page at once.
        (gif() + b"<script>alert(document.domain)</script>", "polyglot.gif", "web page code"),
        (png_bomb(), "huge.png", "too large"),
        (b"", "empty.txt", "empty"),
        (b"MZ\x90\x00\x03" + bytes(200), "setup.exe", "cannot be shared"),
        (png()[:60], "broken.png", "damaged"),
    ],
)
def test_hostile_files_are_refused_with_a_sentence_and_nothing_is_stored(harambee, data, name, refusal):
    before = stored_files()
    response = send_file(client_of("kofi"), upload_url(harambee), data, name)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_file"
    assert refusal in response.json()["error"]["detail"]
    assert not Attachment.objects.exists()
    assert stored_files() == before


def test_a_hostile_name_reaches_storage_as_a_plain_name(harambee):
    # Django's multipart parser keeps the last part of a path and drops unprintable characters.
    attachment = uploaded("kofi", harambee, png(), "../../etc/pass\x07wd\x1b.png")
    assert attachment.name == "passwd.png"
    assert "/" not in attachment.file.name.removeprefix("chat/")


@pytest.mark.parametrize(
    ("name", "refusal"),
    [
        ("../../etc/passwd.png", "folders"),
        ("..\\boot.png", "folders"),
        ("report\x07\x1b[2J.png", "control characters"),
        ("   ", "needs a name"),
    ],
)
def test_names_with_folders_or_control_characters_are_refused_by_the_file_rule(name, refusal):
    # The rule for callers other than the multipart parser (which cleans names before we see them).
    with pytest.raises(FileRefused, match=refusal):
        inspect(png(), name=name)


def test_a_file_over_25_mb_is_refused_before_it_is_stored(harambee):
    before = stored_files()
    response = send_file(client_of("kofi"), upload_url(harambee), b"a" * (26 * 1024 * 1024), "big.txt")
    assert response.status_code == 413
    assert response.json()["error"] == {"code": "too_long", "detail": "A file can be at most 25 MB."}
    assert not Attachment.objects.exists()
    assert stored_files() == before


def test_a_room_over_its_quota_refuses_more_files_and_keeps_nothing(harambee, settings):
    settings.CHAT_FILE_QUOTA_MB = 1
    uploaded("kofi", harambee, b"x" * (700 * 1024), "first.txt")
    before = stored_files()
    response = send_file(client_of("grace"), upload_url(harambee), b"y" * (400 * 1024), "second.txt")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "quota"
    assert Attachment.objects.count() == 1
    assert stored_files() == before


def test_photos_lose_their_exif_and_gps_and_are_turned_upright(harambee):
    original = Image.open(io.BytesIO(jpeg_with_gps_turned_sideways()))
    assert original.getexif().get_ifd(0x8825)  # the test photo does say where it was taken
    attachment = uploaded("kofi", harambee, jpeg_with_gps_turned_sideways(), "beach.jpg")
    with attachment.file.open("rb") as stored:
        image = Image.open(io.BytesIO(stored.read()))
        assert image.size == (20, 40)  # the orientation was applied to the pixels
        assert not image.getexif()
        assert "exif" not in image.info
    assert (attachment.width, attachment.height) == (20, 40)
    with attachment.thumb.open("rb") as thumb:
        small = Image.open(io.BytesIO(thumb.read()))
        assert small.format == "WEBP"
        assert not small.getexif()


def test_uploading_needs_access_to_the_room(harambee):
    response = send_file(client_of("camila"), upload_url(harambee), png(), "x.png")
    assert response.status_code == 404
    response = send_file(client_of("ana.admin"), upload_url(harambee), png(), "x.png")
    assert response.status_code == 404
    response = send_file(Client(), upload_url(harambee), png(), "x.png")
    assert response.status_code == 401
    assert not Attachment.objects.exists()


# ---------------------------------------------------------------- sending with files


def test_a_send_binds_its_uploads_and_its_payload_lists_them(harambee):
    photo = uploaded("kofi", harambee, png(), "me.png")
    plan = uploaded("kofi", harambee, pdf(), "plan.pdf")
    sent = post(person("kofi"), room_of(harambee), "", attachments=(photo.key, plan.key))
    assert sent.message.body == ""
    assert set(sent.message.attachments.values_list("key", flat=True)) == {photo.key, plan.key}
    history = client_of("grace").get(reverse("api_circle_messages", args=[harambee.pk])).json()
    (message,) = history["messages"]
    assert [(a["name"], a["kind"]) for a in message["attachments"]] == [
        ("me.png", "image"),
        ("plan.pdf", "file"),
    ]
    assert message["attachments"][0]["width"] == 64


def test_a_send_cannot_carry_someone_elses_upload_and_then_stores_nothing(harambee):
    theirs = uploaded("grace", harambee, png(), "grace.png")
    with pytest.raises(ChatError) as refused:
        post(person("kofi"), room_of(harambee), "look", attachments=(theirs.key,))
    assert refused.value.code == "not_found"
    assert "not an upload of yours" in refused.value.detail
    assert not Message.objects.exists()
    theirs.refresh_from_db()
    assert theirs.message is None


def test_a_send_cannot_carry_an_upload_to_another_room_or_an_unknown_id(harambee, demo):
    other = Circle.objects.get(pk=demo["circles"][0]["id"])
    camila_file = uploaded("camila", other, png(), "p.png")
    camila_room = access_room(person("camila"), other.pk)
    with pytest.raises(ChatError):
        post(person("camila"), room_of(harambee), "x", attachments=(camila_file.key,))
    with pytest.raises(ChatError):
        post(person("camila"), camila_room, "x", attachments=(uuid.uuid4(),))
    assert not Message.objects.exists()


def test_a_retry_with_the_same_client_id_attaches_the_files_once(harambee):
    photo = uploaded("kofi", harambee, png(), "me.png")
    client_id = uuid.uuid4()
    first = post(person("kofi"), room_of(harambee), "hi", client_id=client_id, attachments=(photo.key,))
    again = post(person("kofi"), room_of(harambee), "hi", client_id=client_id, attachments=(photo.key,))
    assert again.created is False
    assert again.message.pk == first.message.pk
    assert Attachment.objects.filter(message=first.message).count() == 1
    assert Message.objects.count() == 1


def test_an_upload_sent_once_cannot_be_sent_again_with_another_message(harambee):
    photo = uploaded("kofi", harambee, png(), "me.png")
    post(person("kofi"), room_of(harambee), "first", attachments=(photo.key,))
    with pytest.raises(ChatError):
        post(person("kofi"), room_of(harambee), "second", attachments=(photo.key,))
    assert Message.objects.count() == 1


def test_a_message_without_files_does_not_read_attachments_when_sent(harambee):
    room = room_of(harambee)
    post(person("kofi"), room, "warm up")
    with CaptureQueriesContext(connection) as queries:
        post(person("kofi"), room, "plain text")
    assert not [q for q in queries.captured_queries if "chat_attachment" in q["sql"]]


# ---------------------------------------------------------------- who may fetch a file


def test_downloads_are_for_the_room_only_with_safe_headers(harambee):
    photo = uploaded("kofi", harambee, png(), "me.png")
    plan = uploaded("kofi", harambee, pdf(), "plan.pdf")
    notes = uploaded("kofi", harambee, b"just text", "notes.txt")
    post(person("kofi"), room_of(harambee), "files", attachments=(photo.key, plan.key, notes.key))
    grace = client_of("grace")
    for attachment, disposition in [(photo, "inline"), (plan, "inline"), (notes, "attachment")]:
        response = grace.get(reverse("chat_file", args=[attachment.key]))
        assert response.status_code == 200
        assert response["Content-Type"] == attachment.content_type
        assert response["Content-Disposition"].startswith(disposition)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    thumb = grace.get(reverse("chat_file_thumb", args=[photo.key]))
    assert thumb.status_code == 200
    assert thumb["Content-Type"] == "image/webp"
    assert grace.get(reverse("chat_file_thumb", args=[plan.key])).status_code == 404
    for outsider in (client_of("camila"), client_of("ana.admin"), Client()):
        for url in (reverse("chat_file", args=[photo.key]), reverse("chat_file_thumb", args=[photo.key])):
            assert outsider.get(url).status_code == 404


def test_an_unsent_upload_is_its_uploaders_alone(harambee):
    photo = uploaded("kofi", harambee, png(), "me.png")
    url = reverse("chat_file", args=[photo.key])
    assert client_of("kofi").get(url).status_code == 200
    assert client_of("grace").get(url).status_code == 404


def test_leaving_the_circle_ends_access_at_once(harambee):
    plan = uploaded("grace", harambee, pdf(), "plan.pdf")
    post(person("grace"), room_of(harambee), "plan", attachments=(plan.key,))
    kofi = client_of("kofi")
    url = reverse("chat_file", args=[plan.key])
    assert kofi.get(url).status_code == 200
    circles_services.remove_member(
        actor=person("ana.admin"), circle=harambee, member=person("kofi"), reason="left"
    )
    assert kofi.get(url).status_code == 404


def test_hidden_messages_files_are_not_downloadable(harambee, demo):
    plan = uploaded("kofi", harambee, pdf(), "plan.pdf")
    sent = post(person("kofi"), room_of(harambee), "plan", attachments=(plan.key,))
    coach = person(demo["circles"][1]["coach"])
    services.hide_message(user=coach, room=room_of(harambee), message_id=sent.message.pk)
    assert client_of("grace").get(reverse("chat_file", args=[plan.key])).status_code == 404
    assert client_of("kofi").get(reverse("chat_file", args=[plan.key])).status_code == 404
    assert list(attachments.files_of_room(room_of(harambee))) == []


def test_deleting_a_message_deletes_its_files(harambee, django_capture_on_commit_callbacks):
    photo = uploaded("kofi", harambee, png(), "me.png")
    sent = post(person("kofi"), room_of(harambee), "oops", attachments=(photo.key,))
    stored = {Path(photo.file.path), Path(photo.thumb.path)}
    assert stored <= stored_files()
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_message(user=person("kofi"), room=room_of(harambee), message_id=sent.message.pk)
    assert not Attachment.objects.exists()
    assert not stored & stored_files()
    assert client_of("grace").get(reverse("chat_file", args=[photo.key])).status_code == 404


def test_a_thread_file_is_for_its_two_people_only(demo):
    coach, member = person(demo["circles"][1]["coach"]), person("kofi")
    thread = open_thread(coach=coach, member=member)
    response = send_file(client_of("kofi"), reverse("api_thread_upload", args=[thread.pk]), pdf(), "cv.pdf")
    assert response.status_code == 201
    key = response.json()["attachment"]["id"]
    post(member, thread.room, "my cv", attachments=(uuid.UUID(key),))
    url = reverse("chat_file", args=[key])
    assert client_of(coach.username).get(url).status_code == 200
    assert client_of("grace").get(url).status_code == 404
    assert (
        send_file(
            client_of("grace"), reverse("api_thread_upload", args=[thread.pk]), pdf(), "x.pdf"
        ).status_code
        == 404
    )


def test_with_s3_a_download_redirects_to_a_short_signed_url_after_the_same_check(harambee, settings):
    plan = uploaded("kofi", harambee, pdf(), "plan.pdf")
    notes = uploaded("kofi", harambee, b"text", "notes.txt")
    post(person("kofi"), room_of(harambee), "files", attachments=(plan.key, notes.key))
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "circles-files",
                "endpoint_url": "http://127.0.0.1:9",
                "region_name": "us-east-1",
                "access_key": "test",
                "secret_key": "test-secret",
                "querystring_auth": True,
                "querystring_expire": 60,
                "signature_version": "s3v4",
            },
        },
    }
    response = client_of("grace").get(reverse("chat_file", args=[notes.key]))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("http://127.0.0.1:9/circles-files/")
    assert "X-Amz-Expires=60" in location
    assert "X-Amz-Signature=" in location
    assert "response-content-disposition=attachment" in location
    assert client_of("camila").get(reverse("chat_file", args=[notes.key])).status_code == 404


# ---------------------------------------------------------------- the room's files and the sweep


def test_files_of_room_lists_visible_sent_files_newest_first(harambee):
    room = room_of(harambee)
    old = uploaded("kofi", harambee, pdf(), "old.pdf")
    post(person("kofi"), room, "old", attachments=(old.key,))
    photo = uploaded("grace", harambee, png(), "new.png")
    post(person("grace"), room, "new", attachments=(photo.key,))
    uploaded("kofi", harambee, png(), "unsent.png")
    assert [a.name for a in attachments.files_of_room(room)] == ["new.png", "old.pdf"]
    assert [a.name for a in attachments.files_of_room(room, kind="image")] == ["new.png"]
    assert [a.name for a in attachments.files_of_room(room, author=person("kofi"))] == ["old.pdf"]


def test_the_sweep_removes_old_unsent_uploads_and_their_bytes(harambee, django_capture_on_commit_callbacks):
    sent = uploaded("kofi", harambee, png(), "sent.png")
    post(person("kofi"), room_of(harambee), "x", attachments=(sent.key,))
    orphan = uploaded("kofi", harambee, png(), "orphan.png")
    fresh = uploaded("kofi", harambee, png(), "fresh.png")
    Attachment.objects.filter(pk__in=[sent.pk, orphan.pk]).update(
        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert attachments.sweep_orphans() == 1
    assert set(Attachment.objects.values_list("name", flat=True)) == {"sent.png", "fresh.png"}
    assert Path(orphan.file.path) not in stored_files()
    assert Path(fresh.file.path) in stored_files()
