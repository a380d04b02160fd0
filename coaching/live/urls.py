"""URLs of live sessions outside the room: scheduling, calendars, session logs, commitments."""

from __future__ import annotations

from django.urls import URLPattern, path

from coaching.live import views

urlpatterns: list[URLPattern] = [
    path("circles/<int:circle_id>/sessions/new/", views.schedule, name="session_schedule"),
    path("sessions/<int:session_id>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:session_id>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:session_id>/calendar.ics", views.session_calendar, name="session_calendar"),
    path("sessions/<int:session_id>/log/", views.session_log, name="session_log"),
    path("sessions/<int:session_id>/log/notes/", views.session_log_notes, name="session_log_notes"),
    path(
        "sessions/<int:session_id>/log/attendance/<int:user_id>/",
        views.session_log_attendance,
        name="session_log_attendance",
    ),
    path(
        "sessions/<int:session_id>/log/commitments/",
        views.session_log_commitments,
        name="session_log_commitments",
    ),
    path("calendar/<slug:token>/feed.ics", views.calendar_feed, name="calendar_feed"),
    path("calendar/renew/", views.renew_calendar, name="calendar_renew"),
    path("commitments/", views.commitments, name="commitments"),
    path("commitments/<int:commitment_id>/close/", views.close_commitment, name="commitment_close"),
]
