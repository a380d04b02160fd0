"""Personal data: a person downloads what is theirs (and nothing of anyone else's), and an account's
erasure keeps their messages as "a former member" without text and removes the rest; who may do either."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory
from django.urls import reverse

from chat.access import circle_room_of
from chat.models import Message, Reaction, Report
from chat.services import react, report_message
from circles.models import Circle, Enrolment, Membership, Programme
from coaching.accounts.models import User
from coaching.library import notes, pins
from coaching.live.models import Attendance, Commitment
from coaching.notifications.models import Notification, NotificationSettings, PushSubscription
from coaching.privacy.services import export_personal_data
from coaching.progress import concerns
from coaching.progress.models import CheckIn, Concern, ConcernEvent, Goal, Kudos
from tests.progress.conftest import attended, ended_session, say, user

pytestmark = pytest.mark.django_db

UTC = dt.UTC
PASSWORD = "circles-demo"


@pytest.fixture
def harambee(demo: dict[str, Any]) -> Circle:
    return Circle.objects.get(name="Harambee")


@pytest.fixture
def lives(harambee: Circle) -> dict[str, Any]:
    """Kofi's data of every kind in Harambee, beside Grace's private data of the same kinds."""
    kofi, grace, coach = user("kofi"), user("grace"), user("amani.coach")
    room = circle_room_of(harambee.pk)
    now = dt.datetime.now(UTC)
    mine = say("kofi", room, "My secret plan is marathon training", now)
    say("grace", room, "Grace's private worry about her job, @kofi", now)
    react(user=grace, room=room, message_id=mine.pk, emoji="👍", add=True)
    report_message(user=grace, room=room, message_id=mine.pk, reason="test")
    goal = Goal.objects.create(member=kofi, title="Run a marathon", measure="km per week")
    CheckIn.objects.create(
        goal=goal, member=kofi, week=dt.date(2026, 3, 2), score=7, note="kofi's knee hurts"
    )
    other_goal = Goal.objects.create(member=grace, title="Grace's goal", measure="hours")
    CheckIn.objects.create(
        goal=other_goal, member=grace, week=dt.date(2026, 3, 2), score=3, note="grace's note"
    )
    Commitment.objects.create(
        member=kofi, circle=harambee, text="Kofi runs 10 km", due_on=dt.date(2026, 4, 1), created_by=coach
    )
    Commitment.objects.create(
        member=grace, circle=harambee, text="Grace's commitment", due_on=dt.date(2026, 4, 1), created_by=coach
    )
    concern = concerns.raise_concern(
        member=kofi, circle=harambee, to="coach", subject="Kofi's concern", text="Someone is rude"
    )
    concerns.answer_concern(responder=coach, concern=concern, text="Thanks Kofi, I will talk to them")
    concerns.raise_concern(
        member=grace, circle=harambee, to="coach", subject="Grace's concern", text="grace text"
    )
    Kudos.objects.create(giver=kofi, receiver=grace, circle=harambee, contribution="kofi thanks grace")
    Kudos.objects.create(giver=grace, receiver=kofi, circle=harambee, contribution="grace thanks kofi")
    session = ended_session(harambee, now - dt.timedelta(days=2))
    attended(session, "kofi", minutes=80)
    attended(session, "grace", minutes=30)
    NotificationSettings.objects.create(user=kofi, digest=False)
    PushSubscription.objects.create(
        user=kofi, endpoint="https://push.example/kofi", p256dh="key", auth="secret", label="Kofi's phone"
    )
    notes.save_note(user=grace, circle=harambee, base=0, text="Grace's agreements")
    notes.save_note(user=kofi, circle=harambee, base=1, text="Grace's agreements\n\nKofi: we meet on time")
    pins.pin_message(user=kofi, room=room, message_id=mine.pk)
    return {"message": mine, "concern": concern, "room": room}


def unzip(data: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


# ---------------------------------------------------------------- export


def test_the_download_holds_each_kind_of_the_persons_data(lives):
    response = signed_in("kofi").get(reverse("privacy_download"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="circles-data-kofi-')
    files = unzip(response.content)
    assert sorted(files) == [
        "attendance.json",
        "check_ins.json",
        "commitments.json",
        "concerns.json",
        "files.json",
        "goals.json",
        "kudos.json",
        "library.json",
        "messages.json",
        "notifications.json",
        "profile.json",
    ]
    assert files["profile.json"]["username"] == "kofi"
    assert {c["circle"] for c in files["profile.json"]["circles"]} == {"Harambee"}
    assert [m["text"] for m in files["messages.json"]] == ["My secret plan is marathon training"]
    assert files["messages.json"][0]["room"] == {
        "circle": "Harambee",
        "programme": lives["room"].circle.programme.name,
    }
    assert [g["goal"] for g in files["goals.json"]] == ["Run a marathon"]
    assert [(c["score"], c["note"]) for c in files["check_ins.json"]] == [(7, "kofi's knee hurts")]
    assert [c["commitment"] for c in files["commitments.json"]] == ["Kofi runs 10 km"]
    (concern,) = files["concerns.json"]
    assert concern["subject"] == "Kofi's concern"
    assert [e["text"] for e in concern["history"]][-1] == "Thanks Kofi, I will talk to them"
    assert [k["for"] for k in files["kudos.json"]["given"]] == ["kofi thanks grace"]
    assert [k["for"] for k in files["kudos.json"]["received"]] == ["grace thanks kofi"]
    assert [(a["present"], a["seconds_present"]) for a in files["attendance.json"]] == [(True, 4800)]
    assert files["notifications.json"]["settings"]["daily_digest"] is False
    assert files["notifications.json"]["push_devices"][0]["device"] == "Kofi's phone"
    (revision,) = files["library.json"]["note_revisions"]  # his save only, not Grace's
    assert (revision["circle"], revision["revision"]) == ("Harambee", 2)
    assert revision["text"].endswith("Kofi: we meet on time")
    assert files["library.json"]["pins"] == [
        {
            "circle": "Harambee",
            "message_seq": lives["message"].seq,
            "pinned": files["library.json"]["pins"][0]["pinned"],
        }
    ]


def test_the_download_holds_nothing_private_of_anyone_else(lives):
    text = json.dumps(unzip(export_personal_data(user=user("kofi"))), ensure_ascii=False)
    for private in (
        "Grace's private worry",
        "grace's note",
        "Grace's goal",
        "Grace's commitment",
        "Grace's concern",
        "grace text",
        "secret",
        "push.example",
    ):
        assert private not in text.replace("My secret plan", "")


def test_there_is_no_way_to_download_someone_elses_data(lives):
    # The URL names nobody: whoever asks gets their own data, and signed out gets the sign-in page.
    files = unzip(signed_in("grace").get(reverse("privacy_download")).content)
    assert files["profile.json"]["username"] == "grace"
    assert "marathon" not in json.dumps(files)
    assert Client().get(reverse("privacy_download")).status_code == 302


def test_an_admins_download_has_no_chat_text_of_their_programme(lives):
    files = unzip(signed_in("ana.admin").get(reverse("privacy_download")).content)
    assert files["messages.json"] == []
    assert "marathon" not in json.dumps(files)


# ---------------------------------------------------------------- erasure by the person


def test_deleting_my_account_needs_my_password_and_changes_nothing_without_it(lives):
    client = signed_in("kofi")
    page = client.get(reverse("privacy_delete"))
    assert page.status_code == 200
    assert "This cannot be undone." in page.content.decode()
    refused = client.post(reverse("privacy_delete"), {"password": "wrong"})
    assert refused.status_code == 400
    assert "That is not your password." in refused.content.decode()
    assert user("kofi").erased_at is None
    assert Goal.objects.filter(member__username="kofi").exists()


def test_after_deleting_my_account_my_messages_are_a_former_members_without_text(lives):
    kofi_id, message = user("kofi").pk, lives["message"]
    client = signed_in("kofi")
    response = client.post(reverse("privacy_delete"), {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("login")

    history = signed_in("grace").get(reverse("api_circle_messages", args=[lives["room"].circle_id])).json()
    (row,) = [m for m in history["messages"] if m["id"] == message.pk]
    assert row["body"] == ""
    assert row["html"] == ""
    assert row["deleted"] is True
    assert row["author"]["display_name"] == "A former member"
    assert "kofi" not in json.dumps(row)
    # Others' messages stay as they wrote them, mentions of the person included.
    assert any(m["body"] == "Grace's private worry about her job, @kofi" for m in history["messages"])

    for model, field in [
        (Goal, "member"),
        (CheckIn, "member"),
        (Commitment, "member"),
        (Attendance, "user"),
        (Enrolment, "user"),
        (NotificationSettings, "user"),
        (PushSubscription, "user"),
        (Reaction, "user"),
        (Notification, "recipient"),
    ]:
        assert not model.objects.filter(**{f"{field}_id": kofi_id}).exists(), model
    assert not Kudos.objects.filter(giver_id=kofi_id).exists()
    assert not Kudos.objects.filter(receiver_id=kofi_id).exists()
    assert not Membership.objects.current().filter(user_id=kofi_id).exists()
    assert Report.objects.get(message=message).text == ""
    concern = Concern.objects.get(pk=lives["concern"].pk)
    assert (concern.subject, concern.text) == ("", "")
    assert set(ConcernEvent.objects.filter(concern=concern).values_list("text", flat=True)) == {""}
    assert Goal.objects.filter(member__username="grace").exists()  # nobody else's data goes

    erased = User.objects.get(pk=kofi_id)
    assert erased.username == f"erased-{kofi_id}"
    assert erased.email == ""
    assert not erased.is_active
    assert authenticate(RequestFactory().post("/"), username="kofi", password=PASSWORD) is None
    assert client.get(reverse("profile")).status_code == 302  # the session ended too
    assert not Client().login(
        request=RequestFactory().post("/"), username=f"erased-{kofi_id}", password=PASSWORD
    )


# ---------------------------------------------------------------- erasure by an admin


def erase_url(username: str, programme: Programme | None = None) -> str:
    person = user(username)
    programme_id = programme.pk if programme else Enrolment.objects.get(user=person).programme_id
    return reverse("privacy_erase_person", args=[programme_id, person.pk])


def test_an_admin_erases_a_member_of_their_programme(lives):
    client = signed_in("ana.admin")
    url = erase_url("kofi")
    assert "This cannot be undone." in client.get(url).content.decode()
    assert client.post(url, {"password": "wrong"}).status_code == 400
    assert user("kofi").erased_at is None
    response = client.post(url, {"password": PASSWORD})
    assert response.status_code == 302
    assert Message.objects.get(pk=lives["message"].pk).body == ""
    assert not User.objects.filter(username="kofi").exists()
    # The roster the admin goes back to no longer lists the person.
    roster = client.get(
        reverse("programme_roster", args=[lives["room"].circle.programme_id, lives["room"].circle_id])
    )
    assert 'data-person="kofi"' not in roster.content.decode()


def test_a_coach_or_a_member_cannot_erase_someone(lives):
    url = erase_url("kofi")
    for username in ("amani.coach", "grace"):
        assert signed_in(username).post(url, {"password": PASSWORD}).status_code == 404
    assert user("kofi").erased_at is None


def test_an_admin_of_another_programme_cannot_erase(lives):
    other_admin = User.objects.create_user("otto.admin", password=PASSWORD, is_programme_admin=True)
    other = Programme.objects.create(name="Another programme")
    other.admins.add(other_admin)
    client = signed_in("otto.admin")
    assert client.post(erase_url("kofi"), {"password": PASSWORD}).status_code == 404
    # Nor through their own programme's URL, where the person is not enrolled.
    url = reverse("privacy_erase_person", args=[other.pk, user("kofi").pk])
    assert client.post(url, {"password": PASSWORD}).status_code == 404
    assert user("kofi").erased_at is None


def test_an_admin_cannot_erase_someone_who_is_also_in_a_programme_they_do_not_run(lives):
    other = Programme.objects.create(name="Another programme")
    Enrolment.objects.create(programme=other, user=user("kofi"))
    ours = Programme.objects.get(admins__username="ana.admin")
    response = signed_in("ana.admin").post(erase_url("kofi", ours), {"password": PASSWORD})
    assert response.status_code == 403
    assert "ask its admins" in response.content.decode()
    assert user("kofi").erased_at is None


def test_the_download_carries_the_files_i_shared_but_not_others(lives, harambee):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chat.models import Attachment
    from tests.chat.conftest import post

    def share(username: str, data: bytes, name: str) -> None:
        response = signed_in(username).post(
            reverse("api_circle_upload", args=[harambee.pk]), {"file": SimpleUploadedFile(name, data)}
        )
        assert response.status_code == 201, response.content
        key = Attachment.objects.get(key=response.json()["attachment"]["id"]).key
        post(user(username), lives["room"], "", attachments=(key,))

    share("kofi", b"Kofi's training plan\n", "plan.txt")
    share("grace", b"Grace's private notes\n", "grace.txt")
    with zipfile.ZipFile(io.BytesIO(export_personal_data(user=user("kofi")))) as archive:
        (listed,) = json.loads(archive.read("files.json"))
        assert listed["file"].endswith("/plan.txt")
        assert listed["circle"] == "Harambee"
        assert archive.read(listed["file"]) == b"Kofi's training plan\n"
        assert not [name for name in archive.namelist() if name.endswith("grace.txt")]


def test_the_download_carries_my_photo_but_not_my_circle_mates(lives, django_capture_on_commit_callbacks):
    from coaching.accounts.photos import replace_photo

    kofis, graces = b"RIFF kofi's portrait WEBP", b"RIFF grace's portrait WEBP"
    with django_capture_on_commit_callbacks(execute=True):
        replace_photo(user=user("kofi"), portrait=kofis)
        replace_photo(user=user("grace"), portrait=graces)
    response = signed_in("kofi").get(reverse("privacy_download"))
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert json.loads(archive.read("profile.json"))["photo"] == "photo.webp"
        assert archive.read("photo.webp") == kofis
        assert not [name for name in archive.namelist() if graces in archive.read(name)]
        assert not [name for name in archive.namelist() if name.endswith(".webp") and name != "photo.webp"]


def test_without_a_photo_the_download_has_none(lives):
    files = unzip(signed_in("kofi").get(reverse("privacy_download")).content)
    assert files["profile.json"]["photo"] is None
    assert "photo.webp" not in files
