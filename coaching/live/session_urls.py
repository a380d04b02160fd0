"""The live session page."""

from __future__ import annotations

from django.urls import URLPattern, path

from coaching.live import session_page

urlpatterns: list[URLPattern] = [
    path("sessions/<int:session_id>/", session_page.session_room, name="session_room"),
]
