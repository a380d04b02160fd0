"""How a posted action is answered: JSON for scripts and htmx, a flash and a redirect for plain forms."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def wants_json(request: HttpRequest) -> bool:
    """Whether the caller is a script (htmx, or a fetch that accepts JSON) rather than a plain form."""
    return bool(getattr(request, "htmx", False)) or "application/json" in request.headers.get("Accept", "")


def same_site_next(request: HttpRequest) -> str:
    """The posted `next` when it is a URL on this site, else "" (never an open redirect)."""
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return back if safe else ""


def action_done(request: HttpRequest, *, sentence: str, fallback: str, **fields: Any) -> HttpResponse:
    """`{"ok": true, **fields}` for scripts; else `sentence` as a flash and a redirect to the form's `next`
    when it is on this site, or to `fallback`."""
    if wants_json(request):
        return JsonResponse({"ok": True, **fields})
    messages.success(request, sentence)
    return redirect(same_site_next(request) or fallback)
