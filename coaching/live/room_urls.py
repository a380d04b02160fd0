"""The live session page."""

from __future__ import annotations

from django.urls import URLPattern, path

from coaching.live import room_views

urlpatterns: list[URLPattern] = [
    path("sessions/<int:session_id>/", room_views.session_room, name="session_room"),
]
