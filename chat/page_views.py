"""Chat pages: the conversation UI's context, the 1:1 thread page, starting a thread, and unread counts.

Access follows chat.access (the socket's rules); anyone else gets 404, so ids reveal nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from chat import access, selectors, sending, threads
from chat.models import Room, Thread
from circles.models import Circle, Membership
from coaching.accounts.models import User
from coaching.accounts.requests import AuthenticatedRequest
from coaching.accounts.zones import local_clock
from coaching.lib.errors import ChatError, NoAccess

INITIAL_MESSAGES = 50


def _strings(*, kind: str) -> dict[str, str]:
    # The client's sentences, translated here so locale/ stays the one catalogue (no JS i18n machinery).
    return {
        "connecting": _("Connecting…"),
        "connected": _("Connected"),
        "reconnecting": _("Connection lost. Reconnecting…"),
        "offline": _("You are offline. Messages will be sent when you are back online."),
        "closed_4401": _("You are signed out. Sign in again to keep talking."),
        "closed_4403": _("You no longer have access to this circle.")
        if kind == Room.Kind.CIRCLE
        else _("You no longer have access to this conversation."),
        "closed_4404": _("This conversation does not exist any more."),
        "sending": _("sending…"),
        "not_sent": _("Not sent"),
        "retry": _("Retry"),
        "discard": _("Discard"),
        "retrying_in": _("Sending again in %(seconds)s s…"),
        "too_long": _("This message is %(count)s characters too long."),
        "new_messages": _("New messages"),
        "edited": _("edited"),
        "deleted": _("message deleted"),
        "hidden": _("hidden by the coach"),
        "reply": _("Reply"),
        "edit": _("Edit"),
        "delete": _("Delete"),
        "react": _("React"),
        "react_with": _("React with %(emoji)s"),
        "reaction_count": _("%(emoji)s %(count)s, press to add or remove yours"),
        "confirm_delete": _("Delete this message for everyone?"),
        "replying_to": _("Replying to %(name)s"),
        "editing": _("Editing your message"),
        "cancel": _("Cancel"),
        "earlier_message": _("an earlier message"),
        "typing_one": _("%(name)s is typing…"),
        "typing_two": _("%(first)s and %(second)s are typing…"),
        "typing_many": _("Several people are typing…"),
        "loading_older": _("Loading older messages…"),
        "beginning": _("This is the beginning of the conversation."),
        "empty": _("No messages yet. Say hello!"),
        "history_failed": _("Older messages could not be loaded. Scroll up to try again."),
        "online": _("online"),
        "offline_person": _("offline"),
        "new_message_from": _("%(name)s: %(text)s"),
        "coach": _("coach"),
        "message_privately": _("Message privately"),
        "message_person_privately": _("Write to %(name)s privately"),
        "save": _("Save"),
        "send": _("Send"),
        "report": _("Report"),
        "report_title": _("Report this message"),
        "report_explain": _(
            "The programme's admins will see this message's text only, never the rest of the conversation."
        ),
        "report_reason": _("Why are you reporting it? (optional)"),
        "report_send": _("Send the report"),
        "reported": _("Thank you, the programme's admins will look at it."),
        "hide": _("Hide"),
        "hide_title": _("Hide this message?"),
        "hide_explain": _("Everyone in the circle will see “hidden by the coach” instead of its text."),
        "hide_confirm": _("Hide it"),
        "hidden_done": _("The message is hidden."),
        "mute": _("Mute…"),
        "mute_person": _("Mute %(name)s…"),
        "mute_title": _("Mute %(name)s"),
        "mute_explain": _("They can still read the conversation, but their messages are refused until then."),
        "mute_for": _("For how long?"),
        "mute_15": _("15 minutes"),
        "mute_60": _("1 hour"),
        "mute_1440": _("1 day"),
        "mute_confirm": _("Mute"),
        "muted_until": _("muted until %(time)s"),
        "muted_notice": _("%(name)s is muted until %(time)s."),
        "action_failed": _("That did not work. Check your connection and try again."),
        "uploading": _("uploading… %(percent)s"),
        "uploaded": _("ready to send"),
        "cancel_upload": _("Cancel %(name)s"),
        "remove_file": _("Remove %(name)s"),
        "upload_failed": _("%(name)s could not be uploaded: %(reason)s"),
        "wait_for_uploads": _("Wait until your files have uploaded, or cancel them."),
        "file_too_large": _("%(name)s is too large: a file can be at most %(mb)s MB."),
        "too_many_files": _("A message can carry at most %(max)s files."),
        "open_image": _("Open the image %(name)s"),
        "download": _("Download %(name)s"),
        "kind_pdf": _("PDF document"),
        "kind_document": _("Document"),
        "kind_spreadsheet": _("Spreadsheet"),
        "kind_presentation": _("Presentation"),
        "kind_text": _("Text"),
        "kind_audio": _("Voice note"),
        "kind_image": _("Image"),
        "kind_file": _("File"),
    }


def _message_url(name: str, circle_id: int) -> str:
    """A per-message URL with `{id}` where the client puts the message's id."""
    head, _sep, tail = reverse(name, args=[circle_id, 0]).rpartition("/0/")
    return f"{head}/{{id}}/{tail}"


def _moderation_urls(*, circle_id: int, is_coach: bool) -> dict[str, str | None]:
    """Search and report for everyone in the circle; hide and mute for its coach only."""
    return {
        "searchUrl": reverse("circle_search", args=[circle_id]),
        "reportUrl": _message_url("circle_report_message", circle_id),
        "hideUrl": _message_url("circle_hide_message", circle_id) if is_coach else None,
        "muteUrl": reverse("circle_mute_member", args=[circle_id]) if is_coach else None,
    }


def room_ui(
    request: AuthenticatedRequest,
    *,
    room: Room,
    socket_path: str,
    history_url: str | None,
    thread_start_url: str | None = None,
    upload_url: str | None = None,
) -> dict[str, Any]:
    """Context for chat/room.html: the client's config (people, latest messages, read marker) and strings."""
    user = request.user
    coach_ids = access.coach_ids(room)
    people = access.room_people(room)
    messages = selectors.messages_before(room=room, before_seq=room.last_seq + 1, limit=INITIAL_MESSAGES)
    read_seq = selectors.read_seq(user=user, room=room)
    is_coach = user.pk in coach_ids  # the coach ids come from circles' one rule (Membership.objects.coaches)
    targets: dict[str, int] = {}
    if thread_start_url:
        # The coach may write to each member; a member may write to the coach.
        targets = (
            {p.username: p.pk for p in people if p.pk not in coach_ids}
            if is_coach
            else {p.username: user.pk for p in people if p.pk in coach_ids}
        )
    config = {
        "room": room.key,
        "socketPath": socket_path,
        "historyUrl": history_url,
        "me": {"id": user.pk, "username": user.username, "name": user.name},
        "isCoach": is_coach,
        "timeZone": user.timezone,
        "language": get_language() or settings.LANGUAGE_CODE,
        "readSeq": read_seq,
        "lastSeq": room.last_seq,
        "editWindowSeconds": settings.CHAT_EDIT_WINDOW_SECONDS,
        "maxBody": sending.MAX_BODY,
        "people": [
            {"id": p.pk, "username": p.username, "name": p.name, "coach": p.pk in coach_ids} for p in people
        ],
        "messages": messages,
        "hasMore": bool(messages) and messages[0]["seq"] > 1,
        "threadStartUrl": thread_start_url,
        # Attachments (chat.attachments): where files go before the send names them, and the limits.
        "uploadUrl": upload_url,
        "maxFileBytes": settings.CHAT_FILE_MAX_MB * 1024 * 1024,
        "maxFiles": settings.CHAT_FILES_PER_MESSAGE,
        "threadTargets": targets,
        # Moderation and search exist for circles only; a thread's two people have neither.
        **(
            _moderation_urls(circle_id=room.circle_id, is_coach=is_coach)
            if room.kind == Room.Kind.CIRCLE and room.circle_id is not None
            else {"searchUrl": None, "reportUrl": None, "hideUrl": None, "muteUrl": None}
        ),
    }
    return {"config": config, "strings": _strings(kind=room.kind)}


def circle_room_ui(request: AuthenticatedRequest, *, circle: Circle) -> dict[str, Any]:
    """The conversation UI of a circle for the person reading its page; empty when they may not read it."""
    try:
        room = access.access_room(request.user, circle.pk)
    except NoAccess:
        return {}
    return room_ui(
        request,
        room=room,
        socket_path=f"/ws/circles/{circle.pk}/",
        history_url=f"/api/circles/{circle.pk}/messages/",
        thread_start_url=reverse("chat_start_thread", args=[circle.pk]),
        upload_url=reverse("api_circle_upload", args=[circle.pk]),
    )


@login_required
def thread_page(request: AuthenticatedRequest, thread_id: int) -> HttpResponse:
    """A 1:1 thread, for its coach and its member only."""
    thread = access.access_thread(request.user, thread_id)  # NoAccess is a 404
    other = thread.member if thread.coach_id == request.user.pk else thread.coach
    now = timezone.now()
    people = [
        {"user": person, "clock": local_clock(person.timezone, at=now), "coach": person.pk == thread.coach_id}
        for person in (thread.coach, thread.member)
    ]
    context = room_ui(
        request,
        room=thread.room,
        socket_path=f"/ws/threads/{thread.pk}/",
        history_url=reverse("api_thread_messages", args=[thread.pk]),
        upload_url=reverse("api_thread_upload", args=[thread.pk]),
    )
    return render(
        request, "chat/thread.html", {**context, "thread": thread, "other": other, "people": people}
    )


@login_required
@require_POST
def start_thread(request: AuthenticatedRequest, circle_id: int) -> HttpResponse:
    """The circle's coach opens a thread with a member, or a member with the coach; redirects to it."""
    member = request.POST.get("member", "")
    try:
        thread = threads.open_thread_from_circle(
            user=request.user, circle_id=circle_id, member_id=int(member) if member.isdigit() else None
        )
    except ChatError:
        raise Http404 from None
    return redirect("chat_thread", thread.pk)


def unread_summary(*, user: User) -> dict[str, dict[str, int]]:
    """Unread counts for every room the person may read now: circles (charter accepted) and threads."""
    circle_ids = list(Membership.objects.admitted().filter(user=user).values_list("circle_id", flat=True))
    rooms = {room.circle_id: room for room in Room.objects.filter(circle_id__in=circle_ids)}
    circles = {
        str(cid): selectors.unread_count(user=user, room=rooms[cid]) if cid in rooms else 0
        for cid in circle_ids
    }
    thread_rows = Thread.objects.filter(Q(coach=user) | Q(member=user)).select_related("room")
    return {
        "circles": circles,
        "threads": {str(t.pk): selectors.unread_count(user=user, room=t.room) for t in thread_rows},
    }


@never_cache
@require_GET
def unread(request: HttpRequest) -> JsonResponse:
    """`{"circles": {id: n}, "threads": {id: n}}` for the signed-in person; 401 for anyone else."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": _("Sign in to see your unread messages.")}, status=401)
    return JsonResponse(unread_summary(user=request.user))
