"""URLs of matching proposals (propose, review, publish)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
