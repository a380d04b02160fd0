"""Site-wide pages: home and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from chat.threads import threads_of
from circles.selectors import circles_for
from coaching.accounts.requests import AuthenticatedRequest


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The signed-in person's circles, each with its coach and members, and their 1:1 threads."""
    return render(
        request,
        "coaching/home.html",
        {"circles": circles_for(user=request.user), "threads": threads_of(user=request.user)},
    )


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
