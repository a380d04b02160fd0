"""URLs of the CSV import and invitations."""

from __future__ import annotations

from django.urls import URLPattern, path

from circles import import_views

urlpatterns: list[URLPattern] = [
    path("programmes/<int:programme_id>/import/", import_views.upload, name="programme_import"),
    path("programmes/<int:programme_id>/imports/<int:job_id>/", import_views.job_page, name="import_job"),
    path(
        "programmes/<int:programme_id>/imports/<int:job_id>/commit/",
        import_views.commit,
        name="import_commit",
    ),
    path("invite/<str:token>/", import_views.invitation, name="invitation"),
]
