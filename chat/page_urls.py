"""Chat pages: 1:1 threads, starting one from a circle, and the person's unread counts."""

from __future__ import annotations

from django.urls import URLPattern, path

from chat import page_views, search_views

urlpatterns: list[URLPattern] = [
    path("threads/<int:thread_id>/", page_views.thread_page, name="chat_thread"),
    path("circles/<int:circle_id>/threads/", page_views.start_thread, name="chat_start_thread"),
    path("api/unread/", page_views.unread, name="chat_unread"),
    path("search/", search_views.search_page, name="search"),
]
