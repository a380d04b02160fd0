"""The stage of a live session: start, end, hands, who is on stage, their devices, and attendance spans.

Every change locks the session's row, and the session's sockets hear the new `session.state` after commit.
Where the media flows (`media`): through the SFU when `JANUS_URL` is set, else a mesh in which the stage also
sends to the first `LIVE_MESH_VIEWERS` people of the audience (`viewers`); `check_signal` admits exactly
those pairs. Contract: docs/protocol.md, "Live session rooms".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.access import is_coach_of
from circles.models import Membership
from coaching.accounts.models import User
from coaching.lib.errors import ChatError
from coaching.lib.realtime import encode, frame_event, send_event_on_commit
from coaching.live import attendance
from coaching.live.models import Attendance, AttendanceSpan, LiveSession

DEFAULT_ICE_SERVERS: list[dict[str, Any]] = [{"urls": ["stun:stun.l.google.com:19302"]}]
DEFAULT_STAGE_LIMIT = 6
DEFAULT_MESH_VIEWERS = 6
DEVICES = ("mic", "camera", "screen")

PRESENT = AttendanceSpan.Kind.PRESENT
STAGE = AttendanceSpan.Kind.STAGE


def stage_limit() -> int:
    """How many people fit on a stage, the coach included (`LIVE_STAGE_LIMIT`)."""
    return int(getattr(settings, "LIVE_STAGE_LIMIT", DEFAULT_STAGE_LIMIT))


def mesh_viewers() -> int:
    """How many of the audience receive the stage without a media server (`LIVE_MESH_VIEWERS`)."""
    return int(getattr(settings, "LIVE_MESH_VIEWERS", DEFAULT_MESH_VIEWERS))


def media_mode() -> str:
    """`"sfu"` when a Janus is configured (`JANUS_URL`), else `"mesh"`; the one rule (sfu.enabled asks it)."""
    return "sfu" if settings.JANUS_URL else "mesh"


def ice_servers() -> list[dict[str, Any]]:
    """The RTCPeerConnection `iceServers` list (`LIVE_ICE_SERVERS`: STUN by default, TURN when set)."""
    return list(getattr(settings, "LIVE_ICE_SERVERS", DEFAULT_ICE_SERVERS))


def session_group(session_id: int) -> str:
    """Every socket in one session's room; the circle page's sockets share the chat room but not this."""
    return f"live.{session_id}"


def signal_group(session_id: int, user_id: int) -> str:
    """One person's sockets in one session's room: where signals to them go, and nowhere else."""
    # Not the user.<id> group: the circle and thread consumers there have no handler for signals.
    return f"live.{session_id}.user.{user_id}"


# ---------------------------------------------------------------- reads


def _arrivals(session: LiveSession) -> list[int]:
    """Who is in the room now, once each, in the order of their earliest open presence span."""
    spans = AttendanceSpan.objects.filter(session=session, kind=PRESENT, ended_at__isnull=True)
    return list(dict.fromkeys(spans.order_by("started_at", "pk").values_list("user_id", flat=True)))


def _viewers(session: LiveSession, arrivals: list[int]) -> list[int] | None:
    """The audience members the stage sends to in a mesh (first come, first served); None with the SFU."""
    if media_mode() == "sfu":
        return None
    return [uid for uid in arrivals if uid not in session.stage][: mesh_viewers()]


def _state(session: LiveSession) -> dict[str, Any]:
    arrivals = _arrivals(session)
    return {
        "type": "session.state",
        "status": session.status,
        "stage": list(session.stage),
        "hands": list(session.hands),
        "audience": len(set(arrivals) - set(session.stage)),
        "stage_limit": stage_limit(),
        "version": session.state_version,
        "media": media_mode(),
        "viewers": _viewers(session, arrivals),
        "devices": {uid: dict(flags) for uid, flags in session.devices.items()},
    }


def state_event(frame: dict[str, Any]) -> dict[str, Any]:
    """The group event carrying a `session.state` frame; sockets drop versions they are past."""
    return {"type": "session.state", "version": frame["version"], "text": encode(frame)}


def session_state(*, session_id: int) -> dict[str, Any]:
    """The `session.state` frame as it stands now."""
    return _state(LiveSession.objects.get(pk=session_id))


def coach_id(*, circle_id: int) -> int | None:
    """The id of the circle's coach right now, if it has one."""
    return Membership.objects.coaches().filter(circle_id=circle_id).values_list("user_id", flat=True).first()


def check_signal(*, user: User, session_id: int, to: int) -> None:
    """Allow an `rtc.signal` between two stage members, or (mesh) a stage member and a viewer, while live."""
    session = LiveSession.objects.only("status", "stage").filter(pk=session_id).first()
    if session is None or session.status != LiveSession.Status.LIVE:
        raise ChatError("forbidden", _("The session is not live."))
    viewers = _viewers(session, _arrivals(session)) or []
    if user.pk not in session.stage and user.pk not in viewers:
        raise ChatError("forbidden", _("Only people on stage can send video signals."))
    # One end of every connection is on stage; a viewer is never connected to another viewer.
    allowed = session.stage if user.pk in viewers else [*session.stage, *viewers]
    if to == user.pk or to not in allowed:
        if not User.objects.filter(pk=to).exists():
            raise ChatError("not_found", _("There is nobody with that id."))
        raise ChatError("forbidden", _("Signals go only between the stage and the people who receive it."))


# ---------------------------------------------------------------- writes


def _locked(session_id: int) -> LiveSession:
    session = LiveSession.objects.select_for_update().filter(pk=session_id).first()
    if session is None:
        raise ChatError("not_found", _("This session does not exist any more."))
    return session


def _changed(session: LiveSession, *fields: str) -> dict[str, Any]:
    """Save the changed fields with a new state version; the room hears the new state after commit."""
    session.state_version += 1
    session.save(update_fields=[*fields, "state_version"])
    # Snapshot now, inside the lock, so the frame shows exactly the state this transaction commits.
    state = _state(session)
    send_event_on_commit([(session_group(session.pk), state_event(state))])
    return state


def announce(*, session: LiveSession) -> None:
    """Tell the session's open pages its new state after commit (a reschedule or a cancellation, say)."""
    _changed(session)


def _require_coach(user: User, session: LiveSession, refusal: str) -> None:
    if not is_coach_of(user=user, circle_id=session.circle_id):
        raise ChatError("forbidden", refusal)


def _require_live(session: LiveSession) -> None:
    if session.status != LiveSession.Status.LIVE:
        raise ChatError("forbidden", _("The session is not live."))


def _seated(user_id: int, circle_id: int) -> bool:
    """Whether the person may be in the circle's room: its coach, or a member who accepted the charter."""
    return Membership.objects.admitted().filter(user_id=user_id, circle_id=circle_id).exists()


def _in_room(session: LiveSession, user_id: int) -> bool:
    return AttendanceSpan.objects.filter(
        session=session, user_id=user_id, kind=PRESENT, ended_at__isnull=True
    ).exists()


def _on_stage(session: LiveSession, user_id: int, now: dt.datetime) -> None:
    session.stage = [*session.stage, user_id]
    session.hands = [uid for uid in session.hands if uid != user_id]
    AttendanceSpan.objects.create(session=session, user_id=user_id, kind=STAGE, started_at=now)


def _off_stage(session: LiveSession, user_id: int, now: dt.datetime) -> None:
    session.stage = [uid for uid in session.stage if uid != user_id]
    session.devices = {uid: flags for uid, flags in session.devices.items() if uid != str(user_id)}
    AttendanceSpan.objects.filter(session=session, user_id=user_id, kind=STAGE, ended_at__isnull=True).update(
        ended_at=now
    )


@transaction.atomic
def join(*, user: User, session_id: int) -> tuple[int | None, dict[str, Any]]:
    """A socket entered the room: open its presence span; returns the span's id and the state for it."""
    session = _locked(session_id)
    if session.status == LiveSession.Status.ENDED:
        return None, _state(session)  # the chat stays open after the end; attendance is closed
    span = AttendanceSpan.objects.create(session=session, user=user, kind=PRESENT, started_at=timezone.now())
    return span.pk, _changed(session)  # the audience count changed


@transaction.atomic
def leave(*, session_id: int, span_id: int) -> dict[str, Any] | None:
    """Close a socket's presence span (its stage seat stays); returns the new state to broadcast, or None."""
    # The caller broadcasts, on the event loop: sockets close while a server shuts down, and a broadcast
    # from this database thread then waits on the stopping loop and keeps the process from exiting.
    session = _locked(session_id)
    if not AttendanceSpan.objects.filter(pk=span_id, ended_at__isnull=True).update(ended_at=timezone.now()):
        return None
    session.state_version += 1
    session.save(update_fields=["state_version"])
    return _state(session)


@transaction.atomic
def start(*, user: User, session_id: int) -> None:
    """The coach opens the session and comes on stage; starting a live session again changes nothing."""
    session = _locked(session_id)
    _require_coach(user, session, _("Only the coach can start the session."))
    if session.status == LiveSession.Status.ENDED:
        raise ChatError("forbidden", _("This session has ended."))
    if session.status == LiveSession.Status.CANCELLED:
        raise ChatError("forbidden", _("This session was cancelled."))
    if session.status == LiveSession.Status.LIVE:
        return
    now = timezone.now()
    session.status = LiveSession.Status.LIVE
    session.started_at = now
    session.stage, session.hands, session.devices = [], [], {}
    _on_stage(session, user.pk, now)
    _changed(session, "status", "started_at", "stage", "hands", "devices")


@transaction.atomic
def end(*, user: User, session_id: int) -> None:
    """The coach ends the session for everyone: spans close and each person's attendance is totalled."""
    session = _locked(session_id)
    _require_coach(user, session, _("Only the coach can end the session."))
    _require_live(session)
    now = timezone.now()
    session.status = LiveSession.Status.ENDED
    session.ended_at = now
    session.stage, session.hands, session.devices = [], [], {}
    AttendanceSpan.objects.filter(session=session, ended_at__isnull=True).update(ended_at=now)
    record_attendance(session=session)
    _changed(session, "status", "ended_at", "stage", "hands", "devices")


def record_attendance(*, session: LiveSession) -> list[Attendance]:
    """Total each person's spans into their Attendance row; the circle's absentees get a row too."""
    assert session.started_at is not None
    assert session.ended_at is not None
    spans: dict[int, dict[str, list[attendance.Span]]] = defaultdict(lambda: {PRESENT: [], STAGE: []})
    for user_id, kind, started_at, ended_at in AttendanceSpan.objects.filter(session=session).values_list(
        "user_id", "kind", "started_at", "ended_at"
    ):
        spans[user_id][kind].append((started_at, ended_at))
    seated = (
        Membership.objects.current().filter(circle_id=session.circle_id).values_list("user_id", flat=True)
    )
    rows = []
    for user_id in sorted(set(seated) | set(spans)):
        totals = attendance.totals(
            present=spans[user_id][PRESENT],
            stage=spans[user_id][STAGE],
            started_at=session.started_at,
            ended_at=session.ended_at,
        )
        row, _created = Attendance.objects.update_or_create(
            session=session,
            user_id=user_id,
            defaults={
                "joined_at": totals.joined_at,
                "left_at": totals.left_at,
                "seconds_present": totals.seconds_present,
                "seconds_on_stage": totals.seconds_on_stage,
                "present": totals.present,
            },
        )
        rows.append(row)
    return rows


@transaction.atomic
def raise_hand(*, user: User, session_id: int) -> None:
    """Join the hand queue (once; counted in the person's attendance)."""
    session = _locked(session_id)
    _require_live(session)
    if user.pk in session.stage:
        raise ChatError("forbidden", _("You are on stage already."))
    if user.pk in session.hands:
        return
    session.hands = [*session.hands, user.pk]
    Attendance.objects.get_or_create(session=session, user=user)
    Attendance.objects.filter(session=session, user=user).update(hands_raised=F("hands_raised") + 1)
    _changed(session, "hands")


@transaction.atomic
def lower_hand(*, user: User, session_id: int) -> None:
    """Leave the hand queue."""
    session = _locked(session_id)
    _require_live(session)
    if user.pk not in session.hands:
        return
    session.hands = [uid for uid in session.hands if uid != user.pk]
    _changed(session, "hands")


@transaction.atomic
def invite(*, user: User, session_id: int, target_id: int) -> None:
    """The coach brings someone in the room on stage (out of the hand queue); `stage_full` past the limit."""
    session = _locked(session_id)
    _require_coach(user, session, _("Only the coach can invite people on stage."))
    _require_live(session)
    if not _seated(target_id, session.circle_id):
        raise ChatError("not_found", _("There is nobody with that id in this circle."))
    if target_id in session.stage:
        return
    if not _in_room(session, target_id):
        raise ChatError("not_found", _("That person is not in the room right now."))
    limit = stage_limit()
    if len(session.stage) >= limit:
        raise ChatError(
            "stage_full",
            _("The stage is full (%(limit)d people); ask someone to leave it first.") % {"limit": limit},
        )
    _on_stage(session, target_id, timezone.now())
    _changed(session, "stage", "hands")


@transaction.atomic
def remove(*, user: User, session_id: int, target_id: int) -> None:
    """The coach takes someone off the stage."""
    session = _locked(session_id)
    _require_coach(user, session, _("Only the coach can take people off the stage."))
    _require_live(session)
    if target_id not in session.stage:
        if not _seated(target_id, session.circle_id):
            raise ChatError("not_found", _("There is nobody with that id in this circle."))
        raise ChatError("forbidden", _("That person is not on stage."))
    _off_stage(session, target_id, timezone.now())
    _changed(session, "stage", "devices")


@transaction.atomic
def leave_stage(*, user: User, session_id: int) -> None:
    """A stage member steps down into the audience."""
    session = _locked(session_id)
    _require_live(session)
    if user.pk not in session.stage:
        raise ChatError("forbidden", _("You are not on stage."))
    _off_stage(session, user.pk, timezone.now())
    _changed(session, "stage", "devices")


@transaction.atomic
def mute_all(*, user: User, session_id: int) -> None:
    """The coach asks every microphone in the room to mute: everyone gets `mute` (clients skip their own)."""
    session = _locked(session_id)
    _require_coach(user, session, _("Only the coach can mute everyone."))
    _require_live(session)
    send_event_on_commit([(session_group(session.pk), frame_event({"type": "mute", "by": user.pk}))])


@transaction.atomic
def lower_all_hands(*, user: User, session_id: int) -> None:
    """The coach clears the hand queue."""
    session = _locked(session_id)
    _require_coach(user, session, _("Only the coach can lower everyone's hand."))
    _require_live(session)
    if not session.hands:
        return
    session.hands = []
    _changed(session, "hands")


@transaction.atomic
def mute_member(*, user: User, session_id: int, target_id: int) -> None:
    """The coach asks one stage member's microphone to mute: only that person's sockets get `mute`."""
    # A request: their client obeys, the server cannot silence a microphone (docs/protocol.md says so).
    session = _locked(session_id)
    _require_coach(user, session, _("Only the coach can mute someone."))
    _require_live(session)
    if target_id not in session.stage:
        if not _seated(target_id, session.circle_id):
            raise ChatError("not_found", _("There is nobody with that id in this circle."))
        raise ChatError("forbidden", _("That person is not on stage."))
    frame = {"type": "mute", "by": user.pk, "user": target_id}
    send_event_on_commit([(signal_group(session.pk, target_id), frame_event(frame))])


@transaction.atomic
def report_devices(*, user: User, session_id: int, mic: bool, camera: bool, screen: bool) -> None:
    """A stage member says what they send (microphone, camera, a shared screen); everyone sees it."""
    session = _locked(session_id)
    _require_live(session)
    if user.pk not in session.stage:
        raise ChatError("forbidden", _("You are not on stage."))
    flags = {"mic": mic, "camera": camera, "screen": screen}
    if session.devices.get(str(user.pk)) == flags:
        return
    session.devices = {**session.devices, str(user.pk): flags}
    _changed(session, "devices")
