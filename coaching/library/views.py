"""Library pages and actions: the library, pin/unpin, and the circle notes (edit, history, one revision).

Access is the chat's (chat.access.access_room): the circle's coach and its members who accepted the
charter; everyone else, admins included, gets 404, so ids reveal nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat.access import access_room, is_room_coach, room_people
from chat.attachments import files_of_room
from chat.models import Room
from circles.models import Circle
from coaching.accounts.models import User
from coaching.accounts.requests import AuthenticatedRequest
from coaching.lib.answers import action_done, wants_json
from coaching.lib.errors import ChatError, NoAccess
from coaching.lib.markdown import render as render_markdown
from coaching.library import notes, pins, selectors
from coaching.library.diff import line_diff
from coaching.library.forms import FilesFilter, NoteForm
from coaching.library.models import NoteRevision

STATUS = {"forbidden": 403, "not_found": 404}


def _open(user: User, circle_id: int) -> tuple[Room, Circle]:
    """The circle's room and the circle, for the people who may read its chat; NoAccess (a 404) otherwise."""
    room = access_room(user, circle_id)
    assert room.circle is not None  # access_room answers a circle's room
    return room, room.circle


def _notes_html(room: Room, text: str) -> str:
    """The notes as sanitised HTML; `@username` mentions only the room's people."""
    return (
        render_markdown(text, people=[person.username for person in room_people(room)]).html if text else ""
    )


@never_cache
@login_required
@require_GET
def library_page(request: AuthenticatedRequest, circle_id: int) -> HttpResponse:
    """The circle's library: pinned messages, files and links shared in the chat, and the circle notes."""
    room, circle = _open(request.user, circle_id)
    is_coach = is_room_coach(user=request.user, room=room)
    current = selectors.current_revision(circle=circle)
    files_filter = FilesFilter(request.GET or None, people=room_people(room))
    if files_filter.is_bound and not files_filter.is_valid():
        files = []  # the form says what was wrong; showing every file would answer a different question
    else:
        narrowed = files_filter.is_bound
        kind = files_filter.cleaned_data.get("kind") or None if narrowed else None
        author = files_filter.author() if narrowed else None
        files = list(files_of_room(room, kind=kind, author=author)[: selectors.MAX_FILES])
    context = {
        "files": files,
        "files_filter": files_filter,
        "max_files": selectors.MAX_FILES,
        "circle": circle,
        "pins": [
            {"pin": pin, "can_unpin": is_coach or pin.pinned_by_id == request.user.pk}
            for pin in selectors.visible_pins(room=room)
        ],
        "links": selectors.shared_links(room=room),
        "max_links": selectors.MAX_LINKS,
        "note": current,
        "note_html": _notes_html(room, current.text) if current else "",
    }
    return render(request, "library/library.html", context, status=400 if files_filter.errors else 200)


# ---------------------------------------------------------------- pins


def _error(request: HttpRequest, circle_id: int, code: str, detail: str, status: int) -> HttpResponse:
    if wants_json(request) or status in (401, 404):
        return JsonResponse({"error": {"code": code, "detail": detail}}, status=status)
    messages.error(request, detail)
    return redirect("circle_library", circle_id)


def _pin_action(
    request: HttpRequest, circle_id: int, act: Callable[[User, Room], tuple[str, dict[str, Any]]]
) -> HttpResponse:
    """Run pin or unpin: JSON for scripts and htmx, a flash and a redirect for plain forms."""
    user = request.user
    if not isinstance(user, User) or not user.is_active:
        return _error(request, circle_id, "forbidden", _("Sign in first."), 401)
    try:
        room = access_room(user, circle_id)
        sentence, fields = act(user, room)
    except NoAccess:
        # No access and no such circle look the same, so ids reveal nothing about what exists.
        return _error(request, circle_id, "not_found", _("There is nothing here for you."), 404)
    except ChatError as error:
        return _error(request, circle_id, error.code, error.detail, STATUS.get(error.code, 400))
    return action_done(
        request, sentence=sentence, fallback=reverse("circle_library", args=[circle_id]), **fields
    )


@never_cache
@require_POST
def pin(request: HttpRequest, circle_id: int, message_id: int) -> HttpResponse:
    """A member or the coach pins a message of the circle's chat; idempotent."""

    def act(user: User, room: Room) -> tuple[str, dict[str, Any]]:
        pinned = pins.pin_message(user=user, room=room, message_id=message_id)
        return _("The message is pinned in the circle library."), {"pinned_by": pinned.pinned_by_id}

    return _pin_action(request, circle_id, act)


@never_cache
@require_POST
def unpin(request: HttpRequest, circle_id: int, message_id: int) -> HttpResponse:
    """The person who pinned a message, or the coach, unpins it; unpinning twice changes nothing."""

    def act(user: User, room: Room) -> tuple[str, dict[str, Any]]:
        pins.unpin_message(user=user, room=room, message_id=message_id)
        return _("The message is no longer pinned."), {}

    return _pin_action(request, circle_id, act)


# ---------------------------------------------------------------- circle notes


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def notes_edit(request: AuthenticatedRequest, circle_id: int) -> HttpResponse:
    """Edit the circle notes; a save over someone else's newer revision keeps both and shows theirs."""
    room, circle = _open(request.user, circle_id)
    current = selectors.current_revision(circle=circle)
    context: dict[str, Any] = {"circle": circle, "current": current}
    if request.method == "GET":
        initial = {"text": current.text if current else "", "base": current.number if current else 0}
        return render(request, "library/notes_edit.html", {**context, "form": NoteForm(initial=initial)})
    form = NoteForm(request.POST)
    if not form.is_valid():
        return render(request, "library/notes_edit.html", {**context, "form": form}, status=400)
    try:
        saved = notes.save_note(
            user=request.user, circle=circle, base=form.cleaned_data["base"], text=form.cleaned_data["text"]
        )
    except ValidationError as error:
        form.add_error(None, error)
        return render(request, "library/notes_edit.html", {**context, "form": form}, status=400)
    if not saved.theirs or saved.revision is None:
        messages.success(
            request, _("The circle notes are saved.") if saved.revision else _("Nothing changed.")
        )
        return redirect(reverse("circle_library", args=[circle_id]) + "#notes")
    # Someone saved while this person was editing: both texts are kept; show theirs and offer a merge.
    mine, other = saved.revision, saved.theirs[0]
    merge = NoteForm(initial={"text": mine.text, "base": mine.number})
    conflict = {
        "mine": mine,
        "theirs": saved.theirs,
        "other": other,
        "other_html": _notes_html(room, other.text),
        "diff": line_diff(other.text, mine.text),
    }
    return render(
        request,
        "library/notes_edit.html",
        {**context, "current": mine, "form": merge, "conflict": conflict},
        status=409,
    )


@never_cache
@login_required
@require_GET
def notes_history(request: AuthenticatedRequest, circle_id: int) -> HttpResponse:
    """Every revision of the circle notes: who saved it, when, and whether it crossed another save."""
    _room, circle = _open(request.user, circle_id)
    return render(
        request,
        "library/notes_history.html",
        {"circle": circle, "revisions": selectors.revisions(circle=circle)},
    )


@never_cache
@login_required
@require_GET
def notes_revision(request: AuthenticatedRequest, circle_id: int, number: int) -> HttpResponse:
    """One revision of the circle notes in full, and what it changed from the revision before it."""
    room, circle = _open(request.user, circle_id)
    shown = selectors.revision(circle=circle, number=number)
    if shown is None:
        raise Http404
    previous: NoteRevision | None = (
        selectors.revision(circle=circle, number=number - 1) if number > 1 else None
    )
    context = {
        "circle": circle,
        "revision": shown,
        "previous": previous,
        "html": _notes_html(room, shown.text),
        "diff": line_diff(previous.text if previous else "", shown.text),
    }
    return render(request, "library/notes_revision.html", context)
