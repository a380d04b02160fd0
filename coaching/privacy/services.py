"""A person's data: `export_personal_data` (a zip of JSON files, their photo and the files they shared) and
`erase_account` (one transaction).

This app reads and writes the models of every other app, so none of them imports it. The policy of
what an erasure keeps and removes is stated in docs/operations.md ("Personal data"); `erase_account`
is that policy in code, in the same order.

Who may do it: `check_may_erase` (the person themselves, or an admin of a programme the person is in
and of every programme they are in; never another admin or a superuser, except by a superuser).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import PurePosixPath
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from chat.models import Attachment, Message, Thread
from chat.services import erase_messages_of
from circles.access import administered_programmes
from circles.models import (
    AssignmentAudit,
    CoachPreference,
    CoachProfile,
    Enrolment,
    Invitation,
    Membership,
    Programme,
)
from coaching.accounts.models import AvailabilityWindow, User
from coaching.accounts.photos import remove_photo
from coaching.library.models import NoteRevision, Pin
from coaching.live.models import Attendance, AttendanceSpan, Commitment
from coaching.notifications.models import Notification, NotificationSettings, PushSubscription
from coaching.progress.models import CheckIn, CheckInReminder, Concern, ConcernEvent, Goal, Kudos


class ErasureRefused(Exception):
    """This actor may not erase this account; the message says why, translated."""


def _when(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


# ---------------------------------------------------------------- export


def _photo_name(user: User) -> str | None:
    """Where the person's profile photo sits in their download ("photo.webp"), if they have one."""
    return f"photo{PurePosixPath(str(user.photo.name)).suffix}" if user.photo else None


def _profile(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "display_name": user.display_name,
        "time_zone": user.timezone,
        "languages": user.languages,
        "site_language": user.ui_language,
        "focus_areas": user.focus_areas,
        "about": user.bio,
        "working_on": user.working_on,
        "has_photo": bool(user.photo),
        "photo": _photo_name(user),
        "joined": _when(user.date_joined),
        "last_sign_in": _when(user.last_login),
        "availability": [
            {"weekday": w.weekday, "from": w.starts_at.isoformat(), "until": w.ends_at.isoformat()}
            for w in AvailabilityWindow.objects.filter(user=user)
        ],
        "programmes": [
            {"programme": e.programme.name, "role": e.role, "enrolled": _when(e.enrolled_at)}
            for e in Enrolment.objects.filter(user=user).select_related("programme").order_by("id")
        ],
        "circles": [
            {
                "circle": m.circle.name,
                "programme": m.circle.programme.name,
                "role": m.role,
                "joined": _when(m.joined_at),
                "left": _when(m.left_at),
                "charter_accepted": _when(m.charter_accepted_at),
            }
            for m in Membership.objects.filter(user=user).select_related("circle__programme").order_by("id")
        ],
        "coach_profile": next(
            (
                {"capacity": p.capacity, "specialities": p.specialities}
                for p in CoachProfile.objects.filter(user=user)
            ),
            None,
        ),
        "coach_preferences": [
            {"coach": p.coach.name, "preference": p.kind}
            for p in CoachPreference.objects.filter(member=user).select_related("coach").order_by("id")
        ],
    }


def _messages(user: User) -> list[dict[str, Any]]:
    """The person's own messages only: what others wrote is theirs."""
    threads = {
        t.room_id: t
        for t in Thread.objects.filter(Q(coach=user) | Q(member=user)).select_related("coach", "member")
    }
    rows = []
    messages = Message.objects.filter(author=user).select_related("room__circle__programme").order_by("id")
    for message in messages.iterator(chunk_size=500):
        room = message.room
        where: dict[str, str | None]
        if room.circle is not None:
            where = {"circle": room.circle.name, "programme": room.circle.programme.name}
        else:
            thread = threads.get(room.pk)
            other = (
                thread.member if thread and thread.coach_id == user.pk else thread.coach if thread else None
            )
            where = {"thread_with": other.name if other else None}
        rows.append(
            {
                "room": where,
                "seq": message.seq,
                "sent": _when(message.created_at),
                "edited": _when(message.edited_at),
                "deleted": message.deleted_at is not None,
                "text": message.body,
            }
        )
    return rows


def _goals(user: User) -> list[dict[str, Any]]:
    return [
        {
            "id": g.pk,
            "goal": g.title,
            "why": g.why,
            "measure": g.measure,
            "target_date": _when(g.target_date),
            "set": _when(g.created_at),
            "closed": _when(g.closed_at),
        }
        for g in Goal.objects.filter(member=user)
    ]


def _check_ins(user: User) -> list[dict[str, Any]]:
    return [
        {"goal_id": c.goal_id, "goal": c.goal.title, "week": _when(c.week), "score": c.score, "note": c.note}
        for c in CheckIn.objects.filter(member=user).select_related("goal")
    ]


def _commitments(user: User) -> list[dict[str, Any]]:
    return [
        {
            "commitment": c.text,
            "circle": c.circle.name,
            "session": c.session.title if c.session else None,
            "due": _when(c.due_on),
            "status": c.status,
            "closed": _when(c.closed_at),
            "note": c.close_note,
            "made": _when(c.created_at),
        }
        for c in Commitment.objects.filter(member=user).select_related("circle", "session")
    ]


def _concerns(user: User) -> list[dict[str, Any]]:
    """The concerns the person raised, with their history (the answers they were given)."""
    return [
        {
            "subject": c.subject,
            "text": c.text,
            "circle": c.circle.name,
            "raised_to": c.to,
            "status": c.status,
            "raised": _when(c.created_at),
            "resolved": _when(c.resolved_at),
            "history": [
                {
                    "what": e.kind,
                    "by": e.actor.name if e.actor else None,
                    "text": e.text,
                    "when": _when(e.created_at),
                }
                for e in c.events.select_related("actor")
            ],
        }
        for c in Concern.objects.filter(member=user).select_related("circle")
    ]


def _kudos(user: User) -> dict[str, list[dict[str, Any]]]:
    def row(k: Kudos, other: User) -> dict[str, Any]:
        return {
            "with": other.name,
            "circle": k.circle.name,
            "for": k.contribution,
            "when": _when(k.created_at),
        }

    related = Kudos.objects.select_related("giver", "receiver", "circle")
    return {
        "given": [row(k, k.receiver) for k in related.filter(giver=user)],
        "received": [row(k, k.giver) for k in related.filter(receiver=user)],
    }


def _attendance(user: User) -> list[dict[str, Any]]:
    return [
        {
            "session": a.session.title,
            "circle": a.session.circle.name,
            "starts": _when(a.session.starts_at),
            "present": a.present,
            "first_joined": _when(a.joined_at),
            "last_left": _when(a.left_at),
            "seconds_present": a.seconds_present,
            "seconds_on_stage": a.seconds_on_stage,
            "hands_raised": a.hands_raised,
            "note": a.note,
        }
        for a in Attendance.objects.filter(user=user)
        .select_related("session__circle")
        .order_by("session__starts_at")
    ]


def _notification_settings(user: User) -> dict[str, Any]:
    chosen = NotificationSettings.objects.filter(user=user).first()
    return {
        "settings": None
        if chosen is None
        else {
            "quiet_from": chosen.quiet_from.isoformat(),
            "quiet_until": chosen.quiet_until.isoformat(),
            "daily_digest": chosen.digest,
            "not_by_email": chosen.email_off,
            "not_by_push": chosen.push_off,
        },
        # The device names only: the push keys are secrets of the browser, not information about the person.
        "push_devices": [
            {"device": d.label, "added": _when(d.created_at)}
            for d in PushSubscription.objects.filter(user=user)
        ],
    }


def _library(user: User) -> dict[str, list[dict[str, Any]]]:
    """The circle-notes revisions the person saved (each the whole text as they left it) and their pins."""
    revisions = NoteRevision.objects.filter(author=user).select_related("note__circle").order_by("id")
    pins = Pin.objects.filter(pinned_by=user).select_related("room__circle", "message").order_by("id")
    return {
        "note_revisions": [
            {"circle": r.note.circle.name, "revision": r.number, "saved": _when(r.created_at), "text": r.text}
            for r in revisions
        ],
        "pins": [
            {
                "circle": p.room.circle.name if p.room.circle else None,
                "message_seq": p.message.seq,
                "pinned": _when(p.pinned_at),
            }
            for p in pins
        ],
    }


def export_personal_data(*, user: User) -> bytes:
    """A zip of JSON files with everything Circles holds about `user` that is theirs (UTC times), with their
    profile photo and the files they shared."""
    files = {
        "profile.json": _profile(user),
        "messages.json": _messages(user),
        "goals.json": _goals(user),
        "check_ins.json": _check_ins(user),
        "commitments.json": _commitments(user),
        "concerns.json": _concerns(user),
        "kudos.json": _kudos(user),
        "attendance.json": _attendance(user),
        "notifications.json": _notification_settings(user),
        "library.json": _library(user),
    }
    shared = list(
        Attachment.objects.filter(uploader=user, message__isnull=False, message__deleted_at__isnull=True)
        .select_related("room__circle")
        .order_by("id")
    )
    files["files.json"] = [
        {
            "file": f"files/{a.key}/{a.name}",
            "type": a.content_type,
            "size": a.size,
            "shared": _when(a.created_at),
            "circle": a.room.circle.name if a.room.circle else None,
        }
        for a in shared
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, json.dumps(content, ensure_ascii=False, indent=2))
        for attachment in shared:  # the files they shared, as they were stored (images without their EXIF)
            with attachment.file.open("rb") as stored:
                archive.writestr(f"files/{attachment.key}/{attachment.name}", stored.read())
        photo = _photo_name(user)
        if photo:  # the portrait as stored (square, without metadata): what others see of them
            with user.photo.open("rb") as stored:
                archive.writestr(photo, stored.read())
    return buffer.getvalue()


# ---------------------------------------------------------------- erasure


def check_may_erase(*, actor: User, person: User, programme: Programme | None = None) -> None:
    """The person themselves; or an admin of `programme`, where the person is enrolled, who also runs
    every other programme the person is in. Refuses with ErasureRefused (translated)."""
    if person.erased_at is not None:
        raise ErasureRefused(_("This account was already erased."))
    if actor.pk == person.pk:
        return
    if programme is None or not administered_programmes(user=actor).filter(pk=programme.pk).exists():
        raise ErasureRefused(_("Only an admin of the person's programme can erase their account."))
    theirs = set(Enrolment.objects.filter(user=person).values_list("programme_id", flat=True))
    if programme.pk not in theirs:
        raise ErasureRefused(_("This person is not in this programme."))
    if not actor.is_superuser:
        if theirs - set(administered_programmes(user=actor).values_list("pk", flat=True)):
            raise ErasureRefused(_("This person is also in a programme you do not run: ask its admins."))
        if person.is_superuser or person.administered_programmes.exists():
            raise ErasureRefused(_("An admin's account can only be erased by that admin or a superuser."))


def _end_seats(*, person: User, actor: User, now: dt.datetime) -> None:
    """Current seats end, each with an audit entry (ids only); past seats stay as the circle's history."""
    for seat in Membership.objects.current().filter(user=person).select_related("circle"):
        seat.left_at = now
        seat.save(update_fields=["left_at"])
        AssignmentAudit.objects.create(
            programme_id=seat.circle.programme_id,
            actor=actor,
            action=AssignmentAudit.Action.REMOVE,
            subject=person,
            from_circle=seat.circle,
            reason="account erased",
        )


def _anonymise(person: User, now: dt.datetime) -> None:
    person.username = f"erased-{person.pk}"
    person.email = person.first_name = person.last_name = person.display_name = ""
    person.password = make_password(None)  # unusable: nobody signs in as this account again
    person.is_active = person.is_staff = person.is_superuser = person.is_programme_admin = False
    person.timezone, person.languages, person.focus_areas, person.calendar_token = "UTC", [], [], None
    person.bio = person.working_on = ""
    remove_photo(user=person)  # the stored file goes after the commit
    person.last_login = None
    person.erased_at = now
    person.save()  # post_save closes the person's open sockets once this commits (chat.receivers)


def _end_sessions(person: User) -> None:
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(person.pk):
            session.delete()


@transaction.atomic
def erase_account(*, user: User, actor: User) -> None:
    """Erase `user`'s account in one transaction, as docs/operations.md states (the caller checked access)."""
    person = User.objects.select_for_update().get(pk=user.pk)
    now = timezone.now()
    # Chat: messages stay as tombstones of "a former member"; everything else of theirs goes.
    erase_messages_of(author=person)
    # Circles: seats end (audited), the rest of what they chose or were given goes.
    _end_seats(person=person, actor=actor, now=now)
    Enrolment.objects.filter(user=person).delete()
    CoachProfile.objects.filter(user=person).delete()
    CoachPreference.objects.filter(Q(member=person) | Q(coach=person)).delete()
    Invitation.objects.filter(user=person).delete()
    AvailabilityWindow.objects.filter(user=person).delete()
    # Progress and live: their own records go; what they wrote about others' records keeps its place.
    CheckIn.objects.filter(member=person).delete()
    CheckInReminder.objects.filter(member=person).delete()
    Goal.objects.filter(member=person).delete()
    Commitment.objects.filter(member=person).delete()
    Kudos.objects.filter(Q(giver=person) | Q(receiver=person)).delete()
    Attendance.objects.filter(user=person).delete()
    Attendance.objects.filter(corrected_by=person).update(corrected_by=None)
    AttendanceSpan.objects.filter(user=person).delete()
    # Concerns are never deleted (the programme's record that one was raised and handled): their words go.
    raised = Concern.objects.filter(member=person)
    raised.update(subject="", text="")
    ConcernEvent.objects.filter(Q(concern__in=raised) | Q(actor=person)).erase_text("text")
    # Notifications: theirs go; others' notices about what they did keep no excerpt of their words.
    Notification.objects.filter(recipient=person).delete()
    Notification.objects.filter(actor=person).update(snippet="")
    NotificationSettings.objects.filter(user=person).delete()
    PushSubscription.objects.filter(user=person).delete()
    _anonymise(person, now)
    _end_sessions(person)
    user.refresh_from_db()
