"""Member profile cards and their photos, for whoever circles.people.access_person lets see them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from circles.people import access_person, person_card
from coaching.accounts.models import avatar_storage
from coaching.accounts.requests import AuthenticatedRequest
from coaching.lib.errors import NoAccess
from coaching.lib.files import untrusted_file


@login_required
@require_GET
def card(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    """A person's card: photo or initials, name, about, current work, languages and their time now."""
    person = access_person(request.user, user_id)
    return render(request, "circles/person.html", {"card": person_card(person=person)})


@login_required
@require_GET
def photo(request: AuthenticatedRequest, user_id: int) -> FileResponse:
    """A person's photo (a WebP made on upload), under the card's rule; never sniffed, never a page."""
    person = access_person(request.user, user_id)
    if not person.photo:
        raise NoAccess(4404)
    try:
        stored = avatar_storage().open(str(person.photo.name), "rb")
    except FileNotFoundError:  # the bytes are gone (a restore without the files): initials show instead
        raise NoAccess(4404) from None
    # The URL names the photo's version, so the reader's own browser may keep it a day.
    return untrusted_file(FileResponse(stored, content_type="image/webp"), max_age=86400)  # type: ignore[return-value]
