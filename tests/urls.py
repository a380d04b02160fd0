"""The site's URLs, plus two that only tests reach: a refusal and a fault, so the real 403 and 500 handlers
answer a real request (tests/settings.py makes this the URLconf; production has neither page)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from coaching.urls import handler500
from coaching.urls import urlpatterns as site_urlpatterns

FORBIDDEN = "/tests/forbidden/"
BROKEN = "/tests/broken/"


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a fault a test provokes on purpose")


urlpatterns = [
    *site_urlpatterns,
    path(FORBIDDEN.strip("/") + "/", forbidden),
    path(BROKEN.strip("/") + "/", broken),
]

__all__ = ["BROKEN", "FORBIDDEN", "handler500", "urlpatterns"]
