"""Views for a person's own account: profile and language choice."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from circles.preferences import coach_choices
from coaching.accounts.forms import CoachPreferenceForm, ProfileForm
from coaching.accounts.requests import AuthenticatedRequest
from coaching.accounts.zones import time_zone_names


@login_required
def profile(request: AuthenticatedRequest) -> HttpResponse:
    """Show and save the signed-in person's profile."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile is saved."))
        return redirect("profile")
    coaches = [
        (choice.coach.pk, choice.coach.name, choice.kind) for choice in coach_choices(member=request.user)
    ]
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "time_zones": sorted(time_zone_names()),
            "coach_form": CoachPreferenceForm(coaches=coaches) if coaches else None,
        },
        status=400 if form.errors else 200,
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the site language; a signed-in person keeps the choice on every device."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.ui_language = language
        request.user.save(update_fields=["ui_language"])
    return django_set_language(request)
