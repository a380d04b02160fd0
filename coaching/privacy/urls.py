"""URLs of the privacy pages."""

from __future__ import annotations

from django.urls import path

from coaching.privacy import views

urlpatterns = [
    path("accounts/data/", views.download_my_data, name="privacy_download"),
    path("accounts/delete/", views.delete_my_account, name="privacy_delete"),
    path(
        "programmes/<int:programme_id>/people/<int:user_id>/erase/",
        views.erase_person,
        name="privacy_erase_person",
    ),
]
