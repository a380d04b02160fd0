"""Routes of the circle library: the page, pin and unpin, and the circle notes."""

from __future__ import annotations

from django.urls import URLPattern, path

from coaching.library import views

urlpatterns: list[URLPattern] = [
    path("circles/<int:circle_id>/library/", views.library_page, name="circle_library"),
    path("circles/<int:circle_id>/messages/<int:message_id>/pin/", views.pin, name="circle_pin_message"),
    path(
        "circles/<int:circle_id>/messages/<int:message_id>/unpin/", views.unpin, name="circle_unpin_message"
    ),
    path("circles/<int:circle_id>/library/notes/", views.notes_edit, name="circle_notes_edit"),
    path("circles/<int:circle_id>/library/notes/history/", views.notes_history, name="circle_notes_history"),
    path(
        "circles/<int:circle_id>/library/notes/<int:number>/",
        views.notes_revision,
        name="circle_notes_revision",
    ),
]
