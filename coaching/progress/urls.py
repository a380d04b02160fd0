"""URLs of progress: the member's page and forms, concerns, the coach's and admins' dashboards, CSVs."""

from __future__ import annotations

from django.urls import URLPattern, path

from coaching.progress import views

urlpatterns: list[URLPattern] = [
    path("progress/", views.mine, name="progress_mine"),
    path("progress/goals/new/", views.goal_new, name="progress_goal_new"),
    path("progress/goals/<int:goal_id>/check-in/", views.check_in, name="progress_check_in"),
    path("progress/goals/<int:goal_id>/close/", views.goal_close, name="progress_goal_close"),
    path("progress/commitments/new/", views.commitment_new, name="progress_commitment_new"),
    path(
        "progress/commitments/<int:commitment_id>/close/",
        views.commitment_close,
        name="progress_commitment_close",
    ),
    path("progress/kudos/new/", views.kudos_new, name="progress_kudos_new"),
    path("progress/concerns/new/", views.concern_new, name="progress_concern_new"),
    path("progress/concerns/<int:concern_id>/", views.concern, name="progress_concern"),
    path("progress/concerns/<int:concern_id>/answer/", views.concern_answer, name="progress_concern_answer"),
    path(
        "progress/concerns/<int:concern_id>/follow-up/",
        views.concern_follow_up,
        name="progress_concern_follow_up",
    ),
    path(
        "progress/concerns/<int:concern_id>/resolve/", views.concern_resolve, name="progress_concern_resolve"
    ),
    path("circles/<int:circle_id>/progress/", views.circle, name="progress_circle"),
    path("circles/<int:circle_id>/progress/members/<int:user_id>/", views.member, name="progress_member"),
    path(
        "circles/<int:circle_id>/progress/attendance.csv",
        views.circle_attendance_csv,
        name="progress_circle_attendance_csv",
    ),
    path(
        "circles/<int:circle_id>/progress/progress.csv",
        views.circle_progress_csv,
        name="progress_circle_progress_csv",
    ),
    path("programmes/<int:programme_id>/progress/", views.programme, name="progress_programme"),
    path(
        "programmes/<int:programme_id>/progress/attendance.csv",
        views.programme_attendance_csv,
        name="progress_programme_attendance_csv",
    ),
    path(
        "programmes/<int:programme_id>/progress/progress.csv",
        views.programme_progress_csv,
        name="progress_programme_progress_csv",
    ),
]
