"""HTTP routes of chat: pages (circle conversation, threads) and the JSON API."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("chat.page_urls")),
    path("", include("chat.api_urls")),
]
