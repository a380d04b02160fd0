"""The search page (`/search/`): one form over every conversation the person may read, and a page of results.

What may be read is chat.access.readable_rooms' answer and nothing else: the filters offer only those rooms
and their people, and chat.search searches only those rooms. Admins, who read no chat, find nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from chat import search
from chat.access import readable_rooms
from chat.models import Room
from chat.notifying import message_url
from circles.models import Membership
from coaching.accounts.models import User
from coaching.accounts.requests import AuthenticatedRequest
from coaching.lib.errors import ChatError
from coaching.lib.forms import Form
from coaching.lib.text import LineField

MAX_PAGE = 50  # 1,000 results: past that, narrowing the search serves better than paging


def conversation_name(room: Room, reader: User) -> str:
    """How the reader calls a room: its circle's name, or "With <the other person>" for a 1:1 thread."""
    if room.circle is not None:
        return str(room.circle.name)
    thread = room.thread
    other = thread.member if thread.coach_id == reader.pk else thread.coach
    return _("With %(name)s") % {"name": other.name}


def people_of(rooms: list[Room], reader: User) -> list[User]:
    """Who may have written in these rooms: anyone who ever sat in the circles, and each thread's two."""
    circle_ids = [room.circle_id for room in rooms if room.circle_id is not None]
    ids = {reader.pk}
    ids.update(Membership.objects.filter(circle_id__in=circle_ids).values_list("user_id", flat=True))
    for room in rooms:
        if room.circle_id is None:
            ids.update((room.thread.coach_id, room.thread.member_id))
    return list(User.objects.filter(pk__in=ids).order_by("display_name", "username"))


class SearchForm(Form):
    """The words and the filters; the choices are only the reader's own conversations and their people."""

    q = LineField(
        label=gettext_lazy("Words to find"),
        required=False,
        max_length=search.MAX_QUERY,
        widget=forms.TextInput(attrs={"type": "search", "enterkeyhint": "search"}),
    )
    conversation = forms.TypedChoiceField(
        label=gettext_lazy("Conversation"), required=False, coerce=int, empty_value=None
    )
    person = forms.TypedChoiceField(
        label=gettext_lazy("Written by"), required=False, coerce=int, empty_value=None
    )
    since = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    has_file = forms.BooleanField(label=gettext_lazy("Only messages with files"), required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE, widget=forms.HiddenInput)

    def __init__(self, *args: Any, rooms: list[Room], reader: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reader = reader
        named = sorted(((room.pk, conversation_name(room, reader)) for room in rooms), key=lambda c: c[1])
        cast(forms.ChoiceField, self.fields["conversation"]).choices = [
            ("", _("All my conversations")),
            *named,
        ]
        cast(forms.ChoiceField, self.fields["person"]).choices = [
            ("", _("Anyone")),
            *((p.pk, p.name) for p in people_of(rooms, reader)),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date cannot be before the start date."))
        return data

    def criteria(self) -> search.Criteria:
        """The valid form as search criteria; the dates are whole days on the reader's clock."""
        data = self.cleaned_data

        def start_of(day: dt.date | None) -> dt.datetime | None:
            return None if day is None else dt.datetime.combine(day, dt.time.min, tzinfo=self.reader.zone)

        until = data.get("until")
        return search.Criteria(
            query=data.get("q") or "",
            room_id=data.get("conversation"),
            author_id=data.get("person"),
            since=start_of(data.get("since")),
            until=start_of(until + dt.timedelta(days=1) if until else None),
            has_file=bool(data.get("has_file")),
        )


@never_cache
@login_required
@require_GET
def search_page(request: AuthenticatedRequest) -> HttpResponse:
    """`GET /search/`: the form, and with words a page of the best matches in the reader's conversations."""
    rooms = list(readable_rooms(request.user).select_related("circle", "thread__coach", "thread__member"))
    form = SearchForm(request.GET or None, rooms=rooms, reader=request.user)
    results, error = None, ""
    if form.is_bound and form.is_valid() and (form.cleaned_data.get("q") or "").strip():
        page = form.cleaned_data.get("page") or 1
        try:
            results = search.search(user=request.user, criteria=form.criteria(), page=page)
        except ChatError as exc:
            error = exc.detail
    names = {room.pk: conversation_name(room, request.user) for room in rooms}
    hits = [
        {"hit": hit, "url": message_url(hit.message), "conversation": names.get(hit.message.room_id, "")}
        for hit in (results.hits if results else [])
    ]

    def page_link(number: int) -> str:
        return "?" + urlencode({**request.GET.dict(), "page": number})

    context = {
        "form": form,
        "results": results,
        "hits": hits,
        "error": error,
        "newer": page_link(results.page - 1) if results and results.page > 1 else "",
        "more": page_link(results.page + 1)
        if results and results.has_more and results.page < MAX_PAGE
        else "",
    }
    bad = (form.is_bound and not form.is_valid()) or bool(error)
    return render(request, "chat/search.html", context, status=400 if bad else 200)


def search_url(*, room: Room, query: str) -> str:
    """The search page narrowed to one conversation (the room page's own search box lands here)."""
    params = {"conversation": room.pk, **({"q": query} if query else {})}
    return reverse("search") + "?" + urlencode(params)
