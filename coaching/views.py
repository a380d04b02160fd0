"""Site-wide pages that compose several apps: home and profile; and the health and readiness checks."""

from __future__ import annotations

import redis
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from chat.threads import threads_of
from circles.selectors import circles_for, last_closed_circle, programmes_overview
from coaching.accounts.forms import ProfileForm
from coaching.accounts.requests import AuthenticatedRequest
from coaching.matching.forms import coach_preference_form


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The signed-in person's circles, each with its coach and members, their 1:1 threads, and for an admin
    the programmes they run with what to do next."""
    circles = circles_for(user=request.user)
    return render(
        request,
        "coaching/home.html",
        {
            "circles": circles,
            "closed_circle": None if circles else last_closed_circle(user=request.user),
            "threads": threads_of(user=request.user),
            "programmes": programmes_overview(user=request.user),
        },
    )


@login_required
def profile(request: AuthenticatedRequest) -> HttpResponse:
    """Show and save the signed-in person's profile, beside their coach preferences (saved by matching)."""
    form = ProfileForm(request.POST or None, request.FILES or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile is saved."))
        return redirect("profile")
    coach_form = coach_preference_form(member=request.user)
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "coach_form": coach_form if coach_form.fields else None,
        },
        status=400 if form.errors else 200,
    )


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers and feed readers ask for by name: the site's icon."""
    return redirect(static("img/favicon.svg"), permanent=True)


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Liveness: 200 while the process answers at all (restart it when this fails)."""
    return JsonResponse({"status": "ok"})


READY_TIMEOUT_SECONDS = 1


@never_cache
def ready(request: HttpRequest) -> HttpResponse:
    """Readiness for the proxy: 200 when the database answers and Redis (if configured) answers within a
    second; else 503 with one line naming what is down (send no traffic here until it is back)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return _not_ready(f"database unreachable: {type(error).__name__}")
    if settings.REDIS_URL:
        # A fresh connection with short timeouts: the process's pooled client waits as long as it must.
        probe = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=READY_TIMEOUT_SECONDS,
            socket_timeout=READY_TIMEOUT_SECONDS,
        )
        try:
            probe.ping()
        except redis.RedisError as error:
            return _not_ready(f"redis unreachable: {type(error).__name__}")
        finally:
            probe.close()
    return JsonResponse({"status": "ok"})


def _not_ready(line: str) -> HttpResponse:
    return HttpResponse(line + "\n", status=503, content_type="text/plain; charset=utf-8")
