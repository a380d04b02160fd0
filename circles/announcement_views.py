"""Pages of programme announcements: the admins' list and form, and the page each recipient reads."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from circles import access, announcements
from circles.errors import CircleRuleError
from circles.forms import AnnouncementForm
from coaching.accounts.requests import AuthenticatedRequest


@login_required
@require_http_methods(["GET", "POST"])
def programme_announcements(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    """The programme's announcements and the form for a new one; admins of the programme only."""
    programme = access.programme_for_admin(user=request.user, programme_id=programme_id)
    form = AnnouncementForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            announcements.announce(
                actor=request.user,
                programme=programme,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
        except CircleRuleError as error:
            form.add_error("title" if error.code == "bad_title" else "body", str(error))
        else:
            messages.success(request, _("Your announcement is sent to everyone in the programme's circles."))
            return redirect("programme_announcements", programme_id=programme.pk)
    context = {
        "programme": programme,
        "form": form,
        "announcements": announcements.announcements_of(programme=programme),
        "recipients": announcements.recipients(programme).count(),
    }
    return render(request, "circles/announcements.html", context, status=400 if form.is_bound else 200)


@login_required
@require_GET
def announcement_page(request: AuthenticatedRequest, announcement_id: int) -> HttpResponse:
    """One announcement, for its programme's admins and the people in its circles; 404 for anyone else."""
    announcement = announcements.announcement_for(user=request.user, announcement_id=announcement_id)
    return render(request, "circles/announcement.html", {"announcement": announcement})
