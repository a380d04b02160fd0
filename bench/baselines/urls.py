"""No HTTP routes: the baselines only speak WebSocket."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
