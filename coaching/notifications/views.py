"""The notifications page: the person's notifications, open one (marks it read), mark all read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from coaching.accounts.requests import AuthenticatedRequest
from coaching.notifications import selectors, services
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
