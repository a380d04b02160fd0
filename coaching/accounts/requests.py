"""Request types for views that only signed-in people reach."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from coaching.accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """An HttpRequest behind login_required: `user` is a real account; `htmx` says how htmx asked."""

    user: User
    htmx: HtmxDetails
