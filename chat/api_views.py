"""Chat over HTTP besides the conversation pages: the history API, search, and moderation.

Access is the socket's rule (chat.access): a circle's members who accepted its charter and its coach;
everyone else, admins included, gets 404. JSON endpoints answer errors as
`{"error": {"code": ..., "detail": ...}}` with the protocol's codes, never a redirect.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from chat import access, moderation, search_views, selectors, sending, services
from chat.models import Room
from circles.access import programme_for_admin
from coaching.accounts.models import User
from coaching.accounts.requests import AuthenticatedRequest
from coaching.lib.answers import action_done
from coaching.lib.errors import ChatError, NoAccess

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_REASON = 500
WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")
STATUS = {
    "invalid_frame": 400,
    "too_long": 400,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "rate_limited": 429,
}


class BadRequest(Exception):
    """A parameter the endpoint cannot use; answered 400 `invalid_frame` with a sentence."""


def _error(code: str, detail: str, *, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "detail": detail}}, status=status)


def _chat_error(error: ChatError) -> JsonResponse:
    return _error(error.code, error.detail, status=STATUS.get(error.code, 400))


def _refusal(refusal: NoAccess) -> JsonResponse:
    if refusal.close_code == 4401:
        return _error("forbidden", _("Sign in first."), status=401)
    # No access and no such room look the same, so ids reveal nothing about what exists.
    return _error("not_found", _("There is nothing here for you."), status=404)


def _signed_in(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) and request.user.is_active else None


def _room(user: User | None, *, circle_id: int | None = None, thread_id: int | None = None) -> Room:
    """The room, as the socket would grant it; NoAccess otherwise (4401 for anonymous visitors)."""
    if user is None:
        raise NoAccess(4401)
    if thread_id is not None:
        return access.access_thread(user, thread_id).room
    assert circle_id is not None
    return access.access_room(user, circle_id)


def _whole_number(request: HttpRequest, name: str) -> int | None:
    values = request.GET.getlist(name)
    if not values:
        return None
    if len(values) > 1 or not WHOLE_NUMBER.fullmatch(values[0]):
        raise BadRequest(_("“%(field)s” must be a whole number of at least 0.") % {"field": name})
    return int(values[0])


def _page_request(request: HttpRequest) -> tuple[int | None, int | None, int]:
    after_seq, before_seq = _whole_number(request, "after_seq"), _whole_number(request, "before_seq")
    if after_seq is not None and before_seq is not None:
        raise BadRequest(_("Ask for “after_seq” or “before_seq”, not both."))
    limit = _whole_number(request, "limit")
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(_("“limit” must be from 1 to %(max)d.") % {"max": MAX_LIMIT})
    return after_seq, before_seq, DEFAULT_LIMIT if limit is None else limit


def _history_page(*, room: Room, after_seq: int | None, before_seq: int | None, limit: int) -> dict[str, Any]:
    """A keyset page: `limit` messages after or before a seq (default: the newest ones), oldest first."""
    # One row more than asked says whether there is more, without a COUNT.
    if after_seq is not None:
        rows = selectors.messages_after(room=room, after_seq=after_seq, limit=limit + 1)
        has_more, rows = len(rows) > limit, rows[:limit]
    else:
        before = room.last_seq + 1 if before_seq is None else before_seq
        rows = selectors.messages_before(room=room, before_seq=before, limit=limit + 1)
        has_more, rows = len(rows) > limit, rows[-limit:]
    return {"messages": rows, "has_more": has_more}


def _history(request: HttpRequest, **room_id: int) -> JsonResponse:
    try:
        room = _room(_signed_in(request), **room_id)
        after_seq, before_seq, limit = _page_request(request)
    except NoAccess as refusal:
        return _refusal(refusal)
    except BadRequest as error:
        return _error("invalid_frame", str(error), status=400)
    return JsonResponse(_history_page(room=room, after_seq=after_seq, before_seq=before_seq, limit=limit))


@never_cache
@require_GET
def circle_messages(request: HttpRequest, circle_id: int) -> JsonResponse:
    """`GET /api/circles/<id>/messages/`: a page of the circle's history for its members and coach."""
    return _history(request, circle_id=circle_id)


@never_cache
@require_GET
def thread_messages(request: HttpRequest, thread_id: int) -> JsonResponse:
    """`GET /api/threads/<id>/messages/`: a page of a 1:1 thread for its two people."""
    return _history(request, thread_id=thread_id)


@never_cache
@login_required
@require_GET
def circle_search(request: AuthenticatedRequest, circle_id: int) -> HttpResponse:
    """The room page's search box: the search page narrowed to this circle, for its members and coach."""
    room = access.access_room(request.user, circle_id)  # NoAccess is a 404
    return redirect(search_views.search_url(room=room, query=request.GET.get("q", "")))


def _done(request: HttpRequest, circle_id: int, sentence: str, **fields: Any) -> HttpResponse:
    """Answer a moderation action; a plain form goes back to the circle page."""
    return action_done(request, sentence=sentence, fallback=reverse("circle", args=[circle_id]), **fields)


Action = Callable[[Room, User], HttpResponse]


def _moderate(request: HttpRequest, circle_id: int, act: Action) -> HttpResponse:
    """Run one moderation action in the circle; access refusals and rule errors answer as JSON errors."""
    user = _signed_in(request)
    try:
        room = _room(user, circle_id=circle_id)
        assert user is not None
        return act(room, user)
    except NoAccess as refusal:
        return _refusal(refusal)
    except BadRequest as error:
        return _error("invalid_frame", str(error), status=400)
    except ChatError as error:
        return _chat_error(error)


@never_cache
@require_POST
def report_message(request: HttpRequest, circle_id: int, message_id: int) -> HttpResponse:
    """A member (or the coach) reports a message of the circle to the programme's admins; idempotent."""

    def act(room: Room, user: User) -> HttpResponse:
        reason = sending.text_or_refuse(request.POST.get("reason", ""), multiline=True).strip()
        if len(reason) > MAX_REASON:
            raise BadRequest(_("A reason can be at most %(max)d characters.") % {"max": MAX_REASON})
        services.report_message(user=user, room=room, message_id=message_id, reason=reason)
        return _done(request, circle_id, _("Thank you. The programme's admins will look at this message."))

    return _moderate(request, circle_id, act)


@never_cache
@require_POST
def hide_message(request: HttpRequest, circle_id: int, message_id: int) -> HttpResponse:
    """The circle's coach hides a message from the room; everyone else gets 403."""

    def act(room: Room, user: User) -> HttpResponse:
        services.hide_message(user=user, room=room, message_id=message_id)
        return _done(request, circle_id, _("The message is hidden."))

    return _moderate(request, circle_id, act)


def _posted_number(request: HttpRequest, name: str) -> int:
    value = request.POST.get(name, "").strip()
    if not WHOLE_NUMBER.fullmatch(value):
        raise BadRequest(_("“%(field)s” must be a whole number of at least 0.") % {"field": name})
    return int(value)


@never_cache
@require_POST
def mute_member(request: HttpRequest, circle_id: int) -> HttpResponse:
    """The circle's coach pauses a member's posting for 1 to 10080 minutes; everyone else gets 403."""

    def act(room: Room, user: User) -> HttpResponse:
        member_id, minutes = _posted_number(request, "user"), _posted_number(request, "minutes")
        mute = moderation.mute_member_by_id(user=user, room=room, member_id=member_id, minutes=minutes)
        return _done(
            request,
            circle_id,
            _("%(person)s can post again at %(time)s.")
            % {
                "person": mute.user.name,
                "time": timezone.localtime(mute.until).strftime("%Y-%m-%d %H:%M"),
            },
            until=mute.until.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        )

    return _moderate(request, circle_id, act)


@never_cache
@login_required
@require_GET
def programme_reports(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    """A programme's open reports for its admins: each reported text alone, never the conversation."""
    programme = programme_for_admin(user=request.user, programme_id=programme_id)
    page = Paginator(moderation.open_reports(programme=programme), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "chat/reports.html",
        {
            "programme": programme,
            "page": page,
            "reports": moderation.report_rows(page.object_list),
        },
    )


@never_cache
@login_required
@require_POST
def resolve_report(request: AuthenticatedRequest, programme_id: int, report_id: int) -> HttpResponse:
    """An admin marks a report of their programme resolved; another programme's report is 404."""
    programme = programme_for_admin(user=request.user, programme_id=programme_id)
    try:
        moderation.resolve_report(programme=programme, report_id=report_id)
    except ChatError:
        raise Http404 from None
    messages.success(request, _("The report is resolved."))
    return redirect("programme_reports", programme.pk)
