"""The live session page: a lobby until the coach starts, then the stage, the hand queue and the session chat.

Access is the socket's (coaching.live.access.access_session); anyone else gets 404, so ids reveal nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from chat import access, page_views
from coaching.accounts.requests import AuthenticatedRequest
from coaching.live import logs, stage
from coaching.live.access import access_session


def _strings() -> dict[str, str]:
    # The client's sentences, translated here so locale/ stays the one catalogue (as the chat does).
    return {
        "connecting": _("Connecting…"),
        "reconnecting": _("Connection lost. Reconnecting…"),
        "closed_4401": _("You are signed out. Sign in again to join the session."),
        "closed_4403": _("You no longer have access to this session."),
        "closed_4404": _("This session does not exist any more."),
        "status_scheduled": _("The session has not started yet."),
        "status_live": _("The session is live."),
        "status_ended": _("This session has ended."),
        "status_cancelled": _("This session was cancelled."),
        "audience_one": _("1 person follows in the audience."),
        "audience_many": _("%(count)s people follow in the audience."),
        "audience_none": _("Nobody is in the audience yet."),
        "waiting_one": _("1 person is here."),
        "waiting_many": _("%(count)s people are here."),
        "waiting_none": _("Nobody is here yet."),
        "stage_count": _("%(count)s of %(limit)s"),
        "stage_empty": _("Nobody is on stage."),
        "announce_live": _("The session has started."),
        "announce_ended": _("The session has ended."),
        "announce_on_stage": _("%(name)s is on stage."),
        "announce_you_on_stage": _("You are on stage."),
        "announce_off_stage": _("%(name)s left the stage."),
        "announce_you_off_stage": _("You left the stage."),
        "announce_hand": _("%(name)s raised a hand."),
        "hands_empty": _("No hands raised."),
        "you": _("%(name)s (you)"),
        "coach": _("coach"),
        "invite": _("Invite to the stage"),
        "invite_person": _("Invite %(name)s to the stage"),
        "remove": _("Take off the stage"),
        "remove_person": _("Take %(name)s off the stage"),
        "stage_full": _("The stage is full."),
        "raise_hand": _("Raise your hand"),
        "lower_hand": _("Lower your hand"),
        "mic_on": _("Mute your microphone"),
        "mic_off": _("Unmute your microphone"),
        "camera_on": _("Turn your camera off"),
        "camera_off": _("Turn your camera on"),
        "muted_by_coach": _("The coach asked everyone to mute; your microphone is off."),
        "muted_you_by_coach": _("The coach muted your microphone. Unmute it when you want to speak."),
        "screen_on": _("Share your screen"),
        "screen_off": _("Stop sharing your screen"),
        "screen_failed": _("Your screen could not be shared."),
        "mute_member": _("Mute microphone"),
        "mute_person": _("Ask %(name)s to mute their microphone"),
        "flag_mic_off": _("Microphone off"),
        "flag_camera_off": _("Camera off"),
        "flag_screen": _("Sharing their screen"),
        "confirm_end": _("End the session for everyone?"),
        "connecting_peer": _("Connecting…"),
        "peer_failed": _("The video connection failed; retrying…"),
        "camera_is_off": _("Camera off"),
        "media_starting": _("Starting your camera and microphone…"),
        "media_blocked": _(
            "Your browser blocked the camera and microphone for this site. Allow them in the site settings "
            "(the icon at the left of the address bar), then press Try again. Meanwhile you can see and hear "
            "the others."
        ),
        "media_missing": _(
            "No camera or microphone was found. Connect one and press Try again. Meanwhile you can see and "
            "hear the others."
        ),
        "media_busy": _(
            "Your camera or microphone is being used by another program. Close it and press Try again."
        ),
        "media_insecure": _("The camera needs a secure (https) connection to this site."),
        "media_failed": _("Your camera and microphone could not be started. Press Try again."),
        "media_audio_only": _("No camera was found: you are on stage with your microphone only."),
        "media_video_only": _("No microphone was found: you are on stage with your camera only."),
    }


@login_required
@never_cache
@require_GET
def session_room(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    """The session's page for its circle's members and coach."""
    session = access_session(request.user, session_id)  # NoAccess is a 404
    chat_room = access.circle_room_of(session.circle_id)
    coach_id = stage.coach_id(circle_id=session.circle_id)
    people = access.room_people(chat_room)
    config: dict[str, Any] = {
        "session": session.pk,
        "socketPath": f"/ws/sessions/{session.pk}/",
        "me": {"id": request.user.pk, "name": request.user.name},
        "coach": coach_id,
        "isCoach": coach_id == request.user.pk,
        "people": {str(person.pk): person.name for person in people},
        "state": stage.session_state(session_id=session.pk),
    }
    chat = page_views.room_ui(
        request,
        room=chat_room,
        socket_path=f"/ws/sessions/{session.pk}/",
        history_url=f"/api/circles/{session.circle_id}/messages/",
    )
    return render(
        request,
        "live/room.html",
        {
            "session": session,
            "circle": session.circle,
            "people": people,
            "coach_id": config["coach"],
            "is_coach": config["isCoach"],
            "state": config["state"],
            "open_commitments": logs.open_commitments_from_last_session(session),
            "chat": chat,
            "config": config,
            "strings": _strings(),
        },
    )
