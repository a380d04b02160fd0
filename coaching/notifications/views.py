"""The notifications page (open one, mark all read), notification preferences and one-click unsubscribe."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coaching.accounts.requests import AuthenticatedRequest
from coaching.lib.answers import same_site_next
from coaching.notifications import selectors, services, unsubscribe
from coaching.notifications.preferences import PreferencesForm
from coaching.notifications.texts import describe


@login_required
@require_GET
def notifications_page(request: AuthenticatedRequest) -> HttpResponse:
    """Every recent notification as a sentence with its link, unread ones first in weight."""
    zone = request.user.zone
    items = [(n, describe(n, zone=zone)) for n in selectors.recent(user=request.user)]
    return render(request, "notifications/list.html", {"items": items})


@login_required
@require_POST
def open_notification(request: AuthenticatedRequest, notification_id: int) -> HttpResponse:
    """Mark one notification read and follow its link (a path on this site only)."""
    notification = services.mark_read(user=request.user, notification_id=notification_id)
    if notification is None:
        raise Http404
    if url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()}):
        return redirect(notification.url)
    return redirect("notifications")


@login_required
@require_POST
def read_all(request: AuthenticatedRequest) -> HttpResponse:
    """Mark every notification read."""
    services.mark_all_read(user=request.user)
    return redirect("notifications")


@login_required
@require_GET
def unread(request: AuthenticatedRequest) -> JsonResponse:
    """The unread count, for a page that has no socket open."""
    return JsonResponse({"unread": services.unread_count(user=request.user)})


# Preferences and one-click unsubscribe -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: AuthenticatedRequest) -> HttpResponse:
    """Save the person's notification choices (back to the profile, or to a same-site `next`), or show them
    again with what is wrong."""
    form = PreferencesForm.of(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        form.save(user=request.user)
        messages.success(request, _("Your notification choices are saved."))
        return redirect(same_site_next(request) or reverse("profile") + "#notification-preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "zone": request.user.timezone},
        status=400 if form.errors else 200,
    )


# Mail clients post the one-click unsubscribe (RFC 8058) with no session or CSRF token: the token is proof.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET: what the link stops, with a button; POST: stop it. No sign-in; a bad token is a 400 page."""
    target = unsubscribe.read_token(token)
    if target is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    with translation.override(target.user.ui_language):
        if request.method == "POST":
            unsubscribe.unsubscribe(user=target.user, what=target.what)
        return render(
            request,
            "notifications/unsubscribe.html",
            {
                "person": target.user,
                "what": unsubscribe.label(target.what),
                "done": request.method == "POST",
                "already": unsubscribe.is_unsubscribed(user=target.user, what=target.what),
                "token": token,
                "LANGUAGE_CODE": target.user.ui_language,
            },
        )
