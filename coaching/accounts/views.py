"""Views for a person's own account: the language choice (the profile page composes apps: coaching.views)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the site language; a signed-in person keeps the choice on every device."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.ui_language = language
        request.user.save(update_fields=["ui_language"])
    return django_set_language(request)
